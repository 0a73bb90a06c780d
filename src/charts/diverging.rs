//! Diverging stacked bars of Likert distributions: disagreement left of zero,
//! agreement right, the neutral point split across zero.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{draw_err, fs, Chart, ChartError, FONT};

pub struct Diverging {
    pub title: String,
    /// Point labels, lowest first.
    pub labels: Vec<String>,
    /// Per item: label and the percentage at each point (lowest first), summing to 100.
    pub items: Vec<(String, Vec<f64>)>,
    pub width: u32,
}

const COLORS: [RGBColor; 7] = [
    RGBColor(178, 24, 43),
    RGBColor(239, 138, 98),
    RGBColor(253, 219, 199),
    RGBColor(220, 220, 220),
    RGBColor(209, 229, 240),
    RGBColor(103, 169, 207),
    RGBColor(33, 102, 172),
];

fn color(i: usize, k: usize) -> RGBColor {
    // Spread k points over the 7-colour ramp, neutral in the middle.
    if k <= 1 {
        return COLORS[3];
    }
    COLORS[(i * 6 + (k - 1) / 2) / (k - 1)]
}

impl Chart for Diverging {
    fn size(&self) -> (u32, u32) {
        (self.width, 100 + 24 * self.items.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), ChartError> {
        let n = self.items.len().max(1);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, fs(20.0, s)))
            .margin(fs(12.0, s) as u32)
            .x_label_area_size(fs(28.0, s) as u32)
            .y_label_area_size(fs(230.0, s) as u32)
            .build_cartesian_2d(-100f64..100f64, 0f64..n as f64 + 1.0)
            .map_err(draw_err)?;
        let labels: Vec<String> = self.items.iter().map(|(l, _)| l.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_label_formatter(&|x| format!("{:.0}%", x.abs()))
            .y_labels(2 * n + 3)
            .y_label_formatter(&|y| {
                let k = y.floor();
                if (y - k - 0.5).abs() < 1e-6 && (k as usize) < n {
                    labels.get(n - 1 - k as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .label_style((FONT, fs(12.0, s)))
            .draw()
            .map_err(draw_err)?;
        let k = self.labels.len();
        for (row, (_, pct)) in self.items.iter().enumerate() {
            let y = (n - 1 - row) as f64;
            let mid = k / 2;
            let neutral = if k % 2 == 1 {
                pct.get(mid).copied().unwrap_or(0.0)
            } else {
                0.0
            };
            let lower: f64 = pct.iter().take(mid).sum::<f64>() + neutral / 2.0;
            let mut x = -lower;
            for (i, p) in pct.iter().enumerate() {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y + 0.15), (x + p, y + 0.85)],
                        color(i, k).filled(),
                    )))
                    .map_err(draw_err)?;
                x += p;
            }
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (0.0, n as f64)],
                BLACK,
            )))
            .map_err(draw_err)?;
        // Legend along the top row.
        for (i, l) in self.labels.iter().enumerate() {
            let x0 = -100.0 + i as f64 * 200.0 / k.max(1) as f64;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, n as f64 + 0.3), (x0 + 6.0, n as f64 + 0.8)],
                    color(i, k).filled(),
                )))
                .map_err(draw_err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    l.clone(),
                    (x0 + 8.0, n as f64 + 0.85),
                    (FONT, fs(11.0, s)).into_font(),
                )))
                .map_err(draw_err)?;
        }
        Ok(())
    }
}
