//! Suppression across the whole cross-classification of a campaign's respondents by its
//! disclosure attributes (school, sector, grade, role, size): every view an evaluator
//! can ask for — the campaign, a view narrowed by filters, a breakdown inside one — is
//! a cell of one lattice (the fine table and all its margins), and one pattern of
//! hidden cells is decided for the whole lattice at once, so the margins of one table,
//! the cells of another and their differences never isolate a small group, and every
//! view decides the same.
//!
//! The rule is provable rather than heuristic: the fine cells are grouped into blocks of
//! at least `min` respondents (small cells merged with their nearest neighbours), and a
//! cell is published only when it is a union of whole blocks. Every published number is
//! then a sum of block totals, so whatever can be solved for from any combination of
//! them is a union of blocks too. Line-by-line (hypercube) suppression was tried first
//! and failed the random-layout test below: with three attributes, sums of published
//! margins still isolated two or three people.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One coordinate of a lattice cell: every respondent (the attribute not split on), a
/// value (its index in the attribute's sorted values), or the respondents without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Coord {
    All,
    Value(u32),
    Missing,
}

/// A cell of the lattice: one coordinate per disclosure attribute.
pub type Cell = Vec<Coord>;

/// Attributes split on by a cell.
pub fn level(cell: &[Coord]) -> usize {
    cell.iter().filter(|c| **c != Coord::All).count()
}

/// A cell is published (can be a view or a breakdown cell) when it names a value for
/// every attribute it splits on.
pub fn publishable(cell: &[Coord]) -> bool {
    !cell.contains(&Coord::Missing)
}

/// The cells of the lattice with their respondent counts, built from the fine cells
/// (every attribute split on: a value or `Missing`).
fn marginals(fine: &[(Cell, u64)], max_level: usize) -> BTreeMap<Cell, u64> {
    let dims = fine.first().map_or(0, |(c, _)| c.len());
    let mut out: BTreeMap<Cell, u64> = BTreeMap::new();
    for mask in 0u32..(1 << dims) {
        if mask.count_ones() as usize > max_level {
            continue;
        }
        for (cell, n) in fine {
            if *n == 0 {
                continue;
            }
            let key: Cell = cell
                .iter()
                .enumerate()
                .map(|(d, c)| if mask & (1 << d) != 0 { *c } else { Coord::All })
                .collect();
            *out.entry(key).or_default() += n;
        }
    }
    out
}

/// What hiding a set of cells costs: coarser published cells cost far more than finer
/// ones (a school's score before a school × sector cell).
/// A cell splitting on attribute `d` costs `weight[d]` times more (a school's cells are
/// what a school's evaluator sees).
fn cost(hidden: &BTreeSet<Cell>, max_level: usize, weight: &[u64]) -> u64 {
    hidden
        .iter()
        .filter(|c| publishable(c))
        .map(|c| {
            let w: u64 = c
                .iter()
                .zip(weight)
                .filter(|(x, _)| **x != Coord::All)
                .map(|(_, w)| *w)
                .max()
                .unwrap_or(1);
            w * 16u64.pow((max_level.saturating_sub(level(c))) as u32)
        })
        .sum()
}

/// Fine cells (indices) grouped into blocks of at least `min` respondents each.
type Blocks = Vec<Vec<usize>>;

