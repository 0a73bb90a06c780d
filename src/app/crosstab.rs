//! The cross-tabulation use-case: one stakeholder group's respondents in a view (up to
//! two filters, a school's token counting as its school filter) split into rows by an
//! attribute or a single-choice question, against an indicator score or a question.
//! One pass over the campaign's stored responses collects every respondent of the
//! group with its fine cell of the disclosure lattice, so the rows are decided by the
//! same gate as every other output (`Gate::across` for attributes,
//! `Gate::across_answers` for answers).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::explore::{filter_choices, view_filters, ExploreError, FilterChoice, FILTERS};
use super::read::{fine_key, lattice, lattice_attributes, load_meta, CampaignMeta};
use crate::analysis::crosstab::{tabulate, Answer, CrossTab, Measure, Record};
use crate::analysis::disclosure::{Census, Gate};
use crate::analysis::evaluation::effective_framework;
use crate::analysis::frame::{Attributes, FrameBuilder};
use crate::analysis::scores::{respondent_scores, COMPOSITE};
use crate::analysis::suppression::Suppressed;
use crate::domain::packed::{self, Packed};
use crate::domain::{Audience, QuestionKind, Survey};
use crate::store::responses::{self, AnalysisRow, StoredAnswers};

/// What the rows are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowsBy {
    /// One of [`FILTERS`].
    Attribute(String),
    /// A single-choice question of the group's questionnaire.
    Question(String),
}

/// What each row is measured by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An indicator code (second level, first level, or the composite `TOTAL`).
    Indicator(String),
    /// A choice, scale or number question of the group's questionnaire.
    Question(String),
}

/// A cross-tabulation as asked: `group=student&rows=attr:school&target=ind:TOTAL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub group: Audience,
    pub rows: RowsBy,
    pub target: Target,
}

