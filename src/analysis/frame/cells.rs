//! A campaign's frames split by fine cell (for the disclosure gate's census of each
//! cell), and a view's respondents selected from them without reading storage again:
//! each what a [`super::FrameBuilder`] fed only those respondents, in the same order,
//! would give.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::{
    AttentionColumn, Frames, ImportanceColumn, ItemColumn, TextColumn, VersionFrame, NO_CELL,
};
use crate::analysis::tallies::Tally;
use crate::domain::quality::FlagSet;

/// What an [`super::FrameBuilder::in_cells`] builder records to split its frames by
/// fine cell: each respondent's cell, and per (cell, version) the counters of the open
/// questions a cell's frames need that are kept as totals rather than per row
/// (respondents who answered each open question, and who wrote any open answer),
/// counted as the rows are added. The described questions are counted per cell by the
/// builder itself.
#[derive(Default)]
pub struct CellLedger {
    row_cell: Vec<u32>,
    /// Per version: its counters after the last row recorded.
    seen: Vec<Vec<u64>>,
    /// Per (cell, version): the counters of the cell's rows (looked up for every row,
    /// so with polars' foldhash rather than SipHash).
    counted: PlHashMap<(u32, usize), Vec<u64>>,
}

/// A version's running totals: each open question's `answered`, then
/// `text_respondents`.
fn counters(f: &VersionFrame) -> impl Iterator<Item = u64> + '_ {
    f.texts
        .iter()
        .map(|t| t.answered)
        .chain(std::iter::once(f.text_respondents))
}

impl CellLedger {
    /// Respondent `respondents - 1`, just added to version `v`, is of `cell`.
    pub(super) fn record(&mut self, cell: u32, v: usize, frame: &VersionFrame, respondents: usize) {
        self.row_cell.resize(respondents.saturating_sub(1), NO_CELL);
        self.row_cell.push(cell);
        if self.seen.len() <= v {
            self.seen.resize(v + 1, Vec::new());
        }
        let seen = &mut self.seen[v];
        seen.resize(counters(frame).count(), 0);
        let counted = (cell != NO_CELL).then(|| {
            self.counted
                .entry((cell, v))
                .or_insert_with(|| vec![0; seen.len()])
        });
        match counted {
            Some(counted) => {
                for ((now, before), c) in counters(frame).zip(seen.iter_mut()).zip(counted) {
                    *c += now - *before;
                    *before = now;
                }
            }
            None => {
                for (now, before) in counters(frame).zip(seen.iter_mut()) {
                    *before = now;
                }
            }
        }
    }
}

/// Picks `positions` of a column.
fn pick<T: Copy>(values: &[T], positions: &[usize]) -> Vec<T> {
    positions.iter().map(|&j| values[j]).collect()
}

/// A campaign's frames, with each respondent's fine cell and the counters kept per
/// cell rather than per row: what splitting them by cell and selecting a view's
/// respondents need.
pub struct CellFrames {
    pub frames: Frames,
    ledger: CellLedger,
    /// Per version: its described questions' counters per fine cell, sorted by cell.
    tallies: Vec<Vec<(u32, Vec<Tally>)>>,
}

/// What a part of one version has of the counters kept as totals: the described
/// questions', each open question's respondents, the respondents writing any, and the
/// open answers themselves when kept.
struct Totals {
    tallies: Vec<Tally>,
    texts_answered: Vec<u64>,
    text_respondents: u64,
    texts: Vec<Vec<(u32, String)>>,
}

/// The respondents of a part: their numbers in the whole, in order, and each whole
/// respondent's number in the part (`u32::MAX` when not in it).
struct Members<'a> {
    rows: &'a [u32],
    local: &'a [u32],
}

impl CellFrames {
    pub(super) fn new(
        frames: Frames,
        mut ledger: CellLedger,
        tallies: Vec<Vec<(u32, Vec<Tally>)>>,
    ) -> Self {
        ledger.row_cell.resize(frames.len(), NO_CELL);
        CellFrames {
            frames,
            ledger,
            tallies,
        }
    }

    /// Respondents of the whole.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The fine cell of each respondent.
    fn cell_of(&self, r: u32) -> u32 {
        self.ledger
            .row_cell
            .get(r as usize)
            .copied()
            .unwrap_or(NO_CELL)
    }

    /// The counters kept for cell `c` of version `v`.
    fn counted(&self, c: u32, v: usize) -> Option<&Vec<u64>> {
        self.ledger.counted.get(&(c, v))
    }

