//! Group comparisons: Welch's t-test with Hedges' g, Holm's correction, the
//! tie-corrected Kruskal–Wallis H with ε², and Pearson's χ² test of independence with
//! Cramér's V.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Welch {
    pub t: f64,
    pub df: f64,
    pub p: f64,
    /// Hedges' g (pooled SD, small-sample correction J = 1 − 3/(4(n₁+n₂) − 9)).
    pub hedges_g: f64,
}

fn moments(x: &[f64]) -> (f64, f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
    (n, m, v)
}

/// Two-sided Welch test of a vs b. `None` when a group has fewer than 2 values or both
/// have no variance.
pub fn welch(a: &[f64], b: &[f64]) -> Option<Welch> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    welch_moments(moments(a), moments(b))
}

/// Welch's test from each group's (n, mean, variance); weighted groups enter with
/// Kish's effective n. `None` when a group has n ≤ 1 or both have no variance.
pub fn welch_moments(
    (n1, m1, v1): (f64, f64, f64),
    (n2, m2, v2): (f64, f64, f64),
) -> Option<Welch> {
    if n1 <= 1.0 || n2 <= 1.0 {
        return None;
    }
    let se2 = v1 / n1 + v2 / n2;
    if se2 <= 0.0 {
        return None;
    }
    let t = (m1 - m2) / se2.sqrt();
    let df = se2 * se2 / ((v1 / n1).powi(2) / (n1 - 1.0) + (v2 / n2).powi(2) / (n2 - 1.0));
    let p = 2.0 * (1.0 - StudentsT::new(0.0, 1.0, df).ok()?.cdf(t.abs()));
    let sp = (((n1 - 1.0) * v1 + (n2 - 1.0) * v2) / (n1 + n2 - 2.0)).sqrt();
    let j = 1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0);
    let hedges_g = if sp > 0.0 { j * (m1 - m2) / sp } else { 0.0 };
    Some(Welch { t, df, p, hedges_g })
}

/// Holm–Bonferroni adjusted p-values, in the input order.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KruskalWallis {
    pub h: f64,
    pub df: usize,
    pub p: f64,
    /// ε² = H / ((N² − 1)/(N + 1)).
    pub epsilon_squared: f64,
}

/// Kruskal–Wallis H over groups (empty groups ignored), corrected for ties (values
/// within 1e-9 relative count as tied).
///
/// Ranked from the distinct values and how many of each group hold each (scores are
/// means of scale points: a million respondents hold a few hundred distinct values), not
/// by sorting every value. The rank sums are the same to the bit as adding each
/// respondent's rank: ranks are halves of integers, so every partial sum is exact.
pub fn kruskal_wallis(groups: &[&[f64]]) -> Option<KruskalWallis> {
    let groups: Vec<&[f64]> = groups.iter().copied().filter(|g| !g.is_empty()).collect();
    if groups.len() < 2 {
        return None;
    }
    let k = groups.len();
    let (values, counts) = distinct_values(&groups);
    let n: usize = groups.iter().map(|g| g.len()).sum();
    let mut rank_sums = vec![0.0; k];
    let mut ties = 0.0;
    // Respondents ranked before the current run of tied values.
    let mut below = 0usize;
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        // Scores are means of scale points: values equal in exact arithmetic may differ
        // in the last bits depending on summation order, and must still count as ties.
        while j + 1 < values.len()
            && (values[j + 1] - values[i]).abs() <= 1e-9 * values[i].abs().max(1.0)
        {
            j += 1;
        }
        let run: Vec<u64> = (0..k)
            .map(|g| (i..=j).map(|v| counts[v * k + g]).sum())
            .collect();
        let t_count = run.iter().sum::<u64>() as usize;
        // Positions below .. below + t − 1 share their mean rank.
        let rank = (2 * below + t_count - 1) as f64 / 2.0 + 1.0;
        let t = t_count as f64;
        ties += t * t * t - t;
        for (sum, c) in rank_sums.iter_mut().zip(&run) {
            *sum += rank * *c as f64;
        }
        below += t_count;
        i = j + 1;
    }
    let nf = n as f64;
    let h0 = 12.0 / (nf * (nf + 1.0))
        * rank_sums
            .iter()
            .zip(&groups)
            .map(|(r, g)| r * r / g.len() as f64)
            .sum::<f64>()
        - 3.0 * (nf + 1.0);
    let c = 1.0 - ties / (nf * nf * nf - nf);
    if c <= 0.0 {
        return None;
    }
    let h = h0 / c;
    let df = groups.len() - 1;
    let p = 1.0 - ChiSquared::new(df as f64).ok()?.cdf(h);
    Some(KruskalWallis {
        h,
        df,
        p,
        epsilon_squared: h / ((nf * nf - 1.0) / (nf + 1.0)),
    })
}