/// Why a cross-tabulation cannot be made; each names the parameter at fault.
#[derive(Debug, thiserror::Error)]
pub enum CrossError {
    #[error("group: {0:?} is not a stakeholder group of this campaign")]
    Group(String),
    #[error("rows: {0}")]
    Rows(String),
    #[error("target: {0}")]
    Target(String),
    #[error(transparent)]
    View(#[from] ExploreError),
}

impl From<crate::store::StoreError> for CrossError {
    fn from(e: crate::store::StoreError) -> Self {
        CrossError::View(e.into())
    }
}

impl From<anyhow::Error> for CrossError {
    fn from(e: anyhow::Error) -> Self {
        CrossError::View(ExploreError::Store(e))
    }
}

/// One thing a row or target can be, for the form.
#[derive(Debug, Clone)]
pub struct Choice {
    /// `attr:school`, `q:Q3`, `ind:TOTAL`.
    pub value: String,
    /// The question or indicator; for an attribute, its code (the doors name it).
    pub label: String,
}

/// What the form offers for one group.
#[derive(Debug, Clone)]
pub struct Choices {
    pub groups: Vec<(Audience, String)>,
    pub rows: Vec<Choice>,
    pub targets: Vec<Choice>,
}

/// A made cross-tabulation with everything the page and the workbook print.
#[derive(Clone)]
pub struct Crossed {
    pub spec: Spec,
    pub choices: Choices,
    pub filters: Vec<(String, String)>,
    pub filter_choices: Vec<FilterChoice>,
    /// Row (code, label), in table order.
    pub rows: Vec<(String, String)>,
    /// Option (code, label) for choice targets; empty for means.
    pub columns: Vec<(String, String)>,
    /// The row question, or the attribute's code.
    pub row_label: String,
    pub target_label: String,
    pub measure: Measure,
    pub table: CrossTab,
    pub min_cell: u64,
    pub campaign_title: String,
    /// The campaign weights its scores to the population; cross-tabulations do not.
    pub campaign_weighted: bool,
}

/// The group's current questionnaire.
fn questionnaire(meta: &CampaignMeta, group: Audience) -> Option<&Survey> {
    meta.campaign
        .surveys
        .iter()
        .map(|s| &s.survey)
        .find(|s| s.audience == group)
}

/// The options of a choice question, "other" last when it is offered.
fn options(kind: &QuestionKind) -> Option<(Vec<(String, String)>, bool)> {
    let (choices, other, multiple) = match kind {
        QuestionKind::Single { choices, other } => (choices, *other, false),
        QuestionKind::Multiple { choices, other, .. } => (choices, *other, true),
        _ => return None,
    };
    let mut out: Vec<(String, String)> = choices
        .iter()
        .map(|c| (c.code.clone(), c.label.clone()))
        .collect();
    if other {
        out.push((
            crate::domain::OTHER_CODE.to_string(),
            "其他 other".to_string(),
        ));
    }
    Some((out, multiple))
}

fn is_numeric(kind: &QuestionKind) -> bool {
    matches!(
        kind,
        QuestionKind::Likert { .. }
            | QuestionKind::Importance { .. }
            | QuestionKind::Rating { .. }
            | QuestionKind::Integer { .. }
            | QuestionKind::Decimal { .. }
    )
}

/// What the form offers for `group` (the first group with a questionnaire if unknown).
pub fn choices(meta: &CampaignMeta, group: Audience) -> Choices {
    let groups = meta
        .campaign
        .surveys
        .iter()
        .map(|s| (s.survey.audience, s.survey.title.clone()))
        .collect();
    let mut rows: Vec<Choice> = FILTERS
        .iter()
        .map(|a| Choice {
            value: format!("attr:{a}"),
            label: a.to_string(),
        })
        .collect();
    let mut targets = vec![Choice {
        value: format!("ind:{COMPOSITE}"),
        label: "综合指数 composite".to_string(),
    }];
    for top in &meta.campaign.info.framework.indicators {
        targets.push(Choice {
            value: format!("ind:{}", top.code),
            label: format!("{} {}", top.code, top.name),
        });
        for sub in &top.children {
            targets.push(Choice {
                value: format!("ind:{}", sub.code),
                label: format!("　{} {}", sub.code, sub.name),
            });
        }
    }
    if let Some(s) = questionnaire(meta, group) {
        for q in s.questions() {
            let label = format!("{} {}", q.id, q.text);
            // Attribute questions are offered as attributes.
            if matches!(q.kind, QuestionKind::Single { .. }) && q.attribute.is_none() {
                rows.push(Choice {
                    value: format!("q:{}", q.id),
                    label: label.clone(),
                });
            }
            if options(&q.kind).is_some() || is_numeric(&q.kind) {
                targets.push(Choice {
                    value: format!("q:{}", q.id),
                    label,
                });
            }
        }
    }
    Choices {
        groups,
        rows,
        targets,
    }
}

/// Parses the three parameters against the campaign's definitions.
pub fn parse_spec(
    meta: &CampaignMeta,
    group: &str,
    rows: &str,
    target: &str,
) -> Result<Spec, CrossError> {
    // None asked: the first group with a questionnaire.
    let first = meta.campaign.surveys.first().map(|s| s.survey.audience);
    let asked = if group.is_empty() {
        first
    } else {
        Audience::parse(group)
    };
    let g = asked
        .filter(|g| questionnaire(meta, *g).is_some())
        .ok_or_else(|| CrossError::Group(group.to_string()))?;
    let offered = choices(meta, g);
    let rows = match rows.split_once(':') {
        Some(("attr", a)) if FILTERS.contains(&a) => RowsBy::Attribute(a.to_string()),
        Some(("q", id)) if offered.rows.iter().any(|c| c.value == rows) => {
            RowsBy::Question(id.to_string())
        }
        _ => {
            return Err(CrossError::Rows(format!(
                "{rows:?} is neither attr:<school|sector|grade|role|size> nor q:<id> of a single-choice question of this group's questionnaire"
            )))
        }
    };
    let target = match target.split_once(':') {
        Some(("ind", code)) if offered.targets.iter().any(|c| c.value == target) => {
            Target::Indicator(code.to_string())
        }
        Some(("q", id)) if offered.targets.iter().any(|c| c.value == target) => {
            Target::Question(id.to_string())
        }
        _ => {
            return Err(CrossError::Target(format!(
                "{target:?} is neither ind:<indicator code> nor q:<id> of a choice, scale or number question of this group's questionnaire"
            )))
        }
    };
    if rows == RowsBy::Question(target_id(&target).unwrap_or_default().to_string()) {
        return Err(CrossError::Target(
            "the rows and the target are the same question".to_string(),
        ));
    }
    Ok(Spec {
        group: g,
        rows,
        target,
    })
}

fn target_id(t: &Target) -> Option<&str> {
    match t {
        Target::Question(id) => Some(id),
        Target::Indicator(_) => None,
    }
}

/// How the rows are told apart and the target read, from the group's questionnaire.
struct Plan {
    rows: Vec<(String, String)>,
    row_label: String,
    columns: Vec<(String, String)>,
    target_label: String,
    measure: Measure,
}

fn plan(meta: &CampaignMeta, spec: &Spec, attribute_values: Vec<(String, String)>) -> Plan {
    let survey = questionnaire(meta, spec.group);
    let question = |id: &str| survey.and_then(|s| s.questions().find(|q| q.id == id));
    let (rows, row_label) = match &spec.rows {
        RowsBy::Attribute(a) => (attribute_values, a.clone()),
        RowsBy::Question(id) => {
            let q = question(id);
            (
                q.and_then(|q| options(&q.kind))
                    .map(|o| o.0)
                    .unwrap_or_default(),
                q.map_or(id.clone(), |q| format!("{} {}", q.id, q.text)),
            )
        }
    };
    let (columns, target_label, measure) = match &spec.target {
        Target::Indicator(code) => {
            let label = choices(meta, spec.group)
                .targets
                .into_iter()
                .find(|c| c.value == format!("ind:{code}"))
                .map_or(code.clone(), |c| c.label.trim().to_string());
            (Vec::new(), label, Measure::Mean)
        }
        Target::Question(id) => {
            let q = question(id);
            let label = q.map_or(id.clone(), |q| format!("{} {}", q.id, q.text));
            match q.and_then(|q| options(&q.kind)) {
                Some((opts, multiple)) => {
                    let k = opts.len();
                    let m = if multiple {
                        Measure::Multiple(k)
                    } else {
                        Measure::Single(k)
                    };
                    (opts, label, m)
                }
                None => (Vec::new(), label, Measure::Mean),
            }
        }
    };
    Plan {
        rows,
        row_label,
        columns,
        target_label,
        measure,
    }
}

/// The answers to the two questions `wanted` ("" for none) from a stored answers
/// object, skipping the others without building them.
fn pick(
    answers: &StoredAnswers,
    survey: &Survey,
    wanted: [&str; 2],
) -> anyhow::Result<[Option<Value>; 2]> {
    match answers {
        StoredAnswers::Json(json) => pick_json(json, wanted),
        StoredAnswers::Packed(bytes) => pick_packed(bytes, survey, wanted),
    }
}

/// [`pick`] from packed answers: the entries at the wanted questions' positions.
fn pick_packed(
    bytes: &[u8],
    survey: &Survey,
    wanted: [&str; 2],
) -> anyhow::Result<[Option<Value>; 2]> {
    let corrupt =
        |e| anyhow::anyhow!("stored packed answers cannot be read ({e}); run `chorus reindex`");
    let mut reader = packed::Reader::new(bytes, packed::layout_hash(survey)).map_err(corrupt)?;
    let mut out = [None, None];
    for q in survey.questions() {
        let entry = reader
            .next()
            .ok_or(packed::PackedError::Malformed)
            .and_then(|e| e)
            .map_err(corrupt)?;
        let Some(i) = wanted.iter().position(|w| !w.is_empty() && *w == q.id) else {
            continue;
        };
        out[i] = match entry {
            Packed::Absent => None,
            Packed::Number(n) => Some(Value::from(n)),
            Packed::Decimal(x) => Some(Value::from(x)),
            Packed::Text(t) => Some(Value::from(t)),
            Packed::List(codes) => Some(Value::from(codes.collect::<Vec<&str>>())),
        };
    }
    Ok(out)
}

fn pick_json(answers: &str, wanted: [&str; 2]) -> anyhow::Result<[Option<Value>; 2]> {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
    struct Pick<'w>([&'w str; 2]);
    impl<'de> Visitor<'de> for Pick<'_> {
        type Value = [Option<Value>; 2];
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of answers")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = [None, None];
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match self.0.iter().position(|w| !w.is_empty() && *w == key) {
                    Some(i) => out[i] = Some(map.next_value::<Value>()?),
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(out)
        }
    }
    impl<'de> DeserializeSeed<'de> for Pick<'_> {
        type Value = [Option<Value>; 2];
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    let mut de = serde_json::Deserializer::from_str(answers);
    let out = Pick(wanted)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| anyhow::anyhow!("stored answers are not valid JSON: {e}"))?;
    Ok(out)
}

