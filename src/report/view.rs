//! Builds the report document from the analysis: the structure of a 调研报告, every
//! figure formatted once, narrative from rules (see `narrative.rs`). Suppressed cells
//! were hidden by the analysis and appear as 样本不足.

use std::collections::BTreeMap;

use super::document::{Block, Cell, Document, Figure, Table};
use super::narrative::{self, Lang};
use crate::analysis::evaluation::{self, Analysis, IndicatorRow};
use crate::analysis::Level;
use crate::charts::alpha::AlphaBars;
use crate::charts::bars::{whole, GroupedBars, HorizontalBars, Series};
use crate::charts::diverging::Diverging;
use crate::charts::heatmap::Heatmap;
use crate::charts::ipa::IpaScatter;
use crate::charts::radar::Radar;
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

fn score_cell(c: Option<&evaluation::Cell>, lang: Lang) -> Cell {
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

fn group_name(g: Audience, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => g.label_zh(),
        Lang::En => match g {
            Audience::Students => "Students",
            Audience::Teachers => "Teachers",
            Audience::Enterprises => "Enterprises",
        },
    }
}

struct Builder<'a> {
    input: &'a ReportInput<'a>,
    blocks: Vec<Block>,
    figures: Vec<Figure>,
    groups: Vec<Audience>,
}