/// The distinct values of the groups in ascending order (`f64::total_cmp`), and for
/// each value how many of each group hold it (`counts[value * groups + group]`).
fn distinct_values(groups: &[&[f64]]) -> (Vec<f64>, Vec<u64>) {
    let k = groups.len();
    let mut index: HashMap<u64, usize, BuildHasherDefault<BitsHasher>> = HashMap::default();
    let mut seen: Vec<f64> = Vec::new();
    let mut unsorted: Vec<u64> = Vec::new();
    for (g, values) in groups.iter().enumerate() {
        for &x in *values {
            let at = *index.entry(x.to_bits()).or_insert_with(|| {
                seen.push(x);
                unsorted.resize(unsorted.len() + k, 0);
                seen.len() - 1
            });
            unsorted[at * k + g] += 1;
        }
    }
    let mut order: Vec<usize> = (0..seen.len()).collect();
    order.sort_unstable_by(|a, b| seen[*a].total_cmp(&seen[*b]));
    let values = order.iter().map(|&v| seen[v]).collect();
    let counts = order
        .iter()
        .flat_map(|&v| unsorted[v * k..(v + 1) * k].iter().copied())
        .collect();
    (values, counts)
}

/// Hashes the bits of an `f64` with one multiplication (the keys are few and trusted).
#[derive(Default)]
struct BitsHasher(u64);

