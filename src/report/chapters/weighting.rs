//! 三、样本概况 → 加权: how respondents were weighted to the population, each group's
//! effective sample size and design effect, and what the weights could not match.

use crate::analysis::weighting::{GroupWeighting, MarginValue, WeightingReport};
use crate::domain::weighting::WeightingMethod;
use crate::domain::Lang;
use crate::report::columns::{self, Column};
use crate::report::document::{Cell, Table};
use crate::report::narrative;
use crate::report::view::*;

pub(crate) fn write(b: &mut Builder<'_>) {
    let input = b.input;
    let Some(w) = &input.analysis.weighting else {
        return;
    };
    let lang = input.lang;
    b.h(2, "weighting", "加权", "Weighting");
    b.p(statement(w, lang));
    b.table(group_table(b, w, lang));
    let notes: Vec<String> = w
        .groups
        .iter()
        .filter(|g| b.groups.contains(&g.group))
        .map(|g| caveats(b, g, w, lang))
        .collect();
    for n in notes {
        b.p(n);
    }
}

fn method_name(m: WeightingMethod, lang: Lang) -> &'static str {
    match m {
        WeightingMethod::None => lang.pick("不加权", "no weighting"),
        WeightingMethod::Cell => lang.pick(
            "单元加权（事后分层）",
            "cell weighting (post-stratification)",
        ),
        WeightingMethod::Raking => lang.pick(
            "迭代比例拟合（raking）",
            "raking (iterative proportional fitting)",
        ),
    }
}

/// The method, its parameters and what is and is not weighted.
fn statement(w: &WeightingReport, lang: Lang) -> String {
    let method = method_name(w.method, lang);
    let (tol, iter) = (w.tolerance, w.max_iterations);
    let trim = match (w.trim, lang) {
        (Some(t), Lang::Zh) => format!("权重截尾于组内平均权重的 {t} 倍；"),
        (Some(t), Lang::En) => format!(" Weights are capped at {t} times the group's mean weight."),
        (None, _) => String::new(),
    };
    match lang {
        Lang::Zh => format!(
            "为使样本结构与总体（在校生、教职工和企业等实际人数）一致，本报告对答卷进行加权，方法为{method}：各评价主体分别按总体数加权，权重在评价主体内平均为 1；迭代在各类别加权占比与总体占比之差小于 {tol} 时停止，最多 {iter} 轮；{trim}筛选视图沿用全部答卷计算的权重。得分、标准差、百分比和置信区间均按权重计算，置信区间和评价主体间的 Welch 检验使用 Kish 有效样本量 n_eff = (Σw)²/Σw²；人数仍为实际答卷数。信度系数（α）、重要性—表现分析、数据质量敏感性分析和开放题分析（词频、主题占比）不加权，加权时不做 Kruskal–Wallis 检验。"
        ),
        Lang::En => format!(
            "So that the sample has the structure of the population (actual numbers of students, staff and enterprises), responses are weighted by {method}: each group separately to its population counts, with a mean weight of 1 within the group; iteration stops when every weighted share is within {tol} of its population share, after at most {iter} sweeps.{trim} Filtered views keep the weights computed over all responses. Scores, SDs, percentages and confidence intervals are weighted; the intervals and the Welch tests between groups use Kish's effective sample size n_eff = (Σw)²/Σw²; counts remain actual responses. Reliability (α), the importance–performance analysis, the data quality sensitivity table and the open-answer analysis (term counts, theme shares) are unweighted, and no Kruskal–Wallis test is made when weighting."
        ),
    }
}

fn group_table(b: &Builder<'_>, w: &WeightingReport, lang: Lang) -> Table {
    let rows = w
        .groups
        .iter()
        .filter(|g| b.groups.contains(&g.group))
        .map(|g| {
            let by = if g.weighted {
                g.attributes
                    .iter()
                    .map(|a| narrative::attribute_label(a, lang))
                    .collect::<Vec<_>>()
                    .join(lang.pick("、", ", "))
            } else {
                lang.pick("未加权（无总体数）", "unweighted (no population counts)")
                    .to_string()
            };
            vec![
                Cell::text(group_name(g.group, lang)),
                Cell::text(by),
                Cell::number(g.respondents as f64, 0),
                Cell::number(g.effective_n, 1),
                Cell::number(g.design_effect, 2),
                Cell::number(f64::from(g.iterations), 0),
            ]
        })
        .collect();
    Table {
        id: "weighting".into(),
        caption: lang
            .pick("加权与有效样本量", "Weighting and effective sample size")
            .into(),
        header: columns::header(
            &[
                Column::Group,
                Column::WeightedBy,
                Column::Returned,
                Column::EffectiveN,
                Column::DesignEffect,
                Column::Iterations,
            ],
            lang,
        ),
        rows,
        note: Some(
            lang.pick(
                "设计效应 = 答卷数 / 有效样本量，表示权重不等使估计精度下降的倍数。",
                "Design effect = responses / effective n: how much unequal weights reduce precision.",
            )
            .into(),
        ),
    }
}

fn values(b: &Builder<'_>, v: &[MarginValue], lang: Lang) -> String {
    v.iter()
        .map(|m| {
            format!(
                "{}{}",
                narrative::attribute_label(&m.attribute, lang),
                lang.pick("：", ": ")
            ) + &narrative::value_label(b.input, &m.attribute, &m.value)
        })
        .collect::<Vec<_>>()
        .join(lang.pick("；", "; "))
}

/// What the weights of one group could not do, in one paragraph (empty when nothing).
fn caveats(b: &Builder<'_>, g: &GroupWeighting, w: &WeightingReport, lang: Lang) -> String {
    let name = group_name(g.group, lang);
    let mut out = Vec::new();
    if !g.empty.is_empty() {
        let v = values(b, &g.empty, lang);
        out.push(match lang {
            Lang::Zh => format!("{name}中以下总体类别没有答卷，其总体占比分摊到其余类别：{v}。"),
            Lang::En => format!("{name}: these population categories have no responses, and their share is spread over the others: {v}."),
        });
    }
    if !g.unmatched.is_empty() {
        let v = values(b, &g.unmatched, lang);
        out.push(match lang {
            Lang::Zh => format!("{name}中以下答卷类别不在总体数中，这些答卷不按该变量调整：{v}。"),
            Lang::En => format!("{name}: these answered categories are not in the population counts, so those responses are not adjusted on that attribute: {v}."),
        });
    }
    if g.unknown > 0 {
        let n = g.unknown;
        out.push(match lang {
            Lang::Zh => format!("{name}有 {n} 份答卷缺少加权变量的取值，保持其在样本中的比重。"),
            Lang::En => format!("{name}: {n} responses have no value of a weighting attribute and keep their share of the sample."),
        });
    }
    if g.weighted && !g.converged {
        let iter = w.max_iterations;
        out.push(match lang {
            Lang::Zh => format!("{name}的加权在 {iter} 轮内未收敛（或截尾后无法同时满足各边际），加权占比与总体占比仍有差距，解读时请注意。"),
            Lang::En => format!("{name}: weighting did not converge within {iter} sweeps (or trimming keeps the margins from being met together); weighted shares still differ from the population's, so read with care."),
        });
    }
    if g.trimmed > 0 {
        let n = g.trimmed;
        out.push(match lang {
            Lang::Zh => format!("{name}有 {n} 份答卷的权重被截尾。"),
            Lang::En => format!("{name}: {n} responses had their weight capped."),
        });
    }
    out.join(lang.pick("", " "))
}