/// A respondent of the group as read: fine cell, whether in the view, row, answer.
struct Read {
    fine: usize,
    in_view: bool,
    row: Option<usize>,
    answer: Answer,
}

fn answer_of(v: Option<&Value>, columns: &[(String, String)], measure: &Measure) -> Answer {
    let index = |code: &str| columns.iter().position(|(c, _)| c == code);
    match (measure, v) {
        (Measure::Mean, Some(Value::Number(x))) => x.as_f64().map_or(Answer::None, Answer::Value),
        (Measure::Single(_), Some(Value::String(code))) => {
            index(code).map_or(Answer::None, Answer::Option)
        }
        (Measure::Multiple(_), Some(Value::Array(list))) => Answer::Options(
            list.iter()
                .filter_map(|c| c.as_str().and_then(index))
                .collect(),
        ),
        _ => Answer::None,
    }
}

/// One pass over the stored responses: every respondent of the group, its fine cell
/// (by the lattice attributes' values) and, for an indicator target, the frames to
/// score it from.
struct Pass {
    reads: Vec<Read>,
    fine: BTreeMap<Vec<Option<String>>, usize>,
    frames: Option<FrameBuilder>,
    /// What each attributes text the reader numbered says, by its number: the text is
    /// parsed once, not once per row.
    numbered: Vec<Placed>,
}