/// Blocks built by merging small fine cells along the attributes in `order`: first
/// with cells that differ from them in `order[0]` only, then in `order[0..2]`, and so
/// on; a merge still short of the minimum takes in the smallest block of its region.
fn blocks(fine: &[(Cell, u64)], order: &[usize], min: u64) -> Blocks {
    let mut done: Blocks = Vec::new();
    let mut pending: Vec<Vec<usize>> = Vec::new();
    for (i, (_, n)) in fine.iter().enumerate() {
        match *n {
            0 => {}
            n if n >= min => done.push(vec![i]),
            _ => pending.push(vec![i]),
        }
    }
    let total = |b: &[usize]| b.iter().map(|i| fine[*i].1).sum::<u64>();
    for stage in 1..=order.len() {
        if pending.is_empty() {
            break;
        }
        let merged = &order[..stage];
        let key = |i: usize| -> Cell {
            let mut c = fine[i].0.clone();
            for d in merged {
                c[*d] = Coord::All;
            }
            c
        };
        let mut groups: BTreeMap<Cell, Vec<usize>> = BTreeMap::new();
        for b in pending.drain(..) {
            groups.entry(key(b[0])).or_default().extend(b);
        }
        for (k, mut group) in groups {
            if total(&group) >= min {
                done.push(group);
                continue;
            }
            let partner = done
                .iter()
                .enumerate()
                .filter(|(_, b)| key(b[0]) == k)
                .min_by_key(|(i, b)| (total(b), *i))
                .map(|(i, _)| i);
            match partner {
                Some(i) => {
                    let b = done.swap_remove(i);
                    group.extend(b);
                    done.push(group);
                }
                None => pending.push(group),
            }
        }
    }
    // Whatever is left is below the minimum in all: it joins the smallest block, or,
    // with none, stays one block of its own (and every cell it touches is hidden).
    for group in pending {
        match (0..done.len()).min_by_key(|i| (total(&done[*i]), *i)) {
            Some(i) => done[i].extend(group),
            None => done.push(group),
        }
    }
    done
}

/// The cells of the lattice that are not unions of whole blocks: each is hidden.
fn split_cells(
    fine: &[(Cell, u64)],
    blocks: &Blocks,
    cells: &BTreeMap<Cell, u64>,
    min: u64,
) -> BTreeSet<Cell> {
    let mut hidden: BTreeSet<Cell> = BTreeSet::new();
    for cell in cells.keys() {
        let inside = |i: usize| {
            cell.iter()
                .zip(&fine[i].0)
                .all(|(a, b)| *a == Coord::All || a == b)
        };
        let split = blocks.iter().any(|b| {
            let k = b.iter().filter(|i| inside(**i)).count();
            k > 0 && k < b.len()
        });
        let small_whole =
            blocks.len() == 1 && blocks[0].iter().map(|i| fine[*i].1).sum::<u64>() < min;
        if split || small_whole {
            hidden.insert(cell.clone());
        }
    }
    hidden
}

/// The hidden cells of the lattice (every cell of at most `max_level` attributes that
/// has respondents and is not in the set is published), for fine-cell counts of one
/// statistic and a minimum cell size.
///
/// The fine cells are grouped into blocks of at least `min` respondents, and a cell is
/// published only when it is a union of whole blocks. Then everything that can be
/// computed from published cells — differences, complements, any linear combination —
/// is a combination of block totals, and a group that can be solved for is a union of
/// blocks: never fewer than `min` people. Of the ways to merge (each attribute first,
/// then the others from the lightest `weight`), the one hiding least is taken; coarse
/// cells weigh most, and cells splitting on a heavy attribute more.
pub fn hidden_cells(
    fine: &[(Cell, u64)],
    max_level: usize,
    min: u64,
    weight: &[u64],
) -> BTreeSet<Cell> {
    decide(fine, max_level, min, weight).hidden
}

/// What the gate decided for one statistic: the blocks (fine cells by their index in
/// the order given, each block ≥ `min` respondents unless all of them are fewer) and
/// the cells of the lattice that are not unions of whole blocks.
#[derive(Debug, Default)]
pub struct Decision {
    pub blocks: Blocks,
    pub hidden: BTreeSet<Cell>,
}

