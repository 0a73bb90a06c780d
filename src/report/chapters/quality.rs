//! 三、样本概况 → 数据质量: what the data quality rules flagged per group, the
//! questionnaires' median answering times, what the scores leave out, and the
//! sensitivity of the composite and first-level scores to the flagged responses.

use crate::analysis::quality::{QualityReport, SensitivityCell};
use crate::analysis::scores::COMPOSITE;
use crate::domain::quality::Flag;
use crate::domain::Lang;
use crate::report::columns::{self, Column};
use crate::report::document::{Cell, Table};
use crate::report::view::*;

pub(crate) fn write(b: &mut Builder<'_>) {
    let input = b.input;
    let q = &input.analysis.quality;
    let lang = input.lang;
    b.h(2, "quality", "数据质量", "Data quality");
    b.p(rules(q, lang));
    b.p(exclusion(q, lang));
    b.table(flag_table(b, q, lang));
    if !q.medians.is_empty() {
        b.table(time_table(b, q, lang));
    }
    match &q.sensitivity {
        Some(rows) if !rows.is_empty() => {
            b.p(lang
                .pick(
                    "敏感性分析比较包含与不包含标记答卷时的得分；差值 = 不含 − 含。标记答卷或其余答卷少于最小公布人数的评价主体不予列示，以免由差值反推少数答卷；“合成”只合成列示的评价主体，可能与正文的合成得分不同。",
                    "The sensitivity table compares scores with and without the flagged responses (difference = without − with). A group is not shown when its flagged or remaining responses are fewer than the minimum cell, so the difference cannot reveal a few responses; \"Combined\" combines the groups shown only, so it may differ from the combined scores elsewhere.",
                )
                .into());
            b.table(sensitivity_table(b, rows, lang));
        }
        Some(_) => {}
        None => b.p(lang
            .pick(
                "筛选视图不提供敏感性分析：不同筛选视图的差值相减可能反推出少数标记答卷，敏感性分析只在全部答卷的报告中给出。",
                "Filtered views have no sensitivity table: differences between filtered views could reveal a few flagged responses, so it is given only in the report of all responses.",
            )
            .into()),
    }
}

/// The rules with this campaign's parameters.
fn rules(q: &QualityReport, lang: Lang) -> String {
    let s = &q.settings;
    let pct = |x: f64| format!("{:.0}%", 100.0 * x);
    let (fraction, least, per_item) = (
        pct(s.speeder_fraction),
        s.speeder_min_responses,
        s.min_seconds_per_item,
    );
    let (matrix, missing) = (s.straightline_min_items, pct(s.max_missing_share));
    let (window, alike) = (s.duplicate_window_minutes, pct(s.duplicate_similarity));
    match lang {
        Lang::Zh => format!(
            "每份答卷按以下规则标记，标记本身不删除任何答卷：作答过快（用时少于该问卷中位用时的 {fraction}，中位用时在计时答卷达到 {least} 份后计算；或平均每道计分题少于 {per_item} 秒）；矩阵题同一答案（{matrix} 题及以上的矩阵全部选同一选项）；正反向题矛盾（同一二级指标下同时同意正向题和反向题）；漏答过多（无条件显示的计分题空答超过 {missing}）；注意力检测未通过（指令题未按要求作答）；疑似重复提交（同一设备 {window} 分钟内再次提交，且 {alike} 以上的计分题答案相同）。"
        ),
        Lang::En => format!(
            "Each response is flagged by these rules; a flag deletes nothing. Speeding: less than {fraction} of the questionnaire's median time (computed once {least} responses are timed), or under {per_item} s per answered scored item. Straight-lining: a matrix of {matrix} or more statements all answered alike. Contradiction: agreeing with a statement and a reverse-worded one of the same second-level indicator. Item non-response: more than {missing} of the unconditional scored items blank. Attention: an instructed-response item answered otherwise than instructed. Likely duplicate: the same device submitting again within {window} minutes with {alike} or more of the scored answers the same."
        ),
    }
}

fn flag_names(flags: &[Flag], lang: Lang) -> String {
    flags
        .iter()
        .map(|f| {
            let (zh, en) = f.label();
            lang.pick(zh, en)
        })
        .collect::<Vec<_>>()
        .join(lang.pick("、", ", "))
}

/// What the scores leave out.
fn exclusion(q: &QualityReport, lang: Lang) -> String {
    if q.settings.exclude.is_empty() {
        return lang
            .pick(
                "本报告的得分包含全部答卷（只标记、不剔除）。",
                "The scores in this report include every response (flagged, none excluded).",
            )
            .into();
    }
    let names = flag_names(&q.settings.exclude, lang);
    match lang {
        Lang::Zh => format!("本报告的得分不含被标记为“{names}”的答卷；下表列出各评价主体剔除的份数。"),
        Lang::En => format!("The scores in this report leave out responses flagged for: {names}; the table gives the number excluded per group."),
    }
}

