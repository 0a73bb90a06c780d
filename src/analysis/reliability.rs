//! Internal consistency: Cronbach's α with Feldt's confidence interval, α if an item is
//! deleted, and corrected item–total correlations.

use serde::Serialize;

pub use crate::domain::analysis_settings::Deletion;
use statrs::distribution::{ContinuousCDF, FisherSnedecor};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reliability {
    pub items: usize,
    /// Respondents used (listwise), or the smallest pairwise count.
    pub n: usize,
    pub alpha: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub alpha_if_deleted: Vec<Option<f64>>,
    pub item_total_r: Vec<Option<f64>>,
}

#[cfg(test)]
fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

#[cfg(test)]
fn cov(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (mean(a), mean(b));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (a.len() as f64 - 1.0)
}

/// α from a covariance matrix: k/(k−1) · (1 − Σσᵢᵢ / Σσᵢⱼ).
fn alpha_from_cov(c: &[Vec<f64>], keep: &[usize]) -> Option<f64> {
    let k = keep.len();
    if k < 2 {
        return None;
    }
    let diag: f64 = keep.iter().map(|&i| c[i][i]).sum();
    let total: f64 = keep
        .iter()
        .flat_map(|&i| keep.iter().map(move |&j| (i, j)))
        .map(|(i, j)| c[i][j])
        .sum();
    if total <= 0.0 || !total.is_finite() {
        return None;
    }
    Some(k as f64 / (k as f64 - 1.0) * (1.0 - diag / total))
}

/// Covariance matrix and the number of respondents behind it.
#[cfg(test)]
fn covariance(
    rows: &[Vec<Option<f64>>],
    k: usize,
    deletion: Deletion,
) -> Option<(Vec<Vec<f64>>, usize)> {
    match deletion {
        Deletion::Listwise => {
            let complete: Vec<Vec<f64>> = rows
                .iter()
                .filter_map(|r| r.iter().copied().collect::<Option<Vec<f64>>>())
                .collect();
            if complete.len() < 2 {
                return None;
            }
            let cols: Vec<Vec<f64>> = (0..k)
                .map(|j| complete.iter().map(|r| r[j]).collect())
                .collect();
            let c = (0..k)
                .map(|i| (0..k).map(|j| cov(&cols[i], &cols[j])).collect())
                .collect();
            Some((c, complete.len()))
        }
        Deletion::Pairwise => {
            let mut c = vec![vec![0.0; k]; k];
            let mut min_n = usize::MAX;
            for i in 0..k {
                for j in i..k {
                    let (a, b): (Vec<f64>, Vec<f64>) =
                        rows.iter().filter_map(|r| Some((r[i]?, r[j]?))).unzip();
                    if a.len() < 2 {
                        return None;
                    }
                    min_n = min_n.min(a.len());
                    let v = cov(&a, &b);
                    c[i][j] = v;
                    c[j][i] = v;
                }
            }
            Some((c, min_n))
        }
    }
}

#[cfg(test)]
fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let (va, vb) = (cov(a, a), cov(b, b));
    (va > 0.0 && vb > 0.0).then(|| cov(a, b) / (va * vb).sqrt())
}

/// Feldt (1965) interval: 1 − (1 − α)·F(1 − γ/2 ; n−1, (n−1)(k−1)) and the same at γ/2.
pub fn feldt_ci(alpha: f64, n: usize, k: usize, level: f64) -> Option<(f64, f64)> {
    if n < 2 || k < 2 {
        return None;
    }
    let df1 = n as f64 - 1.0;
    let df2 = df1 * (k as f64 - 1.0);
    let f = FisherSnedecor::new(df1, df2).ok()?;
    let g = 1.0 - level;
    Some((
        1.0 - (1.0 - alpha) * f.inverse_cdf(1.0 - g / 2.0),
        1.0 - (1.0 - alpha) * f.inverse_cdf(g / 2.0),
    ))
}

