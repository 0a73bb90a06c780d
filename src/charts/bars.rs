//! Bars on a 0–100 axis: grouped vertical bars with CI whiskers (categories × series),
//! and labelled horizontal bars (also used for response counts on their own axis).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{draw_err, fs, Chart, ChartError, FONT, PALETTE};

/// A bar value: (mean, CI low, CI high).
pub type BarValue = (f64, Option<f64>, Option<f64>);

/// One series; `None` is a missing or suppressed value (no bar drawn).
pub struct Series {
    pub name: String,
    pub values: Vec<Option<BarValue>>,
}

pub struct GroupedBars {
    pub title: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    pub size: (u32, u32),
    pub axis: Axis,
}

/// The value axis: what it measures and where it ends (it starts at 0).
#[derive(Debug, Clone)]
pub struct Axis {
    pub label: String,
    pub max: f64,
}

impl Axis {
    /// Scores on the 0–100 scale.
    pub fn score() -> Self {
        Axis {
            label: "得分 (0–100)".into(),
            max: 100.0,
        }
    }
}

impl Chart for GroupedBars {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), ChartError> {
        let n = self.categories.len().max(1);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, fs(20.0, s)))
            .margin(fs(12.0, s) as u32)
            .x_label_area_size(fs(48.0, s) as u32)
            .y_label_area_size(fs(44.0, s) as u32)
            .build_cartesian_2d(0f64..n as f64, 0f64..self.axis.max)
            .map_err(draw_err)?;
        let labels = self.categories.clone();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_label_formatter(&|x| {
                let k = x.floor();
                if (x - k - 0.5).abs() < 1e-6 {
                    labels.get(k as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| format!("{y:.1}").trim_end_matches(".0").to_string())
            .y_desc(self.axis.label.as_str())
            .label_style((FONT, fs(13.0, s)))
            .axis_desc_style((FONT, fs(13.0, s)))
            .draw()
            .map_err(draw_err)?;
        let k = self.series.len().max(1) as f64;
        let width = 0.8 / k;
        for (si, ser) in self.series.iter().enumerate() {
            let color = PALETTE[si % PALETTE.len()];
            let x0 = |ci: usize| ci as f64 + 0.1 + si as f64 * width;
            let bars = ser.values.iter().enumerate().filter_map(|(ci, v)| {
                v.map(|(m, _, _)| {
                    Rectangle::new(
                        [
                            (x0(ci), 0.0),
                            (x0(ci) + width * 0.92, m.clamp(0.0, self.axis.max)),
                        ],
                        color.filled(),
                    )
                })
            });
            let legend_size = fs(6.0, s) as i32;
            chart
                .draw_series(bars)
                .map_err(draw_err)?
                .label(ser.name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new(
                        [(x, y - legend_size), (x + 2 * legend_size, y + legend_size)],
                        color.filled(),
                    )
                });
            // CI whiskers.
            let whiskers = ser.values.iter().enumerate().filter_map(|(ci, v)| {
                let (_, Some(lo), Some(hi)) = (*v)? else {
                    return None;
                };
                let xm = x0(ci) + width * 0.46;
                Some(PathElement::new(
                    vec![
                        (xm, lo.clamp(0.0, self.axis.max)),
                        (xm, hi.clamp(0.0, self.axis.max)),
                    ],
                    BLACK.stroke_width(fs(1.0, s) as u32),
                ))
            });
            chart.draw_series(whiskers).map_err(draw_err)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, fs(13.0, s)))
            .draw()
            .map_err(draw_err)?;
        Ok(())
    }
}

/// Horizontal bars, one per labelled value, with the value printed beside the bar.
pub struct HorizontalBars {
    pub title: String,
    pub rows: Vec<(String, Option<f64>)>,
    /// Axis maximum (100 for scores; a count for response bars).
    pub max: f64,
    pub value_format: fn(f64) -> String,
    pub width: u32,
}

