//! Radar of first-level indicators by stakeholder group (plotters has none: polygons on
//! a unit circle).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{draw_err, fs, Chart, ChartError, FONT, PALETTE};

pub struct Radar {
    pub title: String,
    pub axes: Vec<String>,
    /// Per series, one optional 0–100 value per axis (missing vertices are skipped).
    pub series: Vec<(String, Vec<Option<f64>>)>,
    pub size: u32,
}

impl Chart for Radar {
    fn size(&self) -> (u32, u32) {
        (self.size, self.size)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), ChartError> {
        let root = root
            .titled(&self.title, (FONT, fs(20.0, s)))
            .map_err(draw_err)?;
        let (w, h) = root.dim_in_pixel();
        let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0 + fs(10.0, s));
        let r = f64::from(w.min(h)) * 0.32;
        let n = self.axes.len().max(3);
        let point = |i: usize, v: f64| {
            let a = -std::f64::consts::FRAC_PI_2 + i as f64 * std::f64::consts::TAU / n as f64;
            (
                (cx + r * v / 100.0 * a.cos()) as i32,
                (cy + r * v / 100.0 * a.sin()) as i32,
            )
        };
        let grid = BLACK.mix(0.2);
        for level in [20.0, 40.0, 60.0, 80.0, 100.0] {
            let mut ring: Vec<(i32, i32)> = (0..n).map(|i| point(i, level)).collect();
            ring.push(ring[0]);
            root.draw(&PathElement::new(ring, grid)).map_err(draw_err)?;
            root.draw(&Text::new(
                format!("{level:.0}"),
                point(0, level),
                (FONT, fs(10.0, s)).into_font().color(&BLACK.mix(0.5)),
            ))
            .map_err(draw_err)?;
        }
        for (i, label) in self.axes.iter().enumerate() {
            root.draw(&PathElement::new(
                vec![point(i, 0.0), point(i, 100.0)],
                grid,
            ))
            .map_err(draw_err)?;
            let (x, y) = point(i, 118.0);
            let style = TextStyle::from((FONT, fs(13.0, s)).into_font()).pos(
                plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ),
            );
            root.draw(&Text::new(label.clone(), (x, y), style))
                .map_err(draw_err)?;
        }
        for (si, (name, values)) in self.series.iter().enumerate() {
            let color = PALETTE[si % PALETTE.len()];
            let mut pts: Vec<(i32, i32)> = values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| point(i, v.clamp(0.0, 100.0))))
                .collect();
            if pts.len() >= 3 {
                root.draw(&Polygon::new(pts.clone(), color.mix(0.15).filled()))
                    .map_err(draw_err)?;
            }
            if let Some(first) = pts.first().copied() {
                pts.push(first);
            }
            root.draw(&PathElement::new(
                pts.clone(),
                color.stroke_width(fs(2.0, s) as u32),
            ))
            .map_err(draw_err)?;
            for p in &pts {
                root.draw(&Circle::new(*p, fs(3.0, s) as i32, color.filled()))
                    .map_err(draw_err)?;
            }
            // Legend, top-left.
            let ly = (fs(8.0, s) + si as f64 * fs(18.0, s)) as i32;
            root.draw(&Rectangle::new(
                [(8, ly), (8 + fs(12.0, s) as i32, ly + fs(10.0, s) as i32)],
                color.filled(),
            ))
            .map_err(draw_err)?;
            root.draw(&Text::new(
                name.clone(),
                (12 + fs(14.0, s) as i32, ly),
                (FONT, fs(13.0, s)),
            ))
            .map_err(draw_err)?;
        }
        Ok(())
    }
}