/// Reliability of one scale, computed row-wise: the test oracle of the column-wise
/// `cronbach_columns` the analysis uses. `rows` are respondents, columns items
/// (None = missing).
#[cfg(test)]
pub fn cronbach(rows: &[Vec<Option<f64>>], deletion: Deletion) -> Reliability {
    let k = rows.first().map_or(0, Vec::len);
    let empty = Reliability {
        items: k,
        n: 0,
        alpha: None,
        ci_low: None,
        ci_high: None,
        alpha_if_deleted: vec![None; k],
        item_total_r: vec![None; k],
    };
    if k < 2 {
        return empty;
    }
    let Some((c, n)) = covariance(rows, k, deletion) else {
        return empty;
    };
    let all: Vec<usize> = (0..k).collect();
    let alpha = alpha_from_cov(&c, &all);
    let (ci_low, ci_high) = alpha
        .and_then(|a| feldt_ci(a, n, k, 0.95))
        .map_or((None, None), |(l, h)| (Some(l), Some(h)));
    let alpha_if_deleted = (0..k)
        .map(|d| {
            let keep: Vec<usize> = all.iter().copied().filter(|&i| i != d).collect();
            alpha_from_cov(&c, &keep)
        })
        .collect();
    // Corrected item–total r: each item against the sum of the others, over the
    // respondents who answered all of them.
    let item_total_r = (0..k)
        .map(|d| {
            let (a, b): (Vec<f64>, Vec<f64>) = rows
                .iter()
                .filter_map(|r| {
                    let rest: Option<f64> = r
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != d)
                        .map(|(_, v)| *v)
                        .sum();
                    Some((r[d]?, rest?))
                })
                .unzip();
            (a.len() >= 3).then(|| pearson(&a, &b)).flatten()
        })
        .collect();
    Reliability {
        items: k,
        n,
        alpha,
        ci_low,
        ci_high,
        alpha_if_deleted,
        item_total_r,
    }
}

/// Rows per block of [`ColumnSums::of`]: a sum of up to this many products of two bytes
/// fits a `u32` (255² × 65 536 < 2³²).
const BLOCK: usize = 1 << 16;

/// Σ a[r]·b[r], exact, over at most [`BLOCK`] rows (a loop the compiler vectorises).
fn dot(a: &[u8], b: &[u8]) -> u64 {
    u64::from(
        a.iter()
            .zip(b)
            .map(|(&x, &y)| u32::from(x) * u32::from(y))
            .sum::<u32>(),
    )
}

/// What α needs of item columns (0 = not answered): the complete respondents' moments
/// and, for pairwise deletion, per pair (i ≤ j, at i·k + j) the count, Σxᵢ, Σxⱼ and
/// Σxᵢxⱼ over respondents who answered both.
struct ColumnSums {
    complete: Moments,
    pairs: (Vec<u64>, Vec<u64>, Vec<u64>, Vec<u64>),
}

