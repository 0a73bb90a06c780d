//! Tables for the questions described rather than scored (choice shares, rankings,
//! rating distributions with NPS, numbers): one table per question and group, formatted
//! from the analysis' [`QuestionSummary`] values without computing anything new.

use super::document::{Cell, Table};
use super::narrative::Lang;
use crate::analysis::tallies::{OptionShare, QuestionSummary, TallyKind};
use crate::report::columns::{self, Column};

fn percent_cell(x: f64) -> Cell {
    Cell {
        text: format!("{x:.1}%"),
        number: Some(x),
        ..Cell::text("")
    }
}

fn count_cell(n: u64) -> Cell {
    Cell::number(n as f64, 0)
}

/// Option, respondents, share: the rows of a choice or scale table.
fn share_rows(q: &QuestionSummary, lang: Lang) -> Vec<Vec<Cell>> {
    q.options
        .iter()
        .map(|o| {
            vec![
                Cell::text(option_label(o, lang)),
                count_cell(o.count),
                percent_cell(o.percent),
            ]
        })
        .collect()
}

/// The option's label in the report's language (the Chinese one when no English is given).
fn option_label(o: &OptionShare, lang: Lang) -> String {
    match (lang, &o.label_en) {
        (Lang::En, Some(en)) => en.clone(),
        _ => o.label.clone(),
    }
}

fn kind_name(kind: TallyKind, lang: Lang) -> &'static str {
    match kind {
        TallyKind::Single => lang.pick("单选", "single choice"),
        TallyKind::Multiple => lang.pick("多选", "multiple choice"),
        TallyKind::Ranking => lang.pick("排序", "ranking"),
        TallyKind::Scale { .. } => lang.pick("量表", "rating"),
        TallyKind::Number => lang.pick("数值", "number"),
    }
}

