//! The disclosure gate: the one place that decides which statistics may be published.
//! `evaluation::analyse` builds every section of an `Analysis` through it, and every
//! output (`/scores`, `/analysis`, the report in each format, the CLI) is built from an
//! `Analysis`, so no output can publish a statistic the gate has not passed.
//!
//! The rules (docs/methods.md, "Disclosure control"):
//! 1. **Primary**: a statistic about fewer than `min_cell_size` respondents is hidden.
//! 2. **Across a breakdown**: the cells of one breakdown (e.g. sectors within a group)
//!    whose total is published, together with the respondents who have no value, are
//!    suppressed so that hidden cells number at least two and hold at least the minimum
//!    between them ([`super::suppression::suppress_from`]).
//! 3. **Filters and differences**: every view (the campaign, a view narrowed by up to
//!    [`MAX_FILTERS`] filters, a breakdown inside one) is a cell of one lattice — the
//!    table of the campaign's respondents by all the [`ATTRIBUTES`] and all its
//!    margins — and one pattern of hidden cells is decided for the whole lattice per
//!    statistic ([`super::cube`]): a view's statistic is published only if its cell is
//!    shown there. So complements of filters, sibling views, the margins of one table
//!    and the cells of another never isolate a small group, and every view decides the
//!    same.
//! 4. **Combined cells** (综合) are computed over the published groups only.
//! 5. **Derived results** (gaps between groups, wave changes, fuzzy evaluation, IPA)
//!    are computed from published cells only.
//!
//! Counts of respondents (n) are published: they say who answered, not what.

use std::collections::BTreeMap;

use std::cell::RefCell;

use super::cube::{refine, Cell, Coord, Decision, Patterns};
use super::suppression::{suppress_from, Suppressed};

/// Most filters one published view may combine: with a breakdown inside it, a cell
/// splits on `MAX_FILTERS + 1` attributes, the finest cells the lattice publishes.
pub const MAX_FILTERS: usize = 2;

/// The attributes views may be narrowed and broken down by (with the campaign's own
/// breakdowns): the lattice of every view is built over all of them, whichever a view
/// uses, so that all views decide the same.
pub const ATTRIBUTES: [&str; 5] = ["grade", "role", "school", "sector", "size"];

/// How much hiding a cell of an attribute costs when the gate chooses what to hide: a
/// school's cells most (they are all a school's evaluator sees), then a sector's.
fn weight(attribute: &str) -> u64 {
    match attribute {
        "school" => 4,
        "sector" => 2,
        _ => 1,
    }
}

/// Why a view cannot be published as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error(
        "{0} is not an attribute views can be narrowed by (grade, role, school, sector, size)"
    )]
    Unknown(String),
    #[error("{0} is given twice")]
    Repeated(String),
    #[error("at most {MAX_FILTERS} filters can be combined; {0} is one too many")]
    TooMany(String),
}

/// Checks the filters of a view (a school's token counts as its school filter).
pub fn check_filters(filters: &[(String, String)]) -> Result<(), FilterError> {
    for (i, (k, _)) in filters.iter().enumerate() {
        if !ATTRIBUTES.contains(&k.as_str()) {
            return Err(FilterError::Unknown(k.clone()));
        }
        if filters[..i].iter().any(|(j, _)| j == k) {
            return Err(FilterError::Repeated(k.clone()));
        }
        if i >= MAX_FILTERS {
            return Err(FilterError::TooMany(k.clone()));
        }
    }
    Ok(())
}

/// The respondent count behind every statistic of one view, by statistic key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Census(BTreeMap<String, u64>);

impl Census {
    pub fn insert(&mut self, key: String, n: u64) {
        self.0.insert(key, n);
    }

    pub fn get(&self, key: &str) -> u64 {
        self.0.get(key).copied().unwrap_or(0)
    }
}

/// A campaign's respondents split into fine cells (one per combination of values of
/// the disclosure attributes, `Missing` where a respondent has none), with the cell of
/// the view being published.
#[derive(Debug, Clone)]
pub struct Lattice<T> {
    /// Sorted: [`ATTRIBUTES`] and the campaign's breakdowns.
    pub attributes: Vec<String>,
    /// Per attribute, its values in the campaign, sorted.
    pub values: Vec<Vec<String>>,
    pub fine: Vec<(Cell, T)>,
    /// The view: a value per filter, `All` elsewhere.
    pub view: Cell,
}

impl<T> Lattice<T> {
    pub fn map<U>(&self, f: impl FnMut(&T) -> U) -> Lattice<U> {
        let mut f = f;
        Lattice {
            attributes: self.attributes.clone(),
            values: self.values.clone(),
            fine: self.fine.iter().map(|(c, t)| (c.clone(), f(t))).collect(),
            view: self.view.clone(),
        }
    }

