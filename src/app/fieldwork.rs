//! The fieldwork monitor: how far collection is, per questionnaire and per unit (school,
//! sector, grade, role …), against the response cap, the quotas and the invitations
//! issued; responses per day; and the units that are behind. Built from counts (the
//! response tallies: responses per questionnaire version, attribute set and day; one row
//! per invitation), never from the responses themselves. Counts of respondents say who
//! answered, not what (docs/methods.md, "Disclosure control"), so they are exact here.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use sea_orm::DatabaseConnection;

use super::campaigns::Rate;
use crate::domain::{QuestionKind, Survey, SurveyState};
use crate::store::campaigns::{self, StoredCampaign};
use crate::store::fieldwork::{self, Counts, DayCount, UnitCount};
use crate::store::invitations::{self, InvitationProgress};
use crate::store::{surveys, StoreError};

/// A unit whose completion rate is below this share of its questionnaire's overall
/// rate is behind.
pub const BEHIND_RATE_SHARE: f64 = 0.75;

/// Where a campaign or questionnaire stands in its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Scheduled,
    Open,
    Full,
    Closed,
}

impl Phase {
    pub fn label_zh(self) -> &'static str {
        match self {
            Phase::Scheduled => "未开始",
            Phase::Open => "进行中",
            Phase::Full => "已收满",
            Phase::Closed => "已结束",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Phase::Scheduled => "scheduled",
            Phase::Open => "open",
            Phase::Full => "full",
            Phase::Closed => "closed",
        }
    }

    /// A campaign is open while any questionnaire is; scheduled while none has opened.
    pub fn of_campaign(phases: &[Phase]) -> Phase {
        if phases.contains(&Phase::Open) {
            Phase::Open
        } else if !phases.is_empty() && phases.iter().all(|p| *p == Phase::Scheduled) {
            Phase::Scheduled
        } else if phases.contains(&Phase::Full) {
            Phase::Full
        } else {
            Phase::Closed
        }
    }
}

/// Responses today, in the last seven days (today included) and in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recent {
    pub today: u64,
    pub week: u64,
    pub total: u64,
}

/// A quota's progress.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaProgress {
    pub attribute: String,
    pub value: String,
    pub label: String,
    pub max: u64,
    pub responses: u64,
}

/// One questionnaire's progress.
#[derive(Debug, Clone)]
pub struct SurveyProgress {
    pub slug: String,
    pub title: String,
    pub audience: &'static str,
    pub phase: Phase,
    pub anonymous: bool,
    pub responses: Recent,
    pub max_responses: Option<u64>,
    pub quotas: Vec<QuotaProgress>,
    pub invitations: Rate,
}

/// Why a unit is behind.
#[derive(Debug, Clone, PartialEq)]
pub enum Behind {
    /// Its completion rate is below `BEHIND_RATE_SHARE` of the questionnaire's.
    Rate { unit: f64, overall: f64 },
    /// Its quota is filled more slowly than the window passes.
    Pace { expected: u64 },
}

/// One unit (attribute value) of one questionnaire.
#[derive(Debug, Clone)]
pub struct UnitProgress {
    pub slug: String,
    pub attribute: String,
    pub value: String,
    pub label: String,
    pub responses: u64,
    pub invitations: Rate,
    pub behind: Option<Behind>,
}

/// One invitation batch.
#[derive(Debug, Clone)]
pub struct BatchProgress {
    pub slug: String,
    pub batch: String,
    pub attributes: BTreeMap<String, String>,
    /// Exact per batch; for an anonymous questionnaire the counts are its attribute
    /// group's spread over the group's invitations, so only their sums are exact.
    pub exact: bool,
    pub rate: Rate,
}

/// The whole monitor of one campaign.
#[derive(Debug, Clone)]
pub struct Fieldwork {
    pub key: String,
    pub title: String,
    pub phase: Phase,
    pub today: NaiveDate,
    pub responses: Recent,
    pub surveys: Vec<SurveyProgress>,
    /// Every day from the first response (or the opening) to today, with its count.
    pub days: Vec<(NaiveDate, u64)>,
    pub units: Vec<UnitProgress>,
    pub batches: Vec<BatchProgress>,
}

impl Fieldwork {
    /// The values of `attribute` with responses or invitations in scope, as (code,
    /// label), sorted by code.
    pub fn values_of(&self, attribute: &str) -> Vec<(String, String)> {
        let mut values: Vec<(String, String)> = self
            .units
            .iter()
            .filter(|u| u.attribute == attribute)
            .map(|u| (u.value.clone(), u.label.clone()))
            .collect();
        values.sort();
        values.dedup_by(|x, y| x.0 == y.0);
        values
    }
}

