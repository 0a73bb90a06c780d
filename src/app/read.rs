//! Reading a campaign: its definitions, and one streamed pass over its stored responses
//! into the columnar analysis frames (rows are read on the async side in chunks and
//! decoded on a blocking thread), under the view's filters; and the previous wave under
//! the same filters. The other use-cases start here.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::quality::{flag_speeders, Duplicates, Judge, Sender, Timed, Timings};
use crate::analysis::cube::Coord;
use crate::analysis::disclosure::{Lattice, ATTRIBUTES};
use crate::analysis::evaluation::{fine_cell, FineCell, View};
use crate::analysis::frame::{Attributes, CellFrames, FrameBuilder, Frames, NO_CELL};
use crate::analysis::quality::QualityInput;
use crate::domain::campaign::CampaignInfo;
use crate::domain::quality::{Flag, FlagSet, QualitySettings};
use crate::store::campaigns::{self, StoredCampaign};
use crate::store::responses::{self, AnalysisRow};
use crate::store::surveys::{self, StoredSurvey};
use polars::prelude::PolarsResult;

/// Rows per chunk handed from the reader to the decoder.
const CHUNK: usize = 4096;

/// A campaign's definitions: every questionnaire version, without responses.
pub struct CampaignMeta {
    pub campaign: StoredCampaign,
    pub versions: HashMap<i64, StoredSurvey>,
}

pub async fn load_meta(db: &DatabaseConnection, key: &str) -> anyhow::Result<Option<CampaignMeta>> {
    let Some(campaign) = campaigns::get(db, key).await? else {
        return Ok(None);
    };
    let versions = surveys::all_versions(db, campaign.id, key).await?;
    Ok(Some(CampaignMeta { campaign, versions }))
}

/// What one pass over a campaign's stored responses collects.
pub struct Collected<C = FineCell> {
    /// The respondents matching every filter, and for each filter the wider view split
    /// by its values (for the disclosure gate).
    pub view: View<C>,
    /// Earliest and latest submission.
    pub fieldwork: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The responses of the whole campaign the duplicate rule flags (each judged
    /// against its client's earlier responses, in or out of the view).
    pub duplicates: Arc<HashSet<Uuid>>,
}

/// What a pass over a whole campaign learns that every view of the same data shares:
/// its fine cells as the gate and the weights need them, the questionnaires' median
/// answering times and how many were timed, and the responses the duplicate rule
/// flagged. With it, a view reads only its own responses.
pub struct Summary {
    lattice: Lattice<FineCell>,
    medians: BTreeMap<String, f64>,
    timed: BTreeMap<String, u64>,
    duplicates: Arc<HashSet<Uuid>>,
    /// The campaign's respondents as analysed, while within the summaries' limit
    /// ([`Summaries::keeping_frames`]): a view is then selected from them instead of
    /// read.
    kept: Mutex<Option<Arc<Kept>>>,
}

/// A campaign's frames kept with its summary (when no `[quality] exclude` applies).
struct Kept {
    whole: CellFrames,
    /// Each fine cell's earliest and latest submission.
    spans: Vec<Option<(DateTime<Utc>, DateTime<Utc>)>>,
    /// Each fine cell's key (its value of each lattice attribute), by cell number.
    keys: Vec<Vec<Option<String>>>,
    attributes: Vec<String>,
}

impl Summary {
    /// The kept frames, when they can give a view (with open answers if `texts`).
    fn kept(&self, texts: bool) -> Option<Arc<Kept>> {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        (!texts || kept.whole.frames.texts_kept).then_some(kept)
    }

    fn kept_respondents(&self) -> usize {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.as_ref().map_or(0, |k| k.whole.len())
    }

