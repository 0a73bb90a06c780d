//! The chapters of the report, in order, each written by its own function into the
//! document builder (`view::Builder`).

pub(crate) mod appendix;
pub(crate) mod background;
pub(crate) mod comparison;
pub(crate) mod design;
pub(crate) mod open_answers;
pub(crate) mod other_questions;
pub(crate) mod problems;
pub(crate) mod quality;
pub(crate) mod reliability;
pub(crate) mod results;
pub(crate) mod sample;
pub(crate) mod summary;
pub(crate) mod weighting;

#[cfg(test)]
mod tests {
    //! Each chapter written on its own from a small analysis (12 students and 12
    //! teachers on the two-indicator test framework of `analysis::scores`).

    use std::collections::BTreeMap;

    use crate::analysis::evaluation::{analyse, Analysis, View};
    use crate::analysis::frame::{build, ResponseInput};
    use crate::analysis::scores::tests::{info, survey};
    use crate::charts::ChartError;
    use crate::domain::campaign::CampaignInfo;
    use crate::domain::{AnswerValue, Audience, Survey};
    use crate::report::document::Block;
    use crate::report::narrative::{Facts, Lang};
    use crate::report::view::{Builder, ReportInput};

    fn sample() -> (CampaignInfo, Vec<Survey>, Analysis) {
        let info = info();
        let surveys = vec![survey(Audience::Students), survey(Audience::Teachers)];
        let attrs = BTreeMap::new();
        let answers: Vec<(usize, BTreeMap<String, AnswerValue>)> = (0..24)
            .map(|i| {
                let x = |d: i64| AnswerValue::Number(1 + (i as i64 + d) % 5);
                let map = [("q1", x(0)), ("q2", x(1)), ("q3", x(2)), ("q4", x(3))]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect();
                (i % 2, map)
            })
            .collect();
        let frames = build(
            answers.iter().map(|(s, a)| ResponseInput {
                survey: &surveys[*s],
                attributes: &attrs,
                answers: a,
            }),
            &[],
        )
        .expect("frames");
        let analysis = analyse(&info, &View::whole(frames), None).expect("analysis");
        (info, surveys, analysis)
    }

    type Write = for<'a, 'b, 'c> fn(&'b mut Builder<'a>, &'c Facts<'a>) -> Result<(), ChartError>;

    /// The blocks one chapter writes, and the ids of its headings.
    fn chapter(write: Write, lang: Lang) -> (Vec<Block>, Vec<String>) {
        chapter_with(write, lang, |_| {})
    }

    /// [`chapter`] of the sample analysis as `edit` changes it.
    fn chapter_with(
        write: Write,
        lang: Lang,
        edit: impl FnOnce(&mut Analysis),
    ) -> (Vec<Block>, Vec<String>) {
        let (info, surveys, mut analysis) = sample();
        edit(&mut analysis);
        let input = ReportInput {
            info: &info,
            analysis: &analysis,
            surveys: surveys.iter().collect(),
            fieldwork: Some(("2025-11-03".into(), "2025-11-20".into())),
            invited: [(Audience::Students, (20, 12))].into_iter().collect(),
            filters: Vec::new(),
            date: "2025年11月30日".into(),
            lang,
        };
        let facts = Facts::new(&input);
        let mut b = Builder {
            input: &input,
            blocks: Vec::new(),
            figures: Vec::new(),
            groups: analysis.responses.keys().copied().collect(),
        };
        write(&mut b, &facts).expect("chapter");
        let ids = b
            .blocks
            .iter()
            .filter_map(|bl| match bl {
                Block::Heading { id, .. } => Some(id.clone()),
                _ => None,
            })
            .collect();
        (b.blocks, ids)
    }

