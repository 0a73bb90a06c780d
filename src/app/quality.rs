//! Judging stored responses by the campaign's data quality rules, the same way for the
//! analysis pass (`read::collect`) and the raw-data exports: the rules themselves are
//! pure functions in `analysis::quality`; this holds the medians and answering times
//! they need and the frame row a response is judged from.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use polars::prelude::PlHashMap;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::analysis::frame::{FrameBuilder, Frames};
use crate::analysis::quality;
use crate::domain::quality::{Flag, FlagSet, QualitySettings};
use crate::domain::SurveyState;
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

/// Recognises a response with nearly the same scored answers as the previous one
/// from the same client to the same questionnaire within the window. Rows come in
/// storage order, which is submission order, so only the latest response of each
/// client is kept, and clients silent for longer than the window are forgotten: the
/// memory is that of the responses of one window, not of the campaign.
///
/// A pass over part of a campaign cannot see the earlier responses of its clients, so
/// it takes the verdicts of a pass over the whole campaign instead ([`Duplicates::known`]).
pub(crate) struct Duplicates {
    window: chrono::Duration,
    similarity: f64,
    /// Per client and questionnaire (`slug \0 client`, looked up for every row, so
    /// with polars' foldhash): its latest response's time and scored answers.
    latest: PlHashMap<Arc<str>, (DateTime<Utc>, Vec<u8>)>,
    order: VecDeque<(DateTime<Utc>, Arc<str>)>,
    /// The key being looked up, reused from row to row.
    key: String,
    /// The responses found repeating, when not `known`.
    flagged: HashSet<Uuid>,
    /// The verdicts of an earlier pass over the whole campaign.
    known: Option<Arc<HashSet<Uuid>>>,
}

impl Duplicates {
    pub(crate) fn new(q: &QualitySettings) -> Self {
        Duplicates {
            // At most a week (campaign.toml is checked for it).
            window: chrono::Duration::minutes(
                i64::try_from(q.duplicate_window_minutes.min(7 * 24 * 60)).unwrap_or(0),
            ),
            similarity: q.duplicate_similarity,
            latest: PlHashMap::default(),
            order: VecDeque::new(),
            key: String::new(),
            flagged: HashSet::new(),
            known: None,
        }
    }

    /// The verdicts `flagged` of a pass over the whole campaign at the same data.
    pub(crate) fn known(flagged: Arc<HashSet<Uuid>>) -> Self {
        Duplicates {
            known: Some(flagged),
            ..Duplicates::new(&QualitySettings::default())
        }
    }

    /// The responses found repeating so far (none when the verdicts are `known`).
    pub(crate) fn into_flagged(self) -> HashSet<Uuid> {
        self.flagged
    }

    /// [`Duplicates::check`] for response `id`, remembering the verdict, or the known
    /// verdict.
    fn repeats(
        &mut self,
        id: Uuid,
        slug: &str,
        client: &str,
        at: DateTime<Utc>,
        answers: impl IntoIterator<Item = u8>,
    ) -> bool {
        if let Some(known) = &self.known {
            return known.contains(&id);
        }
        let repeat = self.check(slug, client, at, answers);
        if repeat {
            self.flagged.insert(id);
        }
        repeat
    }

    /// Whether `answers` (the scored items, 0 = blank), submitted `at` by `client` to
    /// questionnaire `slug`, nearly repeat that client's previous response.
    pub(crate) fn check(
        &mut self,
        slug: &str,
        client: &str,
        at: DateTime<Utc>,
        answers: impl IntoIterator<Item = u8>,
    ) -> bool {
        if self.window <= chrono::Duration::zero() {
            return false;
        }
        while let Some((t, key)) = self.order.front() {
            if at - *t <= self.window {
                break;
            }
            if self.latest.get(key).is_some_and(|(last, _)| last == t) {
                self.latest.remove(key);
            }
            self.order.pop_front();
        }
        self.key.clear();
        self.key.extend([slug, "\u{0}", client]);
        let answers: Vec<u8> = answers.into_iter().collect();
        let (repeat, key) = match self.latest.get_key_value(self.key.as_str()) {
            Some((key, (t, prev))) => {
                let near = (at - *t).abs() <= self.window;
                let repeat = near && quality::similar(prev, &answers, self.similarity);
                (repeat, Arc::clone(key))
            }
            None => (false, Arc::from(self.key.as_str())),
        };
        self.order.push_back((at, Arc::clone(&key)));
        self.latest.insert(key, (at, answers));
        repeat
    }
}

/// Who sent a row and when, for the duplicate rule.
pub(crate) struct Sender<'a> {
    pub(crate) id: Uuid,
    pub(crate) client: Option<&'a str>,
    pub(crate) at: DateTime<Utc>,
    /// Judged a duplicate before its client hash was cleared.
    pub(crate) judged: bool,
}