    fn forget_kept(&self) {
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Campaigns kept at most (the latest data version of each).
const MAX_SUMMARIES: usize = 64;

/// What the views of one process (the server's, or a command's) share about each
/// campaign at the data version it was read at: its [`Summary`], and its fieldwork
/// counts per scope (`app::fieldwork::KeptCounts`).
#[derive(Default)]
pub struct Summaries {
    held: Mutex<HashMap<i64, (String, Arc<Summary>)>>,
    /// The grouped fieldwork counts every workspace page shows.
    pub counts: super::fieldwork::KeptCounts,
    /// Respondents whose frames the summaries keep at most, over all campaigns (a
    /// server's keep some, where more views of the same data follow; a command's none,
    /// as it analyses once).
    kept_respondents: usize,
}

impl Summaries {
    /// Summaries that keep their campaigns' frames, up to `respondents` over all
    /// campaigns, so that later views of the same data are selected from them instead
    /// of read.
    pub fn keeping_frames(respondents: usize) -> Self {
        Summaries {
            kept_respondents: respondents,
            ..Default::default()
        }
    }

    fn get(&self, campaign: i64, version: &str) -> Option<Arc<Summary>> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.get(&campaign)
            .filter(|(v, _)| v == version)
            .map(|(_, s)| s.clone())
    }

    fn put(&self, campaign: i64, version: String, summary: Arc<Summary>) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.len() >= MAX_SUMMARIES && !held.contains_key(&campaign) {
            held.clear();
        }
        held.remove(&campaign);
        let new = summary.kept_respondents();
        let others: usize = held.values().map(|(_, s)| s.kept_respondents()).sum();
        if new > self.kept_respondents {
            summary.forget_kept();
        } else if others + new > self.kept_respondents {
            held.values().for_each(|(_, s)| s.forget_kept());
        }
        held.insert(campaign, (version, summary));
    }
}

/// The disclosure attributes of a campaign: [`ATTRIBUTES`] and its breakdowns, sorted.
pub(crate) fn lattice_attributes(breakdowns: &[String]) -> Vec<String> {
    let mut out: Vec<String> = ATTRIBUTES.iter().map(|a| a.to_string()).collect();
    out.extend(breakdowns.iter().cloned());
    out.sort();
    out.dedup();
    out
}

/// A stored row's attributes and its fine cell's key: its value of each lattice
/// attribute.
pub(crate) fn fine_key<'a>(
    stored: &'a str,
    attributes: &[String],
) -> anyhow::Result<(Attributes<'a>, Vec<Option<String>>)> {
    let attrs: Attributes<'a> = serde_json::from_str(stored)
        .map_err(|e| anyhow::anyhow!("stored attributes are not valid JSON: {e}"))?;
    let key = attributes
        .iter()
        .map(|a| attrs.get(a.as_str()).map(str::to_string))
        .collect();
    Ok((attrs, key))
}

/// Turns the fine cells keyed by their values into the view's lattice, each cell's
/// content through `finish`.
pub(crate) fn lattice<T, U>(
    attributes: Vec<String>,
    fine: BTreeMap<Vec<Option<String>>, T>,
    filters: &[(String, String)],
    mut finish: impl FnMut(T) -> anyhow::Result<U>,
) -> anyhow::Result<Lattice<U>> {
    let mut values: Vec<BTreeSet<String>> = vec![BTreeSet::new(); attributes.len()];
    for key in fine.keys() {
        for (d, v) in key.iter().enumerate() {
            if let Some(v) = v {
                values[d].insert(v.clone());
            }
        }
    }
    let values: Vec<Vec<String>> = values
        .into_iter()
        .map(|v| v.into_iter().collect())
        .collect();
    let coord = |d: usize, v: &Option<String>| match v {
        Some(v) => Coord::Value(values[d].binary_search(v).unwrap_or(0) as u32),
        None => Coord::Missing,
    };
    let mut cells = Vec::with_capacity(fine.len());
    for (key, b) in fine {
        let cell: Vec<Coord> = key.iter().enumerate().map(|(d, v)| coord(d, v)).collect();
        cells.push((cell, finish(b)?));
    }
    let mut out = Lattice {
        attributes,
        values,
        fine: cells,
        view: Vec::new(),
    };
    out.view = out.cell_of(filters).ok_or_else(|| {
        anyhow::anyhow!("a filter names an attribute views cannot be narrowed by")
    })?;
    Ok(out)
}

/// Streams the campaign's responses that match every `(attribute, value)` filter into
/// analysis frames, keeping the view's open answers for text analysis when `texts` is
/// set (the fine cells only count them). Every
/// response also goes into its fine cell of the campaign's lattice (its values of the
/// disclosure attributes), which the disclosure gate decides with. Each response is
/// judged by the campaign's data quality rules on the way; those `[quality] exclude`
/// names are left out of the frames and the lattice alike (kept apart for the
/// sensitivity table).
pub async fn collect(
    db: &DatabaseConnection,
    meta: &CampaignMeta,
    filters: &[(String, String)],
    texts: bool,
) -> anyhow::Result<Collected<Frames>> {
    let mut read = pass(db, meta, filters, texts, None, Keep::Cells).await?;
    let lattice = match read.fine.take() {
        Some((attributes, fine)) => Some(lattice(attributes, fine, filters, CellPart::frames)?),
        None => None,
    };
    Ok(read.into_collected(lattice))
}

/// [`collect`] for the current view of a campaign, with its fine cells summarised: a
/// view of data summarised before (`summaries`, at the same data version) reads only
/// the responses matching its filters; otherwise the whole campaign is read and its
/// summary kept, unless the data changed while it was read.
pub async fn collect_view(
    db: &DatabaseConnection,
    meta: &CampaignMeta,
    filters: &[(String, String)],
    texts: bool,
    summaries: &Summaries,
) -> anyhow::Result<Collected> {
    let key = &meta.campaign.info.key;
    let version = campaigns::data_version(db, key).await?.unwrap_or_default();
    if let Some(known) = summaries.get(meta.campaign.id, &version) {
        let mut lattice = known.lattice.clone();
        lattice.view = lattice.cell_of(filters).ok_or_else(unknown_filter)?;
        let read = match known.kept(texts) {
            Some(kept) => {
                let owned = filters.to_vec();
                let known = known.clone();
                tokio::task::spawn_blocking(move || select(&kept, &known, &owned, texts)).await??
            }
            None => {
                pass(
                    db,
                    meta,
                    filters,
                    texts,
                    Some(known.clone()),
                    Keep::Summaries(0),
                )
                .await?
            }
        };
        return Ok(read.into_collected(Some(lattice)));
    }
    let keep = Keep::Summaries(summaries.kept_respondents);
    let mut read = pass(db, meta, filters, texts, None, keep).await?;
    let Some((attributes, fine)) = read.fine.take() else {
        return Ok(read.into_collected(None));
    };
    let info = &meta.campaign.info;
    let lattice = lattice(attributes, fine, filters, |c| c.summary(info))?;
    if campaigns::data_version(db, key).await?.as_deref() == Some(version.as_str()) {
        let summary = Summary {
            lattice: lattice.clone(),
            medians: read.quality.medians.clone(),
            timed: read.quality.timed.clone(),
            duplicates: read.duplicates.clone(),
            kept: Mutex::new(read.kept.take().map(Arc::new)),
        };
        summaries.put(meta.campaign.id, version, Arc::new(summary));
    }
    Ok(read.into_collected(Some(lattice)))
}

