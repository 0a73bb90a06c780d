//! 附录: the questionnaires, item frequencies, methods, suppression notes and the open
//! answers (`open_answers`).

use crate::analysis::evaluation;
use crate::charts::diverging::Diverging;
use crate::charts::ChartError;
use crate::domain::QuestionKind;
use crate::report::columns::{self, Column};
use crate::report::document::{Cell, Table};
use crate::report::narrative;
use crate::report::view::*;

pub(crate) fn write<'a>(
    b: &mut Builder<'a>,
    _facts: &narrative::Facts<'a>,
) -> Result<(), ChartError> {
    opening(b)?;
    frequencies(b)?;
    methods_and_quotes(b)?;
    Ok(())
}

/// 附录 1: the heading and every questionnaire's items.
fn opening<'a>(b: &mut Builder<'a>) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
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
            header: columns::header(
                &[
                    Column::ItemNo,
                    Column::ItemText,
                    Column::Indicator,
                    Column::Reverse,
                ],
                b.lang(),
            ),
            rows,
            note: None,
        });
    }
    Ok(())
}

/// 附录 2 题目频数分布: the answer distribution of every item, per group.
fn frequencies<'a>(b: &mut Builder<'a>) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let a = input.analysis;
    let lang = input.lang;
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
        let mut header = columns::header(&[Column::ItemNo, Column::Same("n")], input.lang);
        header.extend(labels.iter().cloned());
        header.extend(columns::header(&[Column::Mean, Column::TopTwo], input.lang));
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
    Ok(())
}

/// 附录 3–5: the methods, the suppression note and the open-answer analysis.
fn methods_and_quotes<'a>(b: &mut Builder<'a>) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let a = input.analysis;
    let lang = input.lang;
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
    super::open_answers::write(b)?;
    Ok(())
}