    /// The described questions' counters of cell `c` in version `v`.
    fn cell_tallies(&self, c: u32, v: usize) -> Option<&Vec<Tally>> {
        let by_cell = self.tallies.get(v)?;
        by_cell
            .binary_search_by_key(&c, |(cell, _)| *cell)
            .ok()
            .map(|i| &by_cell[i].1)
    }

    /// The frames of each fine cell `0..cells`, `None` for a cell without respondents:
    /// what [`super::FrameBuilder`]s fed only that cell's respondents would give, for
    /// everything a cell's census and weights read (respondents, their groups and
    /// attributes, every answer column, each version's key in the cell's own order of
    /// first appearance, respondents answering each described and open question). Not
    /// split: a described question's per-code counts and the open answers themselves
    /// (the cell's tallies count respondents only), and the data quality flags (cells
    /// are not judged).
    pub fn split(&self, cells: usize) -> PolarsResult<Vec<Option<Frames>>> {
        self.split_into(cells, Ok)
    }

    /// [`Self::split`], each cell's frames turned into `into(frames)` as soon as they
    /// are made: only the cells in hand on each core are in memory at once, not a
    /// second copy of the whole.
    pub fn split_into<T: Send>(
        &self,
        cells: usize,
        into: impl Fn(Frames) -> PolarsResult<T> + Sync,
    ) -> PolarsResult<Vec<Option<T>>> {
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); cells];
        let mut local = vec![u32::MAX; self.len()];
        for (r, &c) in self.ledger.row_cell.iter().enumerate() {
            if let Some(m) = members.get_mut(c as usize) {
                local[r] = m.len() as u32;
                m.push(r as u32);
            }
        }
        // Per version, the positions of its rows in each cell.
        let positions: Vec<Vec<Vec<usize>>> = self
            .frames
            .versions
            .iter()
            .map(|vf| {
                let mut by_cell = vec![Vec::new(); cells];
                for (j, &r) in vf.rows.iter().enumerate() {
                    if let Some(p) = by_cell.get_mut(self.cell_of(r) as usize) {
                        p.push(j);
                    }
                }
                by_cell
            })
            .collect();
        // Each cell's frames are made from the whole's alone: one core each.
        let cells: Vec<(usize, &Vec<u32>)> = members.iter().enumerate().collect();
        crate::analysis::parallel::map(cells, |(c, m)| {
            if m.is_empty() {
                return Ok(None);
            }
            let members = Members {
                rows: m,
                local: &local,
            };
            let totals = |v: usize, vf: &VersionFrame| {
                let counted = self.counted(c as u32, v);
                let count = |i: usize| counted.and_then(|c| c.get(i)).copied().unwrap_or(0);
                let answered = |i: usize| {
                    self.cell_tallies(c as u32, v)
                        .and_then(|t| t.get(i))
                        .map_or(0, |t| t.answered)
                };
                Totals {
                    tallies: vf
                        .tallies
                        .iter()
                        .enumerate()
                        .map(|(i, t)| t.emptied(answered(i)))
                        .collect(),
                    texts_answered: (0..vf.texts.len()).map(count).collect(),
                    text_respondents: count(vf.texts.len()),
                    texts: vec![Vec::new(); vf.texts.len()],
                }
            };
            let mut part = self.part(&members, |v| &positions[v][c], totals)?;
            part.flags = vec![FlagSet::EMPTY; m.len()];
            part.texts_kept = false;
            into(part).map(Some)
        })
        .into_iter()
        .collect()
    }

    /// The respondents of the fine cells `wanted` (by cell number), in the whole's
    /// order, with their flags, the described questions' counters of those cells, and
    /// their open answers when `texts` is set and the whole kept them: the frames a
    /// builder fed only those respondents gives.
    pub fn select(&self, wanted: &[bool], texts: bool) -> PolarsResult<Frames> {
        let texts = texts && self.frames.texts_kept;
        let wants = |c: u32| wanted.get(c as usize).copied().unwrap_or(false);
        let mut rows = Vec::new();
        let mut local = vec![u32::MAX; self.len()];
        for (r, &c) in self.ledger.row_cell.iter().enumerate() {
            if wants(c) {
                local[r] = rows.len() as u32;
                rows.push(r as u32);
            }
        }
        let positions: Vec<Vec<usize>> = self
            .frames
            .versions
            .iter()
            .map(|vf| {
                (0..vf.rows.len())
                    .filter(|&j| local[vf.rows[j] as usize] != u32::MAX)
                    .collect()
            })
            .collect();
        let cells: Vec<u32> = (0..wanted.len() as u32).filter(|&c| wants(c)).collect();
        let totals = |v: usize, vf: &VersionFrame| {
            let mut tallies: Vec<Tally> = vf.tallies.iter().map(|t| t.emptied(0)).collect();
            let mut counters = vec![0u64; vf.texts.len() + 1];
            for &c in &cells {
                if let Some(cell) = self.cell_tallies(c, v) {
                    for (total, t) in tallies.iter_mut().zip(cell) {
                        total.merge(t);
                    }
                }
                if let Some(counted) = self.counted(c, v) {
                    for (total, n) in counters.iter_mut().zip(counted) {
                        *total += n;
                    }
                }
            }
            let kept = |t: &TextColumn| -> Vec<(u32, String)> {
                if !texts {
                    return Vec::new();
                }
                t.values
                    .iter()
                    .filter(|(r, _)| local[*r as usize] != u32::MAX)
                    .map(|(r, s)| (local[*r as usize], s.clone()))
                    .collect()
            };
            Totals {
                tallies,
                text_respondents: counters[vf.texts.len()],
                texts_answered: counters,
                texts: vf.texts.iter().map(kept).collect(),
            }
        };
        let members = Members {
            rows: &rows,
            local: &local,
        };
        let mut part = self.part(&members, |v| &positions[v], totals)?;
        part.flags = pick(
            &self.frames.flags,
            &rows.iter().map(|&r| r as usize).collect::<Vec<_>>(),
        );
        part.texts_kept = texts;
        Ok(part)
    }

    /// The frames of `members`: each version's rows at `at(v)` (positions in its
    /// frame) with the counters `totals` gives, versions keyed in the part's own order
    /// of first appearance.
    fn part<'p>(
        &self,
        members: &Members<'_>,
        at: impl Fn(usize) -> &'p [usize],
        totals: impl Fn(usize, &VersionFrame) -> Totals,
    ) -> PolarsResult<Frames> {
        let mut versions: Vec<(u32, VersionFrame)> = Vec::new();
        for (v, vf) in self.frames.versions.iter().enumerate() {
            let at = at(v);
            let Some(&first) = at.first() else {
                continue;
            };
            versions.push((
                members.local[vf.rows[first] as usize],
                vf.part(at, members.local, totals(v, vf)),
            ));
        }
        versions.sort_by_key(|(first, _)| *first);
        let versions: Vec<VersionFrame> = versions
            .into_iter()
            .enumerate()
            .map(|(i, (_, mut vf))| {
                vf.key = format!("{}#{i}", vf.survey.slug);
                vf
            })
            .collect();
        let mut counts = BTreeMap::new();
        for vf in &versions {
            *counts.entry(vf.group).or_insert(0) += vf.rows.len() as u64;
        }
        let respondents = self.frames.respondents.take(members.rows);
        Ok(Frames {
            respondents,
            versions,
            counts,
            flags: Vec::new(),
            texts_kept: false,
        })
    }
}

