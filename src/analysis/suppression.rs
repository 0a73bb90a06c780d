//! Small-cell suppression. A cell with fewer respondents than the minimum is hidden
//! (primary); when the total of a breakdown is published, more cells are hidden
//! (secondary) until the hidden cells together reach the minimum and number at least
//! two, so no hidden cell can be recovered by subtracting published ones.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Suppressed {
    /// Shown.
    No,
    /// Fewer respondents than the minimum.
    Primary,
    /// Hidden so that a primary cell cannot be derived from the total.
    Secondary,
}

impl Suppressed {
    pub fn is_hidden(self) -> bool {
        self != Suppressed::No
    }

    pub fn reason_zh(self, min: u64) -> Option<String> {
        match self {
            Suppressed::No => None,
            Suppressed::Primary => Some(format!("样本不足（少于 {min} 人）")),
            Suppressed::Secondary => Some("为防止反推其他小样本单元格而隐藏".to_string()),
        }
    }
}

/// Decides, for the cells of one breakdown (e.g. sectors within a group) whose total is
/// published, which to hide.
pub fn suppress(counts: &[u64], min: u64) -> Vec<Suppressed> {
    suppress_from(counts, None, min)
}

/// [`suppress`], starting from cells already hidden for another reason (`initial`,
/// one per count): they count as hidden cells, so more are hidden until no hidden
/// cell can be derived from the total and the shown ones.
pub fn suppress_from(
    counts: &[u64],
    initial: Option<Vec<Suppressed>>,
    min: u64,
) -> Vec<Suppressed> {
    let mut out: Vec<Suppressed> = match initial {
        Some(v) => v,
        None => counts
            .iter()
            .map(|&n| {
                if n > 0 && n < min {
                    Suppressed::Primary
                } else {
                    Suppressed::No
                }
            })
            .collect(),
    };
    let hidden = |out: &[Suppressed]| out.iter().filter(|s| s.is_hidden()).count();
    if hidden(&out) == 0 {
        return out;
    }
    loop {
        let hidden_n: u64 = counts
            .iter()
            .zip(&out)
            .filter(|(_, s)| s.is_hidden())
            .map(|(n, _)| n)
            .sum();
        if hidden(&out) >= 2 && hidden_n >= min {
            break;
        }
        // Hide the smallest shown non-empty cell next (the first of equals, so every
        // view that sees the same counts in the same order decides the same).
        let next = counts
            .iter()
            .enumerate()
            .filter(|(i, &n)| !out[*i].is_hidden() && n > 0)
            .min_by_key(|(_, &n)| n)
            .map(|(i, _)| i);
        match next {
            Some(i) => out[i] = Suppressed::Secondary,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #5: enterprises by sector 14, 6, 12 with minimum 10: 中药材 (6) hidden,
    /// and 文旅 (12, the smallest other) too, so 6 cannot be recovered from the total.
    #[test]
    fn suppression_worked_example() {
        use Suppressed::*;
        assert_eq!(suppress(&[14, 6, 12], 10), vec![No, Primary, Secondary]);
    }

    #[test]
    fn nothing_hidden_when_all_cells_are_large_and_empty_cells_stay_empty() {
        use Suppressed::*;
        assert_eq!(suppress(&[14, 10, 0], 10), vec![No, No, No]);
        // Two small cells that together still fall short pull in a third.
        assert_eq!(
            suppress(&[3, 4, 30, 25], 10),
            vec![Primary, Primary, No, Secondary]
        );
        // Two small cells that together reach the minimum protect each other.
        assert_eq!(suppress(&[6, 5, 30], 10), vec![Primary, Primary, No]);
    }

    #[test]
    fn no_hidden_cell_can_be_derived_from_the_total() {
        // Property: for any counts, the hidden cells are zero, or at least two of them.
        for a in 0..15u64 {
            for b in 0..15u64 {
                for c in [0u64, 3, 9, 10, 40] {
                    let s = suppress(&[a, b, c], 10);
                    let hidden = s.iter().filter(|x| x.is_hidden()).count();
                    assert!(
                        hidden == 0
                            || hidden >= 2
                            || [a, b, c].iter().filter(|&&n| n > 0).count() == 1,
                        "{a},{b},{c}: {s:?}"
                    );
                }
            }
        }
    }
}
