//! Fuzzy comprehensive evaluation: membership of each factor in each grade from answer
//! shares, combined with factor weights by M(·,+) (weighted average, default) or
//! Zadeh's M(∧,∨); graded by maximum membership and scored with V.

use serde::Serialize;

pub use crate::domain::analysis_settings::Operator;

/// Grade labels, best first, for a five-point satisfaction scale.
pub const GRADES: [&str; 5] = ["很满意", "满意", "一般", "不满意", "很不满意"];
/// Score of each grade, best first.
pub const GRADE_VALUES: [f64; 5] = [100.0, 75.0, 50.0, 25.0, 0.0];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FuzzyResult {
    /// Membership matrix R: one row per factor, shares per grade (best first).
    pub membership: Vec<Vec<f64>>,
    pub b: Vec<f64>,
    pub grade: String,
    pub score: f64,
}

/// `counts[i][j]`: answers of factor i in grade j (best first); `a`: factor weights.
pub fn evaluate(counts: &[Vec<u64>], a: &[f64], op: Operator) -> Option<FuzzyResult> {
    let membership: Vec<Vec<f64>> = counts
        .iter()
        .map(|row| {
            let total: u64 = row.iter().sum();
            row.iter()
                .map(|&c| {
                    if total > 0 {
                        c as f64 / total as f64
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    evaluate_membership(membership, a, op)
}

/// The same from a membership matrix (rows sum to 1), e.g. the B vectors of lower
/// levels for a two-level evaluation.
pub fn evaluate_membership(
    membership: Vec<Vec<f64>>,
    a: &[f64],
    op: Operator,
) -> Option<FuzzyResult> {
    if membership.is_empty() || membership.len() != a.len() {
        return None;
    }
    let g = membership[0].len();
    if g == 0 || membership.iter().any(|r| r.len() != g) {
        return None;
    }
    let wsum: f64 = a.iter().sum();
    if wsum <= 0.0 {
        return None;
    }
    let a: Vec<f64> = a.iter().map(|w| w / wsum).collect();
    let mut b: Vec<f64> = (0..g)
        .map(|j| match op {
            Operator::WeightedAverage => a.iter().zip(&membership).map(|(ai, r)| ai * r[j]).sum(),
            Operator::Zadeh => a
                .iter()
                .zip(&membership)
                .map(|(ai, r)| ai.min(r[j]))
                .fold(0.0, f64::max),
        })
        .collect();
    if op == Operator::Zadeh {
        let s: f64 = b.iter().sum();
        if s > 0.0 {
            b.iter_mut().for_each(|x| *x /= s);
        }
    }
    let best = b
        .iter()
        .enumerate()
        .max_by(|x, y| x.1.total_cmp(y.1))
        .map_or(0, |(i, _)| i);
    let values: Vec<f64> = if g == GRADE_VALUES.len() {
        GRADE_VALUES.to_vec()
    } else {
        (0..g)
            .map(|j| 100.0 * (g - 1 - j) as f64 / (g - 1).max(1) as f64)
            .collect()
    };
    let score = b.iter().zip(&values).map(|(x, v)| x * v).sum();
    let grade = GRADES
        .get(best)
        .filter(|_| g == GRADES.len())
        .map_or_else(|| format!("等级 {}", best + 1), |s| s.to_string());
    Some(FuzzyResult {
        membership,
        b,
        grade,
        score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #5 worked example, by hand: b₁ = .5·.30 + .3·.20 + .2·.10 = .23, …;
    /// B = (0.23, 0.405, 0.22, 0.095, 0.05), grade 满意, score 66.75.
    #[test]
    fn fuzzy_worked_example() {
        let counts = vec![
            vec![30, 45, 15, 7, 3],
            vec![20, 40, 25, 10, 5],
            vec![10, 30, 35, 15, 10],
        ];
        let r = evaluate(&counts, &[0.5, 0.3, 0.2], Operator::WeightedAverage).expect("result");
        for (got, want) in r.b.iter().zip([0.23, 0.405, 0.22, 0.095, 0.05]) {
            assert!((got - want).abs() < 1e-12, "{:?}", r.b);
        }
        assert_eq!(r.grade, "满意");
        assert!((r.score - 66.75).abs() < 1e-9);
    }

    /// Zadeh by hand: b_j = max_i min(a_i, r_ij) = (.30, .45, .25, .15, .10), sum 1.25,
    /// normalised (.24, .36, .20, .12, .08); grade 满意; score 24 + 27 + 10 + 3 = 64.
    #[test]
    fn zadeh_operator() {
        let counts = vec![
            vec![30, 45, 15, 7, 3],
            vec![20, 40, 25, 10, 5],
            vec![10, 30, 35, 15, 10],
        ];
        let r = evaluate(&counts, &[0.5, 0.3, 0.2], Operator::Zadeh).expect("result");
        for (got, want) in r.b.iter().zip([0.24, 0.36, 0.20, 0.12, 0.08]) {
            assert!((got - want).abs() < 1e-12, "{:?}", r.b);
        }
        assert_eq!(r.grade, "满意");
        assert!((r.score - 64.0).abs() < 1e-9);
    }
}
