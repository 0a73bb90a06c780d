//! Grouped vertical bars (categories × series) and horizontal bars, on a 0–100 axis.

use plotters::prelude::*;

use super::{draw_err, ensure_font, ChartError, FONT, PALETTE};

/// Bars for one series; `None` is a missing or suppressed value (no bar drawn).
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// Grouped bars: one cluster per category, one bar per series, values on 0–100.
pub fn grouped_bars_svg(
    title: &str,
    categories: &[String],
    series: &[Series],
    size: (u32, u32),
) -> Result<String, ChartError> {
    ensure_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let n = categories.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(44)
            .build_cartesian_2d(0f64..n as f64, 0f64..100f64)
            .map_err(draw_err)?;
        let labels = categories.to_vec();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_label_formatter(&|x| {
                // Label only cluster centres (k + 0.5).
                let k = x.floor();
                if (x - k - 0.5).abs() < 1e-6 {
                    labels.get(k as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| format!("{y:.0}"))
            .y_desc("得分 (0–100)")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 13))
            .draw()
            .map_err(draw_err)?;
        let k = series.len().max(1) as f64;
        let width = 0.8 / k;
        for (si, s) in series.iter().enumerate() {
            let color = PALETTE[si % PALETTE.len()];
            let bars = s.values.iter().enumerate().filter_map(|(ci, v)| {
                v.map(|v| {
                    let x0 = ci as f64 + 0.1 + si as f64 * width;
                    Rectangle::new(
                        [(x0, 0.0), (x0 + width * 0.92, v.clamp(0.0, 100.0))],
                        color.filled(),
                    )
                })
            });
            chart
                .draw_series(bars)
                .map_err(draw_err)?
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 13))
            .draw()
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// Horizontal bars, one per labelled value, on 0–100, with the value printed.
pub fn horizontal_bars_svg(
    title: &str,
    rows: &[(String, Option<f64>)],
    width: u32,
) -> Result<String, ChartError> {
    ensure_font()?;
    let height = 70 + 26 * rows.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let n = rows.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(190)
            .build_cartesian_2d(0f64..100f64, 0f64..n as f64)
            .map_err(draw_err)?;
        let labels: Vec<String> = rows.iter().map(|(l, _)| l.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_labels(n * 2 + 1)
            .y_label_formatter(&|y| {
                let k = y.floor();
                if (y - k - 0.5).abs() < 1e-6 {
                    // Top row first: row 0 is drawn at the top.
                    labels.get(n - 1 - k as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .label_style((FONT, 13))
            .draw()
            .map_err(draw_err)?;
        let color = PALETTE[0];
        chart
            .draw_series(rows.iter().enumerate().filter_map(|(i, (_, v))| {
                let y = (n - 1 - i) as f64;
                v.map(|v| {
                    Rectangle::new(
                        [(0.0, y + 0.15), (v.clamp(0.0, 100.0), y + 0.85)],
                        color.filled(),
                    )
                })
            }))
            .map_err(draw_err)?;
        chart
            .draw_series(rows.iter().enumerate().filter_map(|(i, (_, v))| {
                let y = (n - 1 - i) as f64;
                v.map(|v| {
                    Text::new(
                        format!("{v:.1}"),
                        (v.clamp(0.0, 88.0) + 1.0, y + 0.7),
                        (FONT, 12).into_font(),
                    )
                })
            }))
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_bars_carry_chinese_labels_and_one_rect_per_value() {
        let svg = grouped_bars_svg(
            "一级指标得分",
            &["合作机制".into(), "资源投入".into()],
            &[
                Series {
                    name: "学生".into(),
                    values: vec![Some(70.0), Some(60.0)],
                },
                Series {
                    name: "企业".into(),
                    values: vec![None, Some(80.0)],
                },
            ],
            (640, 360),
        )
        .expect("chart");
        for text in ["一级指标得分", "合作机制", "资源投入", "学生", "企业"] {
            assert!(svg.contains(text), "missing {text}");
        }
        assert!(svg.contains("WenQuanYi Micro Hei"));
    }
}