/// The attributes a unit table breaks down by, in this order when present.
const UNIT_ATTRIBUTES: [&str; 5] = ["school", "sector", "grade", "role", "size"];

/// Beijing time, for "today" and for the days of the chart.
fn china_day(t: DateTime<Utc>) -> NaiveDate {
    let offset = FixedOffset::east_opt(8 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    t.with_timezone(&offset).date_naive()
}

/// The phase of a questionnaire now, given its stored responses.
pub fn phase(survey: &Survey, now: DateTime<Utc>, stored: u64) -> Phase {
    match survey.access.state(now, stored) {
        SurveyState::NotYetOpen(_) => Phase::Scheduled,
        SurveyState::Open => Phase::Open,
        SurveyState::Full => Phase::Full,
        SurveyState::Closed => Phase::Closed,
    }
}

/// Labels of the values of `attribute` (from the questions that record it).
fn value_labels(surveys: &[&Survey], attribute: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for s in surveys {
        for q in s
            .questions()
            .filter(|q| q.attribute.as_deref() == Some(attribute))
        {
            if let QuestionKind::Single { choices, other } = &q.kind {
                for c in choices {
                    out.entry(c.code.clone()).or_insert_with(|| c.label.clone());
                }
                if *other {
                    out.entry("other".to_string())
                        .or_insert_with(|| "其他".to_string());
                }
            }
        }
    }
    out
}

/// Scopes kept at most (one campaign and scope each, at its latest data version).
const MAX_KEPT: usize = 256;

/// A campaign's grouped fieldwork counts under one scope, keyed by campaign and scope.
type KeptKey = (i64, Vec<(String, String)>);

/// The grouped fieldwork counts of each campaign and scope at the data version they
/// were read at, shared by the pages of one process: at a million responses grouping
/// the tallies takes ~0.1–0.2 s, and every workspace page shows the monitor's values.
/// Only the grouped counts are kept: the invitations' progress and the day are read
/// for every page.
#[derive(Default)]
pub struct KeptCounts(Mutex<HashMap<KeptKey, (String, Arc<Counts>)>>);

impl KeptCounts {
    fn get(&self, key: &KeptKey, version: &str) -> Option<Arc<Counts>> {
        let held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        held.get(key)
            .filter(|(v, _)| v == version)
            .map(|(_, c)| c.clone())
    }

    fn put(&self, key: KeptKey, version: String, counts: Arc<Counts>) {
        let mut held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if held.len() >= MAX_KEPT && !held.contains_key(&key) {
            held.clear();
        }
        held.insert(key, (version, counts));
    }
}

/// The grouped counts of campaign `c` under `scope`: kept ones while the campaign's
/// data version is the one they were read at. The version is read first, so counts
/// kept under a version are never older than it.
async fn grouped_counts(
    db: &DatabaseConnection,
    kept: &KeptCounts,
    c: &StoredCampaign,
    scope: &[(String, String)],
) -> Result<Arc<Counts>, StoreError> {
    let version = campaigns::data_version(db, &c.info.key)
        .await?
        .unwrap_or_default();
    let key = (c.id, scope.to_vec());
    if let Some(counts) = kept.get(&key, &version) {
        return Ok(counts);
    }
    let counts = Arc::new(fieldwork::counts(db, c.id, scope).await?);
    kept.put(key, version, counts.clone());
    Ok(counts)
}

/// The campaign's monitor under `scope` (a school token's `school = X`; empty for all),
/// or `None` for an unknown campaign; the grouped counts come from `kept` while the
/// data is unchanged.
pub async fn monitor(
    db: &DatabaseConnection,
    kept: &KeptCounts,
    key: &str,
    scope: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<Option<Fieldwork>, StoreError> {
    let Some(c) = campaigns::get(db, key).await? else {
        return Ok(None);
    };
    let versions = surveys::all_versions(db, c.id, key).await?;
    let slug_of: BTreeMap<i64, String> = versions
        .iter()
        .map(|(id, s)| (*id, s.survey.slug.clone()))
        .collect();
    let in_scope =
        |attrs: &BTreeMap<String, String>| scope.iter().all(|(k, v)| attrs.get(k) == Some(v));
    let stored = grouped_counts(db, kept, &c, scope).await?;
    let counts = Slugged {
        units: stored
            .units
            .iter()
            .filter_map(|u| Some((slug_of.get(&u.version_id)?.clone(), u.clone())))
            .collect(),
        days: stored
            .days
            .iter()
            .filter_map(|d| Some((slug_of.get(&d.version_id)?.clone(), d.clone())))
            .collect(),
    };
    let progress: Vec<InvitationProgress> = invitations::progress(db, c.id)
        .await?
        .into_iter()
        .filter(|p| in_scope(&p.attributes))
        .collect();
    Ok(Some(assemble(&c, &counts, &progress, now)))
}

/// The grouped counts, each with its questionnaire's slug.
#[derive(Debug, Clone, Default)]
pub struct Slugged {
    /// Responses per questionnaire and attribute set.
    pub units: Vec<(String, UnitCount)>,
    /// Responses per questionnaire and day.
    pub days: Vec<(String, DayCount)>,
}

impl Slugged {
    fn units_of<'a>(&'a self, slug: &'a str) -> impl Iterator<Item = &'a UnitCount> + 'a {
        self.units
            .iter()
            .filter(move |(s, _)| s == slug)
            .map(|(_, u)| u)
    }

    fn days_of<'a>(&'a self, slug: &'a str) -> impl Iterator<Item = &'a DayCount> + 'a {
        self.days
            .iter()
            .filter(move |(s, _)| s == slug)
            .map(|(_, d)| d)
    }
}

