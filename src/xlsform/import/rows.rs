//! The survey sheet, row by row: groups become pages (or Likert matrices, or conditions
//! on their questions), question rows become typed questions, and every expression is
//! kept to check its references once all questions are known.

use std::collections::{HashMap, HashSet};

use super::choices::Lists;
use super::columns::{lang_cols, media_columns, yes, LangCols};
use super::row_type::{row_type, RowType};
use super::Settings;
use crate::domain::expr::valid_name;
use crate::domain::{
    Choice, Expression, Framework, MatrixHeader, Question, QuestionKind, Section, OTHER_CODE,
};
use crate::xlsform::sheet::{Row, Table};
use crate::xlsform::XlsProblem;

/// Columns whose features Chorus refuses, with the reason.
const UNSUPPORTED_COLUMNS: [(&str, &str); 4] = [
    (
        "choice_filter",
        "cascading selects (choice_filter) are not supported",
    ),
    ("repeat_count", "repeats are not supported"),
    ("calculation", "calculations are not supported"),
    ("trigger", "triggers are not supported"),
];

/// The survey sheet with the columns every row reads, found once.
pub(super) struct SurveySheet<'a> {
    t: &'a Table,
    type_col: Option<usize>,
    name_col: Option<usize>,
    labels: LangCols,
    hints: LangCols,
    req_msgs: LangCols,
    con_msgs: LangCols,
    media: Vec<usize>,
    lists: &'a Lists,
    scale_list: Option<&'a str>,
    framework: Option<&'a Framework>,
}

impl<'a> SurveySheet<'a> {
    /// The sheet's columns, or the one problem that stops the import (no type or name).
    pub(super) fn new(
        t: &'a Table,
        settings: &'a Settings,
        lists: &'a Lists,
        framework: Option<&'a Framework>,
    ) -> Result<Self, Vec<XlsProblem>> {
        let (type_col, name_col) = (t.col("type"), t.col("name"));
        if type_col.is_none() || name_col.is_none() {
            return Err(vec![XlsProblem {
                sheet: t.name.clone(),
                row: Some(1),
                column: None,
                message: "the survey sheet needs type and name columns".into(),
            }]);
        }
        let lang = settings.default_language.as_deref();
        Ok(SurveySheet {
            t,
            type_col,
            name_col,
            labels: lang_cols(t, "label", lang),
            hints: lang_cols(t, "hint", lang),
            req_msgs: lang_cols(t, "required_message", lang),
            con_msgs: lang_cols(t, "constraint_message", lang),
            media: media_columns(t),
            lists,
            scale_list: settings.scale_list.as_deref(),
            framework,
        })
    }

    fn col(&self, n: &str) -> Option<usize> {
        self.t.col(n)
    }

    /// A refused column is named at its first non-empty cell.
    pub(super) fn unsupported_columns(&self) -> Vec<XlsProblem> {
        let t = self.t;
        UNSUPPORTED_COLUMNS
            .iter()
            .filter_map(|(col, what)| {
                let ci = t.col(col)?;
                let row = t.rows.iter().find(|r| !t.get(r, Some(ci)).is_empty())?;
                Some(t.problem(row, Some(ci), *what))
            })
            .collect()
    }
}

/// One row of the survey sheet, read by column name.
struct Cells<'a> {
    s: &'a SurveySheet<'a>,
    row: &'a Row,
}

impl Cells<'_> {
    fn cell(&self, n: &str) -> String {
        self.s.t.get(self.row, self.s.col(n)).to_string()
    }

    fn opt(&self, n: &str) -> Option<String> {
        Some(self.cell(n)).filter(|s| !s.is_empty())
    }

    fn problem(&self, col: Option<usize>, message: impl Into<String>) -> XlsProblem {
        self.s.t.problem(self.row, col, message)
    }

    /// A problem in the named column.
    fn at(&self, n: &str, message: impl Into<String>) -> XlsProblem {
        self.problem(self.s.col(n), message)
    }

    fn int(&self, n: &str, problems: &mut Vec<XlsProblem>) -> Option<i64> {
        let v = self.opt(n)?;
        v.parse::<i64>().ok().or_else(|| {
            problems.push(self.at(n, format!("{n} {v:?} must be a whole number")));
            None
        })
    }

    fn decimal(&self, n: &str, problems: &mut Vec<XlsProblem>) -> Option<f64> {
        let v = self.opt(n)?;
        v.parse::<f64>().ok().filter(|x| x.is_finite()).or_else(|| {
            problems.push(self.at(n, format!("{n} {v:?} must be a number")));
            None
        })
    }
}