impl VersionFrame {
    /// The rows at `at` (positions in this frame), respondents renumbered by `local`,
    /// with the part's `totals`.
    fn part(&self, at: &[usize], local: &[u32], totals: Totals) -> VersionFrame {
        VersionFrame {
            key: self.key.clone(),
            survey: self.survey.clone(),
            group: self.group,
            points: self.points,
            rows: at.iter().map(|&j| local[self.rows[j] as usize]).collect(),
            items: self
                .items
                .iter()
                .map(|c| ItemColumn {
                    id: c.id.clone(),
                    sub: c.sub.clone(),
                    reverse: c.reverse,
                    matrix: c.matrix.clone(),
                    conditional: c.conditional,
                    values: pick(&c.values, at),
                })
                .collect(),
            importance: self
                .importance
                .iter()
                .map(|c| ImportanceColumn {
                    of: c.of.clone(),
                    values: pick(&c.values, at),
                })
                .collect(),
            attention: self
                .attention
                .iter()
                .map(|c| AttentionColumn {
                    id: c.id.clone(),
                    expect: c.expect,
                    values: pick(&c.values, at),
                })
                .collect(),
            tallies: totals.tallies,
            texts: self
                .texts
                .iter()
                .zip(totals.texts_answered)
                .zip(totals.texts)
                .map(|((t, answered), values)| TextColumn {
                    id: t.id.clone(),
                    question: t.question.clone(),
                    answered,
                    values,
                })
                .collect(),
            text_respondents: totals.text_respondents,
        }
    }
}
