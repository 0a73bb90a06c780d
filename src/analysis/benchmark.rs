//! Benchmarking units (schools, sectors) against the county, from published cells
//! only: each unit's mean, the county's, their difference with a 95 % CI, the unit's
//! rank and percentile among units, and where it falls in the funnel plot (its mean
//! against its n, with control limits around the county mean), so small units are not
//! ranked on noise. Pure functions; the chart (`charts::funnel`) only draws what this
//! computes.
//!
//! The difference d = x̄_unit − x̄_county, where the county contains the unit: with the
//! rest r = county − unit, d = (n_r / N)(x̄_unit − x̄_r), so its CI is the Welch interval
//! of unit against rest scaled by n_r / N. The rest's mean and SD follow from the two
//! published cells (N x̄_c = n_u x̄_u + n_r x̄_r, and the sums of squares add up).
//! With weighting, every n here is the cell's effective n (an approximation: the
//! unit's share of the county's weight is taken as its share of the effective n).

use serde::Serialize;

use super::stats::t_quantile_975;

/// z for the funnel's 95 % and 99.8 % control limits (two-sided).
pub const Z95: f64 = 1.959_963_984_540_054;
pub const Z998: f64 = 3.090_232_306_167_813;

/// A published cell: respondents, mean and sample SD (0–100 scores), and the sample
/// size its precision rests on (Kish's effective n when weighted, else n).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    pub sd: f64,
    pub n_eff: f64,
}

/// Where a unit falls in the funnel plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Funnel {
    /// Within the 95 % limits: indistinguishable from the county.
    Inside,
    /// Between the 95 % and 99.8 % limits, above or below.
    AboveWarning,
    BelowWarning,
    /// Outside the 99.8 % limits.
    Above,
    Below,
}

impl Funnel {
    pub fn label_zh(self) -> &'static str {
        match self {
            Funnel::Inside => "与全县无明显差异",
            Funnel::AboveWarning => "高于全县（95% 控制限外）",
            Funnel::BelowWarning => "低于全县（95% 控制限外）",
            Funnel::Above => "显著高于全县（99.8% 控制限外）",
            Funnel::Below => "显著低于全县（99.8% 控制限外）",
        }
    }
}

/// One unit against the county.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Benchmark {
    pub value: String,
    pub n: u64,
    /// The n the funnel plots and tests with (Kish's effective n when weighted).
    pub effective_n: f64,
    pub mean: f64,
    pub difference: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// 1 = highest mean; equal means share the better rank.
    pub rank: usize,
    /// Share of the other units with a lower mean, 0–100.
    pub percentile: Option<f64>,
    pub funnel: Funnel,
}

/// The county mean ± z·SD/√n: the range a unit of `n` respondents drawn from the county
/// would fall in.
pub fn control_limits(county: Moments, n: f64, z: f64) -> (f64, f64) {
    let half = z * county.sd / n.max(1.0).sqrt();
    (county.mean - half, county.mean + half)
}

/// The 95 % CI of the unit's difference from the county (see the module doc); `None`
/// when the rest has fewer than two respondents or no spread can be derived.
pub fn difference_ci(county: Moments, unit: Moments) -> Option<(f64, f64)> {
    let (big_n, n_u) = (county.n_eff, unit.n_eff);
    let n_r = big_n - n_u;
    if n_r < 2.0 || n_u < 2.0 {
        return None;
    }
    let mean_r = (big_n * county.mean - n_u * unit.mean) / n_r;
    let ss_total = (big_n - 1.0) * county.sd.powi(2);
    let ss_unit = (n_u - 1.0) * unit.sd.powi(2);
    let between = n_u * (unit.mean - county.mean).powi(2) + n_r * (mean_r - county.mean).powi(2);
    let var_r = ((ss_total - ss_unit - between) / (n_r - 1.0)).max(0.0);
    let (a, b) = (unit.sd.powi(2) / n_u, var_r / n_r);
    let se = (a + b).sqrt();
    if se <= 0.0 {
        return None;
    }
    let df = (a + b).powi(2) / (a.powi(2) / (n_u - 1.0) + b.powi(2) / (n_r - 1.0));
    let half = t_quantile_975(df) * se;
    let scale = n_r / big_n;
    let gap = unit.mean - mean_r;
    Some((scale * (gap - half), scale * (gap + half)))
}

fn funnel(county: Moments, unit: Moments) -> Funnel {
    let (lo95, hi95) = control_limits(county, unit.n_eff, Z95);
    let (lo998, hi998) = control_limits(county, unit.n_eff, Z998);
    match unit.mean {
        m if m > hi998 => Funnel::Above,
        m if m < lo998 => Funnel::Below,
        m if m > hi95 => Funnel::AboveWarning,
        m if m < lo95 => Funnel::BelowWarning,
        _ => Funnel::Inside,
    }
}

/// Every unit against the county, in the order given.
pub fn benchmark(county: Moments, units: &[(String, Moments)]) -> Vec<Benchmark> {
    let k = units.len();
    units
        .iter()
        .map(|(value, u)| {
            let above = units.iter().filter(|(_, o)| o.mean > u.mean).count();
            let below = units.iter().filter(|(_, o)| o.mean < u.mean).count();
            let ci = difference_ci(county, *u);
            Benchmark {
                value: value.clone(),
                n: u.n,
                effective_n: u.n_eff,
                mean: u.mean,
                difference: u.mean - county.mean,
                ci_low: ci.map(|c| c.0),
                ci_high: ci.map(|c| c.1),
                rank: above + 1,
                percentile: (k > 1).then(|| 100.0 * below as f64 / (k - 1) as f64),
                funnel: funnel(county, *u),
            }
        })
        .collect()
}