/// A group being read: its questions, and how it ends up (page, matrix, or inline).
struct Frame {
    name: String,
    label: String,
    label_en: Option<String>,
    relevant: Option<String>,
    table_list: bool,
    questions: Vec<Question>,
    row: u32,
}

/// An expression of a row, with where it stands, to check its references at the end.
struct Logic {
    owner: String,
    position: usize,
    row: u32,
    column: &'static str,
    expr: Expression,
}

/// What the rows of the survey sheet build up.
#[derive(Default)]
pub(super) struct Build {
    pub(super) problems: Vec<XlsProblem>,
    pub(super) notes: Vec<String>,
    pub(super) scale: Option<(String, Vec<Choice>)>,
    pub(super) sections: Vec<Section>,
    pub(super) indicators: Vec<String>,
    loose: Vec<Question>,
    stack: Vec<Frame>,
    seen: HashSet<String>,
    order: Vec<String>,
    logic: Vec<Logic>,
}

fn and(a: Option<&str>, b: Option<&str>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("({a}) and ({b})")),
        (Some(x), None) | (None, Some(x)) => Some(x.to_string()),
        (None, None) => None,
    }
}

fn likert_codes(choices: &[Choice]) -> bool {
    !choices.is_empty()
        && choices
            .iter()
            .enumerate()
            .all(|(i, c)| c.code == (i + 1).to_string())
}

/// A `table-list` group of plain Likert items (attention checks among them) is one
/// matrix, headed by the group.
fn mark_matrix(frame: &Frame, qs: &mut [Question]) {
    let matrix = frame.table_list
        && qs
            .iter()
            .any(|q| matches!(q.kind, QuestionKind::Likert { .. }))
        && qs.iter().all(|q| {
            matches!(
                q.kind,
                QuestionKind::Likert { .. } | QuestionKind::Attention { .. }
            ) && q.relevant.is_none()
                && q.constraint.is_none()
        });
    if matrix && valid_name(&frame.name) {
        for q in qs {
            q.matrix = Some(MatrixHeader {
                id: frame.name.clone(),
                text: frame.label.clone(),
                text_en: frame.label_en.clone(),
            });
        }
    }
}

impl Build {
    /// Reads one row of the survey sheet.
    pub(super) fn read_row(&mut self, s: &SurveySheet, row: &Row, title: &str) {
        let t = s.t;
        let raw_type = t.get(row, s.type_col);
        let name = t.get(row, s.name_col);
        if raw_type.is_empty() {
            if !name.is_empty() {
                self.problems
                    .push(t.problem(row, s.type_col, format!("{name:?} has no type")));
            }
            return;
        }
        let rt = match row_type(raw_type) {
            Ok(rt) => rt,
            Err(msg) => return self.problems.push(t.problem(row, s.type_col, msg)),
        };
        let r = Cells { s, row };
        if let Some(&mc) = s.media.iter().find(|mc| !t.get(row, Some(**mc)).is_empty()) {
            self.problems.push(r.problem(
                Some(mc),
                "images, audio and video in questions are not supported",
            ));
        }
        let (label, label_en) = s.labels.texts(t, row);
        match rt {
            RowType::Skip => self.notes.push(format!(
                "row {}: metadata field {name:?} ({raw_type}) skipped; Chorus records submission time itself",
                row.number
            )),
            RowType::BeginGroup => self.begin_group(&r, name, label, label_en, title),
            RowType::EndGroup => self.end_group(&r),
            rt => self.question(&r, &rt, raw_type, name, label, label_en),
        }
    }

