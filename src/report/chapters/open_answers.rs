//! 附录 5 开放题分析: what the open answers say per group — how many wrote, the themes
//! with their shares, the terms each group uses more than the others (with a chart),
//! the most used terms and phrases, representative quotes and the answers no theme
//! covers. Everything comes redacted and gated from `Analysis.text`.

use crate::analysis::text::{GroupText, TextReport, ThemeShare, MIN_DOCUMENTS};
use crate::charts::bars::{one_decimal, HorizontalBars};
use crate::charts::ChartError;
use crate::report::columns::{self, Column};
use crate::report::document::{Cell, Table};
use crate::report::view::*;

/// Terms, phrases and answers in no theme printed per group (the spreadsheet of the
/// analysis holds them all).
const REPORT_TERMS: usize = 15;
const REPORT_PHRASES: usize = 10;
const REPORT_UNCODED: usize = 30;
/// Distinctive terms drawn per group.
const CHART_TERMS: usize = 10;

pub(crate) fn write<'a>(b: &mut Builder<'a>) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let Some(text) = &input.analysis.text else {
        return Ok(());
    };
    if text.groups.is_empty() {
        return Ok(());
    }
    let lang = b.lang();
    b.h(
        2,
        "appendix-open-answers",
        "附录 5 开放题分析",
        "A5 Open answers",
    );
    b.p(method_note(input, text));
    summary(b, text);
    themes(b, text);
    for g in text.groups.iter().filter(|g| !g.suppressed.is_hidden()) {
        distinctive(b, text, g)?;
        terms(b, g);
        quotes(b, text, g);
        uncoded(b, g);
    }
    if text.groups.iter().any(|g| g.suppressed.is_hidden()) {
        b.p(lang
            .pick(
                "填写人数少于最小样本量（或为防止推算而抑制）的评价主体不列出其开放题内容。",
                "Groups with fewer respondents who wrote than the minimum cell (or hidden so that none can be derived) are not shown.",
            )
            .into());
    }
    Ok(())
}

fn method_note(input: &ReportInput<'_>, text: &TextReport) -> String {
    let lang = input.lang;
    let min = input.analysis.method.min_cell_size;
    let themes = if text.themes.is_empty() {
        lang.pick("本次调研未设置主题词表。", "No theme table was set.")
            .to_string()
    } else {
        lang.pick(
            "回答按主题词表归入主题（含任一关键词即归入，可归入多个主题），占比为填写者中提及该主题的比例，括号内为 Wilson 95% 置信区间。",
            "Answers are coded into every theme one of whose keywords they contain; shares are of the respondents who wrote, with Wilson 95% intervals.",
        )
        .to_string()
    };
    match lang {
        crate::domain::Lang::Zh => format!(
            "开放题回答先去除个人信息（电话、身份证号、邮箱、QQ/微信号及名单中的人名、单位名），再用 jieba 分词（含本次调研的自定义词典），去除停用词、数字和单字后统计词频。仅列出至少 {MIN_DOCUMENTS} 人使用的词语；填写人数少于 {min} 人的评价主体不列出。特色词按加权对数优势比（Monroe 等 2008，信息性狄利克雷先验按各主体合计词频分配，总权重为词语数）比较各主体与其余主体，z ≥ 1.96 为显著。{themes}引文按规则选取：每个主题取词语最具代表性的回答，已去除个人信息。"
        ),
        crate::domain::Lang::En => format!(
            "Open answers are first stripped of personal information (phone, ID-card and account numbers, e-mail, names on the campaign's list), then segmented with jieba and the campaign's dictionary; stop words, numbers and single characters are not counted. Only terms used by at least {MIN_DOCUMENTS} respondents are listed; groups with fewer than {min} respondents who wrote are not shown. Distinctive terms compare each group with the others by the weighted log-odds ratio (Monroe et al. 2008, informative Dirichlet prior spread by pooled usage, total weight the number of terms); z ≥ 1.96 is significant. {themes} Quotes are chosen by rule: per theme, the answers whose words are most typical, redacted."
        ),
    }
}