fn count(n: Option<u64>, lang: Lang) -> Cell {
    n.map_or_else(
        || {
            let mut c = Cell::text(lang.pick("样本不足", "n too small"));
            c.suppressed = true;
            c
        },
        |n| Cell::number(n as f64, 0),
    )
}

fn flag_table(b: &Builder<'_>, q: &QualityReport, lang: Lang) -> Table {
    let mut header = columns::header(&[Column::Group, Column::Returned], lang);
    header.extend(Flag::ALL.iter().map(|f| {
        let (zh, en) = f.label();
        lang.pick(zh, en).to_string()
    }));
    header.extend(columns::header(&[Column::AnyFlag, Column::Excluded], lang));
    let rows = q
        .groups
        .iter()
        .filter(|g| b.groups.contains(&g.group))
        .map(|g| {
            let mut r = vec![
                Cell::text(group_name(g.group, lang)),
                count(g.responses, lang),
            ];
            r.extend(Flag::ALL.iter().map(|f| {
                let n = g.flagged.iter().find(|(x, _)| x == f).map(|(_, n)| *n);
                count(n.filter(|_| !g.hidden), lang)
            }));
            r.push(count(g.any, lang));
            r.push(count(g.excluded, lang));
            r
        })
        .collect();
    Table {
        id: "quality-flags".into(),
        caption: lang
            .pick("数据质量标记（份）", "Data quality flags (responses)")
            .into(),
        header,
        rows,
        note: Some(
            lang.pick(
                "一份答卷可有多个标记；评价主体的得分不公布时不列其标记数。",
                "A response may carry several flags; a group whose scores are not published has no counts.",
            )
            .into(),
        ),
    }
}

fn time_table(b: &Builder<'_>, q: &QualityReport, lang: Lang) -> Table {
    let title = |slug: &str| {
        b.input
            .surveys
            .iter()
            .find(|s| s.slug == slug)
            .map_or_else(|| slug.to_string(), |s| s.title.clone())
    };
    Table {
        id: "quality-times".into(),
        caption: lang
            .pick("问卷作答用时", "Time spent answering")
            .into(),
        header: columns::header(
            &[Column::Questionnaire, Column::Timed, Column::MedianSeconds],
            lang,
        ),
        rows: q
            .medians
            .iter()
            .map(|m| {
                vec![
                    Cell::text(title(&m.survey)),
                    Cell::number(m.timed as f64, 0),
                    m.median_s
                        .map_or_else(|| Cell::text("—"), |s| Cell::number(s, 0)),
                ]
            })
            .collect(),
        note: Some(
            lang.pick(
                "计时答卷少于规则所需份数时不计算中位用时，只按每题最少用时判断作答过快。",
                "Below the required number of timed responses no median is computed and only the per-item floor applies.",
            )
            .into(),
        ),
    }
}

fn sensitivity_cells(c: &SensitivityCell, lang: Lang) -> Vec<Cell> {
    if c.hidden {
        let mut hidden = Cell::text(lang.pick("样本不足", "n too small"));
        hidden.suppressed = true;
        return vec![hidden.clone(), hidden.clone(), hidden];
    }
    let num = |v: Option<f64>| v.map_or_else(|| Cell::text("—"), |v| Cell::number(v, 1));
    let diff = c.difference.map_or_else(
        || Cell::text("—"),
        |d| Cell {
            text: format!("{d:+.1}"),
            ..Cell::number(d, 1)
        },
    );
    vec![num(c.with_flagged), num(c.without_flagged), diff]
}

fn sensitivity_table(
    b: &Builder<'_>,
    rows: &[crate::analysis::quality::SensitivityRow],
    lang: Lang,
) -> Table {
    let mut out = Vec::new();
    for r in rows {
        let name = if r.code == COMPOSITE {
            lang.pick("综合指数", "Composite").to_string()
        } else {
            format!("{} {}", r.code, r.name)
        };
        for g in &b.groups {
            if let Some(c) = r.by_group.get(g) {
                let mut row = vec![Cell::text(name.clone()), Cell::text(group_name(*g, lang))];
                row.extend(sensitivity_cells(c, lang));
                out.push(row);
            }
        }
        let mut row = vec![
            Cell::text(name.clone()).strong(),
            Cell::text(lang.pick("合成", "Combined")),
        ];
        row.extend(sensitivity_cells(&r.combined, lang));
        out.push(row);
    }
    Table {
        id: "quality-sensitivity".into(),
        caption: lang
            .pick(
                "敏感性分析：剔除标记答卷前后的得分",
                "Sensitivity: scores with and without flagged responses",
            )
            .into(),
        header: columns::header(
            &[
                Column::Indicator,
                Column::Group,
                Column::WithFlagged,
                Column::WithoutFlagged,
                Column::Difference,
            ],
            lang,
        ),
        rows: out,
        note: None,
    }
}