/// [`hidden_cells`] with the blocks it chose.
pub fn decide(fine: &[(Cell, u64)], max_level: usize, min: u64, weight: &[u64]) -> Decision {
    if fine.iter().all(|(_, n)| *n == 0 || *n >= min) {
        return Decision {
            blocks: (0..fine.len())
                .filter(|i| fine[*i].1 > 0)
                .map(|i| vec![i])
                .collect(),
            hidden: BTreeSet::new(),
        };
    }
    // In cell order, so the blocks do not depend on the order the cells came in.
    let mut order: Vec<usize> = (0..fine.len()).collect();
    order.sort_by(|a, b| fine[*a].cmp(&fine[*b]));
    let sorted: Vec<(Cell, u64)> = order.iter().map(|i| fine[*i].clone()).collect();
    let fine = &sorted[..];
    let cells = marginals(fine, max_level);
    let dims = fine.first().map_or(0, |(c, _)| c.len());
    let mut best: Option<(u64, Blocks, BTreeSet<Cell>)> = None;
    for first in 0..dims {
        let mut merge = vec![first];
        let mut rest: Vec<usize> = (0..dims).filter(|d| *d != first).collect();
        rest.sort_by_key(|d| (weight.get(*d).copied().unwrap_or(1), *d));
        merge.extend(rest);
        let b = blocks(fine, &merge, min);
        let hidden = split_cells(fine, &b, &cells, min);
        let c = cost(&hidden, max_level, weight);
        if best.as_ref().is_none_or(|(cost, _, _)| c < *cost) {
            best = Some((c, b, hidden));
        }
    }
    let (_, blocks, hidden) = best.unwrap_or_default();
    let small_whole = blocks.len() == 1 && blocks[0].iter().map(|i| fine[*i].1).sum::<u64>() < min;
    let (blocks, hidden) = if small_whole {
        (blocks, hidden)
    } else {
        reshow(fine, &cells, hidden, max_level, min, weight)
    };
    Decision {
        blocks: blocks
            .into_iter()
            .map(|b| b.into_iter().map(|i| order[i]).collect())
            .collect(),
        hidden,
    }
}

/// Whether fine cell `f` lies in `cell`.
fn inside(cell: &[Coord], f: &[Coord]) -> bool {
    cell.iter().zip(f).all(|(a, b)| *a == Coord::All || a == b)
}

/// The atoms of a family of published cells: fine cells (with respondents) grouped by
/// which published cells contain them. Every linear combination of published cells is
/// constant on each atom, so a group that can be solved for is a union of atoms.
struct Atoms {
    /// Atom of each fine cell (`usize::MAX` for an empty one).
    of: Vec<usize>,
    count: usize,
}

impl Atoms {
    fn new(fine: &[(Cell, u64)]) -> Self {
        Atoms {
            of: fine
                .iter()
                .map(|(_, n)| if *n > 0 { 0 } else { usize::MAX })
                .collect(),
            count: 1,
        }
    }

    /// Respondents of each atom inside and outside `cell`.
    fn split_sizes(&self, fine: &[(Cell, u64)], cell: &[Coord]) -> Vec<(u64, u64)> {
        let mut sizes = vec![(0u64, 0u64); self.count];
        for ((f, n), a) in fine.iter().zip(&self.of) {
            if *a == usize::MAX {
                continue;
            }
            if inside(cell, f) {
                sizes[*a].0 += n;
            } else {
                sizes[*a].1 += n;
            }
        }
        sizes
    }

    /// Splits every atom by `cell`.
    fn split(&mut self, fine: &[(Cell, u64)], cell: &[Coord]) {
        let mut renamed: HashMap<(usize, bool), usize> = HashMap::new();
        for ((f, _), a) in fine.iter().zip(self.of.iter_mut()) {
            if *a == usize::MAX {
                continue;
            }
            let next = renamed.len();
            *a = *renamed.entry((*a, inside(cell, f))).or_insert(next);
        }
        self.count = renamed.len().max(1);
    }

    fn groups(&self) -> Blocks {
        let mut out: Blocks = vec![Vec::new(); self.count];
        for (i, a) in self.of.iter().enumerate() {
            if *a != usize::MAX {
                out[*a].push(i);
            }
        }
        out.retain(|b| !b.is_empty());
        out
    }
}