/// The view `filters` give, selected from the campaign's kept frames: what a pass
/// over its responses with the campaign's summary `known` reads.
fn select(
    kept: &Kept,
    known: &Summary,
    filters: &[(String, String)],
    texts: bool,
) -> anyhow::Result<Read> {
    let at: Vec<Option<usize>> = filters
        .iter()
        .map(|(a, _)| kept.attributes.iter().position(|x| x == a))
        .collect();
    let wanted: Vec<bool> = kept
        .keys
        .iter()
        .map(|key| {
            filters
                .iter()
                .zip(&at)
                .all(|((_, v), d)| d.and_then(|d| key[d].as_deref()) == Some(v.as_str()))
        })
        .collect();
    let frames = kept.whole.select(&wanted, texts)?;
    let fieldwork = kept
        .spans
        .iter()
        .zip(&wanted)
        .filter_map(|(span, w)| span.filter(|_| *w))
        .reduce(|(f, l), (a, b)| (f.min(a), l.max(b)));
    Ok(Read {
        frames,
        quality: QualityInput {
            excluded: None,
            medians: known.medians.clone(),
            timed: known.timed.clone(),
            filtered: !filters.is_empty(),
        },
        fine: None,
        kept: None,
        duplicates: known.duplicates.clone(),
        fieldwork,
    })
}

fn unknown_filter() -> anyhow::Error {
    anyhow::anyhow!("a filter names an attribute views cannot be narrowed by")
}

/// A pass's fine cells: the lattice attributes, and each cell by its values of them.
type Fine = (Vec<String>, BTreeMap<Vec<Option<String>>, CellPart>);

/// What a pass keeps of the campaign's fine cells.
#[derive(Clone, Copy)]
enum Keep {
    /// Their frames.
    Cells,
    /// What the gate reads of them, and the campaign's frames for its summary when it
    /// has at most this many respondents (0: never).
    Summaries(usize),
}

/// One fine cell as a pass gives it.
enum CellPart {
    /// Its respondents' frames (as [`CellFrames::split`] gives them).
    Frames(Frames),
    /// What the disclosure gate reads of them, made as soon as they were split (see
    /// [`Pass::summarise_cells`]).
    Summary(FineCell),
}

impl CellPart {
    fn frames(self) -> anyhow::Result<Frames> {
        match self {
            CellPart::Frames(f) => Ok(f),
            CellPart::Summary(_) => anyhow::bail!("a summarising pass kept no cell frames"),
        }
    }

    fn summary(self, info: &CampaignInfo) -> anyhow::Result<FineCell> {
        Ok(match self {
            CellPart::Frames(f) => fine_cell(info, &f)?,
            CellPart::Summary(c) => c,
        })
    }
}

