//! Heatmap of indicator × sector scores; hidden cells are grey and say 样本不足.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{draw_err, fs, Chart, ChartError, FONT};

pub struct Heatmap {
    pub title: String,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    /// `values[row][column]`: a 0–100 score, or `None` when hidden or missing.
    pub values: Vec<Vec<Option<f64>>>,
    pub width: u32,
}

fn shade(v: f64) -> RGBColor {
    // 40 (light) .. 90 (dark blue).
    let t = ((v - 40.0) / 50.0).clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t) as u8;
    RGBColor(lerp(239.0, 8.0), lerp(243.0, 81.0), lerp(255.0, 156.0))
}

impl Chart for Heatmap {
    fn size(&self) -> (u32, u32) {
        (self.width, 90 + 26 * self.rows.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), ChartError> {
        let (nr, nc) = (self.rows.len().max(1), self.columns.len().max(1));
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, fs(20.0, s)))
            .margin(fs(12.0, s) as u32)
            .x_label_area_size(fs(30.0, s) as u32)
            .y_label_area_size(fs(190.0, s) as u32)
            .build_cartesian_2d(0f64..nc as f64, 0f64..nr as f64)
            .map_err(draw_err)?;
        let (rows, cols) = (self.rows.clone(), self.columns.clone());
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(2 * nc + 1)
            .y_labels(2 * nr + 1)
            .x_label_formatter(&|x| {
                let k = x.floor();
                if (x - k - 0.5).abs() < 1e-6 {
                    cols.get(k as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| {
                let k = y.floor();
                if (y - k - 0.5).abs() < 1e-6 {
                    rows.get(nr - 1 - k as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .label_style((FONT, fs(12.0, s)))
            .draw()
            .map_err(draw_err)?;
        for (ri, row) in self.values.iter().enumerate() {
            let y = (nr - 1 - ri) as f64;
            for (ci, v) in row.iter().enumerate() {
                let x = ci as f64;
                let fill = v.map_or(RGBColor(230, 230, 230), shade);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x + 0.02, y + 0.05), (x + 0.98, y + 0.95)],
                        fill.filled(),
                    )))
                    .map_err(draw_err)?;
                let (text, dark) = match v {
                    Some(v) => (format!("{v:.1}"), *v > 70.0),
                    None => ("样本不足".to_string(), false),
                };
                let color = if dark { WHITE } else { BLACK };
                chart
                    .draw_series(std::iter::once(Text::new(
                        text,
                        (x + 0.35, y + 0.65),
                        (FONT, fs(12.0, s)).into_font().color(&color),
                    )))
                    .map_err(draw_err)?;
            }
        }
        Ok(())
    }
}