/// Shows again the hidden cells whose publication keeps every atom of the published
/// family at `min` respondents or more, the most valuable first (coarse cells, then
/// cells of heavy attributes): the blocks are one way to guarantee that, but they hide
/// more than it needs (a sector of 238 students, because a small cell of it was merged
/// across sectors). Returns the final atoms and hidden cells.
fn reshow(
    fine: &[(Cell, u64)],
    cells: &BTreeMap<Cell, u64>,
    mut hidden: BTreeSet<Cell>,
    max_level: usize,
    min: u64,
    weight: &[u64],
) -> (Blocks, BTreeSet<Cell>) {
    let mut atoms = Atoms::new(fine);
    for cell in cells
        .keys()
        .filter(|c| publishable(c) && !hidden.contains(*c))
    {
        atoms.split(fine, cell);
    }
    let mut candidates: Vec<Cell> = hidden
        .iter()
        .filter(|c| publishable(c) && cells.get(*c).copied().unwrap_or(0) >= min)
        .cloned()
        .collect();
    let value = |c: &Cell| cost(&std::iter::once(c.clone()).collect(), max_level, weight);
    candidates.sort_by(|a, b| value(b).cmp(&value(a)).then_with(|| a.cmp(b)));
    for c in candidates {
        let ok = atoms
            .split_sizes(fine, &c)
            .iter()
            .all(|(i, o)| (*i == 0 || *i >= min) && (*o == 0 || *o >= min));
        if ok {
            atoms.split(fine, &c);
            hidden.remove(&c);
        }
    }
    (atoms.groups(), hidden)
}

/// Groups split by an answer rather than an attribute (the rows of a cross-tabulation
/// by a single-choice question) inside the blocks of a [`Decision`]: `parts[f][x]` is
/// how many respondents of fine cell `f` gave answer `x`, the last `x` being "no
/// answer". Within each block, an answer's respondents stand alone when they are at
/// least `min`; the smaller ones are pooled, and a pool under `min` takes in the
/// smallest standing part. Returns, per block, which answers stand alone.
///
/// Every published answer group is then a union of these sub-blocks (each ≥ `min`), and
/// so is every cell the lattice publishes (a union of whole blocks), so whatever can be
/// solved for from both is a union of sub-blocks too.
pub fn refine(blocks: &Blocks, parts: &[Vec<u64>], min: u64) -> Vec<Vec<bool>> {
    let k = parts.first().map_or(0, Vec::len);
    blocks
        .iter()
        .map(|b| {
            let mut p = vec![0u64; k];
            for f in b {
                for (x, n) in parts[*f].iter().enumerate() {
                    p[x] += n;
                }
            }
            let mut alone: Vec<bool> = p.iter().map(|n| *n >= min).collect();
            let pooled: u64 = p.iter().filter(|n| **n > 0 && **n < min).sum();
            if pooled > 0 && pooled < min {
                if let Some(x) = (0..k).filter(|x| alone[*x]).min_by_key(|x| (p[*x], *x)) {
                    alone[x] = false;
                }
            }
            alone
        })
        .collect()
}

/// [`decide`] for many statistics, deciding once per distinct count vector (most
/// statistics of a group have the same respondents).
#[derive(Default)]
pub struct Patterns {
    decided: HashMap<Vec<u64>, std::rc::Rc<Decision>>,
}

