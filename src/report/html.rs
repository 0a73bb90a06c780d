//! Self-contained HTML report: inline CSS and SVG, no external requests.

use askama::Template;

use super::ReportView;

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    v: &'a ReportView,
}

pub fn render(view: &ReportView) -> Result<String, askama::Error> {
    ReportPage { v: view }.render()
}
