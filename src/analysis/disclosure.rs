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
//! 3. **Filters**: a view narrowed by `attribute = value` is one cell of the breakdown
//!    of the wider view by `attribute`; each of its statistics is published only if
//!    rule 2 would publish that cell there. So neither the complement of a filter nor a
//!    combination of sibling views reveals a small cell.
//! 4. **Combined cells** (综合) are computed over the published groups only.
//! 5. **Derived results** (gaps between groups, wave changes, fuzzy evaluation, IPA)
//!    are computed from published cells only.
//!
//! Counts of respondents (n) are published: they say who answered, not what.
//!
//! Views narrowed by more than [`MAX_FILTERS`] attribute are not published yet: rule 3
//! checks each filter against its direct wider view only, and a two-way table (school
//! × sector) needs its lines checked together (the hypercube method), or its margins
//! and shown cells give a hidden cell away. The doors refuse such requests; the gate
//! hides every statistic of such a view in case one does not.

use std::collections::BTreeMap;

use super::suppression::{suppress_from, Suppressed};

/// Most filters one published view may combine (see the module documentation).
pub const MAX_FILTERS: usize = 1;

/// The respondent count behind every statistic of one view, by statistic key.
#[derive(Debug, Clone, Default)]
pub struct Census(BTreeMap<String, u64>);

impl Census {
    pub fn insert(&mut self, key: String, n: u64) {
        self.0.insert(key, n);
    }

    pub fn get(&self, key: &str) -> u64 {
        self.0.get(key).copied().unwrap_or(0)
    }

    pub fn keys(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(k, n)| (k.as_str(), *n))
    }
}

/// The wider view of one filter, split by the filter attribute's values (in a fixed
/// order: values sorted, respondents without a value last). `None` marks the part that
/// is the view itself.
#[derive(Debug, Clone)]
pub struct Partition<T> {
    pub attribute: String,
    pub parts: Vec<Option<T>>,
}

impl<T> Partition<T> {
    pub fn map<U>(&self, f: impl FnMut(&T) -> U) -> Partition<U> {
        let mut f = f;
        Partition {
            attribute: self.attribute.clone(),
            parts: self.parts.iter().map(|p| p.as_ref().map(&mut f)).collect(),
        }
    }
}

/// The disclosure rules for one view.
#[derive(Debug, Clone)]
pub struct Gate {
    min: u64,
    partitions: Vec<Partition<Census>>,
}

impl Gate {
    /// `partitions`: one per filter of the view (none for the whole campaign).
    pub fn new(min: u64, partitions: Vec<Partition<Census>>) -> Self {
        Gate { min, partitions }
    }

    pub fn min(&self) -> u64 {
        self.min
    }

    /// Rules 1 and 3 for one statistic, keyed by `key`, about `n` respondents.
    pub fn state(&self, key: &str, n: u64) -> Suppressed {
        if n > 0 && n < self.min {
            return Suppressed::Primary;
        }
        if self.partitions.len() > MAX_FILTERS {
            return Suppressed::Secondary;
        }
        for p in &self.partitions {
            let counts: Vec<u64> = p
                .parts
                .iter()
                .map(|c| c.as_ref().map_or(n, |c| c.get(key)))
                .collect();
            let own = p.parts.iter().position(Option::is_none).unwrap_or(0);
            if suppress_from(&counts, None, self.min)[own].is_hidden() {
                return Suppressed::Secondary;
            }
        }
        Suppressed::No
    }

    /// Rules 1–3 for the cells of one breakdown whose total is published: `cells` are
    /// (key, n) per value, `unassigned` the respondents of the total without a value.
    pub fn across(&self, cells: &[(String, u64)], unassigned: u64) -> Vec<Suppressed> {
        let mut counts: Vec<u64> = cells.iter().map(|(_, n)| *n).collect();
        counts.push(unassigned);
        let mut initial: Vec<Suppressed> = cells.iter().map(|(k, n)| self.state(k, *n)).collect();
        initial.push(if unassigned > 0 && unassigned < self.min {
            Suppressed::Primary
        } else {
            Suppressed::No
        });
        let mut out = suppress_from(&counts, Some(initial), self.min);
        out.pop();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Suppressed::*;

    fn census(pairs: &[(&str, u64)]) -> Census {
        let mut c = Census::default();
        for (k, n) in pairs {
            c.insert((*k).to_string(), *n);
        }
        c
    }

    /// A school's view (12 teachers) next to two other schools (3 and 20): school B's 3
    /// would be the complement of A within "all minus C"; rule 3 hides A's cell, as the
    /// breakdown by school of the whole campaign hides A (secondary to B's primary).
    #[test]
    fn a_filtered_cell_is_hidden_when_its_breakdown_cell_would_be() {
        let gate = Gate::new(
            10,
            vec![Partition {
                attribute: "school".into(),
                parts: vec![None, Some(census(&[("t", 3)])), Some(census(&[("t", 20)]))],
            }],
        );
        assert_eq!(gate.state("t", 12), Secondary);
        // With B at 0 there is nothing to protect.
        let gate = Gate::new(
            10,
            vec![Partition {
                attribute: "school".into(),
                parts: vec![None, Some(census(&[("t", 0)])), Some(census(&[("t", 20)]))],
            }],
        );
        assert_eq!(gate.state("t", 12), No);
        assert_eq!(gate.state("t", 4), Primary);
    }

    /// Respondents without a value count as a hidden cell: a total of 30 over values
    /// 14 and 12 leaves 4 unassigned, so one value is hidden with them.
    #[test]
    fn respondents_without_a_value_are_protected_like_a_cell() {
        let gate = Gate::new(10, Vec::new());
        let cells = vec![("a".to_string(), 14), ("b".to_string(), 12)];
        assert_eq!(gate.across(&cells, 4), vec![No, Secondary]);
        assert_eq!(gate.across(&cells, 0), vec![No, No]);
    }
}
