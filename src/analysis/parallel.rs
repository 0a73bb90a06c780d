//! Spreads the independent pieces of one analysis (fine cells, breakdown tables, tests
//! per indicator) over the machine's cores, results in the pieces' order.

use std::cell::Cell;
use std::sync::Mutex;

thread_local! {
    /// Whether this thread is running the items of a [`map`].
    static IN_MAP: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as running a [`map`]'s items until dropped (also when
/// an item panics), then restores what it was.
struct Inside(bool);

impl Inside {
    fn enter() -> Self {
        Inside(IN_MAP.replace(true))
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        IN_MAP.set(self.0);
    }
}

/// `f` over `items` on every core, results in the items' order. Each thread takes the
/// next item when it is done with its last, so pieces of unequal cost balance out.
/// A `map` inside another's items runs on its caller's thread alone: the cores are
/// busy already, and the items of an outer map (fine cells) can be many and small.
/// A panic in `f` is raised again here.
pub fn map<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads < 2 || IN_MAP.get() {
        return items.into_iter().map(f).collect();
    }
    let queue = Mutex::new(items.into_iter().enumerate());
    let work = || {
        let _inside = Inside::enter();
        let mut done = Vec::new();
        // The lock is held only to take the next item, never while `f` runs.
        while let Some((i, item)) = queue.lock().ok().and_then(|mut q| q.next()) {
            done.push((i, f(item)));
        }
        done
    };
    let mut done = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut all = work();
        for h in helpers {
            match h.join() {
                Ok(part) => all.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, u)| u).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Results come back in the items' order whatever thread computed them and
    /// however long each took, and every item is computed once.
    #[test]
    fn results_keep_the_items_order() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let items: Vec<u64> = (0..200).collect();
        let out = map(items, |i| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // Uneven work: every seventh item takes much longer.
            let spin = if i % 7 == 0 { 20_000 } else { 10 };
            let busy = (0..spin).fold(i, |a, b| a.wrapping_mul(31).wrapping_add(b));
            (i, busy)
        });
        assert_eq!(calls.into_inner(), 200);
        let order: Vec<u64> = out.iter().map(|(i, _)| *i).collect();
        assert_eq!(order, (0..200).collect::<Vec<_>>());
    }

    /// An inner map runs on the thread of the outer item that calls it, and the
    /// caller's thread is not left marked (a later map spreads again).
    #[test]
    fn a_map_inside_a_map_stays_on_its_thread() {
        let outer = map((0..8).collect(), |i: u32| {
            let me = std::thread::current().id();
            let inner = map((0..50).collect(), |j: u32| (j, std::thread::current().id()));
            inner.iter().all(|(_, t)| *t == me) && inner.len() == 50 && i < 8
        });
        assert!(outer.iter().all(|ok| *ok));
        assert!(
            !IN_MAP.get(),
            "the caller's thread is unmarked after the map"
        );
    }

    #[test]
    fn no_items_and_one_item() {
        assert!(map(Vec::<u8>::new(), |x| x).is_empty());
        assert_eq!(map(vec![3], |x| x * 2), vec![6]);
    }

    #[test]
    #[should_panic(expected = "piece 5")]
    fn a_panic_in_a_piece_is_raised_again() {
        // (the caller's mark is restored while the panic unwinds: `Inside`)
        map((0..10).collect(), |i: i32| {
            if i == 5 {
                panic!("piece 5");
            }
            i
        });
    }
}
