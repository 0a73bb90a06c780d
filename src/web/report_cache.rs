//! One computation per report (and per workspace view): concurrent requests for the
//! same campaign, filters and language wait for the first instead of computing it
//! again, and the result is kept until the campaign's data changes (a new response,
//! version, framework or invitation).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::report::{Document, Lang, RawData};

pub type Built = Arc<(Document, RawData)>;
type Slot<V> = Arc<OnceCell<Result<V, String>>>;
/// Per key: the data version computed for and its slot.
type Entries<K, V> = Arc<Mutex<HashMap<K, (String, Slot<V>)>>>;
type Key = (String, Vec<(String, String)>, Lang);

/// Results kept at once (the rest are recomputed on demand).
const KEEP: usize = 32;

/// Reports by campaign, filters and language.
pub type ReportCache = VersionCache<Key, Built>;

/// Values computed from a campaign's data, one computation per key and data version.
pub struct VersionCache<K, V> {
    entries: Entries<K, V>,
}

impl<K, V> Clone for VersionCache<K, V> {
    fn clone(&self) -> Self {
        VersionCache {
            entries: self.entries.clone(),
        }
    }
}

impl<K, V> Default for VersionCache<K, V> {
    fn default() -> Self {
        VersionCache {
            entries: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone, V: Clone> VersionCache<K, V> {
    /// The value for `key` at data `version`, computed by `build` at most once per
    /// version however many requests ask at the same time.
    pub async fn get_or_build<F, Fut>(&self, key: K, version: String, build: F) -> Result<V, String>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, String>>,
    {
        let cell = {
            let mut entries = self.entries.lock().map_err(|e| e.to_string())?;
            match entries.get(&key) {
                Some((v, cell)) if *v == version => cell.clone(),
                _ => {
                    if entries.len() >= KEEP {
                        entries.clear();
                    }
                    let cell: Slot<V> = Arc::new(OnceCell::new());
                    entries.insert(key.clone(), (version.clone(), cell.clone()));
                    cell
                }
            }
        };
        let result = cell.get_or_init(build).await.clone();
        if result.is_err() {
            // Do not keep a failure: the next request tries again.
            if let Ok(mut entries) = self.entries.lock() {
                if entries
                    .get(&key)
                    .is_some_and(|(_, c)| Arc::ptr_eq(c, &cell))
                {
                    entries.remove(&key);
                }
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn doc() -> Built {
        Arc::new((Document::default(), RawData::default()))
    }

    #[tokio::test]
    async fn concurrent_requests_share_one_computation_until_the_data_changes() {
        let cache = ReportCache::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let key: Key = ("c".into(), vec![], Lang::Zh);
        let mut handles = Vec::new();
        for _ in 0..8 {
            let (cache, runs, key) = (cache.clone(), runs.clone(), key.clone());
            handles.push(tokio::spawn(async move {
                cache
                    .get_or_build(key, "v1".into(), || async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Ok(doc())
                    })
                    .await
            }));
        }
        for h in handles {
            assert!(h.await.expect("join").is_ok());
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "one computation for 8 requests"
        );
        let r2 = runs.clone();
        cache
            .get_or_build(key.clone(), "v2".into(), || async move {
                r2.fetch_add(1, Ordering::SeqCst);
                Ok(doc())
            })
            .await
            .expect("ok");
        assert_eq!(runs.load(Ordering::SeqCst), 2, "new data, new computation");
        let failing = cache
            .get_or_build(key.clone(), "v3".into(), || async {
                Err("boom".to_string())
            })
            .await;
        assert!(failing.is_err());
        let r3 = runs.clone();
        cache
            .get_or_build(key, "v3".into(), || async move {
                r3.fetch_add(1, Ordering::SeqCst);
                Ok(doc())
            })
            .await
            .expect("a failure is not kept");
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }
}
