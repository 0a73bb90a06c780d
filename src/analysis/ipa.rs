//! Importance–performance analysis: crosshairs at the grand means, one quadrant per item.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// High importance, low performance: 重点改进区.
    Concentrate,
    /// High importance, high performance: 继续保持区.
    KeepUp,
    /// Low importance, low performance: 次要改进区.
    LowPriority,
    /// Low importance, high performance: 过度投入区.
    PossibleOverkill,
}

impl Quadrant {
    pub fn label_zh(self) -> &'static str {
        match self {
            Quadrant::Concentrate => "重点改进区",
            Quadrant::KeepUp => "继续保持区",
            Quadrant::LowPriority => "次要改进区",
            Quadrant::PossibleOverkill => "过度投入区",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IpaItem {
    pub importance: f64,
    pub performance: f64,
    pub gap: f64,
    pub quadrant: Quadrant,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ipa {
    pub importance_mean: f64,
    pub performance_mean: f64,
    pub items: Vec<IpaItem>,
}

/// Values at the mean count as high.
pub fn ipa(importance: &[f64], performance: &[f64]) -> Option<Ipa> {
    if importance.is_empty() || importance.len() != performance.len() {
        return None;
    }
    let n = importance.len() as f64;
    let im = importance.iter().sum::<f64>() / n;
    let pm = performance.iter().sum::<f64>() / n;
    let items = importance
        .iter()
        .zip(performance)
        .map(|(&i, &p)| IpaItem {
            importance: i,
            performance: p,
            gap: p - i,
            quadrant: match (i >= im, p >= pm) {
                (true, false) => Quadrant::Concentrate,
                (true, true) => Quadrant::KeepUp,
                (false, false) => Quadrant::LowPriority,
                (false, true) => Quadrant::PossibleOverkill,
            },
        })
        .collect();
    Some(Ipa {
        importance_mean: im,
        performance_mean: pm,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #5 worked example: grand means I 4.14, P 3.8 (by hand).
    #[test]
    fn ipa_worked_example() {
        let r = ipa(&[4.6, 4.2, 4.5, 3.8, 3.6], &[3.4, 4.1, 4.3, 3.2, 4.0]).expect("ipa");
        assert!((r.importance_mean - 4.14).abs() < 1e-12);
        assert!((r.performance_mean - 3.8).abs() < 1e-12);
        let q: Vec<Quadrant> = r.items.iter().map(|i| i.quadrant).collect();
        use Quadrant::*;
        assert_eq!(
            q,
            [Concentrate, KeepUp, KeepUp, LowPriority, PossibleOverkill]
        );
        assert!((r.items[0].gap + 1.2).abs() < 1e-12);
    }
}
