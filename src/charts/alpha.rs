//! Cronbach's α per scale as bars, with the 0.7 acceptability line.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{draw_err, fs, Chart, ChartError, FONT, PALETTE};

pub struct AlphaBars {
    pub title: String,
    pub scales: Vec<(String, f64)>,
    pub width: u32,
}

impl Chart for AlphaBars {
    fn size(&self) -> (u32, u32) {
        (self.width, 70 + 22 * self.scales.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), ChartError> {
        let n = self.scales.len().max(1);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, fs(20.0, s)))
            .margin(fs(12.0, s) as u32)
            .x_label_area_size(fs(30.0, s) as u32)
            .y_label_area_size(fs(190.0, s) as u32)
            .build_cartesian_2d(0f64..1f64, 0f64..n as f64)
            .map_err(draw_err)?;
        let labels: Vec<String> = self.scales.iter().map(|(l, _)| l.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_label_formatter(&|x| format!("{x:.1}"))
            .y_labels(2 * n + 1)
            .y_label_formatter(&|y| {
                let k = y.floor();
                if (y - k - 0.5).abs() < 1e-6 {
                    labels.get(n - 1 - k as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .label_style((FONT, fs(12.0, s)))
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(self.scales.iter().enumerate().map(|(i, (_, a))| {
                let y = (n - 1 - i) as f64;
                let color = if *a < 0.7 { PALETTE[5] } else { PALETTE[0] };
                Rectangle::new(
                    [(0.0, y + 0.15), (a.clamp(0.0, 1.0), y + 0.85)],
                    color.filled(),
                )
            }))
            .map_err(draw_err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.7, 0.0), (0.7, n as f64)],
                RED.stroke_width(fs(2.0, s) as u32),
            )))
            .map_err(draw_err)?
            .label("α = 0.7");
        Ok(())
    }
}