/// The monitor from the grouped counts: pure, so it is tested on small inputs.
pub fn assemble(
    c: &StoredCampaign,
    counts: &Slugged,
    progress: &[InvitationProgress],
    now: DateTime<Utc>,
) -> Fieldwork {
    let today = china_day(now);
    let surveys: Vec<SurveyProgress> = c
        .surveys
        .iter()
        .map(|s| survey_progress(&s.survey, counts, progress, today, now))
        .collect();
    let all: Vec<&Survey> = c.surveys.iter().map(|s| &s.survey).collect();
    let units = c
        .surveys
        .iter()
        .zip(&surveys)
        .flat_map(|(s, p)| unit_progress(&s.survey, p, &all, counts, progress, now))
        .collect();
    let responses = Recent {
        today: surveys.iter().map(|s| s.responses.today).sum(),
        week: surveys.iter().map(|s| s.responses.week).sum(),
        total: surveys.iter().map(|s| s.responses.total).sum(),
    };
    let phases: Vec<Phase> = surveys.iter().map(|s| s.phase).collect();
    Fieldwork {
        key: c.info.key.clone(),
        title: c.info.title.clone(),
        phase: Phase::of_campaign(&phases),
        today,
        responses,
        days: days(counts, &all, today),
        units,
        batches: batches(c, progress),
        surveys,
    }
}

fn recent<'a>(rows: impl Iterator<Item = &'a DayCount>, today: NaiveDate) -> Recent {
    let week_start = today - Duration::days(6);
    let mut r = Recent::default();
    for d in rows {
        r.total += d.n;
        if d.day == today {
            r.today += d.n;
        }
        if d.day >= week_start && d.day <= today {
            r.week += d.n;
        }
    }
    r
}

fn rate<'a>(rows: impl Iterator<Item = &'a InvitationProgress>) -> Rate {
    let mut r = Rate::default();
    for p in rows {
        r.add(p.started, p.completed);
    }
    r.finish()
}