    /// The lattice of a view narrowed by `filters`; `None` when a filter names an
    /// attribute outside the lattice.
    pub fn cell_of(&self, filters: &[(String, String)]) -> Option<Cell> {
        let mut cell = vec![Coord::All; self.attributes.len()];
        for (k, v) in filters {
            let d = self.attributes.iter().position(|a| a == k)?;
            cell[d] = match self.values[d].binary_search(v) {
                Ok(i) => Coord::Value(i as u32),
                // A value nobody has: an empty view.
                Err(_) => Coord::Missing,
            };
        }
        Some(cell)
    }
}

/// The disclosure rules for one view.
pub struct Gate {
    min: u64,
    lattice: Option<Lattice<Census>>,
    patterns: RefCell<Patterns>,
}

impl Gate {
    /// `lattice`: the campaign's fine cells and the view's place among them; `None` for
    /// frames analysed on their own (a test's, an example report's), where only rules 1
    /// and 2 apply.
    pub fn new(min: u64, lattice: Option<Lattice<Census>>) -> Self {
        Gate {
            min,
            lattice,
            patterns: RefCell::new(Patterns::default()),
        }
    }

    pub fn min(&self) -> u64 {
        self.min
    }

    fn primary(&self, n: u64) -> bool {
        n > 0 && n < self.min
    }

    /// Whether `cell` is hidden for the statistic `key` about `n` respondents; a count
    /// that disagrees with the fine cells hides it too.
    fn hidden_in_lattice(&self, l: &Lattice<Census>, key: &str, cell: &[Coord], n: u64) -> bool {
        let counts: Vec<u64> = l.fine.iter().map(|(_, c)| c.get(key)).collect();
        let covered: u64 = l
            .fine
            .iter()
            .zip(&counts)
            .filter(|((f, _), _)| cell.iter().zip(f).all(|(a, b)| *a == Coord::All || a == b))
            .map(|(_, n)| n)
            .sum();
        if covered != n || cell.contains(&Coord::Missing) {
            return true;
        }
        self.decision(l, counts).hidden.contains(cell)
    }

    fn decision(&self, l: &Lattice<Census>, counts: Vec<u64>) -> std::rc::Rc<Decision> {
        let fine: Vec<Cell> = l.fine.iter().map(|(c, _)| c.clone()).collect();
        let weight: Vec<u64> = l.attributes.iter().map(|a| weight(a)).collect();
        self.patterns
            .borrow_mut()
            .decision(&fine, counts, MAX_FILTERS + 1, self.min, &weight)
    }

    /// Rules 1 and 3 for one statistic of the view, keyed by `key`, about `n`
    /// respondents.
    pub fn state(&self, key: &str, n: u64) -> Suppressed {
        if self.primary(n) {
            return Suppressed::Primary;
        }
        match &self.lattice {
            Some(l) if n > 0 && self.hidden_in_lattice(l, key, &l.view, n) => Suppressed::Secondary,
            _ => Suppressed::No,
        }
    }

    /// Rules 1–3 for the cells of one breakdown of the view by `attribute`: `key` is the
    /// statistic (as for [`Gate::state`]), `cells` (value, n) per value, `unassigned`
    /// the respondents of the view's total without a value.
    pub fn across(
        &self,
        attribute: &str,
        key: &str,
        cells: &[(String, u64)],
        unassigned: u64,
    ) -> Vec<Suppressed> {
        let Some(l) = &self.lattice else {
            let mut counts: Vec<u64> = cells.iter().map(|(_, n)| *n).collect();
            counts.push(unassigned);
            let mut out = suppress_from(&counts, None, self.min);
            out.pop();
            return out;
        };
        let d = l.attributes.iter().position(|a| a == attribute);
        cells
            .iter()
            .map(|(v, n)| {
                if self.primary(*n) {
                    return Suppressed::Primary;
                }
                let cell = d.and_then(|d| {
                    let i = l.values[d].binary_search(v).ok()?;
                    (l.view[d] == Coord::All).then(|| {
                        let mut c = l.view.clone();
                        c[d] = Coord::Value(i as u32);
                        c
                    })
                });
                match cell {
                    Some(_) if *n == 0 => Suppressed::No,
                    Some(c) if !self.hidden_in_lattice(l, key, &c, *n) => Suppressed::No,
                    _ => Suppressed::Secondary,
                }
            })
            .collect()
    }

