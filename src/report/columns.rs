//! The column headings of the report's tables, named by id: each has its Chinese and
//! English text here, so a table is built from ids and translated in one place.

use crate::domain::Lang;

/// A column of a report table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum Column {
    /// 一级指标 / First level
    FirstLevel,
    /// 权重 / Weight
    Weight,
    /// 二级指标 / Second level
    SecondLevel,
    /// 综合权重 / Global weight
    GlobalWeight,
    /// 评价主体 / Group
    Group,
    /// 判断矩阵 / Matrix
    Matrix,
    /// 问卷 / Questionnaire
    Questionnaire,
    /// 量表题数 / Likert items
    LikertItems,
    /// 反向题数 / Reverse-coded
    ReverseCoded,
    /// 量表 / Scale
    Scale,
    /// 发放 / Invited
    Invited,
    /// 回收 / Returned
    Returned,
    /// 有效 / Valid
    Valid,
    /// 回收率 / Rate
    ResponseRate,
    /// 题数 / Items
    Items,
    /// 有效样本 / n
    ValidN,
    /// 判断 / Verdict
    Verdict,
    /// 删除后 α 提高的题目 / Items raising α if deleted
    AlphaIfDeleted,
    /// 代码 / Code
    Code,
    /// 指标 / Indicator
    Indicator,
    /// 评价等级 / Grade
    Grade,
    /// 得分 / Score
    Score,
    /// 上一轮 / Previous
    Previous,
    /// 本轮 / Current
    Current,
    /// 变化 / Change
    Change,
    /// 排序 / Rank
    Rank,
    /// 最高/最低主体 / Highest / lowest group
    HighestLowest,
    /// 差距（分） / Gap (points)
    Gap,
    /// p（Holm 校正） / p (Holm)
    PHolm,
    /// 题号 / Item
    ItemNo,
    /// 题目 / Text
    ItemText,
    /// 反向 / Reverse
    Reverse,
    /// 均值 / Mean
    Mean,
    /// 前两项占比 / Top-2 share
    TopTwo,
    /// 序号 / No.
    No,
    /// 回答 / Answer
    Answer,
    /// 选项 / Option
    Option,
    /// 人数 / Respondents
    Respondents,
    /// 占比 / Share
    Share,
    /// 平均排序 / Mean position
    MeanPosition,
    /// 排第一位人数 / Ranked first
    RankedFirst,
    /// 排第一位占比 / Ranked first (share)
    RankedFirstShare,
    /// 标准差 / SD
    Sd,
    /// 最小值 / Min
    Min,
    /// 中位数 / Median
    Median,
    /// 最大值 / Max
    Max,
    /// 结果 / Result
    Result,
    /// 任一标记 / Any flag
    AnyFlag,
    /// 已剔除 / Excluded
    Excluded,
    /// 计时答卷 / Timed
    Timed,
    /// 中位用时（秒） / Median time (s)
    MedianSeconds,
    /// 含标记答卷 / With flagged
    WithFlagged,
    /// 不含标记答卷 / Without flagged
    WithoutFlagged,
    /// 加权变量 / Weighted by
    WeightedBy,
    /// 有效样本量 / Effective n
    EffectiveN,
    /// 设计效应 / Design effect
    DesignEffect,
    /// 迭代次数 / Iterations
    Iterations,
    /// 差值 / Difference
    Difference,
    /// 词语 / Term
    Term,
    /// 词频 / Uses
    Uses,
    /// 其他主体词频 / Uses by others
    OtherUses,
    /// 加权对数优势比 / Weighted log-odds
    LogOdds,
    /// 主题 / Theme
    Theme,
    /// 关键词 / Keywords
    Keywords,
    /// 引文 / Quote
    Quote,
    /// 填写人数 / Respondents who wrote
    Wrote,
    /// 有效词数 / Words counted
    Words,
    /// 未归入主题 / In no theme
    Uncoded,
    /// A technical heading that reads the same in both languages (α, CI, Welch t, …).
    Same(&'static str),
}