    /// Questions outside any group become a page of their own.
    fn flush_loose(&mut self, title: &str) {
        if self.loose.is_empty() {
            return;
        }
        self.sections.push(Section {
            title: if self.sections.is_empty() {
                title.to_string()
            } else {
                format!("{title}（续）")
            },
            title_en: None,
            relevant: None,
            questions: std::mem::take(&mut self.loose),
        });
    }

    /// An expression column of a row (of a group when `owner` is empty), parsed and kept.
    fn logic_column(&mut self, r: &Cells, owner: &str, column: &'static str) -> Option<Expression> {
        let src = r.opt(column)?;
        match Expression::parse(&src) {
            Ok(e) => {
                self.keep_logic(r, owner, column, e.clone());
                Some(e)
            }
            Err(e) => {
                self.problems.push(r.at(column, format!("{column}: {e}")));
                None
            }
        }
    }

    fn keep_logic(&mut self, r: &Cells, owner: &str, column: &'static str, expr: Expression) {
        self.logic.push(Logic {
            owner: owner.to_string(),
            position: self.order.len(),
            row: r.row.number,
            column,
            expr,
        });
    }

    fn begin_group(
        &mut self,
        r: &Cells,
        name: &str,
        label: String,
        label_en: Option<String>,
        title: &str,
    ) {
        if self.stack.is_empty() {
            self.flush_loose(title);
        }
        let appearance = r.cell("appearance").to_lowercase();
        self.stack.push(Frame {
            name: name.to_string(),
            label: if label.is_empty() {
                name.to_string()
            } else {
                label
            },
            label_en,
            relevant: r.opt("relevant"),
            table_list: appearance.contains("table-list"),
            questions: Vec::new(),
            row: r.row.number,
        });
        self.logic_column(r, "", "relevant");
    }

    /// A closed top-level group is a page; a nested one passes its questions (with its
    /// condition added to theirs) to the group around it.
    fn end_group(&mut self, r: &Cells) {
        let Some(mut frame) = self.stack.pop() else {
            return self
                .problems
                .push(r.problem(r.s.type_col, "end group without a matching begin group"));
        };
        let mut qs = std::mem::take(&mut frame.questions);
        mark_matrix(&frame, &mut qs);
        if let Some(parent) = self.stack.last_mut() {
            if let Some(cond) = frame.relevant.as_deref() {
                for q in &mut qs {
                    let combined = and(Some(cond), q.relevant.as_ref().map(|e| e.source()));
                    q.relevant = combined.and_then(|s| Expression::parse(&s).ok());
                }
            }
            parent.questions.extend(qs);
            return;
        }
        if qs.is_empty() {
            return self.notes.push(format!(
                "row {}: group {:?} is empty and was skipped",
                frame.row, frame.name
            ));
        }
        self.sections.push(Section {
            title: frame.label,
            title_en: frame.label_en,
            relevant: frame
                .relevant
                .as_deref()
                .and_then(|s| Expression::parse(s).ok()),
            questions: qs,
        });
    }