/// What one pass read.
struct Read {
    frames: Frames,
    quality: QualityInput,
    /// None when the pass knew the campaign's summary.
    fine: Option<Fine>,
    /// The campaign's frames, to keep with its summary (none when the pass knew it,
    /// some flag excludes, or the campaign is too large to keep).
    kept: Option<Kept>,
    /// The responses of the whole campaign the duplicate rule flags.
    duplicates: Arc<HashSet<Uuid>>,
    fieldwork: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Read {
    fn into_collected<C>(self, lattice: Option<Lattice<C>>) -> Collected<C> {
        Collected {
            view: View {
                frames: self.frames,
                lattice,
                quality: self.quality,
            },
            fieldwork: self.fieldwork,
            duplicates: self.duplicates,
        }
    }
}

/// One pass over the campaign's responses; with the campaign's summary `known`, over
/// the responses matching the filters only.
async fn pass(
    db: &DatabaseConnection,
    meta: &CampaignMeta,
    filters: &[(String, String)],
    texts: bool,
    known: Option<Arc<Summary>>,
    keep: Keep,
) -> anyhow::Result<Read> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<AnalysisRow>>(4);
    let versions: HashMap<i64, StoredSurvey> =
        meta.versions.iter().map(|(k, v)| (*k, v.clone())).collect();
    let quality = meta.campaign.info.quality.clone();
    // Excluding speeders decides on the median before the pass; otherwise speeders
    // are flagged after it, from the times the pass collects.
    let known_medians = match &known {
        Some(k) => Some(k.medians.clone()),
        None if quality.exclude.contains(&Flag::Speeder) => {
            let rows = responses::durations(db, meta.campaign.id).await?;
            Some(Timings::from_rows(&versions, rows).medians(&quality))
        }
        None => None,
    };
    let narrow: &[(String, String)] = if known.is_some() { filters } else { &[] };
    let mut pass = Pass::new(
        meta,
        filters,
        texts,
        versions,
        quality,
        known_medians,
        known,
    );
    if let Keep::Summaries(respondents) = keep {
        pass.summarise_cells(&meta.campaign.info);
        if respondents > 0 {
            pass.keep_frames(respondents);
        }
    }
    // Read chunks go back to the reader to be freed there (`responses::Spent`).
    let (spent_tx, spent) = std::sync::mpsc::channel();
    let decoder = tokio::task::spawn_blocking(move || -> anyhow::Result<Read> {
        while let Some(chunk) = rx.blocking_recv() {
            for row in &chunk {
                pass.add(row)?;
            }
            let _ = spent_tx.send(chunk);
        }
        pass.finish()
    });
    let read =
        responses::stream_for_analysis(db, meta.campaign.id, narrow, CHUNK, tx, Some(spent)).await;
    let collected = decoder.await??;
    read?;
    Ok(collected)
}

/// Distinct attributes texts remembered per pass: more would be attributes unique to
/// respondents, which are parsed each time instead.
const MAX_PLACED: usize = 50_000;

/// A stored attributes text, parsed: the attributes, the row's fine cell, and whether
/// it matches the view's filters.
#[derive(Clone)]
struct Placed {
    attrs: Arc<Attributes<'static>>,
    cell: usize,
    matches: bool,
}

/// The fine cells of a pass, and what each distinct stored attributes text decides.
#[derive(Default)]
struct Cells {
    /// Each fine cell's key, in order of first appearance (its number in the
    /// builder's [`crate::analysis::frame::CellLedger`]).
    fine: Vec<Vec<Option<String>>>,
    /// Index in `fine` by key.
    cell_of: HashMap<Vec<Option<String>>, usize>,
    /// At most [`MAX_PLACED`] texts (looked up for every row, so with polars' foldhash).
    placed: polars::prelude::PlHashMap<String, Placed>,
    /// What each text the reader numbered decides, by its number
    /// ([`crate::store::attribute_numbers`]).
    numbered: Vec<Placed>,
}

impl Cells {
    /// [`Self::place`] for `row`, by its attributes number when the reader gave one.
    /// Every row of the read must come here in order: a number's text comes only with
    /// its first row.
    fn place_row(
        &mut self,
        row: &AnalysisRow,
        attributes: &[String],
        filters: &[(String, String)],
    ) -> anyhow::Result<Placed> {
        let Some(n) = row.attributes_no.map(|n| n as usize) else {
            return self.place(&row.attributes, attributes, filters);
        };
        if let Some(p) = self.numbered.get(n) {
            return Ok(p.clone());
        }
        anyhow::ensure!(
            n == self.numbered.len(),
            "attributes number {n} came before its text"
        );
        let p = self.place(&row.attributes, attributes, filters)?;
        self.numbered.push(p.clone());
        Ok(p)
    }

    /// The attributes, fine cell and filter verdict of a row's stored attributes text,
    /// parsed once per distinct text (a campaign has a few hundred).
    fn place(
        &mut self,
        raw: &str,
        attributes: &[String],
        filters: &[(String, String)],
    ) -> anyhow::Result<Placed> {
        if let Some(p) = self.placed.get(raw) {
            return Ok(p.clone());
        }
        let (attrs, key) = fine_key(raw, attributes)?;
        let matches = filters
            .iter()
            .all(|(k, val)| attrs.get(k.as_str()) == Some(val.as_str()));
        let next = self.fine.len();
        let cell = *self.cell_of.entry(key.clone()).or_insert(next);
        if cell == next {
            self.fine.push(key);
        }
        let p = Placed {
            attrs: Arc::new(attrs.into_owned()),
            cell,
            matches,
        };
        if self.placed.len() < MAX_PLACED {
            self.placed.insert(raw.to_string(), p.clone());
        }
        Ok(p)
    }
}

