//! Funnel plot: each unit's mean against its number of respondents, with the county
//! mean and the 95 % and 99.8 % control limits around it (computed by
//! `analysis::benchmark`, drawn here), so a small unit's extreme mean reads as noise.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{draw_err, fs, Chart, ChartError, FONT, PALETTE};

pub struct FunnelPlot {
    pub title: String,
    /// (label, n, mean).
    pub units: Vec<(String, f64, f64)>,
    pub county_mean: f64,
    /// (n, 95 % low, 95 % high, 99.8 % low, 99.8 % high), increasing n.
    pub limits: Vec<[f64; 5]>,
    pub size: (u32, u32),
    /// Whether n is Kish's effective n (weighted cells), which the axis then says.
    pub effective_n: bool,
}

impl FunnelPlot {
    fn y_range(&self) -> (f64, f64) {
        let mut lo = self.county_mean - 10.0;
        let mut hi = self.county_mean + 10.0;
        for (_, _, m) in &self.units {
            lo = lo.min(*m - 5.0);
            hi = hi.max(*m + 5.0);
        }
        // The whole funnel, so its shape reads.
        for l in &self.limits {
            lo = lo.min(l[3]);
            hi = hi.max(l[4]);
        }
        (lo.max(0.0), hi.min(100.0))
    }
}

impl Chart for FunnelPlot {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), ChartError> {
        let n_max = self
            .limits
            .last()
            .map_or(10.0, |l| l[0])
            .max(self.units.iter().map(|u| u.1).fold(0.0, f64::max));
        let (lo, hi) = self.y_range();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, fs(18.0, s)))
            .margin(fs(12.0, s) as u32)
            .x_label_area_size(fs(40.0, s) as u32)
            .y_label_area_size(fs(44.0, s) as u32)
            .build_cartesian_2d(0f64..n_max * 1.05, lo..hi)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc(if self.effective_n {
                "有效样本量 n_eff"
            } else {
                "答卷数 n"
            })
            .y_desc("得分 (0–100)")
            .label_style((FONT, fs(12.0, s)))
            .axis_desc_style((FONT, fs(13.0, s)))
            .draw()
            .map_err(draw_err)?;
        let clamp = |y: f64| y.clamp(lo, hi);
        let line = |k: usize, style: ShapeStyle| {
            PathElement::new(
                self.limits
                    .iter()
                    .map(|l| (l[0], clamp(l[k])))
                    .collect::<Vec<_>>(),
                style,
            )
        };
        let inner = BLACK.mix(0.55).stroke_width(fs(1.5, s) as u32);
        let outer = RGBColor(180, 35, 24).stroke_width(fs(1.5, s) as u32);
        chart
            .draw_series([
                line(1, inner),
                line(2, inner),
                line(3, outer),
                line(4, outer),
            ])
            .map_err(draw_err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, self.county_mean), (n_max * 1.05, self.county_mean)],
                PALETTE[0].stroke_width(fs(2.0, s) as u32),
            )))
            .map_err(draw_err)?;
        chart
            .draw_series(
                self.units
                    .iter()
                    .map(|(_, n, m)| Circle::new((*n, *m), fs(5.0, s) as i32, PALETTE[1].filled())),
            )
            .map_err(draw_err)?;
        chart
            .draw_series(self.units.iter().map(|(l, n, m)| {
                Text::new(
                    l.clone(),
                    (*n + n_max * 0.01, *m),
                    (FONT, fs(11.0, s)).into_font(),
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
    fn the_funnel_draws_units_limits_and_the_county_line() {
        let chart = FunnelPlot {
            effective_n: false,
            title: "综合指数漏斗图".into(),
            units: vec![("一中".into(), 40.0, 75.0), ("二中".into(), 8.0, 58.0)],
            county_mean: 70.0,
            limits: vec![
                [4.0, 60.2, 79.8, 54.5, 85.5],
                [40.0, 66.9, 73.1, 65.1, 74.9],
            ],
            size: (640, 360),
        };
        let out = svg(&chart).expect("svg");
        assert!(out.contains("综合指数漏斗图") && out.contains("一中") && out.contains("二中"));
        assert_eq!(out.matches("<circle").count(), 2, "one point per unit");
        assert!(
            out.matches("<polyline").count() >= 5,
            "four limits and the county"
        );
        assert!(png(&chart).expect("png").starts_with(b"\x89PNG"));
    }
}
