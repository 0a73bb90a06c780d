//! 二、调研设计与实施: the indicator framework and weights, the questionnaires, and the fieldwork with its response table.

use crate::charts::bars::{whole, HorizontalBars};
use crate::charts::ChartError;
use crate::domain::QuestionKind;
use crate::report::columns::{self, Column};
use crate::report::document::{Cell, Table};
use crate::report::narrative;
use crate::report::view::*;

pub(crate) fn write<'a>(
    b: &mut Builder<'a>,
    facts: &narrative::Facts<'a>,
) -> Result<(), ChartError> {
    opening(b)?;
    questionnaires(b)?;
    fieldwork(b, facts)?;
    Ok(())
}

/// The chapter's heading and its first section.
fn opening<'a>(b: &mut Builder<'a>) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let a = input.analysis;
    let lang = input.lang;
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
        header: columns::header(
            &[
                Column::FirstLevel,
                Column::Weight,
                Column::SecondLevel,
                Column::Weight,
                Column::GlobalWeight,
                Column::Group,
            ],
            b.lang(),
        ),
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
            header: columns::header(
                &[
                    Column::Matrix,
                    Column::Weight,
                    Column::Same("λmax"),
                    Column::Same("CI"),
                    Column::Same("CR"),
                ],
                b.lang(),
            ),
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
    Ok(())
}

/// （二）调查问卷: the questionnaires.
fn questionnaires<'a>(b: &mut Builder<'a>) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let lang = input.lang;
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
        header: columns::header(
            &[
                Column::Group,
                Column::Questionnaire,
                Column::LikertItems,
                Column::ReverseCoded,
                Column::Scale,
            ],
            b.lang(),
        ),
        rows,
        note: None,
    });
    Ok(())
}

/// （三）调查实施与回收: fieldwork and the response table.
fn fieldwork<'a>(b: &mut Builder<'a>, facts: &narrative::Facts<'a>) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let a = input.analysis;
    let lang = input.lang;
    b.h(
        2,
        "fieldwork",
        "（三）调查实施与回收",
        "2.3 Fieldwork and responses",
    );
    b.p(narrative::fieldwork(facts, lang));
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
        header: columns::header(&[Column::Group, Column::Invited, Column::Returned, Column::Valid, Column::ResponseRate], b.lang()),
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
    Ok(())
}
