//! Self-contained HTML report: inline CSS and SVG, no external requests, a table of
//! contents, readable on a phone, with a print stylesheet.

use askama::Template;

use super::document::{Block, Document};

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    d: &'a Document,
    toc: Vec<(u8, &'a str, &'a str)>,
}

impl ReportPage<'_> {
    fn figure_svg(&self, i: &usize) -> &str {
        self.d.figures.get(*i).map_or("", |f| f.chart.svg.as_str())
    }
    fn figure_caption(&self, i: &usize) -> &str {
        self.d.figures.get(*i).map_or("", |f| f.caption.as_str())
    }
    fn figure_id(&self, i: &usize) -> &str {
        self.d.figures.get(*i).map_or("", |f| f.id.as_str())
    }
}

pub fn render(doc: &Document) -> Result<String, askama::Error> {
    let toc = doc
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Heading { level, id, text } if *level <= 2 => {
                Some((*level, id.as_str(), text.as_str()))
            }
            _ => None,
        })
        .collect();
    ReportPage { d: doc, toc }.render()
}
