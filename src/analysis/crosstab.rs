//! Cross-tabulation: one stakeholder group's respondents of a view split into rows (by
//! an attribute or a single-choice answer) against one measure (a score, a scale or
//! number answer, or the options of a choice question), with the test that suits the
//! measure. Pure: the caller brings the records and the row states the disclosure gate
//! decided; hidden rows are never computed, and the test runs over published rows only
//! (rule 5 of [`super::disclosure`]).

use serde::Serialize;

use super::inference::{chi_square, holm, kruskal_wallis, welch, ChiSquare, KruskalWallis, Welch};
use super::stats::ScoreStat;
use super::suppression::Suppressed;

/// What each row is measured by.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// A number per respondent (an indicator score, a scale or number answer): n, mean,
    /// SD and CI per row; Welch's t for two rows, Kruskal–Wallis for more.
    Mean,
    /// The options of a single-choice question: counts and row shares; χ² with
    /// Cramér's V over rows × options.
    Single(usize),
    /// The options of a multiple-choice question: per option, how many of the row chose
    /// it (shares add up to more than 100 %); a χ² test per option (chosen or not ×
    /// rows) with Holm's correction.
    Multiple(usize),
}

/// One respondent's measure.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    None,
    Value(f64),
    /// Option index of a single-choice answer.
    Option(usize),
    /// Option indices of a multiple-choice answer.
    Options(Vec<usize>),
}

impl Answer {
    pub fn is_some(&self) -> bool {
        !matches!(self, Answer::None)
    }
}

/// One respondent of the view: its row (index, `None` without a value) and measure.
#[derive(Debug, Clone)]
pub struct Record {
    pub row: Option<usize>,
    pub answer: Answer,
}

/// One cell of a row.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Mean(ScoreStat),
    Count { n: u64, share: f64 },
}

/// A row: its respondents with the measure, what the gate decided, and the cells
/// (empty when hidden).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Respondents in the row with the measure; `None` when withheld: the size of a
    /// hidden group defined by an answer says what its members answered.
    pub n: Option<u64>,
    pub state: Suppressed,
    pub cells: Vec<Cell>,
}

/// The test across the published rows.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "test", rename_all = "snake_case")]
pub enum Test {
    ChiSquare(ChiSquare),
    /// Per option: its test (`None` when it cannot be computed) and Holm's p.
    PerOption(Vec<Option<(ChiSquare, f64)>>),
    Welch(Welch),
    KruskalWallis(KruskalWallis),
}

#[derive(Debug, Clone, Serialize)]
pub struct CrossTab {
    pub rows: Vec<Row>,
    /// Every respondent of the view with the measure, whatever their row.
    pub total: Row,
    /// Respondents with the measure but no row value (never shown as a row); withheld
    /// like a row's n when the view is hidden and rows are answers.
    pub unassigned: Option<u64>,
    pub test: Option<Test>,
}

/// The cells of the respondents in `records`.
fn cells(measure: &Measure, records: &[&Record]) -> Vec<Cell> {
    let n = records.len() as u64;
    let share = |k: u64| if n > 0 { k as f64 / n as f64 } else { 0.0 };
    match measure {
        Measure::Mean => {
            let values = values(records);
            vec![Cell::Mean(moments(&values))]
        }
        Measure::Single(k) | Measure::Multiple(k) => counts(records, *k)
            .into_iter()
            .map(|c| Cell::Count {
                n: c,
                share: share(c),
            })
            .collect(),
    }
}

fn values(records: &[&Record]) -> Vec<f64> {
    records
        .iter()
        .filter_map(|r| match r.answer {
            Answer::Value(x) => Some(x),
            _ => None,
        })
        .collect()
}