/// 各主体开放题填写情况: who wrote, how much, how much no theme covers.
fn summary(b: &mut Builder<'_>, text: &TextReport) {
    let lang = b.lang();
    let rows = text
        .groups
        .iter()
        .map(|g| {
            let hidden = g.suppressed.is_hidden();
            let cell = |v: u64| {
                if hidden {
                    Cell {
                        text: lang.pick("样本不足", "n too small").into(),
                        detail: None,
                        number: None,
                        emphasis: false,
                        suppressed: true,
                    }
                } else {
                    Cell::number(v as f64, 0)
                }
            };
            vec![
                Cell::text(group_name(g.group, lang)),
                Cell::number(g.respondents as f64, 0),
                cell(g.tokens),
                if text.themes.is_empty() {
                    Cell::text("—")
                } else {
                    cell(g.uncoded)
                },
            ]
        })
        .collect();
    b.table(Table {
        id: "text-summary".into(),
        caption: lang.pick("开放题填写情况", "Open answers written").into(),
        header: columns::header(
            &[Column::Group, Column::Wrote, Column::Words, Column::Uncoded],
            lang,
        ),
        rows,
        note: None,
    });
}

fn share_cell(s: &ThemeShare) -> Cell {
    Cell {
        text: format!("{:.1}%", s.share),
        detail: Some(format!(
            "n={}，95%CI [{:.1}, {:.1}]",
            s.respondents, s.ci_low, s.ci_high
        )),
        number: Some(s.share),
        emphasis: false,
        suppressed: false,
    }
}

/// 主题分布: each theme's share per published group.
fn themes(b: &mut Builder<'_>, text: &TextReport) {
    let lang = b.lang();
    let shown: Vec<&GroupText> = text
        .groups
        .iter()
        .filter(|g| !g.suppressed.is_hidden())
        .collect();
    if text.themes.is_empty() || shown.is_empty() {
        return;
    }
    let mut header = columns::header(&[Column::Theme, Column::Keywords], lang);
    header.extend(shown.iter().map(|g| group_name(g.group, lang).to_string()));
    let rows = text
        .themes
        .iter()
        .map(|t| {
            let mut row = vec![
                Cell::text(lang.pick(&t.name, &t.name_en)),
                Cell::text(t.keywords.join("、")),
            ];
            row.extend(shown.iter().map(|g| {
                g.themes
                    .iter()
                    .find(|s| s.code == t.code)
                    .map_or_else(|| Cell::text("—"), share_cell)
            }));
            row
        })
        .collect();
    b.table(Table {
        id: "text-themes".into(),
        caption: lang
            .pick(
                "开放题主题分布（提及比例）",
                "Themes of the open answers (share mentioning)",
            )
            .into(),
        header,
        rows,
        note: None,
    });
}

/// 特色词: the group's distinctive terms, as a chart and a table.
fn distinctive(b: &mut Builder<'_>, text: &TextReport, g: &GroupText) -> Result<(), ChartError> {
    let lang = b.lang();
    let Some(d) = text.distinctive.iter().find(|d| d.group == g.group) else {
        return Ok(());
    };
    let name = group_name(g.group, lang);
    if d.terms.is_empty() {
        b.p(match lang {
            crate::domain::Lang::Zh => format!("{name}的回答中没有显著区别于其他主体的词语。"),
            crate::domain::Lang::En => {
                format!("{name}: no term is used significantly more than by the other groups.")
            }
        });
        return Ok(());
    }
    let drawn: Vec<(String, Option<f64>)> = d
        .terms
        .iter()
        .take(CHART_TERMS)
        .map(|t| (t.term.clone(), Some(t.z)))
        .collect();
    let max = drawn.iter().filter_map(|(_, z)| *z).fold(1.96, f64::max) * 1.1;
    let caption = format!(
        "{name}：{}",
        lang.pick(
            "特色词（加权对数优势比 z 值）",
            "distinctive terms (weighted log-odds z)"
        )
    );
    b.figure(
        &format!("fig-text-{}", g.group),
        caption.clone(),
        &HorizontalBars {
            title: caption.clone(),
            rows: drawn,
            max,
            value_format: one_decimal,
            width: 640,
        },
    )?;
    let rows = d
        .terms
        .iter()
        .map(|t| {
            vec![
                Cell::text(t.term.clone()),
                Cell::number(t.uses as f64, 0),
                Cell::number(t.other_uses as f64, 0),
                Cell::number(t.log_odds, 2),
                Cell::number(t.z, 2),
            ]
        })
        .collect();
    b.table(Table {
        id: format!("text-distinctive-{}", g.group),
        caption,
        header: columns::header(
            &[
                Column::Term,
                Column::Uses,
                Column::OtherUses,
                Column::LogOdds,
                Column::Same("z"),
            ],
            lang,
        ),
        rows,
        note: None,
    });
    Ok(())
}