/// The state of one pass over a campaign's responses.
struct Pass {
    /// Looked up for every row: with polars' foldhash rather than std's SipHash.
    versions: polars::prelude::PlHashMap<i64, StoredSurvey>,
    judge: Judge,
    duplicates: Duplicates,
    attributes: Vec<String>,
    filters: Vec<(String, String)>,
    /// The view's respondents; when the view is the whole campaign and its summary is
    /// not known, also split by fine cell.
    builder: FrameBuilder,
    /// Every respondent of the campaign by fine cell, when the view is filtered and the
    /// campaign's summary is not known.
    campaign: Option<FrameBuilder>,
    cells: Cells,
    /// The campaign's summary at this data, when known: then the pass reads the view's
    /// responses only and makes no fine cells.
    known: Option<Arc<Summary>>,
    /// The view's respondents left out by `[quality] exclude`.
    dropped: FrameBuilder,
    /// Judges rows before they are kept when some flag excludes (reset now and then).
    probe: FrameBuilder,
    timings: Timings,
    timed: Vec<Timed>,
    /// Each respondent of `campaign`'s timing (for its speeders).
    timed_all: Vec<Timed>,
    timed_dropped: Vec<Timed>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    /// Each fine cell's earliest and latest kept submission (when the summary is not
    /// known).
    spans: Vec<Option<(DateTime<Utc>, DateTime<Utc>)>>,
    /// Respondents up to whom the campaign's frames are kept for its summary
    /// ([`Read::kept`]); 0: not kept.
    keep_at_most: usize,
    /// Whether the view keeps its open answers.
    texts: bool,
    /// The campaign to summarise each fine cell for as it is split (see
    /// [`Self::summarise_cells`]); none: the cells keep their frames.
    summarise: Option<CampaignInfo>,
}

impl Pass {
    fn new(
        meta: &CampaignMeta,
        filters: &[(String, String)],
        texts: bool,
        versions: HashMap<i64, StoredSurvey>,
        quality: QualitySettings,
        known_medians: Option<BTreeMap<String, f64>>,
        known: Option<Arc<Summary>>,
    ) -> Self {
        let breakdowns = meta.campaign.info.analysis.breakdowns.clone();
        let builder = FrameBuilder::new(&breakdowns);
        let duplicates = match &known {
            Some(k) => Duplicates::known(k.duplicates.clone()),
            None => Duplicates::new(&quality),
        };
        let judge = Judge::new(quality, known_medians, &versions);
        let builder = if texts {
            builder.keeping_texts()
        } else {
            builder
        };
        let (builder, campaign) = match (&known, filters.is_empty()) {
            (Some(_), _) => (builder, None),
            (None, true) => (builder.in_cells(), None),
            (None, false) => (builder, Some(FrameBuilder::new(&breakdowns).in_cells())),
        };
        Pass {
            attributes: lattice_attributes(&breakdowns),
            builder,
            campaign,
            dropped: FrameBuilder::new(&breakdowns),
            probe: FrameBuilder::new(&[]),
            versions: versions.into_iter().collect(),
            judge,
            duplicates,
            filters: filters.to_vec(),
            cells: Cells::default(),
            known,
            timings: Timings::default(),
            timed: Vec::new(),
            timed_all: Vec::new(),
            timed_dropped: Vec::new(),
            first: None,
            last: None,
            spans: Vec::new(),
            keep_at_most: 0,
            texts,
            summarise: None,
        }
    }

    /// Gives each fine cell as what the disclosure gate reads of it, made as soon as
    /// the cell is split from the campaign (its frames dropped at once), rather than
    /// as its frames: all cells' frames at once were a second copy of the campaign's.
    fn summarise_cells(&mut self, info: &CampaignInfo) {
        self.summarise = Some(info.clone());
    }

    /// The fine cells of `whole`, each as a pass with `summarise` gives them.
    fn split(
        summarise: &Option<CampaignInfo>,
        whole: &CellFrames,
        cells: usize,
    ) -> PolarsResult<Vec<Option<CellPart>>> {
        match summarise {
            Some(info) => whole.split_into(cells, |f| fine_cell(info, &f).map(CellPart::Summary)),
            None => whole.split_into(cells, |f| Ok(CellPart::Frames(f))),
        }
    }

    /// Keeps the campaign's frames for its summary ([`Read::kept`]) when it has at most
    /// `respondents`, with the open answers (so that views with them can be selected
    /// too).
    fn keep_frames(&mut self, respondents: usize) {
        self.keep_at_most = respondents;
        // Frames are not kept for a summary that knows them already, nor while some
        // flag excludes (their views read what they need).
        if self.known.is_some() || !self.judge.quality.exclude.is_empty() {
            return;
        }
        match &mut self.campaign {
            Some(all) => all.keep_texts(),
            None => self.builder.keep_texts(),
        }
    }