    /// A question row: its name, kind, texts, logic and default.
    fn question(
        &mut self,
        r: &Cells,
        rt: &RowType,
        raw_type: &str,
        name: &str,
        label: String,
        label_en: Option<String>,
    ) {
        let s = r.s;
        if !valid_name(name) {
            return self.problems.push(r.problem(s.name_col, format!("name {name:?} is not valid in Chorus; start with a letter, then up to 40 letters, digits or '_' (no '-' or '.')")));
        }
        if !self.seen.insert(name.to_string()) {
            return self.problems.push(r.problem(
                s.name_col,
                format!("name {name:?} is used twice; names must be unique"),
            ));
        }
        if label.is_empty() {
            self.problems.push(r.problem(
                s.labels.primary.first().copied().or(s.col("label")),
                format!("question {name:?} has no label in the default language"),
            ));
        }
        let reverse = yes(&r.cell("reverse")).unwrap_or_else(|| {
            self.problems
                .push(r.at("reverse", "reverse must be yes or no"));
            false
        });
        let Some((kind, phone_check)) = self.kind(r, rt, raw_type, name, reverse) else {
            return;
        };
        if reverse && !matches!(kind, QuestionKind::Likert { .. }) {
            self.problems
                .push(r.at("reverse", "reverse applies only to Likert items; remove it"));
        }
        let mut q = Question::new(name, &label, kind);
        q.text_en = label_en;
        let (hint, hint_en) = s.hints.texts(s.t, r.row);
        q.hint = Some(hint).filter(|h| !h.is_empty());
        q.hint_en = hint_en;
        self.required(r, &mut q);
        q.required_message = Some(s.req_msgs.texts(s.t, r.row).0).filter(|m| !m.is_empty());
        q.relevant = self.logic_column(r, name, "relevant");
        q.constraint = self.logic_column(r, name, "constraint");
        q.constraint_message = Some(s.con_msgs.texts(s.t, r.row).0).filter(|m| !m.is_empty());
        if let Some((src, msg)) = phone_check.filter(|_| q.constraint.is_none()) {
            q.constraint = Expression::parse(src).ok();
            q.constraint_message = q.constraint_message.or(Some(msg.to_string()));
        }
        q.default = r.opt("default");
        q.attribute = r.opt("attribute");
        self.check_default(r, &q);
        self.order.push(name.to_string());
        match self.stack.last_mut() {
            Some(f) => f.questions.push(q),
            None => self.loose.push(q),
        }
    }

    /// `required`: yes/no, or a condition.
    fn required(&mut self, r: &Cells, q: &mut Question) {
        let required = r.cell("required");
        match yes(&required) {
            Some(req) => q.required = req && !matches!(q.kind, QuestionKind::Note),
            None => match Expression::parse(&required) {
                Ok(e) => {
                    self.keep_logic(r, &q.id, "required", e.clone());
                    q.required = false;
                    q.required_if = Some(e);
                }
                Err(e) => self.problems.push(r.at(
                    "required",
                    format!("required must be yes, no or a condition: {e}"),
                )),
            },
        }
    }

    fn check_default(&mut self, r: &Cells, q: &Question) {
        let Some(d) = &q.default else { return };
        if matches!(q.kind, QuestionKind::Note) {
            self.problems
                .push(r.at("default", "a note takes no default"));
        } else if d.contains("${") || d.contains('(') {
            self.problems.push(r.at(
                "default",
                format!("default {d:?} is a formula; only fixed default values are supported"),
            ));
        }
    }

    /// The question kind of a row, with the built-in check of a phone number; `None`
    /// when the row cannot become a question.
    fn kind(
        &mut self,
        r: &Cells,
        rt: &RowType,
        raw_type: &str,
        name: &str,
        reverse: bool,
    ) -> Option<(QuestionKind, Option<(&'static str, &'static str)>)> {
        let p = &mut self.problems;
        let kind = match rt {
            RowType::Integer => QuestionKind::Integer {
                min: r.int("min", p).unwrap_or(i64::MIN),
                max: r.int("max", p).unwrap_or(i64::MAX),
            },
            RowType::Decimal => QuestionKind::Decimal {
                min: r.decimal("min", p),
                max: r.decimal("max", p),
            },
            RowType::Text => text_kind(r, 500, p),
            RowType::Phone => {
                let check = ("regex(., '^[0-9+() -]{3,20}$')", "请输入有效的电话号码");
                return Some((text_kind(r, 20, p), Some(check)));
            }
            RowType::Note => QuestionKind::Note,
            RowType::Date => QuestionKind::Date {
                min: r.opt("min"),
                max: r.opt("max"),
            },
            RowType::Range => range_kind(r, p),
            RowType::Rank(list) | RowType::Select { list, .. } => {
                self.choice_kind(r, rt, list, raw_type, name, reverse)?
            }
            RowType::BeginGroup | RowType::EndGroup | RowType::Skip => return None,
        };
        Some((kind, None))
    }