/// A stored attributes text, parsed: the attributes, the fine cell's key, whether they
/// match the view's filters, and the fine cell's number once a row of the group had it.
struct Placed {
    attrs: Attributes<'static>,
    key: Vec<Option<String>>,
    in_view: bool,
    fine: Option<usize>,
}

impl Placed {
    fn parse(
        text: &str,
        attributes: &[String],
        filters: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let (attrs, key) = fine_key(text, attributes)?;
        let in_view = filters
            .iter()
            .all(|(k, val)| attrs.get(k.as_str()) == Some(val.as_str()));
        Ok(Placed {
            attrs: attrs.into_owned(),
            key,
            in_view,
            fine: None,
        })
    }
}

fn read_rows<'r>(
    meta: &CampaignMeta,
    spec: &Spec,
    plan: &Plan,
    attributes: &[String],
    filters: &[(String, String)],
    rows: impl Iterator<Item = &'r AnalysisRow>,
    pass: &mut Pass,
) -> anyhow::Result<()> {
    let row_index = |code: &str| plan.rows.iter().position(|(c, _)| c == code);
    let wanted = [
        match &spec.rows {
            RowsBy::Question(id) => id.as_str(),
            RowsBy::Attribute(_) => "",
        },
        target_id(&spec.target).unwrap_or(""),
    ];
    let Pass {
        reads,
        fine: cells,
        frames,
        numbered,
    } = pass;
    for row in rows {
        // Placed before anything skips the row: a numbered text comes only once.
        let mut unnumbered = None;
        let placed = match row.attributes_no.map(|n| n as usize) {
            Some(n) => {
                if n == numbered.len() {
                    numbered.push(Placed::parse(&row.attributes, attributes, filters)?);
                }
                numbered
                    .get_mut(n)
                    .ok_or_else(|| anyhow::anyhow!("attributes number {n} came before its text"))?
            }
            None => unnumbered.insert(Placed::parse(&row.attributes, attributes, filters)?),
        };
        let Some(v) = meta.versions.get(&row.survey_version_id) else {
            continue;
        };
        if v.survey.audience != spec.group {
            continue;
        }
        let fine = match placed.fine {
            Some(f) => f,
            None => {
                let next = cells.len();
                let f = *cells.entry(placed.key.clone()).or_insert(next);
                placed.fine = Some(f);
                f
            }
        };
        let (attrs, in_view) = (&placed.attrs, placed.in_view);
        let [row_answer, target_answer] = pick(&row.answers, &v.survey, wanted)?;
        let r = match &spec.rows {
            RowsBy::Attribute(a) => attrs.get(a.as_str()).and_then(row_index),
            RowsBy::Question(_) => row_answer
                .as_ref()
                .and_then(Value::as_str)
                .and_then(row_index),
        };
        let answer = match (&spec.target, frames.as_mut()) {
            (Target::Indicator(_), Some(b)) => {
                b.push_stored(row.survey_version_id, &v.survey, attrs, &row.answers)?;
                Answer::None
            }
            (Target::Question(_), _) => {
                answer_of(target_answer.as_ref(), &plan.columns, &plan.measure)
            }
            _ => Answer::None,
        };
        reads.push(Read {
            fine,
            in_view,
            row: r,
            answer,
        });
    }
    Ok(())
}

