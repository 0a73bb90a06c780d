//! Builds the report document from the analysis: the structure of a 调研报告, every
//! figure formatted once, narrative from rules (see `narrative.rs`). Suppressed cells
//! were hidden by the analysis and appear as 样本不足.

use crate::report::columns::Column;
use std::collections::BTreeMap;

use super::document::{Block, Cell, Document, Figure, Table};
use super::narrative::{self, Lang};
use crate::analysis::evaluation::{self, Analysis, IndicatorRow};
use crate::charts::{render, Chart, ChartError};
use crate::domain::campaign::CampaignInfo;
use crate::domain::{Audience, QuestionKind, Survey};

/// What the report needs besides the analysis.
pub struct ReportInput<'a> {
    pub info: &'a CampaignInfo,
    pub analysis: &'a Analysis,
    /// Current questionnaires, in audience order.
    pub surveys: Vec<&'a Survey>,
    /// First and last submission (fieldwork period), formatted.
    pub fieldwork: Option<(String, String)>,
    /// Invitations per group: (invited, completed through an invitation).
    pub invited: BTreeMap<Audience, (u64, u64)>,
    /// Filters applied (e.g. "sector = herbs"), shown on the cover.
    pub filters: Vec<String>,
    pub date: String,
    pub lang: Lang,
}

pub fn fmt1(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{v:.1}"))
}

pub fn shown(c: &evaluation::ScoreCell) -> Option<f64> {
    if c.suppressed.is_hidden() {
        None
    } else {
        c.mean
    }
}

pub(crate) fn score_cell(c: Option<&evaluation::ScoreCell>, lang: Lang) -> Cell {
    match c {
        Some(c) if c.suppressed.is_hidden() => Cell {
            text: lang.pick("样本不足", "n too small").into(),
            detail: c.note.clone(),
            number: None,
            emphasis: false,
            suppressed: true,
        },
        Some(c) if c.mean.is_some() => Cell {
            text: fmt1(c.mean),
            detail: Some(match (c.ci_low, c.ci_high) {
                (Some(lo), Some(hi)) => format!("n={}，95%CI [{lo:.1}, {hi:.1}]", c.n),
                _ => format!("n={}", c.n),
            }),
            number: c.mean,
            emphasis: false,
            suppressed: false,
        },
        _ => Cell {
            detail: Some(lang.pick("无数据", "no data").into()),
            ..Cell::text("—")
        },
    }
}

/// A group's name as a heading or column label.
pub(crate) fn group_name(g: Audience, lang: Lang) -> &'static str {
    g.label(lang)
}

pub(crate) struct Builder<'a> {
    pub(crate) input: &'a ReportInput<'a>,
    pub(crate) blocks: Vec<Block>,
    pub(crate) figures: Vec<Figure>,
    pub(crate) groups: Vec<Audience>,
}

impl Builder<'_> {
    pub(crate) fn lang(&self) -> Lang {
        self.input.lang
    }
    pub(crate) fn h(&mut self, level: u8, id: &str, zh: &str, en: &str) {
        self.blocks.push(Block::Heading {
            level,
            id: id.into(),
            text: self.lang().pick(zh, en).into(),
        });
    }
    pub(crate) fn p(&mut self, text: String) {
        if !text.is_empty() {
            self.blocks.push(Block::Paragraph(text));
        }
    }
    pub(crate) fn table(&mut self, t: Table) {
        self.blocks.push(Block::Table(t));
    }
    pub(crate) fn figure(
        &mut self,
        id: &str,
        caption: String,
        chart: &impl Chart,
    ) -> Result<(), ChartError> {
        self.figures.push(Figure {
            id: id.into(),
            caption,
            chart: render(chart)?,
        });
        self.blocks.push(Block::Figure(self.figures.len() - 1));
        Ok(())
    }
    pub(crate) fn group_header(&self, first: &[Column]) -> Vec<String> {
        first
            .iter()
            .map(|c| c.label(self.lang()).to_string())
            .chain(
                self.groups
                    .iter()
                    .map(|g| group_name(*g, self.lang()).to_string()),
            )
            .chain([self.lang().pick("综合", "Combined").to_string()])
            .collect()
    }
    pub(crate) fn score_row(&self, lead: Vec<Cell>, row: &IndicatorRow) -> Vec<Cell> {
        let mut cells = lead;
        cells.extend(
            self.groups
                .iter()
                .map(|g| score_cell(row.by_group.get(g), self.lang())),
        );
        let mut combined = score_cell(Some(&row.combined), self.lang());
        if let Some(grade) = &row.combined.grade {
            combined.detail = Some(format!("{} · {grade}", combined.detail.unwrap_or_default()));
        }
        cells.push(combined.strong());
        cells
    }
}

pub fn build(input: &ReportInput<'_>) -> Result<Document, ChartError> {
    let a = input.analysis;
    let lang = input.lang;
    let mut b = Builder {
        input,
        blocks: Vec::new(),
        figures: Vec::new(),
        groups: a.responses.keys().copied().collect(),
    };
    let facts = narrative::Facts::new(input);

    super::chapters::summary::write(&mut b, &facts)?;
    super::chapters::background::write(&mut b, &facts)?;
    super::chapters::design::write(&mut b, &facts)?;
    super::chapters::sample::write(&mut b, &facts)?;
    super::chapters::reliability::write(&mut b, &facts)?;
    super::chapters::results::write(&mut b, &facts)?;
    super::chapters::other_questions::write(&mut b, &facts)?;
    super::chapters::comparison::write(&mut b, &facts)?;
    super::chapters::problems::write(&mut b, &facts)?;
    super::chapters::appendix::write(&mut b, &facts)?;

    let mut subtitle = lang.pick("调研报告", "Investigation report").to_string();
    if !input.filters.is_empty() {
        subtitle.push_str(&format!(
            "（{}：{}）",
            lang.pick("筛选", "filter"),
            input.filters.join("，")
        ));
    }
    Ok(Document {
        title: input.info.title.clone(),
        subtitle,
        organisations: input.info.organisations.join("、"),
        date: input.date.clone(),
        blocks: b.blocks,
        figures: b.figures,
    })
}

/// Which groups answer items of each second-level indicator.
pub(crate) fn answered_by(input: &ReportInput<'_>) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for s in &input.surveys {
        for q in s.questions() {
            if let QuestionKind::Likert {
                indicator: Some(indicator),
                ..
            } = &q.kind
            {
                let list = out.entry(indicator.clone()).or_default();
                let name = group_name(s.audience, input.lang);
                if !list.contains(&name) {
                    list.push(name);
                }
            }
        }
    }
    out.into_iter().map(|(k, v)| (k, v.join("、"))).collect()
}