    fn add(&mut self, row: &AnalysisRow) -> anyhow::Result<()> {
        // Placed before anything skips the row: a numbered text comes only once.
        let Placed {
            attrs,
            cell,
            matches,
        } = self.cells.place_row(row, &self.attributes, &self.filters)?;
        let Some(v) = self.versions.get(&row.survey_version_id) else {
            return Ok(());
        };
        let survey = &v.survey;
        let attrs = &*attrs;
        let cell = u32::try_from(cell).unwrap_or(NO_CELL);
        if self.known.is_none() {
            if let (Some(d), Some(slug)) =
                (row.duration_s, self.judge.slugs.get(&row.survey_version_id))
            {
                if let Ok(d) = u32::try_from(d) {
                    self.timings.add(slug, d);
                }
            }
        }
        let excluded = self.judge.quality.excluded();
        let excluding = !excluded.is_empty();
        let (flags, timed) = if excluding {
            if self.probe.len() >= CHUNK {
                self.probe = FrameBuilder::new(&[]);
            }
            self.probe
                .push_stored(row.survey_version_id, survey, attrs, &row.answers)?;
            judge_row(&self.judge, &mut self.duplicates, &self.probe, row)
        } else {
            (FlagSet::EMPTY, None)
        };
        if flags.intersects(excluded) {
            if matches {
                push_row(&mut self.dropped, cell, survey, attrs, row)?;
                self.dropped.flag_last(flags);
                self.timed_dropped.push(timed);
            }
            return Ok(());
        }
        let (flags, timed) = if self.known.is_some() {
            if !matches {
                return Ok(());
            }
            push_row(&mut self.builder, cell, survey, attrs, row)?;
            if excluding {
                (flags, timed)
            } else {
                judge_row(&self.judge, &mut self.duplicates, &self.builder, row)
            }
        } else {
            let all = self.campaign.as_mut().unwrap_or(&mut self.builder);
            push_row(all, cell, survey, attrs, row)?;
            let judged = if excluding {
                (flags, timed)
            } else {
                judge_row(&self.judge, &mut self.duplicates, all, row)
            };
            if let Some(all) = self.campaign.as_mut() {
                all.flag_last(judged.0);
                self.timed_all.push(judged.1.clone());
            }
            widen(&mut self.spans, cell, row.submitted_at);
            if !matches {
                return Ok(());
            }
            if self.campaign.is_some() {
                push_row(&mut self.builder, cell, survey, attrs, row)?;
            }
            judged
        };
        self.builder.flag_last(flags);
        self.timed.push(timed);
        self.first = Some(
            self.first
                .map_or(row.submitted_at, |f| f.min(row.submitted_at)),
        );
        self.last = Some(
            self.last
                .map_or(row.submitted_at, |l| l.max(row.submitted_at)),
        );
        Ok(())
    }

    fn finish(self) -> anyhow::Result<Read> {
        let q = &self.judge.quality;
        let medians = self
            .judge
            .known_medians
            .clone()
            .unwrap_or_else(|| self.timings.medians(q));
        let cells = self.cells.fine.len();
        // Without the summary, the campaign's frames are split by fine cell for it,
        // and kept with it while no flag excludes anyone and they are not too many
        // (a campaign over the limit is not copied to be dropped at once).
        let keep_at_most = self.keep_at_most;
        let kept_whole = |n: usize| q.exclude.is_empty() && keep_at_most > 0 && n <= keep_at_most;
        let view_apart = self.known.is_some() || self.campaign.is_some();
        let (mut frames, parts, whole) = if self.known.is_some() {
            (self.builder.finish()?, Vec::new(), None)
        } else if let Some(all) = self.campaign {
            let mut whole = all.finish_in_cells()?;
            flag_speeders(q, &medians, &mut whole.frames, &self.timed_all);
            let parts = Self::split(&self.summarise, &whole, cells)?;
            (self.builder.finish()?, parts, Some(whole))
        } else {
            let mut whole = self.builder.finish_in_cells()?;
            flag_speeders(q, &medians, &mut whole.frames, &self.timed);
            let parts = Self::split(&self.summarise, &whole, cells)?;
            if kept_whole(whole.len()) {
                // The view is every cell, with open answers only when asked for.
                let frames = whole.select(&vec![true; cells], self.texts)?;
                (frames, parts, Some(whole))
            } else {
                (whole.frames, parts, None)
            }
        };
        if view_apart {
            flag_speeders(q, &medians, &mut frames, &self.timed);
        }
        let excluded = if q.exclude.is_empty() {
            None
        } else {
            let mut d = self.dropped.finish()?;
            flag_speeders(q, &medians, &mut d, &self.timed_dropped);
            Some(d)
        };
        let kept = whole.filter(|w| kept_whole(w.len())).map(|whole| Kept {
            whole,
            spans: self.spans,
            keys: self.cells.fine.clone(),
            attributes: self.attributes.clone(),
        });
        let (timed, fine) = match &self.known {
            Some(k) => (k.timed.clone(), None),
            None => {
                let fine = self
                    .cells
                    .fine
                    .into_iter()
                    .zip(parts)
                    .filter_map(|(key, f)| Some((key, f?)))
                    .collect();
                (self.timings.counts(), Some((self.attributes, fine)))
            }
        };
        Ok(Read {
            frames,
            quality: QualityInput {
                excluded,
                medians,
                timed,
                filtered: !self.filters.is_empty(),
            },
            fine,
            kept,
            duplicates: match &self.known {
                Some(k) => k.duplicates.clone(),
                None => Arc::new(self.duplicates.into_flagged()),
            },
            fieldwork: self.first.zip(self.last),
        })
    }
}

/// Widens fine cell `cell`'s span of submissions to `at`.
fn widen(spans: &mut Vec<Option<(DateTime<Utc>, DateTime<Utc>)>>, cell: u32, at: DateTime<Utc>) {
    let c = cell as usize;
    if c == NO_CELL as usize {
        return;
    }
    if spans.len() <= c {
        spans.resize(c + 1, None);
    }
    spans[c] = Some(spans[c].map_or((at, at), |(f, l)| (f.min(at), l.max(at))));
}