    fn tables(blocks: &[Block]) -> Vec<String> {
        blocks
            .iter()
            .filter_map(|bl| match bl {
                Block::Table(t) => Some(t.caption.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn each_chapter_writes_its_headings_in_order() {
        let cases: [(Write, &[&str]); 10] = [
            (super::summary::write, &["summary"]),
            (super::background::write, &["background"]),
            (
                super::design::write,
                &["design", "framework", "questionnaires", "fieldwork"],
            ),
            (super::sample::write, &["sample", "quality"]),
            (super::reliability::write, &["reliability"]),
            (
                super::results::write,
                &["results", "composite", "ind-A", "ind-B", "grades"],
            ),
            (super::other_questions::write, &[]),
            (super::comparison::write, &["comparison"]),
            (super::problems::write, &["problems", "recommendations"]),
            (
                super::appendix::write,
                &[
                    "appendix",
                    "appendix-questionnaires",
                    "appendix-frequencies",
                    "appendix-methods",
                    "appendix-suppression",
                ],
            ),
        ];
        for (write, expected) in cases {
            let (_, ids) = chapter(write, Lang::Zh);
            assert_eq!(ids, expected.to_vec());
        }
    }

    #[test]
    fn the_design_chapter_tabulates_framework_questionnaires_and_responses() {
        let (blocks, _) = chapter(super::design::write, Lang::Zh);
        let captions = tables(&blocks);
        assert!(
            captions.iter().any(|c| c.contains("评价指标体系")),
            "{captions:?}"
        );
        assert!(
            captions.iter().any(|c| c.contains("调查问卷")),
            "{captions:?}"
        );
        assert!(
            captions.iter().any(|c| c.contains("问卷回收情况")),
            "{captions:?}"
        );
        let (blocks, _) = chapter(super::design::write, Lang::En);
        let header = blocks
            .iter()
            .find_map(|bl| match bl {
                Block::Table(t) => Some(t.header.clone()),
                _ => None,
            })
            .expect("a table");
        assert!(
            header.iter().all(|h| h.is_ascii()),
            "English column headers: {header:?}"
        );
    }

    #[test]
    fn the_results_chapter_scores_both_groups_with_a_chart() {
        let (blocks, _) = chapter(super::results::write, Lang::Zh);
        assert!(blocks.iter().any(|bl| matches!(bl, Block::Figure(_))));
        let composite = blocks
            .iter()
            .find_map(|bl| match bl {
                Block::Table(t) if t.caption.contains("综合指数") => Some(t),
                _ => None,
            })
            .expect("the composite table");
        assert_eq!(
            composite.header.len(),
            5,
            "code, name, two groups, combined: {:?}",
            composite.header
        );
    }

    /// The open-answer appendix from a text section with one published group and one
    /// suppressed: the summary lists both, everything else only the published one.
    #[test]
    fn the_open_answer_appendix_shows_published_groups_only() {
        use crate::analysis::suppression::Suppressed;
        use crate::analysis::text::*;
        let share = ThemeShare {
            code: "equipment".into(),
            respondents: 6,
            share: 50.0,
            ci_low: 25.4,
            ci_high: 74.6,
        };
        let group = |g: Audience, n: u64, state: Suppressed| GroupText {
            group: g,
            questions: vec!["意见和建议".into()],
            respondents: n,
            suppressed: state,
            tokens: if state.is_hidden() { 0 } else { 40 },
            terms: Vec::new(),
            phrases: Vec::new(),
            themes: if state.is_hidden() {
                Vec::new()
            } else {
                vec![share.clone()]
            },
            uncoded: 0,
            uncoded_answers: Vec::new(),
            quotes: if state.is_hidden() {
                Vec::new()
            } else {
                vec![Quote {
                    theme: Some("equipment".into()),
                    text: "实训设备太旧，希望更新实训设备".into(),
                }]
            },
        };
        let text = TextReport {
            themes: vec![ThemeInfo {
                code: "equipment".into(),
                name: "实训设备".into(),
                name_en: "Equipment".into(),
                keywords: vec!["设备".into()],
            }],
            groups: vec![
                group(Audience::Students, 12, Suppressed::No),
                group(Audience::Teachers, 4, Suppressed::Primary),
            ],
            distinctive: Vec::new(),
            breakdowns: Vec::new(),
        };
        let (blocks, _) = chapter_with(super::appendix::write, Lang::Zh, |a| a.text = Some(text));
        let ids: Vec<String> = blocks
            .iter()
            .filter_map(|bl| match bl {
                Block::Table(t) => Some(t.id.clone()),
                _ => None,
            })
            .collect();
        assert!(ids.contains(&"text-summary".to_string()), "{ids:?}");
        assert!(ids.contains(&"text-themes".to_string()), "{ids:?}");
        assert!(ids.contains(&"text-quotes-students".to_string()), "{ids:?}");
        assert!(
            !ids.iter()
                .any(|i| i.starts_with("text-") && i.ends_with("-teachers")),
            "{ids:?}"
        );
        let themes = blocks
            .iter()
            .find_map(|bl| match bl {
                Block::Table(t) if t.id == "text-themes" => Some(t),
                _ => None,
            })
            .expect("themes table");
        assert_eq!(themes.header, vec!["主题", "关键词", "学生"]);
        assert_eq!(themes.rows[0][2].text, "50.0%");
    }
}