    /// A select or rank row: a Likert item when it scores (or says so), else a choice.
    fn choice_kind(
        &mut self,
        r: &Cells,
        rt: &RowType,
        list: &str,
        raw_type: &str,
        name: &str,
        reverse: bool,
    ) -> Option<QuestionKind> {
        let s = r.s;
        let Some(choices) = s.lists.lists.get(list) else {
            self.problems.push(r.problem(
                s.type_col,
                format!("choice list {list:?} is not on the choices sheet"),
            ));
            return None;
        };
        let choices = choices.clone();
        let indicator = r.opt("indicator");
        let appearance = r.cell("appearance").to_lowercase();
        let likert = !matches!(
            rt,
            RowType::Rank(_) | RowType::Select { multiple: true, .. }
        ) && (indicator.is_some()
            || appearance.contains("likert")
            || r.opt("of").is_some()
            || r.opt("expect").is_some()
            || s.scale_list == Some(list))
            && !matches!(rt, RowType::Select { other: true, .. });
        if likert {
            return self.likert_kind(r, list, name, indicator, reverse, choices);
        }
        if let Some(ci) = s.col("indicator").filter(|_| indicator.is_some()) {
            self.problems.push(r.problem(Some(ci), format!("indicator applies only to Likert items (select_one with a list coded 1..n), not to {raw_type:?}")));
        }
        let other = matches!(rt, RowType::Select { other: true, .. });
        if other && choices.iter().any(|ch| ch.code == OTHER_CODE) {
            self.problems.push(r.problem(s.type_col, format!("list {list:?} already has a choice \"other\"; drop or_other or rename that choice")));
        }
        let p = &mut self.problems;
        Some(match rt {
            RowType::Rank(_) => QuestionKind::Ranking { choices },
            RowType::Select { multiple: true, .. } => QuestionKind::Multiple {
                choices,
                other,
                min: r.int("min_selected", p).and_then(|x| u32::try_from(x).ok()),
                max: r.int("max_selected", p).and_then(|x| u32::try_from(x).ok()),
            },
            _ => QuestionKind::Single { choices, other },
        })
    }

