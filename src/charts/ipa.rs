//! Importance–performance quadrant scatter with crosshairs at the grand means.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{draw_err, fs, Chart, ChartError, FONT, PALETTE};

pub struct IpaScatter {
    pub title: String,
    /// (label, importance, performance).
    pub points: Vec<(String, f64, f64)>,
    pub importance_mean: f64,
    pub performance_mean: f64,
    /// Axis range of the rating scale, e.g. (1, 5).
    pub range: (f64, f64),
    pub size: u32,
}

impl Chart for IpaScatter {
    fn size(&self) -> (u32, u32) {
        (self.size, self.size)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), ChartError> {
        let (lo, hi) = self.range;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, fs(20.0, s)))
            .margin(fs(12.0, s) as u32)
            .x_label_area_size(fs(40.0, s) as u32)
            .y_label_area_size(fs(44.0, s) as u32)
            .build_cartesian_2d(lo..hi, lo..hi)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc("表现 (performance)")
            .y_desc("重要性 (importance)")
            .label_style((FONT, fs(12.0, s)))
            .axis_desc_style((FONT, fs(13.0, s)))
            .draw()
            .map_err(draw_err)?;
        let cross = BLACK.mix(0.5).stroke_width(fs(1.5, s) as u32);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(self.performance_mean, lo), (self.performance_mean, hi)],
                cross,
            )))
            .map_err(draw_err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(lo, self.importance_mean), (hi, self.importance_mean)],
                cross,
            )))
            .map_err(draw_err)?;
        let labels = [
            ("重点改进区", 0.02, 0.96),
            ("继续保持区", 0.62, 0.96),
            ("次要改进区", 0.02, 0.06),
            ("过度投入区", 0.62, 0.06),
        ];
        for (text, fx, fy) in labels {
            let at = (lo + (hi - lo) * fx, lo + (hi - lo) * fy);
            chart
                .draw_series(std::iter::once(Text::new(
                    text,
                    at,
                    (FONT, fs(12.0, s)).into_font().color(&BLACK.mix(0.6)),
                )))
                .map_err(draw_err)?;
        }
        chart
            .draw_series(
                self.points
                    .iter()
                    .map(|(_, i, p)| Circle::new((*p, *i), fs(4.0, s) as i32, PALETTE[0].filled())),
            )
            .map_err(draw_err)?;
        chart
            .draw_series(self.points.iter().map(|(l, i, p)| {
                Text::new(
                    l.clone(),
                    (*p + (hi - lo) * 0.01, *i),
                    (FONT, fs(11.0, s)).into_font(),
                )
            }))
            .map_err(draw_err)?;
        Ok(())
    }
}