impl Column {
    pub fn zh(self) -> &'static str {
        match self {
            Column::FirstLevel => "一级指标",
            Column::Weight => "权重",
            Column::SecondLevel => "二级指标",
            Column::GlobalWeight => "综合权重",
            Column::Group => "评价主体",
            Column::Matrix => "判断矩阵",
            Column::Questionnaire => "问卷",
            Column::LikertItems => "量表题数",
            Column::ReverseCoded => "反向题数",
            Column::Scale => "量表",
            Column::Invited => "发放",
            Column::Returned => "回收",
            Column::Valid => "有效",
            Column::ResponseRate => "回收率",
            Column::Items => "题数",
            Column::ValidN => "有效样本",
            Column::Verdict => "判断",
            Column::AlphaIfDeleted => "删除后 α 提高的题目",
            Column::Code => "代码",
            Column::Indicator => "指标",
            Column::Grade => "评价等级",
            Column::Score => "得分",
            Column::Previous => "上一轮",
            Column::Current => "本轮",
            Column::Change => "变化",
            Column::Rank => "排序",
            Column::HighestLowest => "最高/最低主体",
            Column::Gap => "差距（分）",
            Column::PHolm => "p（Holm 校正）",
            Column::ItemNo => "题号",
            Column::ItemText => "题目",
            Column::Reverse => "反向",
            Column::Mean => "均值",
            Column::TopTwo => "前两项占比",
            Column::No => "序号",
            Column::Answer => "回答",
            Column::Option => "选项",
            Column::Respondents => "人数",
            Column::Share => "占比",
            Column::MeanPosition => "平均排序",
            Column::RankedFirst => "排第一位人数",
            Column::RankedFirstShare => "排第一位占比",
            Column::Sd => "标准差",
            Column::Min => "最小值",
            Column::Median => "中位数",
            Column::Max => "最大值",
            Column::Result => "结果",
            Column::AnyFlag => "任一标记",
            Column::Excluded => "已剔除",
            Column::Timed => "计时答卷",
            Column::MedianSeconds => "中位用时（秒）",
            Column::WithFlagged => "含标记答卷",
            Column::WithoutFlagged => "不含标记答卷",
            Column::Difference => "差值",
            Column::Term => "词语",
            Column::Uses => "词频",
            Column::OtherUses => "其他主体词频",
            Column::LogOdds => "加权对数优势比",
            Column::Theme => "主题",
            Column::Keywords => "关键词",
            Column::Quote => "引文",
            Column::Wrote => "填写人数",
            Column::Words => "有效词数",
            Column::Uncoded => "未归入主题",
            Column::WeightedBy => "加权变量",
            Column::EffectiveN => "有效样本量",
            Column::DesignEffect => "设计效应",
            Column::Iterations => "迭代次数",
            Column::Same(s) => s,
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Column::FirstLevel => "First level",
            Column::Weight => "Weight",
            Column::SecondLevel => "Second level",
            Column::GlobalWeight => "Global weight",
            Column::Group => "Group",
            Column::Matrix => "Matrix",
            Column::Questionnaire => "Questionnaire",
            Column::LikertItems => "Likert items",
            Column::ReverseCoded => "Reverse-coded",
            Column::Scale => "Scale",
            Column::Invited => "Invited",
            Column::Returned => "Returned",
            Column::Valid => "Valid",
            Column::ResponseRate => "Rate",
            Column::Items => "Items",
            Column::ValidN => "n",
            Column::Verdict => "Verdict",
            Column::AlphaIfDeleted => "Items raising α if deleted",
            Column::Code => "Code",
            Column::Indicator => "Indicator",
            Column::Grade => "Grade",
            Column::Score => "Score",
            Column::Previous => "Previous",
            Column::Current => "Current",
            Column::Change => "Change",
            Column::Rank => "Rank",
            Column::HighestLowest => "Highest / lowest group",
            Column::Gap => "Gap (points)",
            Column::PHolm => "p (Holm)",
            Column::ItemNo => "Item",
            Column::ItemText => "Text",
            Column::Reverse => "Reverse",
            Column::Mean => "Mean",
            Column::TopTwo => "Top-2 share",
            Column::No => "No.",
            Column::Answer => "Answer",
            Column::Option => "Option",
            Column::Respondents => "Respondents",
            Column::Share => "Share",
            Column::MeanPosition => "Mean position",
            Column::RankedFirst => "Ranked first",
            Column::RankedFirstShare => "Ranked first (share)",
            Column::Sd => "SD",
            Column::Min => "Min",
            Column::Median => "Median",
            Column::Max => "Max",
            Column::Result => "Result",
            Column::AnyFlag => "Any flag",
            Column::Excluded => "Excluded",
            Column::Timed => "Timed",
            Column::MedianSeconds => "Median time (s)",
            Column::WithFlagged => "With flagged",
            Column::WithoutFlagged => "Without flagged",
            Column::Difference => "Difference",
            Column::Term => "Term",
            Column::Uses => "Uses",
            Column::OtherUses => "Uses by others",
            Column::LogOdds => "Weighted log-odds",
            Column::Theme => "Theme",
            Column::Keywords => "Keywords",
            Column::Quote => "Quote",
            Column::Wrote => "Respondents who wrote",
            Column::Words => "Words counted",
            Column::Uncoded => "In no theme",
            Column::WeightedBy => "Weighted by",
            Column::EffectiveN => "Effective n",
            Column::DesignEffect => "Design effect",
            Column::Iterations => "Iterations",
            Column::Same(s) => s,
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        lang.pick(self.zh(), self.en())
    }
}

/// A table header from column ids.
pub fn header(columns: &[Column], lang: Lang) -> Vec<String> {
    columns.iter().map(|c| c.label(lang).to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn every_column_has_both_texts_and_the_english_holds_no_chinese() {
        let mut zh = std::collections::HashSet::new();
        for c in Column::iter().filter(|c| !matches!(c, Column::Same(_))) {
            assert!(!c.zh().is_empty() && !c.en().is_empty(), "{c:?}");
            let cjk = |ch: char| {
                ('\u{3000}'..='\u{9fff}').contains(&ch) || ('\u{ff00}'..='\u{ffef}').contains(&ch)
            };
            assert!(
                !c.en().chars().any(cjk),
                "{c:?}: the English heading holds Chinese"
            );
            assert!(zh.insert(c.zh()), "{c:?} repeats a Chinese heading");
        }
        assert_eq!(
            header(&[Column::Mean, Column::Same("n")], Lang::En),
            ["Mean", "n"]
        );
        assert_eq!(
            header(&[Column::Mean, Column::Same("n")], Lang::Zh),
            ["均值", "n"]
        );
    }
}