impl Hasher for BitsHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (x ^ (x >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Pearson's χ² test of independence of a contingency table (no continuity
/// correction), with Cramér's V.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChiSquare {
    pub chi2: f64,
    pub df: usize,
    pub p: f64,
    /// V = √(χ² / (n · (min(r, c) − 1))).
    pub cramers_v: f64,
    pub n: u64,
    /// Share of cells whose expected count is below 5 (the test is unreliable above
    /// 20 %).
    pub small_expected: f64,
}

/// χ² over `table[row][column]`; rows and columns with no count are left out. `None`
/// with fewer than two of either left.
pub fn chi_square(table: &[Vec<u64>]) -> Option<ChiSquare> {
    let width = table.iter().map(Vec::len).max().unwrap_or(0);
    let col_sum = |c: usize| {
        table
            .iter()
            .map(|r| r.get(c).copied().unwrap_or(0))
            .sum::<u64>()
    };
    let cols: Vec<usize> = (0..width).filter(|c| col_sum(*c) > 0).collect();
    let rows: Vec<&Vec<u64>> = table
        .iter()
        .filter(|r| cols.iter().any(|c| r.get(*c).copied().unwrap_or(0) > 0))
        .collect();
    if rows.len() < 2 || cols.len() < 2 {
        return None;
    }
    let n: u64 = rows.iter().flat_map(|r| cols.iter().map(|c| r[*c])).sum();
    let nf = n as f64;
    let mut chi2 = 0.0;
    let mut small = 0usize;
    for r in &rows {
        let row_total: u64 = cols.iter().map(|c| r[*c]).sum();
        for c in &cols {
            let expected = row_total as f64 * col_sum(*c) as f64 / nf;
            if expected < 5.0 {
                small += 1;
            }
            chi2 += (r[*c] as f64 - expected).powi(2) / expected;
        }
    }
    let df = (rows.len() - 1) * (cols.len() - 1);
    let p = 1.0 - ChiSquared::new(df as f64).ok()?.cdf(chi2);
    let k = rows.len().min(cols.len()) as f64 - 1.0;
    Some(ChiSquare {
        chi2,
        df,
        p,
        cramers_v: (chi2 / (nf * k)).sqrt(),
        n,
        small_expected: small as f64 / (rows.len() * cols.len()) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: [f64; 12] = [4., 5., 3., 4., 4., 5., 3., 4., 4., 3., 5., 4.];
    const E: [f64; 8] = [3., 2., 4., 3., 2., 3., 3., 2.];
    const T: [f64; 7] = [4., 3., 4., 4., 3., 5., 4.];

    /// Issue #5; scipy.stats.ttest_ind(equal_var=False): t 3.804430, df 15.625070,
    /// p 0.001618; Hedges g with J = 1 − 3/(4(n₁+n₂) − 9): 1.647916.
    #[test]
    fn welch_worked_example() {
        let w = welch(&S, &E).expect("test");
        assert!((w.t - 3.804430).abs() < 1e-6);
        assert!((w.df - 15.625070).abs() < 1e-6);
        assert!((w.p - 0.001618).abs() < 1e-6);
        assert!((w.hedges_g - 1.647916).abs() < 1e-6);
        assert!(welch(&S[..1], &E).is_none());
    }

    /// Issue #5; scipy.stats.kruskal: H 10.019324, p 0.006673.
    #[test]
    fn kruskal_wallis_worked_example() {
        let k = kruskal_wallis(&[&S, &E, &T]).expect("test");
        assert!((k.h - 10.019324).abs() < 1e-6);
        assert!((k.p - 0.006673).abs() < 1e-6);
        assert_eq!(k.df, 2);
        // ε² = H(N+1)/(N²−1), N = 27.
        assert!((k.epsilon_squared - 10.019324 * 28.0 / 728.0).abs() < 1e-6);
    }

    /// By hand: p = (0.01, 0.04, 0.03) -> sorted 0.01·3, 0.03·2, 0.04·1 -> 0.03, 0.06, 0.06.
    #[test]
    fn near_equal_values_are_ties() {
        let a = [0.1 + 0.2, 1.0, 2.0];
        let b = [0.3, 1.0, 3.0];
        let exact = kruskal_wallis(&[&[0.3, 1.0, 2.0], &b]).expect("test");
        let noisy = kruskal_wallis(&[&a, &b]).expect("test");
        assert_eq!(exact, noisy);
    }

    #[test]
    fn holm_adjusts_in_step_down_order() {
        let adj = holm(&[0.01, 0.04, 0.03]);
        for (got, want) in adj.iter().zip([0.03, 0.06, 0.06]) {
            assert!((got - want).abs() < 1e-12, "{adj:?}");
        }
        assert_eq!(holm(&[0.9, 0.8]), vec![1.0, 1.0], "capped at 1");
    }

    /// scipy.stats.chi2_contingency's documented example, `[[10, 10, 20], [20, 20, 20]]`:
    /// statistic 2.7777777777777777, p 0.24935220877729619, dof 2 (scipy 1.11 docs);
    /// Cramér's V from scipy.stats.contingency.association(obs, method="cramer") =
    /// √(2.7778 / (100 · 1)) = 0.16666666666666666. The expected counts are
    /// 12, 12, 16 / 18, 18, 24: none below 5.
    #[test]
    fn chi_square_worked_example() {
        let r = chi_square(&[vec![10, 10, 20], vec![20, 20, 20]]).expect("test");
        assert!((r.chi2 - 2.777_777_777_777_777_7).abs() < 1e-12, "{r:?}");
        assert!((r.p - 0.249_352_208_777_296_2).abs() < 1e-9, "{r:?}");
        assert_eq!((r.df, r.n), (2, 100));
        assert!((r.cramers_v - 0.166_666_666_666_666_66).abs() < 1e-12);
        assert_eq!(r.small_expected, 0.0);
    }

    /// By hand: a perfect 2 × 2 association of 20 people, [[10, 0], [0, 10]]: every
    /// expected count is 5, χ² = 4 · 25/5 = 20, V = 1, p = P(χ²₁ > 20) =
    /// 2(1 − Φ(√20)) = 7.7442e-6. An empty column is left out, a single row is no test.
    #[test]
    fn chi_square_by_hand_and_degenerate_tables() {
        let r = chi_square(&[vec![10, 0, 0], vec![0, 10, 0]]).expect("test");
        assert!((r.chi2 - 20.0).abs() < 1e-12);
        assert_eq!(r.df, 1);
        assert!((r.cramers_v - 1.0).abs() < 1e-12);
        assert!((r.p - 7.744_2e-6).abs() < 1e-9, "{}", r.p);
        assert!(chi_square(&[vec![3, 4, 5]]).is_none());
        assert!(chi_square(&[vec![3, 0], vec![4, 0]]).is_none());
    }

    /// Kruskal–Wallis as it was computed before ranking from distinct values: every
    /// value sorted and ranked one by one (the reference for the test below).
    fn kruskal_wallis_by_sorting(groups: &[&[f64]]) -> Option<(f64, f64)> {
        let groups: Vec<&[f64]> = groups.iter().copied().filter(|g| !g.is_empty()).collect();
        if groups.len() < 2 {
            return None;
        }
        let mut all: Vec<(f64, usize)> = groups
            .iter()
            .enumerate()
            .flat_map(|(gi, g)| g.iter().map(move |&v| (v, gi)))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = all.len();
        let mut rank_sums = vec![0.0; groups.len()];
        let mut ties = 0.0;
        let mut i = 0;
        while i < n {
            let mut j = i;
            while j + 1 < n && (all[j + 1].0 - all[i].0).abs() <= 1e-9 * all[i].0.abs().max(1.0) {
                j += 1;
            }
            let rank = (i + j) as f64 / 2.0 + 1.0;
            let t = (j - i + 1) as f64;
            ties += t * t * t - t;
            for item in &all[i..=j] {
                rank_sums[item.1] += rank;
            }
            i = j + 1;
        }
        let nf = n as f64;
        let h0 = 12.0 / (nf * (nf + 1.0))
            * rank_sums
                .iter()
                .zip(&groups)
                .map(|(r, g)| r * r / g.len() as f64)
                .sum::<f64>()
            - 3.0 * (nf + 1.0);
        let c = 1.0 - ties / (nf * nf * nf - nf);
        (c > 0.0).then(|| (h0 / c, c))
    }

    /// A score as a mean of scale points (0–100 from k answers), sometimes off in the
    /// last bits as a different summation order leaves it.
    fn score() -> impl proptest::strategy::Strategy<Value = f64> {
        use proptest::strategy::Strategy;
        (0u32..=12, 1u32..=3, proptest::bool::weighted(0.2)).prop_map(|(s, k, noisy)| {
            let x = 100.0 * f64::from(s.min(4 * k)) / f64::from(4 * k);
            if noisy {
                x * (1.0 + 1e-14)
            } else {
                x
            }
        })
    }

    proptest::proptest! {
        /// Ranking from distinct values gives H to the bit as sorting every value did,
        /// ties (also near ties) included.
        #[test]
        fn kruskal_wallis_from_distinct_values_is_the_sorted_one(
            groups in proptest::collection::vec(proptest::collection::vec(score(), 0..40), 1..5),
        ) {
            let slices: Vec<&[f64]> = groups.iter().map(Vec::as_slice).collect();
            let new = kruskal_wallis(&slices).map(|k| k.h.to_bits());
            let old = kruskal_wallis_by_sorting(&slices).map(|(h, _)| h.to_bits());
            proptest::prop_assert_eq!(new, old);
        }
    }
}