fn survey_progress(
    survey: &Survey,
    counts: &Slugged,
    progress: &[InvitationProgress],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> SurveyProgress {
    let responses = recent(counts.days_of(&survey.slug), today);
    let labels = |a: &str| value_labels(&[survey], a);
    let quotas = survey
        .access
        .quotas
        .iter()
        .map(|q| QuotaProgress {
            attribute: q.attribute.clone(),
            value: q.value.clone(),
            label: labels(&q.attribute)
                .get(&q.value)
                .cloned()
                .unwrap_or_else(|| q.value.clone()),
            max: q.max,
            responses: counts
                .units_of(&survey.slug)
                .filter(|d| d.attributes.get(&q.attribute) == Some(&q.value))
                .map(|d| d.n)
                .sum(),
        })
        .collect();
    SurveyProgress {
        slug: survey.slug.clone(),
        title: survey.title.clone(),
        audience: survey.audience.label_zh(),
        phase: phase(survey, now, responses.total),
        anonymous: survey.access.anonymous,
        responses,
        max_responses: survey.access.max_responses,
        quotas,
        invitations: rate(progress.iter().filter(|p| p.slug == survey.slug)),
    }
}

fn unit_progress(
    survey: &Survey,
    sp: &SurveyProgress,
    all: &[&Survey],
    counts: &Slugged,
    progress: &[InvitationProgress],
    now: DateTime<Utc>,
) -> Vec<UnitProgress> {
    let mine: Vec<&UnitCount> = counts.units_of(&survey.slug).collect();
    let invites: Vec<&InvitationProgress> =
        progress.iter().filter(|p| p.slug == survey.slug).collect();
    // Responses per (attribute, value), in one pass over the counts.
    let mut per_value: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for d in &mine {
        for attribute in UNIT_ATTRIBUTES {
            if let Some(v) = d.attributes.get(attribute) {
                *per_value.entry((attribute, v.as_str())).or_default() += d.n;
            }
        }
    }
    let mut out = Vec::new();
    for attribute in UNIT_ATTRIBUTES {
        let labels = value_labels(all, attribute);
        let mut values: Vec<String> = per_value
            .keys()
            .filter(|(a, _)| *a == attribute)
            .map(|(_, v)| v.to_string())
            .chain(
                invites
                    .iter()
                    .filter_map(|p| p.attributes.get(attribute).cloned()),
            )
            .collect();
        values.sort();
        values.dedup();
        for value in values {
            let responses = per_value
                .get(&(attribute, value.as_str()))
                .copied()
                .unwrap_or(0);
            let invitations = rate(
                invites
                    .iter()
                    .copied()
                    .filter(|p| p.attributes.get(attribute) == Some(&value)),
            );
            let quota = survey
                .access
                .quotas
                .iter()
                .find(|q| q.attribute == attribute && q.value == value)
                .map(|q| q.max);
            let behind = behind(
                &invitations,
                &sp.invitations,
                quota,
                responses,
                window_share(survey, now),
            );
            out.push(UnitProgress {
                slug: survey.slug.clone(),
                attribute: attribute.to_string(),
                label: labels.get(&value).cloned().unwrap_or_else(|| value.clone()),
                value,
                responses,
                invitations,
                behind,
            });
        }
    }
    out
}

/// How much of the questionnaire's window has passed (0–1), when it has both ends.
pub fn window_share(survey: &Survey, now: DateTime<Utc>) -> Option<f64> {
    let (Some(o), Some(c)) = (survey.access.opens, survey.access.closes) else {
        return None;
    };
    let total = (c - o).num_seconds();
    (total > 0).then(|| ((now - o).num_seconds() as f64 / total as f64).clamp(0.0, 1.0))
}

/// Whether a unit is behind: its invitations complete at less than
/// `BEHIND_RATE_SHARE` of the questionnaire's rate, or its quota fills more slowly than
/// the window passes (fewer responses than `quota × share of the window gone`).
pub fn behind(
    unit: &Rate,
    overall: &Rate,
    quota: Option<u64>,
    responses: u64,
    window: Option<f64>,
) -> Option<Behind> {
    if let (Some(u), Some(o)) = (unit.rate, overall.rate) {
        if o > 0.0 && u < BEHIND_RATE_SHARE * o {
            return Some(Behind::Rate {
                unit: u,
                overall: o,
            });
        }
    }
    if let (Some(max), Some(share)) = (quota, window) {
        let expected = (max as f64 * share).floor() as u64;
        if responses < expected {
            return Some(Behind::Pace { expected });
        }
    }
    None
}

/// The longest period the per-day chart shows.
pub const MAX_DAYS: i64 = 400;

/// Every day from the first response (or the earliest opening) to today; for a
/// campaign whose responses all came more than [`MAX_DAYS`] days ago (an earlier
/// wave), to its last response instead.
fn days(counts: &Slugged, all: &[&Survey], today: NaiveDate) -> Vec<(NaiveDate, u64)> {
    let mut per_day: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    for (_, d) in &counts.days {
        *per_day.entry(d.day).or_default() += d.n;
    }
    let opened = all
        .iter()
        .filter_map(|s| s.access.opens)
        .map(china_day)
        .min();
    let first = per_day
        .keys()
        .next()
        .copied()
        .into_iter()
        .chain(opened)
        .min();
    let Some(first) = first else {
        return Vec::new();
    };
    let latest = per_day.keys().next_back().copied();
    let mut last = latest.map_or(today, |d| d.max(today));
    // At most `MAX_DAYS` days, the latest (a campaign is collected within weeks); an
    // old campaign's end at its last response, not at MAX_DAYS empty days to today.
    if let Some(latest) = latest.filter(|l| *l < last - Duration::days(MAX_DAYS - 1)) {
        last = latest;
    }
    let first = first.max(last - Duration::days(MAX_DAYS - 1));
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| (d, per_day.get(&d).copied().unwrap_or(0)))
        .collect()
}