/// The funnel's control limits from n = `from` to `to` (for the chart): (n, 95 % low,
/// 95 % high, 99.8 % low, 99.8 % high), on a grid of `points` sizes.
pub fn funnel_limits(county: Moments, from: f64, to: f64, points: usize) -> Vec<[f64; 5]> {
    let from = from.max(2.0);
    let to = to.max(from + 1.0);
    (0..points.max(2))
        .map(|i| {
            // Denser where the limits bend: a geometric grid.
            let n = from * (to / from).powf(i as f64 / (points.max(2) - 1) as f64);
            let half = |z: f64| z * county.sd / n.sqrt();
            [
                n,
                county.mean - half(Z95),
                county.mean + half(Z95),
                county.mean - half(Z998),
                county.mean + half(Z998),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(x: &[f64]) -> Moments {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        Moments {
            n: x.len() as u64,
            mean,
            sd,
            n_eff: n,
        }
    }

    const UNIT: [f64; 8] = [80.0, 75.0, 90.0, 70.0, 85.0, 65.0, 95.0, 80.0];
    const REST: [f64; 12] = [
        60.0, 70.0, 65.0, 75.0, 55.0, 80.0, 70.0, 60.0, 65.0, 72.0, 68.0, 74.0,
    ];

    /// Worked example, checked with numpy/scipy (script in the comment):
    /// ```python
    /// import numpy as np; from scipy import stats
    /// u = np.array([80,75,90,70,85,65,95,80.]); r = np.array([60,70,65,75,55,80,70,60,65,72,68,74.])
    /// c = np.concatenate([u, r]); N, nu, nr = len(c), len(u), len(r)
    /// a, b = u.var(ddof=1)/nu, r.var(ddof=1)/nr; se = np.sqrt(a+b)
    /// df = (a+b)**2/(a**2/(nu-1) + b**2/(nr-1)); half = stats.t.ppf(.975, df)*se
    /// d = u.mean()-c.mean(); lo, hi = nr/N*(u.mean()-r.mean()-half), nr/N*(u.mean()-r.mean()+half)
    /// print(d, lo, hi, c.mean(), c.std(ddof=1))
    /// # 7.3  1.9294480935  12.6705519065  72.7  10.2037144939  (Welch df 11.759368)
    /// ```
    /// The CI comes from the two published cells only (unit and county), the rest's
    /// moments derived from them.
    #[test]
    fn the_difference_ci_is_welchs_interval_of_unit_against_rest_scaled() {
        let all: Vec<f64> = UNIT.iter().chain(REST.iter()).copied().collect();
        let (county, unit) = (moments(&all), moments(&UNIT));
        assert!((county.mean - 72.7).abs() < 1e-12);
        assert!((county.sd - 10.203_714_493_932_305).abs() < 1e-9);
        let (lo, hi) = difference_ci(county, unit).expect("ci");
        let b = &benchmark(county, &[("u".into(), unit)])[0];
        assert!((b.difference - 7.3).abs() < 1e-12);
        assert!((lo - EXPECTED_LO).abs() < 1e-6, "{lo}");
        assert!((hi - EXPECTED_HI).abs() < 1e-6, "{hi}");
    }

    const EXPECTED_LO: f64 = 1.929_448_093_540_676_6;
    const EXPECTED_HI: f64 = 12.670_551_906_459_329;

    /// Control limits by hand: county 70 ± z·10/√25 → 95 %: 70 ± 3.919928; 99.8 %:
    /// 70 ± 6.180465. A unit of 25 at 75 is above the 95 % limit but inside 99.8 %.
    #[test]
    fn control_limits_and_funnel_positions() {
        let county = Moments {
            n: 400,
            mean: 70.0,
            sd: 10.0,
            n_eff: 400.0,
        };
        let (lo, hi) = control_limits(county, 25.0, Z95);
        assert!((hi - 73.919_928).abs() < 1e-6 && (lo - 66.080_072).abs() < 1e-6);
        let (lo, hi) = control_limits(county, 25.0, Z998);
        assert!((hi - 76.180_465).abs() < 1e-6 && (lo - 63.819_535).abs() < 1e-6);
        let unit = |n: u64, mean| Moments {
            n,
            mean,
            sd: 10.0,
            n_eff: n as f64,
        };
        let units = vec![
            ("a".to_string(), unit(25, 75.0)),
            ("b".to_string(), unit(25, 77.0)),
            ("c".to_string(), unit(25, 71.0)),
            ("d".to_string(), unit(4, 61.0)),
        ];
        let b = benchmark(county, &units);
        assert_eq!(b[0].funnel, Funnel::AboveWarning);
        assert_eq!(b[1].funnel, Funnel::Above);
        assert_eq!(b[2].funnel, Funnel::Inside);
        // Nine points below the county with 4 people is noise: inside the 95 % limits
        // (70 ± 9.8), though it ranks last.
        assert_eq!(b[3].funnel, Funnel::Inside);
        assert_eq!((b[0].rank, b[1].rank, b[3].rank), (2, 1, 4));
        assert_eq!(b[1].percentile, Some(100.0));
        assert_eq!(b[3].percentile, Some(0.0));
        let limits = funnel_limits(county, 4.0, 400.0, 5);
        assert_eq!(limits.len(), 5);
        assert!((limits[0][0] - 4.0).abs() < 1e-9 && (limits[4][0] - 400.0).abs() < 1e-9);
        assert!((limits[0][2] - (70.0 + Z95 * 5.0)).abs() < 1e-9);
    }
}