impl ColumnSums {
    /// Column by column, a block of rows at a time: every sum is a dot product of two
    /// byte columns, so a missing answer (0) drops out of products by itself, a
    /// complete respondent is a mask of 1s, and a pair's respondents an answered
    /// indicator (1 when answered) times the other column.
    #[allow(clippy::needless_range_loop)] // matrix indices read best as indices
    fn of(cols: &[&[u8]], pairwise: bool) -> Self {
        let k = cols.len();
        let rows = cols.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut complete = Moments::new(k);
        let mut pairs: (Vec<u64>, Vec<u64>, Vec<u64>, Vec<u64>) = if pairwise {
            (
                vec![0; k * k],
                vec![0; k * k],
                vec![0; k * k],
                vec![0; k * k],
            )
        } else {
            Default::default()
        };
        let mut mask = Vec::with_capacity(BLOCK.min(rows));
        let mut masked = vec![Vec::with_capacity(BLOCK.min(rows)); k];
        let mut answered = vec![Vec::with_capacity(BLOCK.min(rows)); if pairwise { k } else { 0 }];
        for start in (0..rows).step_by(BLOCK) {
            let end = (start + BLOCK).min(rows);
            let block: Vec<&[u8]> = cols.iter().map(|c| &c[start..end]).collect();
            mask.clear();
            mask.resize(end - start, 1u8);
            for c in &block {
                for (m, &x) in mask.iter_mut().zip(*c) {
                    *m &= u8::from(x > 0);
                }
            }
            complete.n += mask.iter().map(|&m| u64::from(m)).sum::<u64>();
            for (i, c) in block.iter().enumerate() {
                masked[i].clear();
                masked[i].extend(c.iter().zip(&mask).map(|(&x, &m)| x * m));
                complete.s[i] += masked[i].iter().map(|&x| u64::from(x)).sum::<u64>();
            }
            for i in 0..k {
                for j in i..k {
                    complete.ss[i * k + j] += dot(&masked[i], &masked[j]);
                }
            }
            if pairwise {
                for (a, c) in answered.iter_mut().zip(&block) {
                    a.clear();
                    a.extend(c.iter().map(|&x| u8::from(x > 0)));
                }
                let (pn, ps_i, ps_j, pss) = &mut pairs;
                for i in 0..k {
                    for j in i..k {
                        let at = i * k + j;
                        pn[at] += dot(&answered[i], &answered[j]);
                        ps_i[at] += dot(block[i], &answered[j]);
                        ps_j[at] += dot(&answered[i], block[j]);
                        pss[at] += dot(block[i], block[j]);
                    }
                }
            }
        }
        ColumnSums { complete, pairs }
    }
}

/// Sums of one set of respondents: count, Σxᵢ and Σxᵢxⱼ (upper triangle used).
struct Moments {
    n: u64,
    s: Vec<u64>,
    ss: Vec<u64>,
}

impl Moments {
    fn new(k: usize) -> Self {
        Moments {
            n: 0,
            s: vec![0; k],
            ss: vec![0; k * k],
        }
    }

    /// Sample covariance matrix (exact integer sums, one division).
    #[allow(clippy::needless_range_loop)] // matrix indices read best as indices
    fn covariance(&self, k: usize) -> Vec<Vec<f64>> {
        let n = i128::from(self.n);
        let mut c = vec![vec![0.0; k]; k];
        for i in 0..k {
            for j in i..k {
                let num = n * i128::from(self.ss[i * k + j])
                    - i128::from(self.s[i]) * i128::from(self.s[j]);
                let v = num as f64 / (n * (n - 1)) as f64;
                c[i][j] = v;
                c[j][i] = v;
            }
        }
        c
    }
}

