//! plotters charts. Each chart kind is one function over prepared data; none computes
//! a statistic. SVG for pages (the font stack lets viewers use their own CJK fonts);
//! glyph metrics come from the bundled WenQuanYi Micro Hei so layout is right anywhere.

pub mod bars;

use std::sync::OnceLock;

use plotters::style::{FontStyle, RGBColor};

/// The font family written into SVG `<text>` elements.
pub const FONT: &str =
    "Noto Sans SC, WenQuanYi Micro Hei, PingFang SC, Microsoft YaHei, sans-serif";

/// Bundled CJK font (Apache-2.0, see reports/assets/fonts/LICENSE-wqy-microhei.txt).
static FONT_BYTES: &[u8] = include_bytes!("../../reports/assets/fonts/wqy-microhei.ttc");

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the bundled font could not be loaded")]
    Font,
    #[error("drawing failed: {0}")]
    Draw(String),
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