/// A batch's prefilled attributes and its invitations.
type BatchInvitations<'a> = (BTreeMap<String, String>, Vec<&'a InvitationProgress>);

fn batches(c: &StoredCampaign, progress: &[InvitationProgress]) -> Vec<BatchProgress> {
    let mut by: BTreeMap<(String, String), BatchInvitations<'_>> = BTreeMap::new();
    for p in progress {
        by.entry((p.slug.clone(), p.batch.clone()))
            .or_insert_with(|| (p.attributes.clone(), Vec::new()))
            .1
            .push(p);
    }
    by.into_iter()
        .map(|((slug, batch), (attributes, list))| BatchProgress {
            exact: !c
                .surveys
                .iter()
                .any(|s| s.survey.slug == slug && s.survey.access.anonymous),
            rate: rate(list.into_iter()),
            slug,
            batch,
            attributes,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(invited: u64, completed: u64) -> Rate {
        let mut r = Rate::default();
        for i in 0..invited {
            r.add(i < completed, i < completed);
        }
        r.finish()
    }

    #[test]
    fn a_unit_is_behind_on_rate_or_on_pace_and_not_otherwise() {
        let overall = rate(100, 60);
        // 40 % < 0.75 × 60 % = 45 %: behind.
        assert_eq!(
            behind(&rate(10, 4), &overall, None, 4, None),
            Some(Behind::Rate {
                unit: 0.4,
                overall: 0.6
            })
        );
        // 50 % ≥ 45 %: not behind.
        assert_eq!(behind(&rate(10, 5), &overall, None, 5, None), None);
        // Quota 40, half the window gone: 20 expected, 19 is behind, 20 is not.
        let none = Rate::default().finish();
        assert_eq!(
            behind(&none, &none, Some(40), 19, Some(0.5)),
            Some(Behind::Pace { expected: 20 })
        );
        assert_eq!(behind(&none, &none, Some(40), 20, Some(0.5)), None);
        // No invitations and no window: nothing to judge by.
        assert_eq!(behind(&none, &overall, Some(40), 0, None), None);
    }

    #[test]
    fn a_campaign_is_open_while_any_questionnaire_is() {
        use Phase::*;
        assert_eq!(Phase::of_campaign(&[Closed, Open]), Open);
        assert_eq!(Phase::of_campaign(&[Scheduled, Scheduled]), Scheduled);
        assert_eq!(Phase::of_campaign(&[Scheduled, Closed]), Closed);
        assert_eq!(Phase::of_campaign(&[Full, Closed]), Full);
        assert_eq!(Phase::of_campaign(&[]), Closed);
    }

    // A live campaign's chart runs to today; one whose responses all came more than
    // MAX_DAYS ago runs over its own period and adds up to its total; a campaign
    // longer than MAX_DAYS shows its latest MAX_DAYS.
    #[test]
    fn the_days_cover_the_responses_of_a_live_or_an_old_campaign() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 8).expect("date");
        let at = |d: i64, n| {
            let day = DayCount {
                version_id: 1,
                day: today - Duration::days(d),
                n,
            };
            ("s".to_string(), day)
        };
        let of = |rows: Vec<(String, DayCount)>| {
            let counts = Slugged {
                units: Vec::new(),
                days: rows,
            };
            days(&counts, &[], today)
        };
        let live = of(vec![at(3, 4), at(1, 2)]);
        assert_eq!(live.first(), Some(&(today - Duration::days(3), 4)));
        assert_eq!(live.last(), Some(&(today, 0)));
        assert_eq!(live.len(), 4);

        let old = of(vec![at(430, 70), at(425, 50)]);
        assert_eq!(old.first(), Some(&(today - Duration::days(430), 70)));
        assert_eq!(old.last(), Some(&(today - Duration::days(425), 50)));
        assert_eq!(old.iter().map(|(_, n)| n).sum::<u64>(), 120);

        let long = of(vec![at(500, 9), at(2, 1)]);
        assert_eq!(long.len(), MAX_DAYS as usize);
        assert_eq!(long.last(), Some(&(today, 0)));
        assert_eq!(long.iter().map(|(_, n)| n).sum::<u64>(), 1);
        assert!(of(Vec::new()).is_empty());
    }

    #[test]
    fn recent_counts_today_and_the_last_seven_days() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
        let row = |d: i64, n| DayCount {
            version_id: 1,
            day: today - Duration::days(d),
            n,
        };
        let rows = [row(0, 3), row(6, 2), row(7, 5)];
        assert_eq!(
            recent(rows.iter(), today),
            Recent {
                today: 3,
                week: 5,
                total: 10
            }
        );
    }
}
