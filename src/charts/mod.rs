//! plotters charts. Each chart kind is one type holding prepared data; none computes a
//! statistic. Every chart draws onto any backend: SVG for pages (the font stack lets
//! viewers use their own CJK fonts), PNG at print resolution for Word, with glyphs from
//! the bundled WenQuanYi Micro Hei so Chinese renders on a machine without CJK fonts.

pub mod alpha;
pub mod bars;
pub mod daily;
pub mod diverging;
pub mod funnel;
pub mod heatmap;
pub mod ipa;
pub mod radar;

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, RGBColor};

/// The font family written into SVG `<text>` elements.
pub const FONT: &str =
    "Noto Sans SC, WenQuanYi Micro Hei, PingFang SC, Microsoft YaHei, sans-serif";

/// Bundled CJK font (Apache-2.0, see reports/assets/fonts/LICENSE-wqy-microhei.txt).
pub static FONT_BYTES: &[u8] = include_bytes!("../../reports/assets/fonts/wqy-microhei.ttc");

/// PNG pixels per SVG unit, at least: charts narrower than `PRINT_WIDTH_PX / 3` are
/// drawn larger still.
pub const PNG_SCALE: f64 = 3.0;

/// A PNG chart is at least this wide: 15 cm (the Word report's figure width) at
/// 300 dpi, print resolution (checked through LibreOffice by `office` in the tests).
pub const PRINT_WIDTH_PX: f64 = 1772.0;

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the bundled font could not be loaded")]
    Font,
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// Registers the bundled font once per process.
pub fn ensure_font() -> Result<(), ChartError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ChartError::Font)
    }
}

/// Series colours: colour-blind-safe (Okabe–Ito), one per stakeholder group.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
];

pub(crate) fn draw_err<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// A chart that can draw itself at a scale (1.0 for SVG units).
pub trait Chart {
    /// Size in SVG units.
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        scale: f64,
    ) -> Result<(), ChartError>;
}

/// Font size scaled for the backend.
pub(crate) fn fs(size: f64, scale: f64) -> f64 {
    size * scale
}

pub fn svg(chart: &impl Chart) -> Result<String, ChartError> {
    ensure_font()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, chart.size()).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        chart.draw(&root, 1.0)?;
        root.present().map_err(draw_err)?;
    }
    Ok(out)
}

pub fn png(chart: &impl Chart) -> Result<Vec<u8>, ChartError> {
    ensure_font()?;
    let (w, h) = chart.size();
    let scale = PNG_SCALE.max(PRINT_WIDTH_PX / f64::from(w.max(1)));
    let (w, h) = (
        (f64::from(w) * scale).ceil() as u32,
        (f64::from(h) * scale).ceil() as u32,
    );
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        chart.draw(&root, scale)?;
        root.present().map_err(draw_err)?;
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Best);
        let mut writer = enc
            .write_header()
            .map_err(|e| ChartError::Png(e.to_string()))?;
        writer
            .write_image_data(&buf)
            .map_err(|e| ChartError::Png(e.to_string()))?;
    }
    Ok(out)
}

/// Both renderings of one chart.
pub struct Rendered {
    pub svg: String,
    pub png: Vec<u8>,
    pub size: (u32, u32),
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Rendered({}x{}, svg {} B, png {} B)",
            self.size.0,
            self.size.1,
            self.svg.len(),
            self.png.len()
        )
    }
}

pub fn render(chart: &impl Chart) -> Result<Rendered, ChartError> {
    Ok(Rendered {
        svg: svg(chart)?,
        png: png(chart)?,
        size: chart.size(),
    })
}