/// Adds `row`, of fine cell `cell`, to `b`.
fn push_row(
    b: &mut FrameBuilder,
    cell: u32,
    survey: &crate::domain::Survey,
    attrs: &Attributes<'_>,
    row: &AnalysisRow,
) -> Result<(), crate::analysis::frame::CorruptRow> {
    b.push_stored_in(cell, row.survey_version_id, survey, attrs, &row.answers)
}

/// The flags of `row`, just added to `b`.
fn judge_row(
    judge: &Judge,
    duplicates: &mut Duplicates,
    b: &FrameBuilder,
    row: &AnalysisRow,
) -> (FlagSet, Timed) {
    let sender = Sender {
        id: row.id,
        client: row.client_hash.as_deref(),
        at: row.submitted_at,
        judged: row.duplicate,
    };
    judge.judge(duplicates, b, row.survey_version_id, row.duration_s, sender)
}

/// The previous wave's definitions and respondents under the same filters as the
/// current view, when the campaign names one.
pub async fn previous_wave(
    db: &DatabaseConnection,
    meta: &CampaignMeta,
    filters: &[(String, String)],
) -> anyhow::Result<Option<(CampaignMeta, View<Frames>)>> {
    let Some(prev) = &meta.campaign.info.analysis.previous_wave else {
        return Ok(None);
    };
    let Some(prev) = load_meta(db, prev).await? else {
        return Ok(None);
    };
    let view = collect(db, &prev, filters, false).await?.view;
    Ok(Some((prev, view)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::packed;
    use crate::store::responses::StoredAnswers;

    /// The demo campaign as stored, each questionnaire under two version ids (so that
    /// a fine cell can hold two versions of one questionnaire, first seen in either
    /// order).
    fn demo() -> StoredCampaign {
        let c = crate::definitions::load_campaign(std::path::Path::new("surveys/pingshun-2025"))
            .expect("the demo campaign loads");
        StoredCampaign {
            id: 1,
            surveys: c
                .surveys
                .into_iter()
                .enumerate()
                .map(|(i, survey)| StoredSurvey {
                    version_id: i as i64 + 1,
                    version: 1,
                    campaign_id: 1,
                    campaign_key: c.info.key.clone(),
                    survey,
                })
                .collect(),
            info: c.info,
        }
    }

    /// One demo row as stored: its questionnaire, version id, fine cell (numbered in
    /// order of first appearance), attributes text and answers.
    struct Row {
        idx: usize,
        key: i64,
        cell: usize,
        raw: String,
        answers: StoredAnswers,
    }

    /// `n` demo responses (choices, ratings, open answers, importance), one in three
    /// stored as JSON and the others packed, every other one under a second version id
    /// of its questionnaire (so that a fine cell can hold two versions of one
    /// questionnaire, first seen in either order).
    fn demo_rows(campaign: &StoredCampaign, n: usize) -> Vec<Row> {
        let attributes = lattice_attributes(&campaign.info.analysis.breakdowns);
        let mut cell_of: HashMap<Vec<Option<String>>, usize> = HashMap::new();
        let rows = crate::app::demo::generate(campaign, n, 11);
        rows.into_iter()
            .enumerate()
            .map(|(i, (idx, response, _))| {
                let stored = &campaign.surveys[idx];
                let raw = serde_json::to_string(&response.attributes).expect("attributes");
                let (_, fine) = fine_key(&raw, &attributes).expect("fine key");
                let next = cell_of.len();
                let answers = if i % 3 == 0 {
                    StoredAnswers::Json(serde_json::to_string(&response.answers).expect("json"))
                } else {
                    StoredAnswers::Packed(packed::pack(&stored.survey, &response.answers))
                };
                Row {
                    idx,
                    key: stored.version_id + if i % 2 == 0 { 0 } else { 100 },
                    cell: *cell_of.entry(fine).or_insert(next),
                    raw,
                    answers,
                }
            })
            .collect()
    }

    /// Adds `row` to `b` (in its fine cell when `b` records cells).
    fn add(b: &mut FrameBuilder, campaign: &StoredCampaign, row: &Row) {
        let attrs: Attributes<'_> = serde_json::from_str(&row.raw).expect("attributes");
        let survey = &campaign.surveys[row.idx].survey;
        b.push_stored_in(row.cell as u32, row.key, survey, &attrs, &row.answers)
            .expect("row");
    }

    /// Splitting one builder's frames by fine cell gives each cell the census (and
    /// respondents per group) that a builder fed only that cell's responses gives: the
    /// disclosure gate decides the same either way.
    #[test]
    fn split_cells_have_the_census_of_cells_built_alone() {
        let campaign = demo();
        let info = &campaign.info;
        let breakdowns = info.analysis.breakdowns.clone();
        let mut whole = FrameBuilder::new(&breakdowns).keeping_texts().in_cells();
        let mut alone: Vec<FrameBuilder> = Vec::new();
        for row in demo_rows(&campaign, 4000) {
            if row.cell == alone.len() {
                alone.push(FrameBuilder::new(&breakdowns));
            }
            add(&mut whole, &campaign, &row);
            add(&mut alone[row.cell], &campaign, &row);
        }
        assert!(alone.len() > 20, "the demo spreads over many fine cells");
        let whole = whole.finish_in_cells().expect("cells");
        let parts = whole.split(alone.len()).expect("split");
        assert_eq!(whole.len(), 4000);
        let mut texts = 0;
        for (part, built) in parts.into_iter().zip(alone) {
            let part = part.expect("every cell has respondents");
            let built = built.finish().expect("built");
            assert_eq!(part.counts, built.counts);
            assert_eq!(part.respondents, built.respondents);
            let keys = |f: &Frames| f.versions.iter().map(|v| v.key.clone()).collect::<Vec<_>>();
            assert_eq!(keys(&part), keys(&built));
            let split = fine_cell(info, &part).expect("census of the split cell");
            let own = fine_cell(info, &built).expect("census of the cell built alone");
            assert_eq!(split.census, own.census);
            texts += part
                .versions
                .iter()
                .map(|v| v.text_respondents)
                .sum::<u64>();
        }
        assert!(texts > 0, "some respondents wrote open answers");
    }

    /// The described questions' counters as compared: numbers in sorted order (their
    /// summary sorts them).
    fn tally_view(t: &crate::analysis::tallies::Tally) -> String {
        let mut values = t.values.clone();
        values.sort_by(f64::total_cmp);
        format!(
            "{} {} {:?} {:?} {:?} {:?}",
            t.id, t.answered, t.counts, t.rank_sum, t.rank_n, values
        )
    }

    /// Everything of two frames an analysis reads.
    fn assert_same_frames(a: &Frames, b: &Frames) {
        assert_eq!(a.counts, b.counts);
        assert_eq!(a.respondents, b.respondents);
        assert_eq!(a.flags, b.flags);
        assert_eq!(a.texts_kept, b.texts_kept);
        assert_eq!(a.versions.len(), b.versions.len());
        for (x, y) in a.versions.iter().zip(&b.versions) {
            assert_eq!(x.key, y.key);
            assert_eq!(x.rows, y.rows);
            let items = |v: &crate::analysis::frame::VersionFrame| {
                let mut out: Vec<Vec<u8>> = v.items.iter().map(|c| c.values.clone()).collect();
                out.extend(v.importance.iter().map(|c| c.values.clone()));
                out.extend(v.attention.iter().map(|c| c.values.clone()));
                out
            };
            assert_eq!(items(x), items(y), "{}", x.key);
            let tallies = |v: &crate::analysis::frame::VersionFrame| {
                v.tallies.iter().map(tally_view).collect::<Vec<_>>()
            };
            assert_eq!(tallies(x), tallies(y), "{}", x.key);
            let texts = |v: &crate::analysis::frame::VersionFrame| {
                v.texts
                    .iter()
                    .map(|t| (t.answered, t.values.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(texts(x), texts(y), "{}", x.key);
            assert_eq!(x.text_respondents, y.text_respondents);
        }
    }

    /// A view selected from a campaign's kept frames (its fine cells, with or without
    /// open answers) is what a builder fed only the view's responses, in order, gives:
    /// respondents, flags, every answer column, versions keyed in the view's own order,
    /// the described questions' counters and the open answers.
    #[test]
    fn a_view_selected_from_kept_frames_is_the_view_built_alone() {
        let campaign = demo();
        let breakdowns = campaign.info.analysis.breakdowns.clone();
        let rows = demo_rows(&campaign, 3000);
        let cells = rows.iter().map(|r| r.cell).max().unwrap_or(0) + 1;
        let flag = |i: usize| {
            if i.is_multiple_of(7) {
                FlagSet::of(&[Flag::Straightlining])
            } else {
                FlagSet::EMPTY
            }
        };
        let mut whole = FrameBuilder::new(&breakdowns).keeping_texts().in_cells();
        for (i, row) in rows.iter().enumerate() {
            add(&mut whole, &campaign, row);
            whole.flag_last(flag(i));
        }
        let whole = whole.finish_in_cells().expect("cells");
        for (every, texts) in [(3, true), (4, false), (1, true)] {
            let wanted: Vec<bool> = (0..cells).map(|c| c % every == 1 % every).collect();
            let mut alone = FrameBuilder::new(&breakdowns);
            if texts {
                alone = alone.keeping_texts();
            }
            for (i, row) in rows.iter().enumerate().filter(|(_, r)| wanted[r.cell]) {
                add(&mut alone, &campaign, row);
                alone.flag_last(flag(i));
            }
            let alone = alone.finish().expect("alone");
            assert!(alone.len() > 100, "the view has respondents");
            let selected = whole.select(&wanted, texts).expect("selected");
            assert_same_frames(&selected, &alone);
        }
        assert_same_frames(
            &whole.select(&vec![true; cells], true).expect("all"),
            &whole.frames,
        );
    }
}