/// 高频词与短语.
fn terms(b: &mut Builder<'_>, g: &GroupText) {
    let lang = b.lang();
    let rows: Vec<Vec<Cell>> = g
        .terms
        .iter()
        .take(REPORT_TERMS)
        .chain(g.phrases.iter().take(REPORT_PHRASES))
        .map(|t| {
            vec![
                Cell::text(t.term.clone()),
                Cell::number(t.uses as f64, 0),
                Cell::number(t.documents as f64, 0),
                Cell {
                    text: format!("{:.1}%", t.share),
                    detail: None,
                    number: Some(t.share),
                    emphasis: false,
                    suppressed: false,
                },
            ]
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    b.table(Table {
        id: format!("text-terms-{}", g.group),
        caption: format!(
            "{}：{}",
            group_name(g.group, lang),
            lang.pick("高频词与短语", "frequent terms and phrases")
        ),
        header: columns::header(
            &[
                Column::Term,
                Column::Uses,
                Column::Respondents,
                Column::Share,
            ],
            lang,
        ),
        rows,
        note: None,
    });
}

/// 代表性引文.
fn quotes(b: &mut Builder<'_>, text: &TextReport, g: &GroupText) {
    let lang = b.lang();
    if g.quotes.is_empty() {
        return;
    }
    let theme_name = |code: &Option<String>| {
        code.as_ref()
            .and_then(|c| text.themes.iter().find(|t| &t.code == c))
            .map_or("—".to_string(), |t| {
                lang.pick(&t.name, &t.name_en).to_string()
            })
    };
    let rows = g
        .quotes
        .iter()
        .enumerate()
        .map(|(i, q)| {
            vec![
                Cell::number((i + 1) as f64, 0),
                Cell::text(theme_name(&q.theme)),
                Cell::text(q.text.clone()),
            ]
        })
        .collect();
    b.table(Table {
        id: format!("text-quotes-{}", g.group),
        caption: format!(
            "{}：{}",
            group_name(g.group, lang),
            lang.pick(
                "代表性回答（已去除个人信息）",
                "representative answers (redacted)"
            )
        ),
        header: columns::header(&[Column::No, Column::Theme, Column::Quote], lang),
        rows,
        note: None,
    });
}

/// 未归入主题的回答: what the theme table misses, for the evaluator to read.
fn uncoded(b: &mut Builder<'_>, g: &GroupText) {
    let lang = b.lang();
    if g.uncoded_answers.is_empty() {
        return;
    }
    let rows = g
        .uncoded_answers
        .iter()
        .take(REPORT_UNCODED)
        .enumerate()
        .map(|(i, t)| vec![Cell::number((i + 1) as f64, 0), Cell::text(t.clone())])
        .collect();
    let caption = match lang {
        crate::domain::Lang::Zh => format!(
            "{}：未归入任何主题的回答（共 {} 条，列出前 {}）",
            group_name(g.group, lang),
            g.uncoded,
            g.uncoded_answers.len().min(REPORT_UNCODED)
        ),
        crate::domain::Lang::En => format!(
            "{}: answers in no theme ({} in all, first {} shown)",
            group_name(g.group, lang),
            g.uncoded,
            g.uncoded_answers.len().min(REPORT_UNCODED)
        ),
    };
    b.table(Table {
        id: format!("text-uncoded-{}", g.group),
        caption,
        header: columns::header(&[Column::No, Column::Answer], lang),
        rows,
        note: None,
    });
}