/// The table of one question in one group (`group` is the group's display name), or
/// `None` when nobody answered it.
pub fn table(q: &QuestionSummary, group: &str, min_cell: u64, lang: Lang) -> Option<Table> {
    if q.n == 0 {
        return None;
    }
    let kind = kind_name(q.kind, lang);
    let caption = match lang {
        Lang::Zh => format!("{group}：{}（{kind}，n = {}）", q.text, q.n),
        Lang::En => format!(
            "{group}: {} ({kind}, n = {})",
            q.text_en.as_deref().unwrap_or(&q.text),
            q.n
        ),
    };
    let id = format!("q-{}-{}", q.group, q.question);
    if q.suppressed {
        return Some(Table {
            id,
            caption,
            header: columns::header(&[Column::Result], lang),
            rows: vec![vec![Cell {
                suppressed: true,
                ..Cell::text(match lang {
                    Lang::Zh => format!("样本不足（少于 {min_cell} 人），不公布结果"),
                    Lang::En => format!("Fewer than {min_cell} answers: not published"),
                })
            }]],
            note: None,
        });
    }
    let (header, rows, note): (Vec<Column>, Vec<Vec<Cell>>, Option<String>) = match q.kind {
        TallyKind::Single | TallyKind::Multiple => (
            vec![Column::Option, Column::Respondents, Column::Share],
            share_rows(q, lang),
            (q.kind == TallyKind::Multiple).then(|| {
                lang.pick(
                    "多选题：占比为选择该项的人数占作答人数的比例，合计可超过 100%。",
                    "Multiple choice: shares of the respondents who answered; they may add up to more than 100%.",
                )
                .to_string()
            }),
        ),
        TallyKind::Ranking => (
            vec![Column::Option, Column::MeanPosition, Column::RankedFirst, Column::RankedFirstShare],
            q.options
                .iter()
                .map(|o| {
                    vec![
                        Cell::text(option_label(o, lang)),
                        o.mean_rank
                            .map_or_else(|| Cell::text("—"), |m| Cell::number(m, 2)),
                        count_cell(o.count),
                        percent_cell(o.percent),
                    ]
                })
                .collect(),
            Some(
                lang.pick(
                    "平均排序越小，表示越被看重（1 = 排在第一位）。",
                    "A smaller average position means ranked higher (1 = first).",
                )
                .to_string(),
            ),
        ),
        TallyKind::Scale { .. } => (
            vec![Column::Option, Column::Respondents, Column::Share],
            share_rows(q, lang),
            q.summary.as_ref().map(|s| {
                let mut t = match lang {
                    Lang::Zh => format!("均值 {:.2}", s.mean),
                    Lang::En => format!("Mean {:.2}", s.mean),
                };
                if let Some(sd) = s.sd {
                    t.push_str(&match lang {
                        Lang::Zh => format!("，标准差 {sd:.2}"),
                        Lang::En => format!(", SD {sd:.2}"),
                    });
                }
                t.push_str(&match lang {
                    Lang::Zh => format!("，中位数 {}", s.median),
                    Lang::En => format!(", median {}", s.median),
                });
                if let Some(n) = &q.nps {
                    t.push_str(&match lang {
                        Lang::Zh => format!(
                            "；推荐者（9–10 分）{:.1}%，中立者（7–8 分）{:.1}%，贬损者（0–6 分）{:.1}%，净推荐值 NPS = {:.1}",
                            n.promoters, n.passives, n.detractors, n.score
                        ),
                        Lang::En => format!(
                            "; promoters (9–10) {:.1}%, passives (7–8) {:.1}%, detractors (0–6) {:.1}%, NPS = {:.1}",
                            n.promoters, n.passives, n.detractors, n.score
                        ),
                    });
                }
                t.push_str(lang.pick("。", "."));
                t
            }),
        ),
        TallyKind::Number => (
            vec![Column::Same("n"), Column::Mean, Column::Sd, Column::Min, Column::Median, Column::Max],
            q.summary
                .as_ref()
                .map(|s| {
                    vec![
                        count_cell(q.n),
                        Cell::number(s.mean, 2),
                        s.sd.map_or_else(|| Cell::text("—"), |sd| Cell::number(sd, 2)),
                        Cell::number(s.min, 2),
                        Cell::number(s.median, 2),
                        Cell::number(s.max, 2),
                    ]
                })
                .into_iter()
                .collect(),
            None,
        ),
    };
    Some(Table {
        id,
        caption,
        header: columns::header(&header, lang),
        rows,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::tallies::{NetPromoter, NumberSummary};
    use crate::domain::Audience;

    fn summary(kind: TallyKind, suppressed: bool) -> QuestionSummary {
        QuestionSummary {
            group: Audience::Students,
            survey: "s".into(),
            question: "recommend".into(),
            text: "推荐<b>吗</b>".into(),
            text_en: Some("Recommend?".into()),
            kind,
            n: 10,
            suppressed,
            options: vec![OptionShare {
                code: "10".into(),
                label: "10".into(),
                label_en: None,
                count: 2,
                percent: 20.0,
                mean_rank: None,
            }],
            summary: Some(NumberSummary {
                mean: 7.1,
                sd: Some(3.281),
                median: 8.5,
                min: 0.0,
                max: 10.0,
            }),
            nps: Some(NetPromoter {
                promoters: 50.0,
                passives: 20.0,
                detractors: 30.0,
                score: 20.0,
            }),
        }
    }

    #[test]
    fn a_rating_table_carries_its_distribution_and_nps() {
        let t = table(
            &summary(TallyKind::Scale { min: 0, max: 10 }, false),
            "学生",
            5,
            Lang::Zh,
        )
        .expect("table");
        assert_eq!(t.caption, "学生：推荐<b>吗</b>（量表，n = 10）");
        assert_eq!(t.rows[0][2].text, "20.0%");
        let note = t.note.expect("note");
        assert!(note.contains("中位数 8.5"), "{note}");
        assert!(note.contains("净推荐值 NPS = 20.0"), "{note}");
    }

    #[test]
    fn english_captions_use_the_english_text() {
        let t = table(&summary(TallyKind::Single, false), "Students", 5, Lang::En).expect("table");
        assert_eq!(t.caption, "Students: Recommend? (single choice, n = 10)");
    }

    #[test]
    fn a_suppressed_question_shows_no_figures() {
        let t = table(&summary(TallyKind::Single, true), "学生", 5, Lang::Zh).expect("table");
        assert_eq!(t.rows.len(), 1);
        assert!(t.rows[0][0].suppressed);
        assert!(t.rows[0][0].text.contains("少于 5 人"));
    }
}