impl Builder<'_> {
    fn lang(&self) -> Lang {
        self.input.lang
    }
    fn h(&mut self, level: u8, id: &str, zh: &str, en: &str) {
        self.blocks.push(Block::Heading {
            level,
            id: id.into(),
            text: self.lang().pick(zh, en).into(),
        });
    }
    fn p(&mut self, text: String) {
        if !text.is_empty() {
            self.blocks.push(Block::Paragraph(text));
        }
    }
    fn table(&mut self, mut t: Table) {
        if self.lang() == Lang::En {
            t.header = t
                .header
                .iter()
                .map(|h| header_en(h).map_or_else(|| h.clone(), str::to_string))
                .collect();
        }
        self.blocks.push(Block::Table(t));
    }
    fn figure(&mut self, id: &str, caption: String, chart: &impl Chart) -> Result<(), ChartError> {
        self.figures.push(Figure {
            id: id.into(),
            caption,
            chart: render(chart)?,
        });
        self.blocks.push(Block::Figure(self.figures.len() - 1));
        Ok(())
    }
    fn group_header(&self, first: &[&str]) -> Vec<String> {
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
    fn score_row(&self, lead: Vec<Cell>, row: &IndicatorRow) -> Vec<Cell> {
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

    // 摘要
    b.h(1, "summary", "摘要", "Summary");
    for s in narrative::summary(&facts, lang) {
        b.p(s);
    }

    // 一、调研背景与目的
    b.h(
        1,
        "background",
        "一、调研背景与目的",
        "1. Background and purpose",
    );
    b.p(input.info.description.clone());
    b.p(lang
        .pick(
            "本次调研按照“多元主体评价”的要求，分别面向学生、教师和合作企业开展问卷调查，从合作机制、资源投入、协同育人过程、育人成效和服务贡献等方面评价校企合作与产教融合的质量，查找存在的问题，提出改进建议，为完善教学运行与质量监控提供依据。",
            "Following the multi-stakeholder evaluation approach, students, teachers and partner enterprises were surveyed to evaluate the quality of school–enterprise cooperation, identify problems and recommend improvements.",
        )
        .into());

    // 二、调研设计与实施
    b.h(1, "design", "二、调研设计与实施", "2. Design and fieldwork");
    b.h(
        2,
        "framework",
        "（一）评价指标体系",
        "2.1 Indicator framework",
    );
    b.p(narrative::weights_method(a, lang));
    let answered_by = answered_by(input);
    let mut rows = Vec::new();
    for (code, w) in &a.weights.first_level {
        let Some(ind) = input
            .info
            .framework
            .indicators
            .iter()
            .find(|i| &i.code == code)
        else {
            continue;
        };
        for sub in &ind.children {
            let sw = a
                .weights
                .second_level
                .iter()
                .find(|(c, _)| c == &sub.code)
                .map_or(sub.weight, |(_, w)| *w);
            rows.push(vec![
                Cell::text(format!("{} {}", ind.code, ind.name)),
                Cell::number(*w, 3),
                Cell::text(format!("{} {}", sub.code, sub.name)),
                Cell::number(sw, 3),
                Cell::number(w * sw, 4),
                Cell::text(
                    answered_by
                        .get(&sub.code)
                        .cloned()
                        .unwrap_or_else(|| "—".into()),
                ),
            ]);
        }
    }
    b.table(Table {
        id: "framework".into(),
        caption: lang
            .pick(
                "表 1 评价指标体系及权重",
                "Table 1 Indicator framework and weights",
            )
            .into(),
        header: [
            "一级指标",
            "权重",
            "二级指标",
            "权重",
            "综合权重",
            "评价主体",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: None,
    });
    if !a.weights.ahp.is_empty() {
        let rows = a
            .weights
            .ahp
            .iter()
            .map(|r| {
                vec![
                    Cell::text(if r.scope == "top" {
                        lang.pick("一级指标", "First level").to_string()
                    } else {
                        r.scope.clone()
                    }),
                    Cell::text(
                        r.weights
                            .iter()
                            .map(|w| format!("{w:.4}"))
                            .collect::<Vec<_>>()
                            .join("，"),
                    ),
                    Cell::number(r.lambda_max, 4),
                    Cell::number(r.ci, 4),
                    Cell::number(r.cr, 4),
                ]
            })
            .collect();
        b.table(Table {
            id: "ahp".into(),
            caption: lang
                .pick(
                    "表 2 层次分析法权重与一致性检验",
                    "Table 2 AHP weights and consistency",
                )
                .into(),
            header: ["判断矩阵", "权重", "λmax", "CI", "CR"]
                .map(String::from)
                .to_vec(),
            rows,
            note: Some(
                lang.pick(
                    "CR < 0.10 表示判断矩阵具有满意的一致性。",
                    "CR < 0.10: acceptable consistency.",
                )
                .into(),
            ),
        });
    }
    b.h(2, "questionnaires", "（二）调查问卷", "2.2 Questionnaires");
    let rows = input
        .surveys
        .iter()
        .map(|s| {
            let items = s
                .questions()
                .filter(|q| {
                    matches!(
                        q.kind,
                        QuestionKind::Likert {
                            indicator: Some(_),
                            ..
                        }
                    )
                })
                .count();
            let reverse = s
                .questions()
                .filter(|q| {
                    matches!(
                        q.kind,
                        QuestionKind::Likert {
                            indicator: Some(_),
                            reverse: true,
                        }
                    )
                })
                .count();
            vec![
                Cell::text(group_name(s.audience, lang)),
                Cell::text(s.title.clone()),
                Cell::number(items as f64, 0),
                Cell::number(reverse as f64, 0),
                Cell::text(format!("{} 点", s.scale.points)),
            ]
        })
        .collect();
    b.table(Table {
        id: "questionnaires".into(),
        caption: lang.pick("表 3 调查问卷", "Table 3 Questionnaires").into(),
        header: ["评价主体", "问卷", "量表题数", "反向题数", "量表"]
            .map(String::from)
            .to_vec(),
        rows,
        note: None,
    });
    b.h(
        2,
        "fieldwork",
        "（三）调查实施与回收",
        "2.3 Fieldwork and responses",
    );
    b.p(narrative::fieldwork(&facts, lang));
    let rows = b
        .groups
        .iter()
        .map(|g| {
            let n = a.responses.get(g).copied().unwrap_or(0) as f64;
            let (invited, rate) = match input.invited.get(g) {
                Some((i, c)) if *i > 0 => (
                    Cell::number(*i as f64, 0),
                    Cell::text(format!("{:.1}%", 100.0 * *c as f64 / *i as f64)),
                ),
                _ => (Cell::text("—"), Cell::text("—")),
            };
            vec![
                Cell::text(group_name(*g, lang)),
                invited,
                Cell::number(n, 0),
                Cell::number(n, 0),
                rate,
            ]
        })
        .collect();
    b.table(Table {
        id: "response-table".into(),
        caption: lang.pick("表 4 问卷回收情况", "Table 4 Responses").into(),
        header: ["评价主体", "发放", "回收", "有效", "回收率"]
            .map(String::from)
            .to_vec(),
        rows,
        note: Some(
            lang.pick(
                "发放数为邀请码数，回收率为已使用的邀请码占发放数的比例；仅通过公开链接发放的问卷，发放数与回收率不适用（—）。",
                "Invited = invitation codes issued; rate = share of them used. For questionnaires distributed by open link only, these do not apply (—).",
            )
            .into(),
        ),
    });
    let counts = HorizontalBars {
        title: lang
            .pick("各评价主体有效问卷数", "Valid responses by group")
            .into(),
        rows: b
            .groups
            .iter()
            .map(|g| {
                (
                    group_name(*g, lang).to_string(),
                    Some(a.responses.get(g).copied().unwrap_or(0) as f64),
                )
            })
            .collect(),
        max: a.responses.values().copied().max().unwrap_or(1) as f64 * 1.15,
        value_format: whole,
        width: 640,
    };
    b.figure(
        "fig-responses",
        lang.pick("图 1 各评价主体有效问卷数", "Figure 1 Valid responses")
            .into(),
        &counts,
    )?;

    // 三、样本概况
    b.h(1, "sample", "三、样本概况", "3. Sample");
    for bd in &a.breakdowns {
        let label = narrative::attribute_label(&bd.attribute, lang);
        let rows: Vec<Vec<Cell>> =
            bd.values
                .iter()
                .map(|v| {
                    let mut r = vec![Cell::text(narrative::value_label(
                        input,
                        &bd.attribute,
                        &v.value,
                    ))];
                    r.extend(b.groups.iter().map(|g| {
                        Cell::number(v.respondents.get(g).copied().unwrap_or(0) as f64, 0)
                    }));
                    r
                })
                .collect();
        let mut header = vec![label.to_string()];
        header.extend(b.groups.iter().map(|g| group_name(*g, lang).to_string()));
        b.table(Table {
            id: format!("sample-{}", bd.attribute),
            caption: format!("{}{label}", lang.pick("样本构成：", "Sample by ")),
            header,
            rows,
            note: None,
        });
    }

    // 四、信度检验
    b.h(1, "reliability", "四、信度检验", "4. Reliability");
    b.p(narrative::reliability(input, lang));
    let rows = a
        .reliability
        .iter()
        .map(|r| {
            vec![
                Cell::text(group_name(r.group, lang)),
                Cell::text(if r.scale == "questionnaire" {
                    lang.pick("整份问卷", "Whole questionnaire").to_string()
                } else {
                    format!(
                        "{} {}",
                        r.scale,
                        input.info.framework.name_of(&r.scale).unwrap_or_default()
                    )
                }),
                Cell::number(r.reliability.items as f64, 0),
                Cell::number(r.reliability.n as f64, 0),
                r.reliability
                    .alpha
                    .map_or_else(|| Cell::text("—"), |x| Cell::number(x, 3)),
                Cell::text(match (r.reliability.ci_low, r.reliability.ci_high) {
                    (Some(l), Some(h)) => format!("[{l:.3}, {h:.3}]"),
                    _ => "—".into(),
                }),
                Cell::text(if r.low_alpha {
                    lang.pick("偏低（< 0.7）", "low (< 0.7)")
                } else {
                    lang.pick("可接受", "acceptable")
                }),
                Cell::text(r.items_raising_alpha.join("、")),
            ]
        })
        .collect();
    b.table(Table {
        id: "reliability".into(),
        caption: lang
            .pick("表 5 Cronbach's α 信度系数", "Table 5 Cronbach's alpha")
            .into(),
        header: [
            "评价主体",
            "量表",
            "题数",
            "有效样本",
            "α",
            "95% CI (Feldt)",
            "判断",
            "删除后 α 提高的题目",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: Some(
            lang.pick(
                "α ≥ 0.7 为可接受；仅含 2 题的分量表 α 偏低较常见，解读时以整份问卷为主。",
                "α ≥ 0.7 is acceptable.",
            )
            .into(),
        ),
    });
    let scales: Vec<(String, f64)> = a
        .reliability
        .iter()
        .filter_map(|r| {
            let label = if r.scale == "questionnaire" {
                format!("{} 整份问卷", group_name(r.group, lang))
            } else {
                format!("{} {}", group_name(r.group, lang), r.scale)
            };
            Some((label, r.reliability.alpha?))
        })
        .collect();
    if !scales.is_empty() {
        let chart = AlphaBars {
            title: lang
                .pick(
                    "各量表 Cronbach's α（红线为 0.7）",
                    "Cronbach's α by scale (red line: 0.7)",
                )
                .into(),
            scales,
            width: 680,
        };
        b.figure(
            "fig-alpha",
            lang.pick("图 2 信度系数", "Figure 2 Reliability").into(),
            &chart,
        )?;
    }

    // 五、评价结果
    b.h(1, "results", "五、评价结果", "5. Results");
    b.h(2, "composite", "（一）综合评价", "5.1 Overall");
    b.p(narrative::composite(&facts, lang));
    let first: Vec<&IndicatorRow> = a
        .indicators
        .iter()
        .filter(|i| i.level == Level::First)
        .collect();
    let radar = Radar {
        title: lang
            .pick("一级指标得分雷达图", "First-level indicators")
            .into(),
        axes: first.iter().map(|i| i.name.clone()).collect(),
        series: b
            .groups
            .iter()
            .map(|g| {
                (
                    group_name(*g, lang).to_string(),
                    first
                        .iter()
                        .map(|i| i.by_group.get(g).and_then(shown))
                        .collect(),
                )
            })
            .collect(),
        size: 520,
    };
    b.figure(
        "fig-radar",
        lang.pick(
            "图 3 各评价主体一级指标得分",
            "Figure 3 First-level scores by group",
        )
        .into(),
        &radar,
    )?;
    let mut rows = vec![b.score_row(
        vec![
            Cell::text(a.composite.code.clone()),
            Cell::text(a.composite.name.clone()).strong(),
        ],
        &a.composite,
    )];
    rows.extend(first.iter().map(|i| {
        b.score_row(
            vec![Cell::text(i.code.clone()), Cell::text(i.name.clone())],
            i,
        )
    }));
    let header = b.group_header(&["代码", "指标"]);
    b.table(Table {
        id: "first-level".into(),
        caption: lang
            .pick(
                "表 6 综合指数与一级指标得分（0–100）",
                "Table 6 Composite and first-level scores",
            )
            .into(),
        header,
        rows,
        note: Some(narrative::suppression_note(a, lang)),
    });
    for ind in &first {
        let children: Vec<&IndicatorRow> = a
            .indicators
            .iter()
            .filter(|r| r.parent.as_deref() == Some(ind.code.as_str()))
            .collect();
        b.blocks.push(Block::Heading {
            level: 3,
            id: format!("ind-{}", ind.code),
            text: format!("{} {}", ind.code, ind.name),
        });
        b.p(narrative::first_level(ind, &children, &b.groups, lang));
        let rows = children
            .iter()
            .map(|c| {
                b.score_row(
                    vec![Cell::text(c.code.clone()), Cell::text(c.name.clone())],
                    c,
                )
            })
            .collect();
        let header = b.group_header(&["代码", "二级指标"]);
        b.table(Table {
            id: format!("scores-{}", ind.code),
            caption: format!(
                "{} {}：{}",
                ind.code,
                ind.name,
                lang.pick("二级指标得分（按评价主体）", "second-level scores by group")
            ),
            header,
            rows,
            note: None,
        });
        if let Some(sector) = a.breakdowns.iter().find(|bd| bd.attribute == "sector") {
            let mut header = vec!["二级指标".to_string()];
            header.extend(
                sector
                    .values
                    .iter()
                    .map(|v| narrative::value_label(input, "sector", &v.value)),
            );
            let rows = children
                .iter()
                .map(|c| {
                    let mut r = vec![Cell::text(format!("{} {}", c.code, c.name))];
                    r.extend(sector.values.iter().map(|v| {
                        score_cell(
                            v.indicators
                                .iter()
                                .find(|x| x.code == c.code)
                                .map(|x| &x.combined),
                            lang,
                        )
                    }));
                    r
                })
                .collect();
            b.table(Table {
                id: format!("sector-{}", ind.code),
                caption: format!(
                    "{} {}：{}",
                    ind.code,
                    ind.name,
                    lang.pick(
                        "二级指标得分（按产业方向，综合）",
                        "second-level scores by sector"
                    )
                ),
                header,
                rows,
                note: None,
            });
        }
    }
    let chart = GroupedBars {
        title: lang
            .pick(
                "二级指标得分及 95% 置信区间",
                "Second-level scores with 95% CI",
            )
            .into(),
        categories: a
            .indicators
            .iter()
            .filter(|i| i.level == Level::Second)
            .map(|i| i.code.clone())
            .collect(),
        series: b
            .groups
            .iter()
            .map(|g| Series {
                name: group_name(*g, lang).into(),
                values: a
                    .indicators
                    .iter()
                    .filter(|i| i.level == Level::Second)
                    .map(|i| {
                        i.by_group
                            .get(g)
                            .and_then(|c| Some((shown(c)?, c.ci_low, c.ci_high)))
                    })
                    .collect(),
            })
            .collect(),
        size: (900, 420),
    };
    b.figure(
        "fig-second",
        lang.pick(
            "图 4 二级指标得分（按评价主体）",
            "Figure 4 Second-level scores by group",
        )
        .into(),
        &chart,
    )?;
    if let Some(sector) = a.breakdowns.iter().find(|bd| bd.attribute == "sector") {
        let seconds: Vec<&IndicatorRow> = a
            .indicators
            .iter()
            .filter(|i| i.level == Level::Second)
            .collect();
        let heat = Heatmap {
            title: lang
                .pick(
                    "二级指标 × 产业方向（综合得分）",
                    "Second-level indicator × sector",
                )
                .into(),
            rows: seconds
                .iter()
                .map(|i| format!("{} {}", i.code, i.name))
                .collect(),
            columns: sector
                .values
                .iter()
                .map(|v| narrative::value_label(input, "sector", &v.value))
                .collect(),
            values: seconds
                .iter()
                .map(|i| {
                    sector
                        .values
                        .iter()
                        .map(|v| {
                            v.indicators
                                .iter()
                                .find(|x| x.code == i.code)
                                .and_then(|x| shown(&x.combined))
                        })
                        .collect()
                })
                .collect(),
            width: 720,
        };
        b.figure(
            "fig-heatmap",
            lang.pick("图 5 各产业方向二级指标得分", "Figure 5 Scores by sector")
                .into(),
            &heat,
        )?;
    }
    b.h(
        2,
        "grades",
        "（二）等级评定与模糊综合评价",
        "5.2 Grades and fuzzy evaluation",
    );
    b.p(narrative::bands(a, lang));
    if !a.fuzzy.grades.is_empty() {
        let mut header = vec!["指标".to_string()];
        header.extend(a.fuzzy.grades.iter().cloned());
        header.extend(["评价等级".to_string(), "得分".to_string()]);
        let rows = a
            .fuzzy
            .first_level
            .iter()
            .chain(a.fuzzy.overall.as_ref())
            .map(|f| {
                let mut r = vec![Cell::text(f.name.clone())];
                r.extend(f.result.b.iter().map(|x| Cell::number(*x, 3)));
                r.push(Cell::text(f.result.grade.clone()));
                r.push(Cell::number(f.result.score, 2));
                r
            })
            .collect();
        b.table(Table {
            id: "fuzzy".into(),
            caption: lang
                .pick(
                    "表 7 模糊综合评价（隶属度与评价等级）",
                    "Table 7 Fuzzy comprehensive evaluation",
                )
                .into(),
            header,
            rows,
            note: Some(narrative::fuzzy_note(a, lang)),
        });
    }
    for g in &a.ipa {
        let items: Vec<(String, f64, f64)> = g
            .items
            .iter()
            .zip(&g.ipa.items)
            .map(|(id, it)| (id.clone(), it.importance, it.performance))
            .collect();
        let chart = IpaScatter {
            title: format!(
                "{}：{}",
                group_name(g.group, lang),
                lang.pick("重要性—表现分析", "importance–performance")
            ),
            points: items,
            importance_mean: g.ipa.importance_mean,
            performance_mean: g.ipa.performance_mean,
            range: (1.0, f64::from(g.points)),
            size: 520,
        };
        b.figure(
            &format!("fig-ipa-{}", g.group),
            format!("IPA：{}", group_name(g.group, lang)),
            &chart,
        )?;
    }
    if let Some(w) = &a.wave {
        b.h(
            2,
            "wave",
            "（三）与上一轮调查比较",
            "5.3 Change since the previous wave",
        );
        let rows = w
            .changes
            .iter()
            .filter(|c| c.group.is_none())
            .map(|c| {
                vec![
                    Cell::text(format!("{} {}", c.code, c.name)),
                    Cell::text(fmt1(c.previous)),
                    Cell::text(fmt1(c.current)),
                    Cell::text(c.change.map_or("—".into(), |d| format!("{d:+.1}"))),
                ]
            })
            .collect();
        b.table(Table {
            id: "wave".into(),
            caption: format!(
                "{}{}",
                lang.pick("与上一轮比较：", "Compared with "),
                w.previous
            ),
            header: ["指标", "上一轮", "本轮", "变化"]
                .map(String::from)
                .to_vec(),
            rows,
            note: None,
        });
    }

    // Questions described rather than scored: one table per question and group.
    let described: Vec<Table> = a
        .questions
        .iter()
        .filter_map(|q| {
            super::questions::table(q, group_name(q.group, lang), a.method.min_cell_size, lang)
        })
        .collect();
    if !described.is_empty() {
        let (zh, en) = if a.wave.is_some() {
            ("（四）其他题目调查结果", "5.4 Other questions")
        } else {
            ("（三）其他题目调查结果", "5.3 Other questions")
        };
        b.h(2, "other-questions", zh, en);
        b.p(lang
            .pick(
                "以下为未计入评价指标的题目（选择题、排序题、评分题和数值题）的作答分布，占比以作答该题的人数为基数。",
                "Answers to the questions not scored into an indicator (choice, ranking, rating and number questions); shares are of the respondents who answered each question.",
            )
            .into());
        for t in described {
            b.table(t);
        }
    }

    // 六、多主体比较
    b.h(
        1,
        "comparison",
        "六、多主体比较",
        "6. Differences between stakeholder groups",
    );
    for s in narrative::gaps(a, lang) {
        b.p(s);
    }
    let rows = a
        .gaps
        .iter()
        .map(|g| {
            let pair = g.pairs.iter().find(|p| {
                (p.a == g.highest && p.b == g.lowest) || (p.a == g.lowest && p.b == g.highest)
            });
            vec![
                Cell::number(g.rank as f64, 0),
                Cell::text(format!("{} {}", g.code, g.name)),
                Cell::text(format!(
                    "{} / {}",
                    group_name(g.highest, lang),
                    group_name(g.lowest, lang)
                )),
                Cell::number(g.gap, 1),
                pair.map_or_else(|| Cell::text("—"), |p| Cell::number(p.welch.t, 2)),
                pair.map_or_else(
                    || Cell::text("—"),
                    |p| Cell::text(narrative::p_text(p.p_holm)),
                ),
                pair.map_or_else(
                    || Cell::text("—"),
                    |p| Cell::number(p.welch.hedges_g.abs(), 2),
                ),
                g.kruskal_wallis.as_ref().map_or_else(
                    || Cell::text("—"),
                    |k| {
                        Cell::text(format!(
                            "H={:.2}，{}，ε²={:.3}",
                            k.h,
                            narrative::p_text(k.p),
                            k.epsilon_squared
                        ))
                    },
                ),
            ]
        })
        .collect();
    b.table(Table {
        id: "gaps".into(),
        caption: lang
            .pick(
                "表 8 评价主体间差异（按差距排序）",
                "Table 8 Gaps between groups",
            )
            .into(),
        header: [
            "排序",
            "指标",
            "最高/最低主体",
            "差距（分）",
            "Welch t",
            "p（Holm 校正）",
            "Hedges g",
            "Kruskal–Wallis",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: Some(
            lang.pick(
                "只比较样本量达到最小单元格要求的评价主体。",
                "Only groups above the minimum cell size are compared.",
            )
            .into(),
        ),
    });

    // 七、主要问题 / 八、对策建议
    let problems = narrative::problems(input);
    b.h(1, "problems", "七、主要问题", "7. Problems found");
    b.blocks.push(Block::List(
        problems.iter().map(|p| p.text.clone()).collect(),
    ));
    b.h(1, "recommendations", "八、对策建议", "8. Recommendations");
    b.blocks.push(Block::List(
        problems
            .iter()
            .map(|p| narrative::recommendation(input, p))
            .collect(),
    ));

    // 附录
    b.h(1, "appendix", "附录", "Appendix");
    b.h(
        2,
        "appendix-questionnaires",
        "附录 1 调查问卷题目",
        "A1 Questionnaire items",
    );
    for s in &input.surveys {
        let rows = s
            .questions()
            .filter_map(|q| match &q.kind {
                QuestionKind::Likert {
                    indicator: Some(indicator),
                    reverse,
                } => Some(vec![
                    Cell::text(q.id.clone()),
                    Cell::text(q.text.clone()),
                    Cell::text(indicator.clone()),
                    Cell::text(if *reverse { "是" } else { "" }),
                ]),
                _ => None,
            })
            .collect();
        b.table(Table {
            id: format!("items-{}", s.audience),
            caption: s.title.clone(),
            header: ["题号", "题目", "指标", "反向"].map(String::from).to_vec(),
            rows,
            note: None,
        });
    }
    b.h(
        2,
        "appendix-frequencies",
        "附录 2 题目频数分布",
        "A2 Item frequencies",
    );
    for g in b.groups.clone() {
        let items: Vec<&evaluation::ItemStats> = a.items.iter().filter(|i| i.group == g).collect();
        let Some(survey) = input.surveys.iter().find(|s| s.audience == g) else {
            continue;
        };
        let labels = survey.scale.labels.clone();
        let mut header = vec!["题号".to_string(), "n".to_string()];
        header.extend(labels.iter().cloned());
        header.extend(["均值".to_string(), "前两项占比".to_string()]);
        let rows = items
            .iter()
            .map(|i| {
                let mut r = vec![Cell::text(i.item.clone()), Cell::number(i.n as f64, 0)];
                match &i.percentages {
                    Some(p) => r.extend(p.iter().map(|x| Cell {
                        text: format!("{x:.1}%"),
                        detail: None,
                        number: Some(*x),
                        emphasis: false,
                        suppressed: false,
                    })),
                    None => r.extend(labels.iter().map(|_| Cell {
                        text: "样本不足".into(),
                        detail: None,
                        number: None,
                        emphasis: false,
                        suppressed: true,
                    })),
                }
                r.push(
                    i.mean
                        .map_or_else(|| Cell::text("—"), |m| Cell::number(m, 2)),
                );
                r.push(i.top2_share.map_or_else(
                    || Cell::text("—"),
                    |t| Cell {
                        text: format!("{t:.1}%"),
                        detail: None,
                        number: Some(t),
                        emphasis: false,
                        suppressed: false,
                    },
                ));
                r
            })
            .collect();
        b.table(Table {
            id: format!("freq-{g}"),
            caption: format!(
                "{}：{}",
                group_name(g, lang),
                lang.pick("题目频数分布（%）", "item frequencies (%)")
            ),
            header,
            rows,
            note: None,
        });
        let shown_items: Vec<(String, Vec<f64>)> = items
            .iter()
            .filter_map(|i| Some((i.item.clone(), i.percentages.clone()?)))
            .collect();
        if !shown_items.is_empty() {
            let chart = Diverging {
                title: format!(
                    "{}：{}",
                    group_name(g, lang),
                    lang.pick("李克特题目分布", "Likert distributions")
                ),
                labels,
                items: shown_items,
                width: 760,
            };
            b.figure(
                &format!("fig-likert-{g}"),
                format!(
                    "{}：{}",
                    group_name(g, lang),
                    lang.pick("各题回答分布", "answer distributions")
                ),
                &chart,
            )?;
        }
    }
    b.h(2, "appendix-methods", "附录 3 方法说明", "A3 Methods");
    for s in narrative::method_notes(a, lang) {
        b.p(s);
    }
    b.h(
        2,
        "appendix-suppression",
        "附录 4 小样本抑制说明",
        "A4 Small-cell suppression",
    );
    b.p(narrative::suppression_note(a, lang));
    if !input.free_text.is_empty() {
        b.h(
            2,
            "appendix-free-text",
            "附录 5 开放题回答（节选）",
            "A5 Open answers",
        );
        b.p(lang.pick("以下为问卷允许在报告中引用的开放题回答，按原文照录（不含任何可识别身份的信息），样本不足的评价主体不列出。", "Open answers the questionnaire allows to quote, verbatim.").into());
        for (group, question, answers) in &input.free_text {
            let n = a.responses.get(group).copied().unwrap_or(0);
            if n < a.method.min_cell_size {
                continue;
            }
            let rows = answers
                .iter()
                .enumerate()
                .map(|(i, t)| vec![Cell::number((i + 1) as f64, 0), Cell::text(t.clone())])
                .collect();
            b.table(Table {
                id: format!("text-{group}"),
                caption: format!("{}：{question}", group_name(*group, lang)),
                header: ["序号", "回答"].map(String::from).to_vec(),
                rows,
                note: None,
            });
        }
    }

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
fn header_en(zh: &str) -> Option<&'static str> {
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
fn answered_by(input: &ReportInput<'_>) -> BTreeMap<String, String> {
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