/// Scores every read respondent on the indicator (row `i` of the frames is read `i`).
fn score(meta: &CampaignMeta, code: &str, pass: &mut Pass) -> anyhow::Result<()> {
    let Some(b) = pass.frames.take() else {
        return Ok(());
    };
    let frames = b.finish()?;
    let info = &meta.campaign.info;
    let (framework, _) = effective_framework(info, &frames)?;
    let scores = respondent_scores(&framework, &frames, info.analysis.min_item_share)?;
    let column = scores.values(code)?;
    for (r, x) in pass.reads.iter_mut().zip(column.iter()) {
        r.answer = x.map_or(Answer::None, Answer::Value);
    }
    Ok(())
}

/// The gate's decisions for the rows and the view: the statistic's respondents per
/// fine cell of the campaign's lattice (and per row, for answer rows).
fn decide(
    meta: &CampaignMeta,
    spec: &Spec,
    plan: &Plan,
    attributes: Vec<String>,
    filters: &[(String, String)],
    pass: &Pass,
) -> anyhow::Result<(Vec<Suppressed>, Suppressed)> {
    const KEY: &str = "x";
    let k = plan.rows.len();
    // Per fine id: respondents with the measure, per row (the last: no row value).
    let mut parts: Vec<Vec<u64>> = vec![vec![0; k + 1]; pass.fine.len()];
    for r in pass.reads.iter().filter(|r| r.answer.is_some()) {
        parts[r.fine][r.row.unwrap_or(k)] += 1;
    }
    let per_fine = parts;
    let l = lattice(attributes, pass.fine.clone(), filters, Ok)?;
    let parts: Vec<Vec<u64>> = l.fine.iter().map(|(_, id)| per_fine[*id].clone()).collect();
    let census = l.map(|id| {
        let mut c = Census::default();
        c.insert(KEY.to_string(), per_fine[*id].iter().sum());
        c
    });
    let gate = Gate::new(meta.campaign.info.analysis.min_cell_size, Some(census));
    let in_view: Vec<&Read> = pass
        .reads
        .iter()
        .filter(|r| r.in_view && r.answer.is_some())
        .collect();
    let n = in_view.len() as u64;
    let total = gate.state(KEY, n);
    let states = match &spec.rows {
        RowsBy::Attribute(a) => {
            let mut cells: Vec<(String, u64)> =
                plan.rows.iter().map(|(c, _)| (c.clone(), 0)).collect();
            let mut unassigned = 0;
            for r in &in_view {
                match r.row {
                    Some(i) => cells[i].1 += 1,
                    None => unassigned += 1,
                }
            }
            gate.across(a, KEY, &cells, unassigned)
        }
        RowsBy::Question(_) => gate.across_answers(KEY, n, &parts),
    };
    Ok((states, total))
}

