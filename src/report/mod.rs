//! The report: a view model of pre-formatted strings built from typed results, then one
//! writer per format. This first version writes self-contained HTML.

pub mod html;
pub mod view;

pub use view::ReportView;

use crate::analysis::evaluation::Analysis;
use crate::domain::campaign::CampaignInfo;

/// Builds the view model and writes the HTML report.
pub fn render_html(info: &CampaignInfo, analysis: &Analysis) -> anyhow::Result<String> {
    let generated = chrono::Local::now().format("%Y-%m-%d %H:%M").to_string();
    let view = view::build(info, analysis, generated)?;
    Ok(html::render(&view)?)
}
