//! Report text generated from the numbers by fixed rules (no model, no network): every
//! sentence quotes a figure that a table of the report shows, so it can be checked.

use super::view::{fmt1, shown, ReportInput};
use crate::analysis::evaluation::{Analysis, IndicatorRow};
use crate::analysis::Level;
use crate::domain::campaign::WeightMethod;
use crate::domain::{Audience, QuestionKind};

pub use crate::domain::Lang;

/// A group's name inside a sentence ("学生", "students").
fn g(a: Audience, lang: Lang) -> &'static str {
    a.in_sentence(lang)
}

pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".into()
    } else {
        format!("p={p:.3}")
    }
}

/// Published second-level scores, ranked.
pub struct Facts<'a> {
    pub a: &'a Analysis,
    pub ranked: Vec<(&'a IndicatorRow, f64)>,
    pub input: &'a ReportInput<'a>,
}

impl<'a> Facts<'a> {
    pub fn new(input: &'a ReportInput<'a>) -> Self {
        let a = input.analysis;
        let mut ranked: Vec<(&IndicatorRow, f64)> = a
            .indicators
            .iter()
            .filter(|i| i.level == Level::Second)
            .filter_map(|i| Some((i, shown(&i.combined)?)))
            .collect();
        ranked.sort_by(|x, y| y.1.total_cmp(&x.1));
        Facts { a, ranked, input }
    }
}

fn list(items: &[(&IndicatorRow, f64)]) -> String {
    items
        .iter()
        .map(|(i, v)| format!("{}（{v:.1} 分）", i.name))
        .collect::<Vec<_>>()
        .join("、")
}