/// The cross-tabulation `spec` of the view `asked` within `scope`; `None` for an
/// unknown campaign.
pub async fn crosstab(
    db: &DatabaseConnection,
    kept: &super::fieldwork::KeptCounts,
    key: &str,
    scope: &[(String, String)],
    asked: &[(String, String)],
    spec: (&str, &str, &str),
    now: DateTime<Utc>,
) -> Result<Option<Crossed>, CrossError> {
    let filters = view_filters(scope, asked)?;
    let Some(fieldwork) = super::fieldwork::monitor(db, kept, key, scope, now).await? else {
        return Ok(None);
    };
    let Some(meta) = load_meta(db, key).await? else {
        return Ok(None);
    };
    let spec = parse_spec(&meta, spec.0, spec.1, spec.2)?;
    let attribute_values = match &spec.rows {
        RowsBy::Attribute(a) => fieldwork.values_of(a),
        RowsBy::Question(_) => Vec::new(),
    };
    let plan = plan(&meta, &spec, attribute_values);
    let attributes = lattice_attributes(&meta.campaign.info.analysis.breakdowns);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<AnalysisRow>>(4);
    let campaign_id = meta.campaign.id;
    // Read chunks go back to the reader to be freed there (`responses::Spent`).
    let (spent_tx, spent) = std::sync::mpsc::channel();
    let decoder = tokio::task::spawn_blocking(move || -> anyhow::Result<Crossed> {
        let mut pass = Pass {
            reads: Vec::new(),
            fine: BTreeMap::new(),
            frames: matches!(spec.target, Target::Indicator(_)).then(|| FrameBuilder::new(&[])),
            numbered: Vec::new(),
        };
        while let Some(chunk) = rx.blocking_recv() {
            read_rows(
                &meta,
                &spec,
                &plan,
                &attributes,
                &filters,
                chunk.iter(),
                &mut pass,
            )?;
            let _ = spent_tx.send(chunk);
        }
        if let Target::Indicator(code) = &spec.target {
            score(&meta, code, &mut pass)?;
        }
        let (states, total) = decide(&meta, &spec, &plan, attributes, &filters, &pass)?;
        let records: Vec<Record> = pass
            .reads
            .into_iter()
            .filter(|r| r.in_view)
            .map(|r| Record {
                row: r.row,
                answer: r.answer,
            })
            .collect();
        let answer_rows = matches!(spec.rows, RowsBy::Question(_));
        let table = tabulate(
            &plan.measure,
            plan.rows.len(),
            &records,
            &states,
            total,
            answer_rows,
        );
        let choices = choices(&meta, spec.group);
        Ok(Crossed {
            choices,
            filter_choices: Vec::new(),
            filters,
            rows: plan.rows,
            columns: plan.columns,
            row_label: plan.row_label,
            target_label: plan.target_label,
            measure: plan.measure,
            table,
            min_cell: meta.campaign.info.analysis.min_cell_size,
            campaign_title: meta.campaign.info.title.clone(),
            campaign_weighted: meta.campaign.info.analysis.weighting.is_on(),
            spec,
        })
    });
    let read = responses::stream_for_analysis(db, campaign_id, &[], 4096, tx, Some(spent)).await;
    let mut crossed = decoder.await.map_err(anyhow::Error::from)??;
    read?;
    crossed.filter_choices = filter_choices(&fieldwork, &crossed.filters, scope);
    Ok(Some(crossed))
}

/// A cross-tabulation's workbook: the `cover` lines (view, rows, target, test) on the
/// first sheet, the table on the next.
pub fn workbook(
    cover: &[String],
    table: &crate::report::document::Table,
) -> anyhow::Result<Vec<u8>> {
    crate::report::xlsx::tables(cover, std::slice::from_ref(table))
}
