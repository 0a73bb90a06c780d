//! Grading bands: a 0–100 score to a named grade.

pub use crate::domain::analysis_settings::{default_bands, Band};

/// The first band (sorted from the highest minimum) whose minimum the score reaches.
pub fn grade(score: f64, bands: &[Band]) -> Option<&str> {
    let mut sorted: Vec<&Band> = bands.iter().collect();
    sorted.sort_by(|a, b| b.min.total_cmp(&a.min));
    sorted
        .into_iter()
        .find(|b| score >= b.min)
        .map(|b| b.label.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_edges_belong_to_the_higher_band() {
        let b = default_bands();
        assert_eq!(grade(85.0, &b), Some("优秀"));
        assert_eq!(grade(84.99, &b), Some("良好"));
        assert_eq!(grade(70.0, &b), Some("良好"));
        assert_eq!(grade(60.0, &b), Some("合格"));
        assert_eq!(grade(59.9, &b), Some("待改进"));
        assert_eq!(grade(0.0, &b), Some("待改进"));
    }
}