pub fn summary(f: &Facts<'_>, lang: Lang) -> Vec<String> {
    let a = f.a;
    let total: u64 = a.responses.values().sum();
    let mut out = Vec::new();
    let parts: Vec<String> = a
        .responses
        .iter()
        .map(|(k, n)| format!("{} {n} 份", g(*k, lang)))
        .collect();
    let weights: Vec<String> = a
        .group_weights
        .iter()
        .map(|(k, w)| format!("{} {w:.2}", g(*k, lang)))
        .collect();
    match lang {
        Lang::Zh => {
            out.push(format!(
                "本次调研共回收有效问卷 {total} 份，其中{}。",
                parts.join("、")
            ));
            match shown(&a.composite.combined) {
                Some(c) => out.push(format!(
                    "按评价主体固定权重（{}）合成的校企合作质量综合指数为 {c:.1} 分（满分 100），评价等级为“{}”。",
                    weights.join("、"),
                    a.composite.combined.grade.clone().unwrap_or_default()
                )),
                None => out.push("有效样本不足，综合指数不予公布。".into()),
            }
            if f.ranked.len() >= 6 {
                out.push(format!(
                    "得分最高的三个二级指标是{}；得分最低的三个是{}。",
                    list(&f.ranked[..3]),
                    list(&f.ranked[f.ranked.len() - 3..])
                ));
            }
            if let Some(gap) = a.gaps.iter().find(|x| x.level != Level::Composite) {
                out.push(format!(
                    "评价主体之间分歧最大的指标是“{}”：{}评分比{}高 {:.1} 分。",
                    gap.name,
                    g(gap.highest, lang),
                    g(gap.lowest, lang),
                    gap.gap
                ));
            }
        }
        Lang::En => {
            let parts: Vec<String> = a
                .responses
                .iter()
                .map(|(k, n)| format!("{n} {}", g(*k, lang)))
                .collect();
            out.push(format!(
                "{total} valid responses were collected ({}).",
                parts.join(", ")
            ));
            if let Some(c) = shown(&a.composite.combined) {
                out.push(format!(
                    "The composite index of cooperation quality, combining groups with fixed weights ({}), is {c:.1} of 100, graded \"{}\".",
                    weights.join(", "),
                    a.composite.combined.grade.clone().unwrap_or_default()
                ));
            }
            if f.ranked.len() >= 6 {
                let en = |items: &[(&IndicatorRow, f64)]| {
                    items
                        .iter()
                        .map(|(i, v)| format!("{} {} ({v:.1})", i.code, i.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                out.push(format!(
                    "Strongest second-level indicators: {}; weakest: {}.",
                    en(&f.ranked[..3]),
                    en(&f.ranked[f.ranked.len() - 3..])
                ));
            }
            if let Some(gap) = a.gaps.iter().find(|x| x.level != Level::Composite) {
                out.push(format!(
                    "The groups disagree most on \"{}\": {} rate it {:.1} points above {}.",
                    gap.name,
                    g(gap.highest, lang),
                    gap.gap,
                    g(gap.lowest, lang)
                ));
            }
        }
    }
    out.extend(net_promoter(a, lang));
    out
}

/// One sentence per published 0–10 rating: its net promoter score (from the table in
/// 五、其他题目调查结果).
fn net_promoter(a: &Analysis, lang: Lang) -> Vec<String> {
    a.questions
        .iter()
        .filter(|q| !q.suppressed)
        .filter_map(|q| q.nps.as_ref().map(|n| (q, n)))
        .map(|(q, n)| match lang {
            Lang::Zh => format!(
                "{}对“{}”的净推荐值（NPS）为 {:.1}（推荐者 {:.1}%，贬损者 {:.1}%，n = {}）。",
                g(q.group, lang),
                q.text,
                n.score,
                n.promoters,
                n.detractors,
                q.n
            ),
            Lang::En => format!(
                "{}: net promoter score {:.1} for \"{}\" (promoters {:.1}%, detractors {:.1}%, n = {}).",
                g(q.group, lang),
                n.score,
                q.text_en.as_deref().unwrap_or(&q.text),
                n.promoters,
                n.detractors,
                q.n
            ),
        })
        .collect()
}

pub fn weights_method(a: &Analysis, lang: Lang) -> String {
    let zh = match a.weights.method {
        WeightMethod::Explicit => "指标权重由评价方在活动文件中设定（见表 1）。".to_string(),
        WeightMethod::Ahp => {
            let cr: Vec<String> = a.weights.ahp.iter().map(|r| format!("{:.3}", r.cr)).collect();
            format!("指标权重采用层次分析法（AHP）确定：由专家两两比较构造判断矩阵，取主特征向量为权重，各判断矩阵的一致性比率 CR 分别为 {}，均小于 0.10（见表 2）。", cr.join("、"))
        }
        WeightMethod::Entropy => format!("指标权重采用熵权法根据数据确定（评价单元：{}），先进行极差标准化，再按信息熵计算权重。", a.weights.entropy_units.join("、")),
    };
    match lang {
        Lang::Zh => format!(
            "指标体系按 CIPP 模式构建，包括 {} 个一级指标和 {} 个二级指标。{zh}",
            a.weights.first_level.len(),
            a.weights.second_level.len()
        ),
        Lang::En => format!(
            "{} first-level and {} second-level indicators; weights: {:?}.",
            a.weights.first_level.len(),
            a.weights.second_level.len(),
            a.weights.method
        ),
    }
}

pub fn fieldwork(f: &Facts<'_>, lang: Lang) -> String {
    match (&f.input.fieldwork, lang) {
        (Some((from, to)), Lang::Zh) => format!(
            "问卷通过手机链接发放，调查时间为 {from} 至 {to}，共回收有效问卷 {} 份。",
            f.a.responses.values().sum::<u64>()
        ),
        (Some((from, to)), Lang::En) => format!("Fieldwork from {from} to {to}."),
        (None, _) => lang.pick("尚未回收问卷。", "No responses yet.").into(),
    }
}

pub fn attribute_label(attr: &str, lang: Lang) -> &'static str {
    match (attr, lang) {
        ("sector", Lang::Zh) => "产业方向",
        ("school", Lang::Zh) => "学校",
        ("grade", Lang::Zh) => "年级",
        ("role", Lang::Zh) => "岗位",
        ("size", Lang::Zh) => "企业规模",
        ("sector", Lang::En) => "Sector",
        ("school", Lang::En) => "School",
        ("grade", Lang::En) => "Grade",
        ("role", Lang::En) => "Role",
        ("size", Lang::En) => "Enterprise size",
        (_, Lang::Zh) => "属性",
        (_, Lang::En) => "Attribute",
    }
}

/// The label of an attribute value from the questionnaire that records it.
pub fn value_label(input: &ReportInput<'_>, attr: &str, code: &str) -> String {
    for s in &input.surveys {
        for q in s.questions() {
            if q.attribute.as_deref() == Some(attr) {
                if let QuestionKind::Single { choices, other } = &q.kind {
                    if let Some(c) = choices.iter().find(|c| c.code == code) {
                        return c.label.clone();
                    }
                    if *other && code == crate::domain::OTHER_CODE {
                        return "其他".to_string();
                    }
                }
            }
        }
    }
    code.to_string()
}

pub fn reliability(input: &ReportInput<'_>, lang: Lang) -> String {
    let whole: Vec<String> = input
        .analysis
        .reliability
        .iter()
        .filter(|r| r.scale == "questionnaire")
        .filter_map(|r| {
            Some(format!(
                "{}问卷 α = {:.3}",
                g(r.group, lang),
                r.reliability.alpha?
            ))
        })
        .collect();
    let low = input
        .analysis
        .reliability
        .iter()
        .filter(|r| r.low_alpha)
        .count();
    match lang {
        Lang::Zh if !whole.is_empty() => {
            format!(
                "采用 Cronbach's α 系数检验问卷内部一致性：{}。{}",
                whole.join("，"),
                if low > 0 {
                    format!("有 {low} 个分量表 α 低于 0.7（多为仅含 2 题的分量表），相关指标的解读需谨慎。")
                } else {
                    "各分量表 α 均不低于 0.7。".into()
                }
            )
        }
        Lang::En if !whole.is_empty() => format!("Cronbach's α: {}.", whole.join(", ")),
        _ => lang
            .pick(
                "样本不足，未进行信度检验。",
                "Too few responses for reliability.",
            )
            .into(),
    }
}

pub fn composite(f: &Facts<'_>, lang: Lang) -> String {
    let a = f.a;
    let groups: Vec<String> = a
        .composite
        .by_group
        .iter()
        .filter_map(|(k, c)| Some(format!("{} {:.1} 分", g(*k, lang), shown(c)?)))
        .collect();
    match (shown(&a.composite.combined), lang) {
        (Some(c), Lang::Zh) => format!(
            "综合指数为 {c:.1} 分（95% 置信区间 {} 至 {}），等级“{}”。分评价主体看，{}。",
            fmt1(a.composite.combined.ci_low),
            fmt1(a.composite.combined.ci_high),
            a.composite.combined.grade.clone().unwrap_or_default(),
            if groups.is_empty() {
                "各主体样本不足".to_string()
            } else {
                groups.join("，")
            }
        ),
        (Some(c), Lang::En) => format!(
            "The composite index is {c:.1} (95% CI {} to {}), graded \"{}\"; by group: {}.",
            fmt1(a.composite.combined.ci_low),
            fmt1(a.composite.combined.ci_high),
            a.composite.combined.grade.clone().unwrap_or_default(),
            a.composite
                .by_group
                .iter()
                .filter_map(|(k, c)| Some(format!("{} {:.1}", g(*k, lang), shown(c)?)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (None, _) => lang
            .pick(
                "样本不足，不公布综合指数。",
                "Composite not published (too few responses).",
            )
            .into(),
    }
}

pub fn first_level(
    ind: &IndicatorRow,
    children: &[&IndicatorRow],
    groups: &[Audience],
    lang: Lang,
) -> String {
    let Some(score) = shown(&ind.combined) else {
        return lang
            .pick(
                "该指标样本不足，不公布得分。",
                "Not published (too few responses).",
            )
            .into();
    };
    let mut ranked: Vec<(&&IndicatorRow, f64)> = children
        .iter()
        .filter_map(|c| Some((c, shown(&c.combined)?)))
        .collect();
    ranked.sort_by(|x, y| y.1.total_cmp(&x.1));
    let by_group: Vec<String> = groups
        .iter()
        .filter_map(|k| {
            Some(format!(
                "{} {:.1}",
                g(*k, lang),
                shown(ind.by_group.get(k)?)?
            ))
        })
        .collect();
    match lang {
        Lang::Zh => {
            let mut s = format!(
                "“{}”综合得分 {score:.1} 分，等级“{}”",
                ind.name,
                ind.combined.grade.clone().unwrap_or_default()
            );
            if !by_group.is_empty() {
                s.push_str(&format!("（{}）", by_group.join("，")));
            }
            if let (Some(hi), Some(lo)) = (ranked.first(), ranked.last()) {
                if ranked.len() > 1 {
                    s.push_str(&format!(
                        "。其中“{}”最高（{:.1} 分），“{}”最低（{:.1} 分）",
                        hi.0.name, hi.1, lo.0.name, lo.1
                    ));
                }
            }
            s.push('。');
            s
        }
        Lang::En => {
            let mut s = format!(
                "{} scores {score:.1} overall ({})",
                ind.name,
                by_group.join(", ")
            );
            if let (Some(hi), Some(lo)) = (ranked.first(), ranked.last()) {
                if ranked.len() > 1 {
                    s.push_str(&format!(
                        "; highest {} ({:.1}), lowest {} ({:.1})",
                        hi.0.name, hi.1, lo.0.name, lo.1
                    ));
                }
            }
            s.push('.');
            s
        }
    }
}

pub fn bands(a: &Analysis, lang: Lang) -> String {
    let mut bands = a.method.grades.clone();
    bands.sort_by(|x, y| y.min.total_cmp(&x.min));
    let text: Vec<String> = bands
        .iter()
        .map(|b| format!("{} ≥ {:.0}", b.label, b.min))
        .collect();
    let counts: Vec<String> = bands
        .iter()
        .map(|b| {
            let n = a
                .indicators
                .iter()
                .filter(|i| {
                    i.level == Level::Second
                        && i.combined.grade.as_deref() == Some(b.label.as_str())
                })
                .count();
            format!("{} {n} 个", b.label)
        })
        .collect();
    match lang {
        Lang::Zh => format!(
            "等级划分：{}。二级指标综合得分中，{}。",
            text.join("，"),
            counts.join("，")
        ),
        Lang::En => format!("Grades: {}.", text.join(", ")),
    }
}

pub fn fuzzy_note(a: &Analysis, lang: Lang) -> String {
    let op = match a.method.fuzzy_operator {
        crate::analysis::fuzzy::Operator::WeightedAverage => "加权平均型算子 M(·,+)",
        crate::analysis::fuzzy::Operator::Zadeh => "主因素决定型算子 M(∧,∨)",
    };
    match lang {
        Lang::Zh => format!("隶属度为各等级回答所占比例（反向题已反向计分），采用{op}合成，按最大隶属度原则确定等级，得分按 V = (100, 75, 50, 25, 0) 计算。"),
        Lang::En => "Membership = share of answers per grade; V = (100, 75, 50, 25, 0).".into(),
    }
}

pub fn gaps(a: &Analysis, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    for gap in a
        .gaps
        .iter()
        .filter(|x| x.level != Level::Composite)
        .take(3)
    {
        let pair = gap.pairs.iter().find(|p| {
            (p.a == gap.highest && p.b == gap.lowest) || (p.a == gap.lowest && p.b == gap.highest)
        });
        let Some(p) = pair else { continue };
        let effect = match p.welch.hedges_g.abs() {
            x if x >= 0.8 => "大",
            x if x >= 0.5 => "中等",
            x if x >= 0.2 => "小",
            _ => "可忽略",
        };
        out.push(match lang {
            Lang::Zh => format!(
                "在“{}”上，{}的评分比{}高 {:.1} 分（Welch t = {:.2}，Holm 校正后 {}，效应量 Hedges g = {:.2}，属{}效应），{}。",
                gap.name,
                g(gap.highest, lang),
                g(gap.lowest, lang),
                gap.gap,
                p.welch.t.abs(),
                p_text(p.p_holm),
                p.welch.hedges_g.abs(),
                effect,
                if p.p_holm < 0.05 { "差异具有统计学意义，说明不同主体对该方面的感受明显不同" } else { "差异未达到统计学显著水平" }
            ),
            Lang::En => format!("{}: {} rate it {:.1} points above {} ({}).", gap.name, g(gap.highest, lang), gap.gap, g(gap.lowest, lang), p_text(p.p_holm)),
        });
    }
    if out.is_empty() {
        out.push(
            lang.pick(
                "样本不足，未进行评价主体间比较。",
                "Too few responses to compare groups.",
            )
            .into(),
        );
    }
    out
}

/// A problem found, with the indicator it concerns (for the recommendation rule).
pub struct ProblemFound {
    pub code: String,
    pub text: String,
}

/// Problems: the weakest indicators (below 70 or the three lowest), the largest
/// significant gaps, each with its worst item.
pub fn problems(input: &ReportInput<'_>) -> Vec<ProblemFound> {
    let a = input.analysis;
    let lang = input.lang;
    let facts = Facts::new(input);
    let mut out: Vec<ProblemFound> = Vec::new();
    let weakest: Vec<&(&IndicatorRow, f64)> = facts.ranked.iter().rev().take(3).collect();
    for (ind, score) in weakest {
        let worst = a
            .items
            .iter()
            .filter(|i| i.indicator == ind.code && i.mean.is_some())
            .map(|i| {
                (
                    i,
                    if i.reverse {
                        f64::from(i.points) + 1.0 - i.mean.unwrap_or(0.0)
                    } else {
                        i.mean.unwrap_or(0.0)
                    },
                )
            })
            .min_by(|x, y| x.1.total_cmp(&y.1));
        let mut text = match lang {
            Lang::Zh => format!(
                "“{}”得分偏低：综合得分 {score:.1} 分，等级“{}”，在 {} 个二级指标中排名靠后。",
                ind.name,
                ind.combined.grade.clone().unwrap_or_default(),
                facts.ranked.len()
            ),
            Lang::En => format!("{} scores low: {score:.1} overall, among the lowest of {} second-level indicators.", ind.name, facts.ranked.len()),
        };
        if let (Some((item, _)), Lang::En) = (worst, lang) {
            text.push_str(&format!(
                " Its weakest item for {} is \"{}\": mean {:.2} of {}{}, {:.1}% agree or strongly agree.",
                g(item.group, lang),
                item.text,
                item.mean.unwrap_or(0.0),
                item.points,
                if item.reverse { " (reverse-coded: higher means a bigger problem)" } else { "" },
                item.top2_share.unwrap_or(0.0)
            ));
        }
        if let (Some((item, _)), Lang::Zh) = (worst, lang) {
            text.push_str(&format!(
                "其中{}对“{}”的平均评分为 {:.2}（{}），同意及以上比例为 {:.1}%。",
                g(item.group, lang),
                item.text.trim_end_matches('。'),
                item.mean.unwrap_or(0.0),
                if item.reverse {
                    "反向题，评分越高表示问题越突出".to_string()
                } else {
                    format!("满分 {} 分", item.points)
                },
                item.top2_share.unwrap_or(0.0)
            ));
        }
        out.push(ProblemFound {
            code: ind.code.clone(),
            text,
        });
    }
    for gap in a
        .gaps
        .iter()
        .filter(|x| x.level == Level::Second && x.gap >= 5.0)
        .take(2)
    {
        if out.iter().any(|p| p.code == gap.code) {
            continue;
        }
        let significant = gap.pairs.iter().any(|p| p.p_holm < 0.05);
        if !significant {
            continue;
        }
        out.push(ProblemFound {
            code: gap.code.clone(),
            text: match lang {
                Lang::Zh => format!(
                    "各方对“{}”的看法分歧明显：{}评分比{}低 {:.1} 分，差异经 Holm 校正后仍显著。",
                    gap.name,
                    g(gap.lowest, lang),
                    g(gap.highest, lang),
                    gap.gap
                ),
                Lang::En => format!("Groups disagree on {}: gap {:.1}.", gap.name, gap.gap),
            },
        });
    }
    if out.is_empty() {
        out.push(ProblemFound {
            code: String::new(),
            text: lang
                .pick(
                    "有效样本不足，暂不能识别主要问题。",
                    "Too few responses to identify problems.",
                )
                .into(),
        });
    }
    out
}

pub fn recommendation(input: &ReportInput<'_>, p: &ProblemFound) -> String {
    let name = input.info.framework.name_of(&p.code).unwrap_or_default();
    match (input.info.recommendations.get(&p.code), input.lang) {
        (_, _) if p.code.is_empty() => input.lang.pick("扩大调查样本后再形成建议。", "Collect more responses first.").into(),
        (Some(text), Lang::Zh) => format!("针对“{name}”：{text}"),
        (Some(text), Lang::En) => format!("On \"{name}\": {text}"),
        (None, Lang::Zh) => format!("针对“{name}”：建议校企双方共同分析原因，制定专项整改措施并在下一轮调查中跟踪改进效果。"),
        (None, Lang::En) => format!("On \"{name}\": school and enterprises should analyse the causes together, agree specific measures and track them in the next survey."),
    }
}

pub fn method_notes(a: &Analysis, lang: Lang) -> Vec<String> {
    match lang {
        Lang::Zh => vec![
            "计分：李克特题按 100 ×（x − 1）/（量表点数 − 1）换算为 0–100 分，反向题先反向计分。".into(),
            format!("受访者回答某二级指标不少于 {:.0}% 的题目时计入该指标，其指标得分为所答题目平均分；一级指标和综合指数按权重加权，仅对有数据的指标重新归一化。", a.method.min_item_share * 100.0),
            "各评价主体得分为受访者平均分，并给出 t 分布 95% 置信区间；“综合”按评价主体固定权重合成（不按人数），置信区间按分层抽样方差计算。".into(),
            "评价主体间比较采用 Welch t 检验（Holm 多重比较校正）和 Kruskal–Wallis 检验，效应量分别为 Hedges g 与 ε²。".into(),
            "信度采用 Cronbach's α 系数及 Feldt 置信区间；完整的方法与算例见 docs/methods.md。".into(),
        ],
        Lang::En => vec![
            "Scoring: a Likert answer x on a k-point scale scores 100 × (x − 1)/(k − 1), reverse-coded items flipped first.".into(),
            format!("A respondent counts toward an indicator after answering at least {:.0}% of its items; higher levels are weighted means re-normalised over indicators with data.", a.method.min_item_share * 100.0),
            "Group scores are means over respondents with t-based 95% CIs; the combined column uses fixed group weights (not headcount) with a stratified CI.".into(),
            "Groups are compared with Welch t-tests (Holm correction) and Kruskal–Wallis; effect sizes Hedges g and ε². Reliability: Cronbach's α with Feldt CI. Details and worked examples: docs/methods.md.".into(),
        ],
    }
}

pub fn suppression_note(a: &Analysis, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!(
            "为保护受访者隐私，有效样本少于 {} 人的单元格不公布均值和百分比，显示为“样本不足”；当合计已公布时，同时隐藏其他单元格，使被隐藏的数值无法通过相减反推。",
            a.method.min_cell_size
        ),
        Lang::En => format!("Cells with fewer than {} respondents are not published.", a.method.min_cell_size),
    }
}