impl Chart for HorizontalBars {
    fn size(&self) -> (u32, u32) {
        (self.width, 70 + 26 * self.rows.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), ChartError> {
        let n = self.rows.len().max(1);
        let max = if self.max > 0.0 { self.max } else { 1.0 };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, fs(20.0, s)))
            .margin(fs(12.0, s) as u32)
            .x_label_area_size(fs(30.0, s) as u32)
            .y_label_area_size(fs(190.0, s) as u32)
            .build_cartesian_2d(0f64..max, 0f64..n as f64)
            .map_err(draw_err)?;
        let labels: Vec<String> = self.rows.iter().map(|(l, _)| l.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_labels(n * 2 + 1)
            .y_label_formatter(&|y| {
                let k = y.floor();
                if (y - k - 0.5).abs() < 1e-6 {
                    labels.get(n - 1 - k as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .label_style((FONT, fs(13.0, s)))
            .draw()
            .map_err(draw_err)?;
        let color = PALETTE[0];
        chart
            .draw_series(self.rows.iter().enumerate().filter_map(|(i, (_, v))| {
                let y = (n - 1 - i) as f64;
                v.map(|v| {
                    Rectangle::new(
                        [(0.0, y + 0.15), (v.clamp(0.0, max), y + 0.85)],
                        color.filled(),
                    )
                })
            }))
            .map_err(draw_err)?;
        let fmt = self.value_format;
        chart
            .draw_series(self.rows.iter().enumerate().filter_map(|(i, (_, v))| {
                let y = (n - 1 - i) as f64;
                v.map(|v| {
                    Text::new(
                        fmt(v),
                        (v.clamp(0.0, max * 0.88) + max * 0.01, y + 0.7),
                        (FONT, fs(12.0, s)).into_font(),
                    )
                })
            }))
            .map_err(draw_err)?;
        Ok(())
    }
}

pub fn one_decimal(v: f64) -> String {
    format!("{v:.1}")
}

pub fn whole(v: f64) -> String {
    format!("{v:.0}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::{png, svg};

    #[test]
    fn grouped_bars_carry_chinese_labels_and_whiskers() {
        let chart = GroupedBars {
            axis: Axis::score(),
            title: "一级指标得分".into(),
            categories: vec!["合作机制".into(), "资源投入".into()],
            series: vec![
                Series {
                    name: "学生".into(),
                    values: vec![
                        Some((70.0, Some(65.0), Some(75.0))),
                        Some((60.0, None, None)),
                    ],
                },
                Series {
                    name: "企业".into(),
                    values: vec![None, Some((80.0, Some(70.0), Some(90.0)))],
                },
            ],
            size: (640, 360),
        };
        let out = svg(&chart).expect("svg");
        for text in ["一级指标得分", "合作机制", "资源投入", "学生", "企业"] {
            assert!(out.contains(text), "missing {text}");
        }
        assert!(out.contains("WenQuanYi Micro Hei"));
        let bytes = png(&chart).expect("png");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
}

#[cfg(test)]
mod png_tests {
    use super::*;
    use crate::charts::png;

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = ::png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("png");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("frame");
        (info.width, info.height, buf)
    }

    fn chart(title: &str) -> HorizontalBars {
        HorizontalBars {
            title: title.into(),
            rows: vec![("学生".into(), Some(60.0))],
            max: 100.0,
            value_format: one_decimal,
            width: 400,
        }
    }

    /// Chinese titles render as glyphs, not blanks or identical tofu boxes: two different
    /// strings of the same length give different pixels in the title strip, and both
    /// differ from an empty title.
    #[test]
    fn png_labels_render_chinese_glyphs() {
        let (w, h, a) = decode(&png(&chart("校企合作")).expect("png"));
        let (_, _, b) = decode(&png(&chart("育人成效")).expect("png"));
        let (_, _, blank) = decode(&png(&chart("")).expect("png"));
        // 400 × 96 units drawn at print width: 1772 px (15 cm at 300 dpi), same shape.
        assert_eq!((w, h), (1772, 426), "print width, the SVG's proportions");
        // The caption occupies the top ~20 units (~88 px at this scale).
        let strip = |px: &[u8]| px[..(w * 88 * 3) as usize].to_vec();
        let ink = |px: &[u8]| px.iter().filter(|v| **v < 128).count();
        assert!(ink(&strip(&a)) > 200, "title pixels drawn");
        assert_ne!(
            strip(&a),
            strip(&b),
            "different characters, different pixels (no tofu)"
        );
        assert_eq!(ink(&strip(&blank)), 0, "no title, no ink");
    }
}
