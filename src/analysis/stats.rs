//! Small statistical building blocks with worked examples: t confidence intervals,
//! weighted means re-normalised over available values, and group combination.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A mean on the 0–100 scale with its spread and 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoreStat {
    pub n: u64,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Kish's effective sample size when respondents are weighted (the CI uses it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_eff: Option<f64>,
}

impl ScoreStat {
    pub const EMPTY: ScoreStat = ScoreStat {
        n: 0,
        mean: None,
        sd: None,
        ci_low: None,
        ci_high: None,
        n_eff: None,
    };

    /// The sample size the spread of the mean is judged on: Kish's effective n when
    /// weighted, else n.
    pub fn effective_n(&self) -> f64 {
        self.n_eff.unwrap_or(self.n as f64)
    }

    /// From weighted moments: `n` respondents, the weighted mean and SD, and Kish's
    /// effective n; the 95% CI is mean ± t(n_eff − 1) · sd / √n_eff.
    pub fn from_weighted(n: u64, mean: f64, sd: Option<f64>, n_eff: f64) -> Self {
        let sd_usable = sd.filter(|_| n >= 2 && n_eff > 1.0);
        ScoreStat {
            n_eff: Some(n_eff),
            ..Self::with_ci(n, mean, sd, sd_usable.map(|sd| (sd, n_eff)))
        }
    }

    /// From a sample's size, mean and sample SD (ddof = 1): t-based 95% CI.
    pub fn from_moments(n: u64, mean: f64, sd: Option<f64>) -> Self {
        let basis = sd.filter(|_| n >= 2).map(|sd| (sd, n as f64));
        Self::with_ci(n, mean, sd, basis)
    }

    /// The cell with mean ± t(m − 1) · sd / √m for `basis` = (sd, m), else no CI.
    fn with_ci(n: u64, mean: f64, sd: Option<f64>, basis: Option<(f64, f64)>) -> Self {
        let half = basis.map(|(sd, m)| t_quantile_975(m - 1.0) * sd / m.sqrt());
        ScoreStat {
            n,
            mean: Some(mean),
            sd,
            ci_low: half.map(|h| mean - h),
            ci_high: half.map(|h| mean + h),
            n_eff: None,
        }
    }
}

/// Running sums of one weighted cell: respondents, Σw, Σw², Σwx and Σwx².
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WeightedSums {
    pub n: u64,
    pub sw: f64,
    pub sw2: f64,
    pub swx: f64,
    pub swxx: f64,
}

impl WeightedSums {
    pub fn add(&mut self, x: f64, w: f64) {
        self.n += 1;
        self.sw += w;
        self.sw2 += w * w;
        self.swx += w * x;
        self.swxx += w * x * x;
    }

    /// Weighted mean Σwx/Σw; SD² = Σw(x − mean)²/Σw · n/(n − 1) (equal weights give
    /// the sample SD); Kish's n_eff = (Σw)²/Σw²; see [`ScoreStat::from_weighted`].
    pub fn stat(&self) -> ScoreStat {
        if self.n == 0 || self.sw <= 0.0 {
            return ScoreStat {
                n: self.n,
                ..ScoreStat::EMPTY
            };
        }
        let mean = self.swx / self.sw;
        let sd = (self.n >= 2).then(|| {
            let n = self.n as f64;
            let var = (self.swxx / self.sw - mean * mean).max(0.0) * n / (n - 1.0);
            var.sqrt()
        });
        ScoreStat::from_weighted(self.n, mean, sd, self.sw * self.sw / self.sw2)
    }
}

/// The 97.5th percentile of Student's t with `df` degrees of freedom.
/// Remembered per thread for the degrees of freedom seen (a view asks for the same few
/// thousand times, and each inversion costs microseconds).
pub fn t_quantile_975(df: f64) -> f64 {
    const KEPT: usize = 4096;
    thread_local! {
        static KNOWN: std::cell::RefCell<std::collections::HashMap<u64, f64>> =
            Default::default();
    }
    KNOWN.with(|known| {
        let mut known = known.borrow_mut();
        if let Some(q) = known.get(&df.to_bits()) {
            return *q;
        }
        let q = match StudentsT::new(0.0, 1.0, df) {
            Ok(t) => t.inverse_cdf(0.975),
            Err(_) => f64::NAN,
        };
        if known.len() >= KEPT {
            known.clear();
        }
        known.insert(df.to_bits(), q);
        q
    })
}

