//! Indicator weights from data: the entropy method (AHP weights from a pairwise matrix
//! are part of a campaign's definition and live in `domain::ahp`).

/// Entropy weights. `rows` are evaluated units (e.g. schools), columns indicators
/// (higher is better). Min–max normalisation, pᵢⱼ = xᵢⱼ/Σᵢxᵢⱼ,
/// eⱼ = −(1/ln n) Σᵢ pᵢⱼ ln pᵢⱼ with 0·ln 0 = 0, dⱼ = 1 − eⱼ, wⱼ = dⱼ/Σd.
/// `None` when fewer than two units or no column varies.
pub fn entropy(rows: &[Vec<f64>]) -> Option<Vec<f64>> {
    let n = rows.len();
    let k = rows.first()?.len();
    if n < 2 || k == 0 || rows.iter().any(|r| r.len() != k) {
        return None;
    }
    let mut d = Vec::with_capacity(k);
    for j in 0..k {
        let col: Vec<f64> = rows.iter().map(|r| r[j]).collect();
        let (lo, hi) = col
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), &x| (l.min(x), h.max(x)));
        if hi <= lo {
            // A column that does not vary carries no information.
            d.push(0.0);
            continue;
        }
        let z: Vec<f64> = col.iter().map(|x| (x - lo) / (hi - lo)).collect();
        let s: f64 = z.iter().sum();
        let e = -z
            .iter()
            .map(|x| x / s)
            .map(|p| if p > 0.0 { p * p.ln() } else { 0.0 })
            .sum::<f64>()
            / (n as f64).ln();
        d.push(1.0 - e);
    }
    let total: f64 = d.iter().sum();
    (total > 0.0).then(|| d.iter().map(|x| x / total).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #5 worked example; numpy gives (0.232577, 0.220351, 0.289770, 0.257303).
    #[test]
    fn entropy_worked_example() {
        let rows = vec![
            vec![85.0, 0.90, 12.0, 4.2],
            vec![78.0, 0.75, 20.0, 3.8],
            vec![92.0, 0.95, 8.0, 4.5],
            vec![70.0, 0.60, 25.0, 3.5],
            vec![88.0, 0.85, 15.0, 4.0],
        ];
        let w = entropy(&rows).expect("weights");
        for (got, want) in w.iter().zip([0.232577, 0.220351, 0.289770, 0.257303]) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