/// The data quality rules as one pass applies them.
pub(crate) struct Judge {
    pub(crate) quality: QualitySettings,
    /// When known before the pass, speeders are flagged on the way; otherwise after it
    /// ([`flag_speeders`]).
    pub(crate) known_medians: Option<BTreeMap<String, f64>>,
    /// Looked up for every row: with polars' foldhash rather than std's SipHash.
    pub(crate) slugs: PlHashMap<i64, Arc<str>>,
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
    /// `duration` seconds, sent by `sender`), and its time for the speeder rule.
    pub(crate) fn judge(
        &self,
        duplicates: &mut Duplicates,
        b: &FrameBuilder,
        version: i64,
        duration: Option<i32>,
        sender: Sender<'_>,
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
        let mut flags = quality::flags(&self.quality, v, r, timing, median);
        if sender.judged {
            flags.insert(Flag::Duplicate);
        }
        if let (Some(client), Some(slug)) = (sender.client, slug.as_deref()) {
            let answers = v
                .items
                .iter()
                .map(|c| c.values.get(r).copied().unwrap_or(0));
            if duplicates.repeats(sender.id, slug, client, sender.at, answers) {
                flags.insert(Flag::Duplicate);
            }
        }
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
    // Rows of one questionnaire share its slug (`Judge::slugs`): each distinct slug's
    // median is looked up once, and found again by pointer.
    let mut known: Vec<(&Arc<str>, Option<f64>)> = Vec::new();
    for (f, t) in frames.flags.iter_mut().zip(timed) {
        if let Some((slug, d, answered)) = t {
            let median = match known.iter().find(|(s, _)| Arc::ptr_eq(s, slug)) {
                Some((_, m)) => *m,
                None => {
                    let m = medians.get(slug.as_ref()).copied();
                    if !known.iter().any(|(s, _)| s == &slug) {
                        known.push((slug, m));
                    }
                    m
                }
            };
            if quality::speeding(q, *d, median, *answered) {
                f.insert(Flag::Speeder);
            }
        }
    }
}

/// Flags decoded responses one at a time (the raw-data exports), with the medians of
/// the whole campaign read first.
pub struct RecordJudge {
    judge: Judge,
    duplicates: Duplicates,
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
            duplicates: Duplicates::new(quality),
            judge: Judge::new(quality.clone(), Some(medians), versions),
            versions: versions.clone(),
            probe: FrameBuilder::new(&[]),
        })
    }

    /// Takes the duplicate rule's verdicts on the whole campaign (`flagged`) instead of
    /// judging the records given, which may be a view's only.
    pub fn with_known_duplicates(mut self, flagged: Arc<HashSet<Uuid>>) -> Self {
        self.duplicates = Duplicates::known(flagged);
        self
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
        let sender = Sender {
            id: r.id,
            client: r.client_hash.as_deref(),
            at: r.submitted_at,
            judged: r.duplicate,
        };
        self.judge
            .judge(
                &mut self.duplicates,
                &self.probe,
                r.survey_version_id,
                r.duration_s,
                sender,
            )
            .0
    }
}

/// Clears the client hashes of every campaign whose questionnaires have all closed:
/// they exist to recognise duplicates while responses arrive, and go with the
/// fieldwork; the verdicts they gave are kept. Returns how many hashes were cleared.
pub async fn forget_closed_clients(db: &DatabaseConnection) -> anyhow::Result<u64> {
    let now = Utc::now();
    let mut cleared = 0;
    for c in crate::store::campaigns::list(db).await? {
        let closed = !c.surveys.is_empty()
            && c.surveys
                .iter()
                .all(|s| s.survey.access.state(now, 0) == SurveyState::Closed);
        if closed {
            let duplicates = duplicates_of(db, &c.info.key).await?;
            cleared += responses::forget_clients(db, c.id, &duplicates).await?;
        }
    }
    Ok(cleared)
}

/// The responses of a campaign the duplicate rule flags now, in storage order (the
/// order the analysis judges them in).
async fn duplicates_of(db: &DatabaseConnection, key: &str) -> anyhow::Result<Vec<uuid::Uuid>> {
    let Some(meta) = super::read::load_meta(db, key).await? else {
        return Ok(Vec::new());
    };
    let mut judge = RecordJudge::load(
        db,
        meta.campaign.id,
        &meta.campaign.info.quality,
        &meta.versions,
    )
    .await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<responses::RawRow>>(4);
    let read = responses::stream_raw(db, meta.campaign.id, 1024, tx);
    let judged = async move {
        let mut out = Vec::new();
        while let Some(chunk) = rx.recv().await {
            for row in chunk {
                let record = row.decode()?;
                if judge.flags(&record).contains(Flag::Duplicate) {
                    out.push(record.id);
                }
            }
        }
        Ok::<_, anyhow::Error>(out)
    };
    let (read, judged) = tokio::join!(read, judged);
    read?;
    judged
}
