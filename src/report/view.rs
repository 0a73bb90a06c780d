//! Builds the report document from the analysis: the structure of a 调研报告, every
//! figure formatted once, narrative from rules (see `narrative.rs`). Suppressed cells
//! were hidden by the analysis and appear as 样本不足.

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
    /// Free-text answers of questions marked `in_report`: (group, question, answers).
    pub free_text: Vec<(Audience, String, Vec<String>)>,
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

pub fn shown(c: &evaluation::Cell) -> Option<f64> {
    if c.suppressed.is_hidden() {
        None
    } else {
        c.mean
    }
}

pub(crate) fn score_cell(c: Option<&evaluation::Cell>, lang: Lang) -> Cell {
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
    pub(crate) fn table(&mut self, mut t: Table) {
        if self.lang() == Lang::En {
            t.header = t
                .header
                .iter()
                .map(|h| header_en(h).map_or_else(|| h.clone(), str::to_string))
                .collect();
        }
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
    pub(crate) fn group_header(&self, first: &[&str]) -> Vec<String> {
        first
            .iter()
            .map(|s| s.to_string())
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

/// English column headings for the Chinese ones used above.
pub(crate) fn header_en(zh: &str) -> Option<&'static str> {
    Some(match zh {
        "一级指标" => "First level",
        "权重" => "Weight",
        "二级指标" => "Second level",
        "综合权重" => "Global weight",
        "评价主体" => "Group",
        "判断矩阵" => "Matrix",
        "问卷" => "Questionnaire",
        "量表题数" => "Likert items",
        "反向题数" => "Reverse-coded",
        "量表" => "Scale",
        "发放" => "Invited",
        "回收" => "Returned",
        "有效" => "Valid",
        "回收率" => "Rate",
        "题数" => "Items",
        "有效样本" => "n",
        "判断" => "Verdict",
        "删除后 α 提高的题目" => "Items raising α if deleted",
        "代码" => "Code",
        "指标" => "Indicator",
        "评价等级" => "Grade",
        "得分" => "Score",
        "上一轮" => "Previous",
        "本轮" => "Current",
        "变化" => "Change",
        "排序" => "Rank",
        "最高/最低主体" => "Highest / lowest group",
        "差距（分）" => "Gap (points)",
        "p（Holm 校正）" => "p (Holm)",
        "题号" => "Item",
        "题目" => "Text",
        "反向" => "Reverse",
        "均值" => "Mean",
        "前两项占比" => "Top-2 share",
        "序号" => "No.",
        "回答" => "Answer",
        "选项" => "Option",
        "人数" => "Respondents",
        "占比" => "Share",
        "平均排序" => "Mean position",
        "排第一位人数" => "Ranked first",
        "排第一位占比" => "Ranked first (share)",
        "标准差" => "SD",
        "最小值" => "Min",
        "中位数" => "Median",
        "最大值" => "Max",
        "结果" => "Result",
        _ => return None,
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
