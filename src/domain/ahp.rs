//! AHP weights from a pairwise comparison matrix (principal eigenvector, consistency
//! ratio with Saaty's random index). A campaign's `[ahp]` table defines its framework's
//! weights, so the definition parser derives and checks them here, beneath it.

use serde::Serialize;

/// Saaty's random consistency index for n = 1..=10.
pub const RANDOM_INDEX: [f64; 10] = [0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49];
/// Matrices at or above this consistency ratio are refused.
pub const MAX_CR: f64 = 0.10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ahp {
    pub weights: Vec<f64>,
    pub lambda_max: f64,
    pub ci: f64,
    pub cr: f64,
    pub consistent: bool,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AhpError {
    #[error("the matrix is empty")]
    Empty,
    #[error("row {row} has {len} entries; a {n}x{n} matrix is needed")]
    NotSquare { row: usize, len: usize, n: usize },
    #[error("entry ({row}, {col}) = {value} must be positive")]
    NotPositive { row: usize, col: usize, value: f64 },
    #[error("diagonal entry ({i}, {i}) must be 1, found {value}")]
    Diagonal { i: usize, value: f64 },
    #[error("entries ({i}, {j}) = {a} and ({j}, {i}) = {b} must be reciprocal (a·b = 1)")]
    NotReciprocal { i: usize, j: usize, a: f64, b: f64 },
    #[error("AHP supports 1 to 10 criteria, found {0}")]
    TooLarge(usize),
}

/// Principal eigenvector by power iteration (the Perron root of a positive matrix is
/// simple and dominant, so this converges), normalised to sum 1.
pub fn ahp(m: &[Vec<f64>]) -> Result<Ahp, AhpError> {
    let n = m.len();
    if n == 0 {
        return Err(AhpError::Empty);
    }
    if n > 10 {
        return Err(AhpError::TooLarge(n));
    }
    for (i, row) in m.iter().enumerate() {
        if row.len() != n {
            return Err(AhpError::NotSquare {
                row: i + 1,
                len: row.len(),
                n,
            });
        }
        for (j, &v) in row.iter().enumerate() {
            if !(v > 0.0 && v.is_finite()) {
                return Err(AhpError::NotPositive {
                    row: i + 1,
                    col: j + 1,
                    value: v,
                });
            }
        }
        if (row[i] - 1.0).abs() > 1e-9 {
            return Err(AhpError::Diagonal {
                i: i + 1,
                value: row[i],
            });
        }
    }
    for (i, row) in m.iter().enumerate() {
        for (j, &a) in row.iter().enumerate().skip(i + 1) {
            let b = m[j][i];
            if (a * b - 1.0).abs() > 1e-3 {
                return Err(AhpError::NotReciprocal {
                    i: i + 1,
                    j: j + 1,
                    a,
                    b,
                });
            }
        }
    }
    let mut w = vec![1.0 / n as f64; n];
    for _ in 0..1000 {
        let next: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| m[i][j] * w[j]).sum())
            .collect();
        let s: f64 = next.iter().sum();
        let next: Vec<f64> = next.iter().map(|x| x / s).collect();
        let delta: f64 = next.iter().zip(&w).map(|(a, b)| (a - b).abs()).sum();
        w = next;
        if delta < 1e-15 {
            break;
        }
    }
    let aw: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| m[i][j] * w[j]).sum())
        .collect();
    let lambda_max = aw.iter().zip(&w).map(|(a, b)| a / b).sum::<f64>() / n as f64;
    let ci = if n > 1 {
        (lambda_max - n as f64) / (n as f64 - 1.0)
    } else {
        0.0
    };
    let ri = RANDOM_INDEX[n - 1];
    let cr = if ri > 0.0 { ci / ri } else { 0.0 };
    Ok(Ahp {
        weights: w,
        lambda_max,
        ci,
        cr,
        consistent: cr < MAX_CR,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #5 worked example; numpy.linalg.eig gives w = (0.636986, 0.258285,
    /// 0.104729), λmax = 3.038511, CR = 0.033199.
    #[test]
    fn ahp_worked_example() {
        let m = vec![
            vec![1.0, 3.0, 5.0],
            vec![1.0 / 3.0, 1.0, 3.0],
            vec![0.2, 1.0 / 3.0, 1.0],
        ];
        let a = ahp(&m).expect("valid");
        for (got, want) in a.weights.iter().zip([0.636986, 0.258285, 0.104729]) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
        assert!((a.lambda_max - 3.038511).abs() < 1e-6);
        assert!((a.cr - 0.0332).abs() < 5e-5);
        assert!(a.consistent);
    }

    /// Issue #5: a cyclic matrix, CR = 1.149425 (numpy), refused.
    #[test]
    fn inconsistent_matrix_is_flagged() {
        let m = vec![
            vec![1.0, 3.0, 1.0 / 3.0],
            vec![1.0 / 3.0, 1.0, 3.0],
            vec![3.0, 1.0 / 3.0, 1.0],
        ];
        let a = ahp(&m).expect("well-formed");
        assert!((a.cr - 1.149425).abs() < 1e-5, "{}", a.cr);
        assert!(!a.consistent);
    }

    #[test]
    fn malformed_matrices_are_refused() {
        assert_eq!(ahp(&[]), Err(AhpError::Empty));
        assert!(matches!(
            ahp(&[vec![1.0, 2.0], vec![0.5]]),
            Err(AhpError::NotSquare { row: 2, .. })
        ));
        assert!(matches!(
            ahp(&[vec![1.0, 2.0], vec![2.0, 1.0]]),
            Err(AhpError::NotReciprocal { .. })
        ));
        assert!(matches!(ahp(&[vec![2.0]]), Err(AhpError::Diagonal { .. })));
        assert!(matches!(
            ahp(&[vec![1.0, -2.0], vec![-0.5, 1.0]]),
            Err(AhpError::NotPositive { .. })
        ));
    }
}
