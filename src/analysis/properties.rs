//! Property tests of the statistics: invariants that must hold for any input.

use proptest::prelude::*;

use super::reliability::{cronbach, Deletion};
use super::stats::{combine_groups, scale_to_100, ScoreStat};
use super::suppression::suppress;
use super::weights::entropy;
use crate::domain::ahp::ahp;

proptest! {
    #[test]
    fn scaled_answers_stay_within_0_and_100(points in 2u8..=11, x in 1i64..=11, reverse: bool) {
        if let Some(s) = scale_to_100(x, points, reverse) {
            prop_assert!((0.0..=100.0).contains(&s));
        } else {
            prop_assert!(x > i64::from(points));
        }
    }

    #[test]
    fn combined_mean_lies_between_group_means(
        groups in proptest::collection::vec((2u64..500, 0.0f64..100.0, 0.0f64..40.0, 0.01f64..1.0), 1..4)
    ) {
        let stats: Vec<(ScoreStat, f64)> = groups.iter().map(|(n, m, sd, w)| (ScoreStat::from_moments(*n, *m, Some(*sd)), *w)).collect();
        let c = combine_groups(&stats);
        let lo = groups.iter().map(|g| g.1).fold(f64::MAX, f64::min);
        let hi = groups.iter().map(|g| g.1).fold(f64::MIN, f64::max);
        let m = c.mean.expect("mean");
        prop_assert!(m >= lo - 1e-9 && m <= hi + 1e-9);
        prop_assert!(c.ci_low.expect("ci") <= m && m <= c.ci_high.expect("ci"));
    }

    #[test]
    fn entropy_weights_sum_to_one(rows in proptest::collection::vec(proptest::collection::vec(0.0f64..100.0, 4), 2..12)) {
        if let Some(w) = entropy(&rows) {
            prop_assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            prop_assert!(w.iter().all(|x| *x >= -1e-12));
        }
    }

    #[test]
    fn ahp_of_a_consistent_matrix_recovers_its_weights(raw in proptest::collection::vec(0.1f64..10.0, 2..9)) {
        let s: f64 = raw.iter().sum();
        let w: Vec<f64> = raw.iter().map(|x| x / s).collect();
        let m: Vec<Vec<f64>> = w.iter().map(|a| w.iter().map(|b| a / b).collect()).collect();
        let r = ahp(&m).expect("valid");
        prop_assert!((r.weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        for (got, want) in r.weights.iter().zip(&w) {
            prop_assert!((got - want).abs() < 1e-6);
        }
        prop_assert!(r.cr.abs() < 1e-6);
    }

    #[test]
    fn alpha_does_not_depend_on_item_order(
        data in proptest::collection::vec(proptest::collection::vec(1u8..=5, 4), 5..40),
        rotate in 0usize..4,
    ) {
        let rows: Vec<Vec<Option<f64>>> = data.iter().map(|r| r.iter().map(|x| Some(f64::from(*x))).collect()).collect();
        let rotated: Vec<Vec<Option<f64>>> = rows.iter().map(|r| { let mut r = r.clone(); r.rotate_left(rotate); r }).collect();
        let (a, b) = (cronbach(&rows, Deletion::Listwise).alpha, cronbach(&rotated, Deletion::Listwise).alpha);
        match (a, b) {
            (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-9),
            (a, b) => prop_assert_eq!(a.is_none(), b.is_none()),
        }
    }

    #[test]
    fn a_single_hidden_cell_never_stands_alone(counts in proptest::collection::vec(0u64..30, 1..8), min in 1u64..15) {
        let s = suppress(&counts, min);
        let hidden: Vec<usize> = (0..counts.len()).filter(|i| s[*i].is_hidden()).collect();
        let non_empty = counts.iter().filter(|n| **n > 0).count();
        // Either nothing is hidden, or at least two cells are (when there are two).
        prop_assert!(hidden.is_empty() || hidden.len() >= 2 || non_empty < 2);
        // Every cell below the minimum is hidden.
        for (i, n) in counts.iter().enumerate() {
            if *n > 0 && *n < min {
                prop_assert!(s[i].is_hidden());
            }
        }
    }
}