impl Patterns {
    pub fn decision(
        &mut self,
        fine: &[Cell],
        counts: Vec<u64>,
        max_level: usize,
        min: u64,
        weight: &[u64],
    ) -> std::rc::Rc<Decision> {
        self.decided
            .entry(counts)
            .or_insert_with_key(|counts| {
                let pairs: Vec<(Cell, u64)> =
                    fine.iter().cloned().zip(counts.iter().copied()).collect();
                std::rc::Rc::new(decide(&pairs, max_level, min, weight))
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::Coord::*;
    use super::*;

    fn fine(rows: &[(&[Coord], u64)]) -> Vec<(Cell, u64)> {
        rows.iter().map(|(c, n)| (c.to_vec(), *n)).collect()
    }

    /// Whether the sum over `target` (fine cell indices) is a linear combination of the
    /// published cells: Gaussian elimination over the fine cells.
    fn derivable(fine: &[(Cell, u64)], shown: &[Cell], target: &[usize]) -> bool {
        let covers = |c: &Cell, f: &Cell| c.iter().zip(f).all(|(a, b)| *a == All || a == b);
        let rows: Vec<Vec<f64>> = shown
            .iter()
            .map(|c| {
                fine.iter()
                    .map(|(f, _)| f64::from(u8::from(covers(c, f))))
                    .collect()
            })
            .collect();
        let rank = |m: &[Vec<f64>]| {
            let mut m = m.to_vec();
            let (mut r, cols) = (0, fine.len());
            for c in 0..cols {
                let Some(p) = (r..m.len()).find(|i| m[*i][c].abs() > 1e-9) else {
                    continue;
                };
                m.swap(r, p);
                let pivot = m[r].clone();
                for (i, row) in m.iter_mut().enumerate() {
                    if i != r && row[c].abs() > 1e-9 {
                        let f = row[c] / pivot[c];
                        for (x, y) in row.iter_mut().zip(&pivot) {
                            *x -= f * y;
                        }
                    }
                }
                r += 1;
            }
            r
        };
        let mut with = rows.clone();
        with.push(
            (0..fine.len())
                .map(|i| f64::from(u8::from(target.contains(&i))))
                .collect(),
        );
        rank(&with) == rank(&rows)
    }

    fn published(fine: &[(Cell, u64)], max_level: usize, min: u64) -> Vec<Cell> {
        let h = hidden_cells(fine, max_level, min, &[4, 2, 1]);
        marginals(fine, max_level)
            .into_keys()
            .filter(|c| publishable(c) && !h.contains(c))
            .collect()
    }

    /// Every set of up to three non-empty fine cells with fewer than `min` respondents
    /// between them stays out of the span of what is published.
    fn assert_no_small_set_derivable(fine: &[(Cell, u64)], max_level: usize, min: u64) {
        let shown = published(fine, max_level, min);
        let k = fine.len();
        for a in 0..k {
            for b in a..k {
                for c in b..k {
                    let mut set = vec![a, b, c];
                    set.dedup();
                    let n: u64 = set.iter().map(|i| fine[*i].1).sum();
                    if n > 0 && n < min {
                        assert!(
                            !derivable(fine, &shown, &set),
                            "{:?} ({n}) derivable from {shown:?} in {fine:?}",
                            set.iter().map(|i| &fine[*i].0).collect::<Vec<_>>()
                        );
                    }
                }
            }
        }
    }

    /// The difference attack the one-filter rule let through: school 1's 20 teachers
    /// are all in sector 1, where school 2 has 3. School 1 (20), sector 1 (23) and the
    /// campaign were all shown, so sector 1 − school 1 gave the 3 away.
    #[test]
    fn a_margin_equal_to_one_cell_cannot_give_a_small_cell_away() {
        let f = fine(&[
            (&[Value(0), Value(0)], 20),
            (&[Value(1), Value(0)], 3),
            (&[Value(1), Value(1)], 12),
        ]);
        let h = hidden_cells(&f, 2, 5, &[4, 2]);
        assert!(h.contains(&vec![Value(1), Value(0)]), "primary");
        assert!(
            h.contains(&vec![Value(0), All]) || h.contains(&vec![All, Value(0)]),
            "school 1 or sector 1"
        );
        assert!(!h.contains(&vec![All, All]), "the campaign stands");
        assert_no_small_set_derivable(&f, 2, 5);
    }

    /// Nothing small, nothing hidden; a small cell of respondents without a value is
    /// protected like any other, by the smaller school (not by the sector).
    #[test]
    fn only_what_protection_needs_is_hidden() {
        let f = fine(&[(&[Value(0), Value(0)], 14), (&[Value(1), Value(0)], 12)]);
        assert!(hidden_cells(&f, 2, 10, &[4, 2]).is_empty());
        let f = fine(&[
            (&[Value(0), Value(0)], 14),
            (&[Value(1), Value(0)], 12),
            (&[Missing, Value(0)], 4),
        ]);
        let h = hidden_cells(&f, 2, 10, &[4, 2]);
        let expected: BTreeSet<Cell> = [
            vec![Missing, Value(0)],
            vec![Missing, All],
            vec![Value(1), Value(0)],
            vec![Value(1), All],
        ]
        .into_iter()
        .collect();
        assert_eq!(h, expected);
        assert_no_small_set_derivable(&f, 2, 10);
    }

    /// Random layouts of three attributes around the minimum: every small cell is
    /// hidden, no set of up to three fine cells under the minimum can be solved for from
    /// what is published (margins, two-way cells, their differences), and the decision
    /// does not depend on the order of the fine cells.
    #[test]
    fn no_small_group_is_derivable_in_random_layouts() {
        let mut seed = 7u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..150 {
            let mut f: Vec<(Cell, u64)> = Vec::new();
            for a in [Value(0), Value(1), Value(2), Missing] {
                for b in [Value(0), Value(1), Missing] {
                    for c in [Value(0), Value(1)] {
                        let n = [0, 0, 0, 1, 2, 3, 4, 6, 9, 15][(next() % 10) as usize];
                        if n > 0 {
                            f.push((vec![a, b, c], n));
                        }
                    }
                }
            }
            let min = 5;
            let h = hidden_cells(&f, 3, min, &[1, 1, 1]);
            for (c, n) in &marginals(&f, 3) {
                if *n < min {
                    assert!(h.contains(c), "{c:?} has {n}");
                }
            }
            let mut reversed = f.clone();
            reversed.reverse();
            assert_eq!(hidden_cells(&reversed, 3, min, &[1, 1, 1]), h);
            // Views narrowed by up to two filters with a breakdown (level 3), and by
            // one filter with a breakdown (level 2).
            assert_no_small_set_derivable(&f, 2, min);
            assert_no_small_set_derivable(&f, 3, min);
        }
    }

    /// Rows split by an answer inside published views: two attributes in the lattice
    /// and a third dimension that is an answer (three choices and "no answer"). What is
    /// published: the lattice's cells, and each view's answer groups that stand alone
    /// in every block of the view. No set of up to three finest cells under the minimum
    /// is derivable from all of it.
    #[test]
    fn answer_groups_inside_blocks_give_no_small_group_away() {
        let mut seed = 11u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let min = 5;
        let answers = [Value(0), Value(1), Value(2), Missing];
        for _ in 0..150 {
            let mut finest: Vec<(Cell, u64)> = Vec::new();
            let mut lattice: Vec<(Cell, u64)> = Vec::new();
            let mut parts: Vec<Vec<u64>> = Vec::new();
            for a in [Value(0), Value(1), Missing] {
                for b in [Value(0), Value(1), Value(2)] {
                    let p: Vec<u64> = answers
                        .iter()
                        .map(|_| [0, 0, 1, 2, 3, 4, 6, 9][(next() % 8) as usize])
                        .collect();
                    for (x, n) in answers.iter().zip(&p) {
                        if *n > 0 {
                            finest.push((vec![a, b, *x], *n));
                        }
                    }
                    lattice.push((vec![a, b], p.iter().sum()));
                    parts.push(p);
                }
            }
            let d = decide(&lattice, 2, min, &[2, 1]);
            let alone = refine(&d.blocks, &parts, min);
            let mut shown: Vec<Cell> = marginals(&lattice, 2)
                .into_keys()
                .filter(|c| publishable(c) && !d.hidden.contains(c))
                .map(|mut c| {
                    c.push(All);
                    c
                })
                .collect();
            let views: Vec<Cell> = shown.iter().filter(|c| level(c) <= 1).cloned().collect();
            for view in views {
                let inside = |f: &Cell| view.iter().zip(f).all(|(v, x)| *v == All || v == x);
                for x in 0..3 {
                    let total: u64 = lattice
                        .iter()
                        .zip(&parts)
                        .filter(|((f, _), _)| inside(f))
                        .map(|(_, p)| p[x])
                        .sum();
                    let split = d.blocks.iter().zip(&alone).any(|(b, a)| {
                        b.iter().any(|f| inside(&lattice[*f].0) && parts[*f][x] > 0) && !a[x]
                    });
                    if total >= min && !split {
                        let mut c = view.clone();
                        c[2] = Value(x as u32);
                        shown.push(c);
                    }
                }
            }
            let k = finest.len();
            for a in 0..k {
                for b in a..k {
                    for c in b..k {
                        let mut set = vec![a, b, c];
                        set.dedup();
                        let n: u64 = set.iter().map(|i| finest[*i].1).sum();
                        if n > 0 && n < min {
                            assert!(
                                !derivable(&finest, &shown, &set),
                                "{:?} ({n}) derivable",
                                set.iter().map(|i| &finest[*i].0).collect::<Vec<_>>()
                            );
                        }
                    }
                }
            }
        }
    }
}