    /// Rules 1–3 for the view split by an answer instead of an attribute (the rows of a
    /// cross-tabulation by a single-choice question): `parts[f]` counts, for fine cell
    /// `f` of the lattice (in its order), the respondents with the statistic `key` per
    /// answer, the last entry being those without an answer. An answer's group is
    /// published when the view is, it has at least the minimum, and inside every block
    /// of the view's decision it stands alone ([`refine`]), so that no difference with
    /// the lattice's cells or another view's groups isolates anyone.
    pub fn across_answers(&self, key: &str, n: u64, parts: &[Vec<u64>]) -> Vec<Suppressed> {
        let k = parts.first().map_or(0, Vec::len).saturating_sub(1);
        let inside = self.inside_view(parts.len());
        let totals: Vec<u64> = (0..k)
            .map(|x| {
                parts
                    .iter()
                    .zip(&inside)
                    .filter(|(_, inside)| **inside)
                    .map(|(p, _)| p[x])
                    .sum()
            })
            .collect();
        let view = self.state(key, n);
        let Some(l) = &self.lattice else {
            let mut counts = totals.clone();
            counts.push(n.saturating_sub(totals.iter().sum()));
            let mut out = suppress_from(&counts, None, self.min);
            out.pop();
            return out;
        };
        let counts: Vec<u64> = l.fine.iter().map(|(_, c)| c.get(key)).collect();
        let decision = self.decision(l, counts);
        let alone = refine(&decision.blocks, parts, self.min);
        (0..k)
            .map(|x| {
                if self.primary(totals[x]) {
                    return Suppressed::Primary;
                }
                let split = decision
                    .blocks
                    .iter()
                    .zip(&alone)
                    .any(|(b, a)| b.iter().any(|f| inside[*f] && parts[*f][x] > 0) && !a[x]);
                if view.is_hidden() || (totals[x] > 0 && split) {
                    Suppressed::Secondary
                } else {
                    Suppressed::No
                }
            })
            .collect()
    }

    /// Per fine cell of the lattice, whether it lies inside the view (without a
    /// lattice, the `cells` given all do).
    fn inside_view(&self, cells: usize) -> Vec<bool> {
        self.lattice.as_ref().map_or_else(
            || vec![true; cells],
            |l| {
                l.fine
                    .iter()
                    .map(|(f, _)| {
                        l.view
                            .iter()
                            .zip(f)
                            .all(|(a, b)| *a == Coord::All || a == b)
                    })
                    .collect()
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Suppressed::*;

    fn census(key: &str, n: u64) -> Census {
        let mut c = Census::default();
        c.insert(key.to_string(), n);
        c
    }

    /// Two schools × two sectors: school 1's 12 teachers are all in sector 1, school
    /// 2's 3 + 10 in sectors 1 and 2. School 1 (12) and sector 1 (15) cannot both be
    /// shown, or their difference gives the 3 away; the schools are kept.
    fn lattice(view: Cell) -> Lattice<Census> {
        use Coord::Value;
        Lattice {
            attributes: vec!["school".into(), "sector".into()],
            values: vec![
                vec!["s1".into(), "s2".into()],
                vec!["ec".into(), "herbs".into()],
            ],
            fine: vec![
                (vec![Value(0), Value(0)], census("t", 12)),
                (vec![Value(1), Value(0)], census("t", 3)),
                (vec![Value(1), Value(1)], census("t", 10)),
            ],
            view,
        }
    }

    #[test]
    fn views_are_cells_of_one_lattice() {
        use Coord::{All, Value};
        let school1 = Gate::new(5, Some(lattice(vec![Value(0), All])));
        let sector1 = Gate::new(5, Some(lattice(vec![All, Value(0)])));
        let whole = Gate::new(5, Some(lattice(vec![All, All])));
        assert_eq!(whole.state("t", 25), No);
        // Sector 1 goes, school 1 stays.
        assert_eq!(school1.state("t", 12), No);
        assert_eq!(sector1.state("t", 15), Secondary);
        // The breakdown of sector 1 by school: school 1's cell is school 1; the 3 hidden.
        let by_school = sector1.across("school", "t", &[("s1".into(), 12), ("s2".into(), 3)], 0);
        assert_eq!(by_school, vec![No, Primary]);
        // A count that disagrees with the fine cells hides the statistic.
        assert_eq!(whole.state("t", 24), Secondary);
    }

    #[test]
    fn filters_are_checked() {
        let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(check_filters(&f(&[("school", "a"), ("sector", "b")])).is_ok());
        assert_eq!(
            check_filters(&f(&[("school", "a"), ("sector", "b"), ("grade", "c")])),
            Err(FilterError::TooMany("grade".into()))
        );
        assert_eq!(
            check_filters(&f(&[("school", "a"), ("school", "b")])),
            Err(FilterError::Repeated("school".into()))
        );
        assert_eq!(
            check_filters(&f(&[("colour", "a")])),
            Err(FilterError::Unknown("colour".into()))
        );
    }

    /// Without a lattice (frames analysed on their own), respondents without a value
    /// count as a hidden cell: a total of 30 over values 14 and 12 leaves 4, so one
    /// value is hidden with them.
    #[test]
    fn respondents_without_a_value_are_protected_like_a_cell() {
        let gate = Gate::new(10, None);
        let cells = vec![("a".to_string(), 14), ("b".to_string(), 12)];
        assert_eq!(gate.across("sector", "t", &cells, 4), vec![No, Secondary]);
        assert_eq!(gate.across("sector", "t", &cells, 0), vec![No, No]);
    }
}
