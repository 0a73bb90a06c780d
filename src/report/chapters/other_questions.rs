//! 五（三）其他题目调查结果: questions described rather than scored, one table per question and group.

use crate::charts::ChartError;
use crate::report::document::Table;
use crate::report::narrative;
use crate::report::view::*;

pub(crate) fn write<'a>(
    b: &mut Builder<'a>,
    _facts: &narrative::Facts<'a>,
) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let a = input.analysis;
    let lang = input.lang;
    // Questions described rather than scored: one table per question and group.
    let described: Vec<Table> = a
        .questions
        .iter()
        .filter_map(|q| {
            crate::report::questions::table(
                q,
                group_name(q.group, lang),
                a.method.min_cell_size,
                lang,
            )
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
    Ok(())
}