/// The Wilson score 95 % interval of a proportion `k / n` (as fractions); `None` for
/// `n = 0`.
pub fn wilson_95(k: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let z = 1.959_963_984_540_054;
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let centre = p + z * z / (2.0 * n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    let d = 1.0 + z * z / n;
    Some((
        ((centre - half) / d).max(0.0),
        ((centre + half) / d).min(1.0),
    ))
}

/// Weighted mean over the values present, with weights re-normalised over them.
/// `None` when no value is present.
pub fn weighted_mean(pairs: impl IntoIterator<Item = (Option<f64>, f64)>) -> Option<f64> {
    let (mut sum, mut wsum) = (0.0, 0.0);
    for (v, w) in pairs {
        if let Some(v) = v {
            sum += v * w;
            wsum += w;
        }
    }
    (wsum > 0.0).then(|| sum / wsum)
}

/// Combines per-group results with fixed group weights (re-normalised over groups with
/// data). The mean is the weighted mean of group means; the SD is that of the
/// group-weighted mixture; the CI is the stratified one: SE² = Σ w² s²/n, with
/// Welch–Satterthwaite degrees of freedom; weighted groups enter with their effective n.
pub fn combine_groups(groups: &[(ScoreStat, f64)]) -> ScoreStat {
    let present: Vec<(&ScoreStat, f64, f64)> = groups
        .iter()
        .filter_map(|(s, w)| s.mean.map(|m| (s, *w, m)))
        .filter(|(s, w, _)| s.n > 0 && *w > 0.0)
        .collect();
    let wsum: f64 = present.iter().map(|(_, w, _)| w).sum();
    if present.is_empty() || wsum <= 0.0 {
        return ScoreStat {
            n: groups.iter().map(|(s, _)| s.n).sum(),
            ..ScoreStat::EMPTY
        };
    }
    let n: u64 = present.iter().map(|(s, _, _)| s.n).sum();
    let mean: f64 = present.iter().map(|(_, w, m)| w / wsum * m).sum();
    let all_sd = present
        .iter()
        .all(|(s, _, _)| s.sd.is_some() && s.n >= 2 && s.effective_n() > 1.0);
    if !all_sd {
        return ScoreStat {
            n,
            mean: Some(mean),
            ..ScoreStat::EMPTY
        };
    }
    let mut var_mix = 0.0;
    let (mut se2, mut dfd) = (0.0, 0.0);
    for (s, w, m) in &present {
        let p = w / wsum;
        let sd = s.sd.unwrap_or(0.0);
        var_mix += p * (sd * sd + (m - mean) * (m - mean));
        let a = p * p * sd * sd / s.effective_n();
        se2 += a;
        dfd += a * a / (s.effective_n() - 1.0);
    }
    let (lo, hi) = if se2 == 0.0 {
        (mean, mean)
    } else {
        let df = se2 * se2 / dfd;
        let half = t_quantile_975(df) * se2.sqrt();
        (mean - half, mean + half)
    };
    ScoreStat {
        n,
        mean: Some(mean),
        sd: Some(var_mix.sqrt()),
        ci_low: Some(lo),
        ci_high: Some(hi),
        n_eff: None,
    }
}

/// Maps a scale point to 0–100: 100 × (x − 1)/(points − 1), after reverse-coding.
pub fn scale_to_100(x: i64, points: u8, reverse: bool) -> Option<f64> {
    let p = i64::from(points);
    if p < 2 || !(1..=p).contains(&x) {
        return None;
    }
    let x = if reverse { p + 1 - x } else { x };
    Some(100.0 * (x - 1) as f64 / (p - 1) as f64)
}

#[cfg(test)]
mod tests {

    /// scipy 1.17.1: `binomtest(k, n).proportion_ci(0.95, method='wilson')`.
    #[test]
    fn wilson_interval_matches_scipy() {
        let cases = [
            (7, 12, 0.3195113125, 0.8067396863),
            (0, 10, 0.0, 0.2775327999),
            (10, 10, 0.7224672001, 1.0),
            (45, 160, 0.2173432349, 0.3554144755),
        ];
        for (k, n, lo, hi) in cases {
            let (l, h) = wilson_95(k, n).expect("n > 0");
            assert!(
                (l - lo).abs() < 1e-9 && (h - hi).abs() < 1e-9,
                "{k}/{n}: {l} {h}"
            );
        }
        assert_eq!(wilson_95(0, 0), None);
    }

    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Issue #2 worked example: 4,5,3,4,2,5,3,4,4,3 on a 1..5 scale. Checked with
    /// numpy/scipy: mean 3.7, SD (ddof=1) 0.948683; on 0–100: 67.5, SD 23.717082,
    /// t(0.975, 9) = 2.262157, CI 67.5 ± 16.966 = [50.53, 84.47].
    #[test]
    fn worked_example_single_item() {
        let raw = [4, 5, 3, 4, 2, 5, 3, 4, 4, 3];
        let scaled: Vec<f64> = raw
            .iter()
            .map(|&x| scale_to_100(x, 5, false).expect("on scale"))
            .collect();
        let n = scaled.len() as f64;
        let mean = scaled.iter().sum::<f64>() / n;
        let sd = (scaled.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let s = ScoreStat::from_moments(10, mean, Some(sd));
        assert!(close(mean, 67.5, 1e-9));
        assert!(close(sd / 25.0, 0.948683, 1e-6));
        assert!(close(s.ci_low.expect("ci"), 50.53, 0.005), "{s:?}");
        assert!(close(s.ci_high.expect("ci"), 84.47, 0.005), "{s:?}");
    }

    /// Weighted cell, by hand: x = 50, 75, 100, 25 with w = 0.5, 0.5, 1.5, 1.5.
    /// Σw = 4, mean = 250/4 = 62.5; Σw(x − m)² = 4375, /Σw = 1093.75, × 4/3 →
    /// SD = √1458.333 = 38.188131; n_eff = 16 / 5 = 3.2; half-width
    /// t(0.975, 2.2) · 38.188131/√3.2 with scipy.stats.t.ppf(0.975, 2.2) = 3.948721
    /// (scipy 1.17.1) → 84.296557. Equal weights reduce to the unweighted example above.
    #[test]
    fn weighted_cell_worked_example() {
        let mut s = WeightedSums::default();
        for (x, w) in [(50.0, 0.5), (75.0, 0.5), (100.0, 1.5), (25.0, 1.5)] {
            s.add(x, w);
        }
        let st = s.stat();
        assert!(close(st.mean.expect("mean"), 62.5, 1e-12));
        assert!(close(st.sd.expect("sd"), 38.188131, 1e-6), "{st:?}");
        assert!(close(st.n_eff.expect("n_eff"), 3.2, 1e-12));
        let half = st.ci_high.expect("ci") - 62.5;
        assert!(close(half, 84.296557, 1e-4), "{half}");
        let mut equal = WeightedSums::default();
        for x in [4, 5, 3, 4, 2, 5, 3, 4, 4, 3] {
            equal.add(scale_to_100(x, 5, false).expect("on scale"), 2.0);
        }
        let e = equal.stat();
        assert!(close(e.ci_low.expect("ci"), 50.53, 0.005), "{e:?}");
        assert!(close(e.n_eff.expect("n_eff"), 10.0, 1e-12));
    }

    #[test]
    fn t_quantiles_match_tables() {
        // Standard t-table values.
        assert!(close(t_quantile_975(9.0), 2.262157, 1e-5));
        assert!(close(t_quantile_975(1.0), 12.706205, 1e-4));
        assert!(close(t_quantile_975(30.0), 2.042272, 1e-5));
    }

    /// Issue #2 composite examples, by hand: Σ w·s = 68.469 (weights sum to 1);
    /// (0.25·80 + 0.25·60 + 0.20·70) / 0.70 = 49 / 0.7 = 70.0.
    #[test]
    fn weighted_mean_worked_examples() {
        let s = [72.5, 68.0, 61.25, 70.0, 75.0];
        let w = [0.079086, 0.136732, 0.244403, 0.403048, 0.136732];
        let m = weighted_mean(s.iter().zip(w).map(|(s, w)| (Some(*s), w))).expect("mean");
        assert!(close(m, 68.469, 5e-4), "{m}");
        let m = weighted_mean([
            (Some(80.0), 0.25),
            (Some(60.0), 0.25),
            (None, 0.30),
            (Some(70.0), 0.20),
        ])
        .expect("mean");
        assert!(close(m, 70.0, 1e-9), "{m}");
        assert_eq!(weighted_mean([(None, 1.0)]), None);
    }

    #[test]
    fn reverse_coding_flips_before_scaling() {
        assert_eq!(scale_to_100(1, 5, false), Some(0.0));
        assert_eq!(scale_to_100(4, 5, false), Some(75.0));
        assert_eq!(scale_to_100(4, 5, true), Some(25.0));
        assert_eq!(scale_to_100(6, 5, false), None);
    }

    /// Two groups, by hand: A n=4 mean 60 sd 10, B n=9 mean 80 sd 15, weights .5/.5.
    /// mean = 70; mixture var = .5(100+100) + .5(225+100) = 262.5;
    /// SE² = .25·100/4 + .25·225/9 = 6.25 + 6.25 = 12.5;
    /// df = 12.5² / (6.25²/3 + 6.25²/8) = 156.25 / (13.0208 + 4.8828) = 8.7273;
    /// t(0.975, 8.7273) = 2.272979 (scipy 1.x stats.t.ppf) -> half-width 8.036195.
    #[test]
    fn combining_groups_uses_fixed_weights_and_stratified_ci() {
        let a = ScoreStat::from_moments(4, 60.0, Some(10.0));
        let b = ScoreStat::from_moments(9, 80.0, Some(15.0));
        let c = combine_groups(&[(a, 0.5), (b, 0.5), (ScoreStat::EMPTY, 0.4)]);
        assert_eq!(c.n, 13);
        assert!(close(c.mean.expect("mean"), 70.0, 1e-9));
        assert!(close(c.sd.expect("sd"), 262.5f64.sqrt(), 1e-9));
        let half = c.ci_high.expect("ci") - 70.0;
        assert!(close(half, 8.036195, 1e-5), "{half}");
        // Headcount would give (4·60 + 9·80)/13 = 73.85: the fixed weights matter.
        let skew = combine_groups(&[(a, 0.75), (b, 0.25)]);
        assert!(close(skew.mean.expect("mean"), 65.0, 1e-9));
    }
}