    /// A Likert item (or the importance rating of one): one shared scale coded 1..n, and
    /// an indicator the campaign defines.
    fn likert_kind(
        &mut self,
        r: &Cells,
        list: &str,
        name: &str,
        indicator: Option<String>,
        reverse: bool,
        choices: Vec<Choice>,
    ) -> Option<QuestionKind> {
        let s = r.s;
        let points = choices.len();
        if !likert_codes(&choices) {
            self.problems.push(r.problem(s.col("indicator").or(s.type_col), format!("Likert item {name:?} needs a choice list coded 1, 2, 3, … (list {list:?} is not)")));
            return None;
        }
        match &self.scale {
            None => self.scale = Some((list.to_string(), choices)),
            Some((l, sc)) if l != list && sc != &choices => {
                self.problems.push(r.problem(s.type_col, format!("Likert item {name:?} uses list {list:?} but earlier items use {l:?}; all Likert items of a questionnaire share one scale")));
            }
            _ => {}
        }
        if let Some(of) = r.opt("of") {
            return Some(QuestionKind::Importance { of });
        }
        if let Some(expect) = r.opt("expect") {
            return match expect.trim().parse::<u8>() {
                Ok(e) if e >= 1 && usize::from(e) <= points => {
                    Some(QuestionKind::Attention { expect: e })
                }
                _ => {
                    self.problems.push(r.at(
                        "expect",
                        format!("expect {expect:?} is not a code of list {list:?}; give the code the respondent is told to choose (1..{points})"),
                    ));
                    None
                }
            };
        }
        if let (Some(code), Some(fw)) = (&indicator, s.framework) {
            if fw.sub(code).is_none() {
                self.problems.push(r.at(
                    "indicator",
                    format!(
                        "unknown indicator {code:?}; the campaign defines {}",
                        fw.subs()
                            .map(|(_, s)| s.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        if let Some(code) = &indicator {
            if !self.indicators.contains(code) {
                self.indicators.push(code.clone());
            }
        }
        Some(QuestionKind::Likert { indicator, reverse })
    }

    /// After the last row: unclosed groups, trailing questions, an empty sheet.
    pub(super) fn finish(&mut self, s: &SurveySheet, title: &str) {
        if let Some(f) = self.stack.last() {
            self.problems.push(XlsProblem {
                sheet: s.t.name.clone(),
                row: Some(f.row),
                column: None,
                message: format!("group {:?} is never closed; add an end group row", f.name),
            });
        }
        self.flush_loose(title);
        if self.sections.is_empty() && self.problems.is_empty() {
            self.problems.push(XlsProblem {
                sheet: s.t.name.clone(),
                row: None,
                column: None,
                message: "the survey sheet has no questions".into(),
            });
        }
    }

    /// References: earlier questions only, never a note, never itself.
    pub(super) fn check_references(&mut self, s: &SurveySheet) {
        let position: HashMap<&str, usize> = self
            .order
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let notes_ids: HashSet<&str> = self
            .sections
            .iter()
            .flat_map(|sec| &sec.questions)
            .filter(|q| matches!(q.kind, QuestionKind::Note))
            .map(|q| q.id.as_str())
            .collect();
        let mut found = Vec::new();
        for l in &self.logic {
            let row = Row {
                number: l.row,
                cells: Vec::new(),
            };
            let (col, owner) = (l.column, l.owner.as_str());
            let at = |message: String| s.t.problem(&row, s.col(col), message);
            if l.expr.uses_current() && col != "constraint" {
                found.push(at(format!("{col}: '.' is allowed only in constraint")));
            }
            for (name, _) in l.expr.references() {
                match position.get(name) {
                    None => found.push(at(format!("{col} refers to ${{{name}}}, which is not a question in this form"))),
                    Some(_) if name == owner => found.push(at(if col == "constraint" { format!("constraint refers to its own question ${{{name}}}; write . instead") } else { format!("{col} of {owner:?} refers to itself (a cyclic reference)") })),
                    Some(p) if *p >= l.position => found.push(at(format!("{col} refers to ${{{name}}}, which comes later; Chorus logic can only use earlier answers"))),
                    Some(_) if notes_ids.contains(name) => found.push(at(format!("{col} refers to ${{{name}}}, a note without an answer"))),
                    _ => {}
                }
            }
        }
        self.problems.extend(found);
    }
}

/// A text question: its length limit (`max_length`, 1–10 000, else the default).
fn text_kind(r: &Cells, default_max: usize, p: &mut Vec<XlsProblem>) -> QuestionKind {
    let max_length = r
        .int("max_length", p)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| (1..=10_000).contains(n));
    QuestionKind::Text {
        max_length: max_length.unwrap_or(default_max),
        multiline: r.cell("appearance").to_lowercase().contains("multiline"),
        in_report: yes(&r.cell("in_report")).unwrap_or(false),
    }
}

/// A `range` row (`parameters`: start, end, step 1) as a rating.
fn range_kind(r: &Cells, p: &mut Vec<XlsProblem>) -> QuestionKind {
    let params = r.cell("parameters");
    let (mut start, mut end, mut step) = (0i64, 10i64, 1.0f64);
    for part in params.split([' ', ';', ',']).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            p.push(r.at(
                "parameters",
                format!("parameter {part:?} must look like start=0"),
            ));
            continue;
        };
        let v = v.trim();
        match k.trim() {
            "start" => start = v.parse::<f64>().map(|x| x as i64).unwrap_or(start),
            "end" => end = v.parse::<f64>().map(|x| x as i64).unwrap_or(end),
            "step" => step = v.parse().unwrap_or(f64::NAN),
            _ => {}
        }
    }
    if step != 1.0 {
        p.push(r.at("parameters", format!("range step {step} is not supported; Chorus ratings step by 1 (e.g. start=0 end=10 step=1)")));
    }
    if start >= end || end - start > 100 {
        p.push(r.at("parameters", format!("range from {start} to {end} is not supported; use 2 to 101 points with start < end")));
    }
    QuestionKind::Rating {
        min: start,
        max: end,
        min_label: r.opt("min_label"),
        max_label: r.opt("max_label"),
    }
}