/// Reliability of one scale from item columns (0 = not answered), the same results as
/// [`cronbach`] without materialising rows: exact integer sums of products over complete
/// respondents (and, for pairwise deletion, over each pair's), column by column
/// ([`ColumnSums`]).
#[allow(clippy::needless_range_loop)] // matrix indices read best as indices
pub fn cronbach_columns(cols: &[&[u8]], deletion: Deletion) -> Reliability {
    let k = cols.len();
    let empty = Reliability {
        items: k,
        n: 0,
        alpha: None,
        ci_low: None,
        ci_high: None,
        alpha_if_deleted: vec![None; k],
        item_total_r: vec![None; k],
    };
    if k < 2 {
        return empty;
    }
    let pairwise = deletion == Deletion::Pairwise;
    let sums = ColumnSums::of(cols, pairwise);
    let complete = sums.complete;
    let (pn, ps_i, ps_j, pss) = sums.pairs;
    let (c, n) = if pairwise {
        let mut c = vec![vec![0.0; k]; k];
        let mut min_n = u64::MAX;
        for i in 0..k {
            for j in i..k {
                let at = i * k + j;
                let m = i128::from(pn[at]);
                if m < 2 {
                    return empty;
                }
                min_n = min_n.min(pn[at]);
                let num = m * i128::from(pss[at]) - i128::from(ps_i[at]) * i128::from(ps_j[at]);
                let v = num as f64 / (m * (m - 1)) as f64;
                c[i][j] = v;
                c[j][i] = v;
            }
        }
        (c, min_n as usize)
    } else {
        if complete.n < 2 {
            return empty;
        }
        (complete.covariance(k), complete.n as usize)
    };
    let all: Vec<usize> = (0..k).collect();
    let alpha = alpha_from_cov(&c, &all);
    let (ci_low, ci_high) = alpha
        .and_then(|a| feldt_ci(a, n, k, 0.95))
        .map_or((None, None), |(l, h)| (Some(l), Some(h)));
    let alpha_if_deleted = (0..k)
        .map(|d| {
            let keep: Vec<usize> = all.iter().copied().filter(|&i| i != d).collect();
            alpha_from_cov(&c, &keep)
        })
        .collect();
    // Corrected item–total r over complete respondents: cov(xᵈ, Σ others) and
    // var(Σ others) are sums of entries of the complete-case covariance matrix.
    let item_total_r = if complete.n >= 3 {
        let cc = complete.covariance(k);
        (0..k)
            .map(|d| {
                let others = || (0..k).filter(move |&i| i != d);
                let cov_dr: f64 = others().map(|j| cc[d][j]).sum();
                let var_r: f64 = others()
                    .flat_map(|i| others().map(move |j| (i, j)))
                    .map(|(i, j)| cc[i][j])
                    .sum();
                let var_d = cc[d][d];
                (var_d > 0.0 && var_r > 0.0).then(|| cov_dr / (var_d * var_r).sqrt())
            })
            .collect()
    } else {
        vec![None; k]
    };
    Reliability {
        items: k,
        n,
        alpha,
        ci_low,
        ci_high,
        alpha_if_deleted,
        item_total_r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Vec<Option<f64>>> {
        let q = [
            [4., 5., 3., 4., 2., 5., 3., 4., 4., 3.],
            [4., 4., 3., 5., 2., 5., 2., 4., 3., 3.],
            [3., 5., 2., 4., 1., 4., 3., 5., 4., 2.],
            [5., 4., 4., 3., 3., 4., 2., 4., 5., 3.],
        ];
        (0..10)
            .map(|r| (0..4).map(|i| Some(q[i][r])).collect())
            .collect()
    }

    fn close(a: Option<f64>, b: f64, tol: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= tol)
    }

    /// Issue #5 worked example; checked with numpy + scipy.stats.f (Feldt):
    /// α 0.848073, CI [0.600301, 0.957615], α-if-deleted 0.717293 0.788546 0.796134
    /// 0.898266, corrected item–total r 0.926371 0.729233 0.736777 0.434457.
    #[test]
    fn cronbach_worked_example() {
        let r = cronbach(&rows(), Deletion::Listwise);
        assert_eq!((r.items, r.n), (4, 10));
        assert!(close(r.alpha, 0.848073, 1e-6), "{r:?}");
        assert!(close(r.ci_low, 0.600301, 1e-5), "{r:?}");
        assert!(close(r.ci_high, 0.957615, 1e-5), "{r:?}");
        for (got, want) in r
            .alpha_if_deleted
            .iter()
            .zip([0.717293, 0.788546, 0.796134, 0.898266])
        {
            assert!(close(*got, want, 1e-6), "{got:?} vs {want}");
        }
        for (got, want) in r
            .item_total_r
            .iter()
            .zip([0.926371, 0.729233, 0.736777, 0.434457])
        {
            assert!(close(*got, want, 1e-6), "{got:?} vs {want}");
        }
        // Without missing data pairwise equals listwise.
        assert!(close(
            cronbach(&rows(), Deletion::Pairwise).alpha,
            0.848073,
            1e-6
        ));
    }

    #[test]
    fn alpha_is_invariant_to_item_order() {
        let mut swapped = rows();
        for r in &mut swapped {
            r.reverse();
        }
        let a = cronbach(&rows(), Deletion::Listwise).alpha.expect("alpha");
        let b = cronbach(&swapped, Deletion::Listwise).alpha.expect("alpha");
        assert!((a - b).abs() < 1e-12);
    }

    #[test]
    fn listwise_drops_incomplete_respondents_pairwise_keeps_them() {
        let mut r = rows();
        r[0][1] = None;
        assert_eq!(cronbach(&r, Deletion::Listwise).n, 9);
        let p = cronbach(&r, Deletion::Pairwise);
        assert_eq!(p.n, 9, "smallest pairwise count");
        assert!(p.alpha.is_some());
        assert_eq!(
            cronbach(&r[..1], Deletion::Listwise).alpha,
            None,
            "one respondent has no variance"
        );
    }

    fn columns(rows: &[Vec<Option<f64>>]) -> Vec<Vec<u8>> {
        let k = rows[0].len();
        (0..k)
            .map(|j| rows.iter().map(|r| r[j].map_or(0, |x| x as u8)).collect())
            .collect()
    }

    fn same(a: &Reliability, b: &Reliability) {
        assert_eq!((a.items, a.n), (b.items, b.n));
        let pairs = [
            (a.alpha, b.alpha),
            (a.ci_low, b.ci_low),
            (a.ci_high, b.ci_high),
        ]
        .into_iter()
        .chain(
            a.alpha_if_deleted
                .iter()
                .copied()
                .zip(b.alpha_if_deleted.iter().copied()),
        )
        .chain(
            a.item_total_r
                .iter()
                .copied()
                .zip(b.item_total_r.iter().copied()),
        );
        for (x, y) in pairs {
            match (x, y) {
                (Some(x), Some(y)) => assert!((x - y).abs() < 1e-9, "{a:?} vs {b:?}"),
                (None, None) => {}
                _ => panic!("{a:?} vs {b:?}"),
            }
        }
    }

    /// The column form gives the worked example's figures (numpy + scipy, above) and
    /// matches the row form with missing answers under both deletions.
    #[test]
    fn column_form_matches_the_worked_example_and_the_row_form() {
        let cols = columns(&rows());
        let refs: Vec<&[u8]> = cols.iter().map(Vec::as_slice).collect();
        let r = cronbach_columns(&refs, Deletion::Listwise);
        assert!(close(r.alpha, 0.848073, 1e-6), "{r:?}");
        assert!(close(r.ci_low, 0.600301, 1e-5), "{r:?}");
        for (got, want) in r
            .item_total_r
            .iter()
            .zip([0.926371, 0.729233, 0.736777, 0.434457])
        {
            assert!(close(*got, want, 1e-6), "{got:?} vs {want}");
        }
        for (got, want) in r
            .alpha_if_deleted
            .iter()
            .zip([0.717293, 0.788546, 0.796134, 0.898266])
        {
            assert!(close(*got, want, 1e-6), "{got:?} vs {want}");
        }
        let mut holes = rows();
        holes[0][1] = None;
        holes[3][2] = None;
        holes[7][0] = None;
        holes[7][3] = None;
        let cols = columns(&holes);
        let refs: Vec<&[u8]> = cols.iter().map(Vec::as_slice).collect();
        for d in [Deletion::Listwise, Deletion::Pairwise] {
            same(&cronbach_columns(&refs, d), &cronbach(&holes, d));
        }
        assert_eq!(cronbach_columns(&refs[..1], Deletion::Listwise).alpha, None);
    }

    /// Across blocks of rows (more rows than [`BLOCK`], the last block partial), with
    /// answers up to 10 and missing ones scattered, the column form still matches the
    /// row form under both deletions.
    #[test]
    fn column_form_matches_the_row_form_across_blocks() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let rows: Vec<Vec<Option<f64>>> = (0..BLOCK + 4_321)
            .map(|_| {
                let base = (next() % 10) as f64;
                (0..5)
                    .map(|_| {
                        let noise = (next() % 3) as f64;
                        (next() % 17 != 0).then_some((base + noise).clamp(1.0, 10.0))
                    })
                    .collect()
            })
            .collect();
        let cols = columns(&rows);
        let refs: Vec<&[u8]> = cols.iter().map(Vec::as_slice).collect();
        for d in [Deletion::Listwise, Deletion::Pairwise] {
            let got = cronbach_columns(&refs, d);
            assert!(got.n > BLOCK / 2, "{got:?}");
            same(&got, &cronbach(&rows, d));
        }
    }
}