fn moments(values: &[f64]) -> ScoreStat {
    let n = values.len();
    if n == 0 {
        return ScoreStat::EMPTY;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = (n > 1)
        .then(|| (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt());
    ScoreStat::from_moments(n as u64, mean, sd)
}

/// Respondents per option (a multiple-choice respondent counts once per option chosen).
fn counts(records: &[&Record], k: usize) -> Vec<u64> {
    let mut out = vec![0u64; k];
    for r in records {
        match &r.answer {
            Answer::Option(o) if *o < k => out[*o] += 1,
            Answer::Options(os) => {
                for o in os.iter().filter(|o| **o < k) {
                    out[*o] += 1;
                }
            }
            _ => {}
        }
    }
    out
}

fn test(measure: &Measure, shown: &[Vec<&Record>]) -> Option<Test> {
    match measure {
        Measure::Mean => {
            let v: Vec<Vec<f64>> = shown.iter().map(|r| values(r)).collect();
            match v.len() {
                0 | 1 => None,
                2 => welch(&v[0], &v[1]).map(Test::Welch),
                _ => {
                    let refs: Vec<&[f64]> = v.iter().map(Vec::as_slice).collect();
                    kruskal_wallis(&refs).map(Test::KruskalWallis)
                }
            }
        }
        Measure::Single(k) => {
            let table: Vec<Vec<u64>> = shown.iter().map(|r| counts(r, *k)).collect();
            chi_square(&table).map(Test::ChiSquare)
        }
        Measure::Multiple(k) => {
            let per_row: Vec<(u64, Vec<u64>)> = shown
                .iter()
                .map(|r| (r.len() as u64, counts(r, *k)))
                .collect();
            let tests: Vec<Option<ChiSquare>> = (0..*k)
                .map(|o| {
                    let table: Vec<Vec<u64>> =
                        per_row.iter().map(|(n, c)| vec![c[o], n - c[o]]).collect();
                    chi_square(&table)
                })
                .collect();
            let p: Vec<f64> = tests.iter().flatten().map(|t| t.p).collect();
            if p.is_empty() {
                return None;
            }
            let mut adjusted = holm(&p).into_iter();
            Some(Test::PerOption(
                tests
                    .into_iter()
                    .map(|t| t.and_then(|t| adjusted.next().map(|a| (t, a))))
                    .collect(),
            ))
        }
    }
}

/// The table of `rows` rows for the view's `records`: `states` per row and `total`
/// for the view as the gate decided; `answer_rows` when rows are defined by an answer
/// (their hidden sizes are withheld).
pub fn tabulate(
    measure: &Measure,
    rows: usize,
    records: &[Record],
    states: &[Suppressed],
    total: Suppressed,
    answer_rows: bool,
) -> CrossTab {
    let with: Vec<&Record> = records.iter().filter(|r| r.answer.is_some()).collect();
    let mut by_row: Vec<Vec<&Record>> = vec![Vec::new(); rows];
    let mut unassigned = 0;
    for r in &with {
        match r.row {
            Some(i) if i < rows => by_row[i].push(r),
            _ => unassigned += 1,
        }
    }
    let state = |i: usize| states.get(i).copied().unwrap_or(Suppressed::Secondary);
    let row = |recs: &[&Record], state: Suppressed| Row {
        n: (!(answer_rows && state.is_hidden())).then_some(recs.len() as u64),
        state,
        cells: if state.is_hidden() || recs.is_empty() {
            Vec::new()
        } else {
            cells(measure, recs)
        },
    };
    let shown: Vec<Vec<&Record>> = by_row
        .iter()
        .enumerate()
        .filter(|(i, r)| !r.is_empty() && !state(*i).is_hidden() && !total.is_hidden())
        .map(|(_, r)| r.clone())
        .collect();
    CrossTab {
        rows: by_row
            .iter()
            .enumerate()
            .map(|(i, r)| row(r, if total.is_hidden() { total } else { state(i) }))
            .collect(),
        total: row(&with, total),
        unassigned: (!(answer_rows && total.is_hidden())).then_some(unassigned),
        test: test(measure, &shown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Suppressed::*;

    fn rec(row: usize, answer: Answer) -> Record {
        Record {
            row: Some(row),
            answer,
        }
    }

    /// The scipy example table of `inference::chi_square_worked_example` as
    /// respondents: rows × options [[10, 10, 20], [20, 20, 20]]; shares per row.
    #[test]
    fn single_choice_rows_give_counts_shares_and_chi_square() {
        let mut records = Vec::new();
        for (row, counts) in [(0, [10, 10, 20]), (1, [20, 20, 20])] {
            for (o, k) in counts.iter().enumerate() {
                records.extend((0..*k).map(|_| rec(row, Answer::Option(o))));
            }
        }
        records.push(Record {
            row: None,
            answer: Answer::Option(0),
        });
        let t = tabulate(&Measure::Single(3), 2, &records, &[No, No], No, true);
        assert_eq!((t.total.n, t.unassigned), (Some(101), Some(1)));
        match &t.rows[0].cells[2] {
            Cell::Count { n, share } => assert_eq!((*n, *share), (20, 0.5)),
            c => panic!("{c:?}"),
        }
        match &t.test {
            Some(Test::ChiSquare(c)) => assert!((c.chi2 - 2.777_777_777_777_777_7).abs() < 1e-12),
            other => panic!("{other:?}"),
        }
        // A hidden row is neither shown nor tested.
        let t = tabulate(
            &Measure::Single(3),
            2,
            &records,
            &[No, Secondary],
            No,
            false,
        );
        assert!(t.rows[1].cells.is_empty() && t.rows[1].n == Some(60));
        // Rows by an answer: a hidden row's size is withheld too.
        let t = tabulate(&Measure::Single(3), 2, &records, &[No, Secondary], No, true);
        assert_eq!((t.rows[0].n, t.rows[1].n), (Some(40), None));
        assert!(t.test.is_none());
        // A hidden view hides every row.
        let t = tabulate(&Measure::Single(3), 2, &records, &[No, No], Secondary, true);
        assert!(t
            .rows
            .iter()
            .all(|r| r.cells.is_empty() && r.state == Secondary));
    }

    /// Means per row: the inference module's Welch example (two rows) and
    /// Kruskal–Wallis example (three rows) come out of the table unchanged.
    #[test]
    fn score_rows_give_means_and_the_test_for_their_number() {
        let a = [19.0, 22.0, 16.0, 29.0, 24.0];
        let b = [20.0, 11.0, 17.0, 12.0];
        let c = [1.0, 2.0, 3.0];
        let mut records: Vec<Record> = Vec::new();
        for (row, values) in [(0, &a[..]), (1, &b[..]), (2, &c[..])] {
            records.extend(values.iter().map(|x| rec(row, Answer::Value(*x))));
        }
        records.push(rec(0, Answer::None));
        let t = tabulate(&Measure::Mean, 3, &records, &[No, No, No], No, false);
        match &t.rows[0].cells[0] {
            Cell::Mean(s) => assert_eq!((s.n, s.mean), (5, Some(22.0))),
            c => panic!("{c:?}"),
        }
        let refs: [&[f64]; 3] = [&a, &b, &c];
        match &t.test {
            Some(Test::KruskalWallis(k)) => assert_eq!(Some(k.clone()), kruskal_wallis(&refs)),
            other => panic!("{other:?}"),
        }
        let t = tabulate(&Measure::Mean, 3, &records, &[No, No, Primary], No, false);
        match &t.test {
            Some(Test::Welch(w)) => assert_eq!(Some(w.clone()), welch(&a, &b)),
            other => panic!("{other:?}"),
        }
    }

    /// Multiple choice: each option tested on its own (chosen or not × rows), Holm's
    /// correction over the options that have a test. By hand: option 0 chosen by 10/10
    /// and 0/10 is the perfect 2 × 2 (χ² 20); option 1 chosen by everyone has no test.
    #[test]
    fn multiple_choice_tests_each_option() {
        let mut records = Vec::new();
        records.extend((0..10).map(|_| rec(0, Answer::Options(vec![0, 1]))));
        records.extend((0..10).map(|_| rec(1, Answer::Options(vec![1]))));
        let t = tabulate(&Measure::Multiple(2), 2, &records, &[No, No], No, false);
        match &t.rows[0].cells[..] {
            [Cell::Count { n: 10, share: a }, Cell::Count { n: 10, share: b }] => {
                assert_eq!((*a, *b), (1.0, 1.0))
            }
            c => panic!("{c:?}"),
        }
        match &t.test {
            Some(Test::PerOption(per)) => {
                let (c, p) = per[0].clone().expect("option 0");
                assert!((c.chi2 - 20.0).abs() < 1e-12);
                assert!((p - c.p).abs() < 1e-15, "one test: Holm leaves p");
                assert!(per[1].is_none());
            }
            other => panic!("{other:?}"),
        }
    }
}
