//! Responses per day during fieldwork: one vertical bar per calendar day (days without
//! responses drawn as gaps, not left out), counts on their own axis.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{draw_err, fs, Chart, ChartError, FONT, PALETTE};

pub struct DailyCounts {
    pub title: String,
    /// Every day of the period in order, with its count (`MM-DD` labels).
    pub days: Vec<(String, u64)>,
    pub size: (u32, u32),
}

impl Chart for DailyCounts {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), ChartError> {
        let n = self.days.len().max(1);
        let max = self.days.iter().map(|(_, c)| *c).max().unwrap_or(0).max(1) as f64 * 1.1;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, fs(18.0, s)))
            .margin(fs(12.0, s) as u32)
            .x_label_area_size(fs(36.0, s) as u32)
            .y_label_area_size(fs(48.0, s) as u32)
            .build_cartesian_2d(0f64..n as f64, 0f64..max)
            .map_err(draw_err)?;
        let labels: Vec<String> = self.days.iter().map(|(d, _)| d.clone()).collect();
        // At most ~12 labels, whatever the period's length.
        let every = n.div_ceil(12).max(1);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_label_formatter(&|x| {
                let k = x.floor();
                let i = k as usize;
                if (x - k - 0.5).abs() < 1e-6 && i.is_multiple_of(every) {
                    labels.get(i).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| format!("{y:.0}"))
            .y_desc("份数")
            .label_style((FONT, fs(12.0, s)))
            .axis_desc_style((FONT, fs(12.0, s)))
            .draw()
            .map_err(draw_err)?;
        let color = PALETTE[0];
        chart
            .draw_series(self.days.iter().enumerate().map(|(i, (_, c))| {
                Rectangle::new(
                    [(i as f64 + 0.12, 0.0), (i as f64 + 0.88, *c as f64)],
                    color.filled(),
                )
            }))
            .map_err(draw_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::{png, svg};

    #[test]
    fn daily_counts_draw_every_day_as_a_bar_with_chinese_title() {
        let chart = DailyCounts {
            title: "每日回收答卷".into(),
            days: vec![
                ("12-01".into(), 3),
                ("12-02".into(), 0),
                ("12-03".into(), 7),
            ],
            size: (640, 240),
        };
        let out = svg(&chart).expect("svg");
        assert!(out.contains("每日回收答卷"));
        assert!(out.contains("12-01") && out.contains("12-03"));
        // Two bars with counts above zero (the empty day draws a zero-height bar).
        assert!(out.matches("<rect").count() >= 3, "{out}");
        assert!(png(&chart).expect("png").starts_with(b"\x89PNG"));
    }
}
