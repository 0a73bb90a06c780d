//! Judging stored responses by the campaign's data quality rules, the same way for the
//! analysis pass (`read::collect`) and the raw-data exports: the rules themselves are
//! pure functions in `analysis::quality`; this holds the medians and answering times
//! they need and the frame row a response is judged from.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::analysis::frame::{FrameBuilder, Frames};
use crate::analysis::quality;
use crate::domain::quality::{Flag, FlagSet, QualitySettings};
use crate::store::responses::{self, ResponseRecord};
use crate::store::surveys::StoredSurvey;

/// Answering times seen, per questionnaire slug.
#[derive(Default)]
pub(crate) struct Timings(BTreeMap<String, Vec<u32>>);

impl Timings {
    pub(crate) fn from_rows(versions: &HashMap<i64, StoredSurvey>, rows: Vec<(i64, i32)>) -> Self {
        let mut t = Timings::default();
        for (v, d) in rows {
            if let (Some(v), Ok(d)) = (versions.get(&v), u32::try_from(d)) {
                t.add(&v.survey.slug, d);
            }
        }
        t
    }

    pub(crate) fn add(&mut self, slug: &str, d: u32) {
        match self.0.get_mut(slug) {
            Some(v) => v.push(d),
            None => {
                self.0.insert(slug.to_string(), vec![d]);
            }
        }
    }

    pub(crate) fn medians(&self, q: &QualitySettings) -> BTreeMap<String, f64> {
        quality::medians(
            self.0
                .iter()
                .flat_map(|(s, v)| v.iter().map(move |d| (s.as_str(), *d))),
            q.speeder_min_responses,
        )
    }

    pub(crate) fn counts(&self) -> BTreeMap<String, u64> {
        self.0
            .iter()
            .map(|(s, v)| (s.clone(), v.len() as u64))
            .collect()
    }
}

/// A respondent's time, for flagging speeders once the medians are known:
/// (questionnaire slug, seconds, scored items answered).
pub(crate) type Timed = Option<(Arc<str>, u32, usize)>;

/// The data quality rules as one pass applies them.
pub(crate) struct Judge {
    pub(crate) quality: QualitySettings,
    /// When known before the pass, speeders are flagged on the way; otherwise after it
    /// ([`flag_speeders`]).
    pub(crate) known_medians: Option<BTreeMap<String, f64>>,
    pub(crate) slugs: HashMap<i64, Arc<str>>,
}

impl Judge {
    pub(crate) fn new(
        quality: QualitySettings,
        known_medians: Option<BTreeMap<String, f64>>,
        versions: &HashMap<i64, StoredSurvey>,
    ) -> Self {
        let slugs = versions
            .iter()
            .map(|(id, v)| (*id, Arc::from(v.survey.slug.as_str())))
            .collect();
        Judge {
            quality,
            known_medians,
            slugs,
        }
    }

    /// The flags of the response just added to `b` (version `version`, answered in
    /// `duration` seconds), and its time for the speeder rule.
    pub(crate) fn judge(
        &self,
        b: &FrameBuilder,
        version: i64,
        duration: Option<i32>,
    ) -> (FlagSet, Timed) {
        let duration = duration.and_then(|d| u32::try_from(d).ok());
        let Some((v, r)) = b.last_row() else {
            return (FlagSet::EMPTY, None);
        };
        let slug = self.slugs.get(&version).cloned();
        let median = self
            .known_medians
            .as_ref()
            .zip(slug.as_deref())
            .and_then(|(m, s)| m.get(s).copied());
        let timing = duration.filter(|_| self.known_medians.is_some());
        let flags = quality::flags(&self.quality, v, r, timing, median);
        let timed = slug
            .zip(duration)
            .map(|(s, d)| (s, d, quality::answered(v, r)));
        (flags, timed)
    }
}

/// Adds the speeder flag to each timed respondent too fast for its questionnaire.
pub(crate) fn flag_speeders(
    q: &QualitySettings,
    medians: &BTreeMap<String, f64>,
    frames: &mut Frames,
    timed: &[Timed],
) {
    for (f, t) in frames.flags.iter_mut().zip(timed) {
        if let Some((slug, d, answered)) = t {
            if quality::speeding(q, *d, medians.get(slug.as_ref()).copied(), *answered) {
                f.insert(Flag::Speeder);
            }
        }
    }
}

/// Flags decoded responses one at a time (the raw-data exports), with the medians of
/// the whole campaign read first.
pub struct RecordJudge {
    judge: Judge,
    versions: HashMap<i64, StoredSurvey>,
    probe: FrameBuilder,
}

/// Rows a probe holds before it is started afresh.
const PROBE_ROWS: usize = 4096;

impl RecordJudge {
    pub async fn load(
        db: &DatabaseConnection,
        campaign_id: i64,
        quality: &QualitySettings,
        versions: &HashMap<i64, StoredSurvey>,
    ) -> anyhow::Result<Self> {
        let rows = responses::durations(db, campaign_id).await?;
        let medians = Timings::from_rows(versions, rows).medians(quality);
        Ok(RecordJudge {
            judge: Judge::new(quality.clone(), Some(medians), versions),
            versions: versions.clone(),
            probe: FrameBuilder::new(&[]),
        })
    }

    pub fn flags(&mut self, r: &ResponseRecord) -> FlagSet {
        let Some(v) = self.versions.get(&r.survey_version_id) else {
            return FlagSet::EMPTY;
        };
        if self.probe.len() >= PROBE_ROWS {
            self.probe = FrameBuilder::new(&[]);
        }
        self.probe
            .push(r.survey_version_id, &v.survey, &r.attributes, &r.answers);
        self.judge
            .judge(&self.probe, r.survey_version_id, r.duration_s)
            .0
    }
}
