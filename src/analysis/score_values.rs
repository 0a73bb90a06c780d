//! One indicator's respondent scores, kept compact: a second-level score is one of a
//! few values (a mean of a few small integers), so each row keeps a byte naming its
//! value instead of the value itself (a million respondents' 18 second-level columns
//! took 144 MB as `f64`s, 18 MB as bytes).

/// Rows of one indicator's scores, each a score or none, read back exactly as made.
#[derive(Clone, Debug)]
pub struct ScoreValues {
    values: Values,
    /// Bit `r % 64` of word `r / 64` set: row `r` has a score.
    scored: Vec<u64>,
    /// Whether every row has a score (the rows are then visited without the bitmap).
    all_scored: bool,
}

#[derive(Clone, Debug)]
enum Values {
    /// Row `r`'s score is `levels[codes[r]]`; `levels[0]` is NaN (no score), as is
    /// every level not made (a byte indexes the array without a bounds check).
    Coded {
        codes: Vec<u8>,
        levels: Box<[f64; 256]>,
    },
    /// Row `r`'s score, NaN for none.
    Dense(Vec<f64>),
}

/// The most distinct scores a coded column holds (level 0 is "no score").
pub const MAX_LEVELS: usize = u8::MAX as usize;

impl ScoreValues {
    /// Scores as values, NaN for none.
    pub fn dense(values: Vec<f64>) -> Self {
        let scored = bits(values.len(), |r| !values[r].is_nan());
        Self::with_bits(Values::Dense(values), scored)
    }

    fn with_bits(values: Values, scored: Vec<u64>) -> Self {
        let rows = match &values {
            Values::Coded { codes, .. } => codes.len(),
            Values::Dense(v) => v.len(),
        };
        let all_scored = scored
            .iter()
            .map(|w| w.count_ones() as usize)
            .sum::<usize>()
            == rows;
        ScoreValues {
            values,
            scored,
            all_scored,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.values {
            Values::Coded { codes, .. } => codes.len(),
            Values::Dense(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `r`'s score, NaN for none.
    #[inline]
    pub fn value(&self, r: usize) -> f64 {
        match &self.values {
            Values::Coded { codes, levels } => levels[usize::from(codes[r])],
            Values::Dense(v) => v[r],
        }
    }

    /// Row `r`'s score, if any.
    pub fn get(&self, r: usize) -> Option<f64> {
        let x = self.value(r);
        (!x.is_nan()).then_some(x)
    }

    /// The scores (NaN for none) of the rows from `start` on, one per place of `out`.
    pub fn fill(&self, start: usize, out: &mut [f64]) {
        let rows = start..start + out.len();
        match &self.values {
            Values::Coded { codes, levels } => {
                for (x, c) in out.iter_mut().zip(&codes[rows]) {
                    *x = levels[usize::from(*c)];
                }
            }
            Values::Dense(v) => out.copy_from_slice(&v[rows]),
        }
    }

    /// Every row's score or none, in row order.
    pub fn iter(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        (0..self.len()).map(|r| self.get(r))
    }

    /// Calls `f(row, score)` for every row below `rows` with a score, in row order.
    /// Rows with a score are found a word of the bitmap at a time (set bits only):
    /// respondents of different groups and questionnaires interleave in time order,
    /// and a branch per row on "has a score" mispredicted on most rows there; callers
    /// give rows in no cell a spare slot instead.
    pub fn for_each_scored(&self, rows: usize, f: impl FnMut(usize, f64)) {
        match &self.values {
            Values::Coded { codes, levels } => {
                self.visit(rows, |r| levels[usize::from(codes[r])], f)
            }
            Values::Dense(v) => self.visit(rows, |r| v[r], f),
        }
    }

    fn visit(&self, rows: usize, value: impl Fn(usize) -> f64, mut f: impl FnMut(usize, f64)) {
        let rows = rows.min(self.len());
        if self.all_scored {
            (0..rows).for_each(|r| f(r, value(r)));
            return;
        }
        for (w, &word) in self.scored.iter().enumerate() {
            let base = w * 64;
            if base >= rows {
                break;
            }
            let mut word = word;
            while word != 0 {
                let r = base + word.trailing_zeros() as usize;
                if r >= rows {
                    break;
                }
                f(r, value(r));
                word &= word - 1;
            }
        }
    }
}

/// A bitmap of `rows` bits, bit `r` set where `set(r)`.
fn bits(rows: usize, set: impl Fn(usize) -> bool) -> Vec<u64> {
    let mut words = vec![0u64; rows.div_ceil(64)];
    for (w, word) in words.iter_mut().enumerate() {
        let base = w * 64;
        for (b, r) in (base..rows.min(base + 64)).enumerate() {
            *word |= u64::from(set(r)) << b;
        }
    }
    words
}

/// Makes a coded column row by row: each row's score is named by a key of the caller's
/// (distinct keys may name equal values), the first row of a key giving its value.
pub struct CodedScores {
    codes: Vec<u8>,
    levels: Vec<f64>,
    /// Level of each key (0: not seen yet).
    level_of: Vec<u8>,
    max_levels: usize,
}

impl CodedScores {
    /// `rows` rows without a score, keys below `keys`, at most `max_levels` distinct
    /// keys with a score (at most [`MAX_LEVELS`]).
    pub fn new(rows: usize, keys: usize, max_levels: usize) -> Self {
        CodedScores {
            codes: vec![0; rows],
            levels: vec![f64::NAN],
            level_of: vec![0; keys],
            max_levels: max_levels.min(MAX_LEVELS),
        }
    }

    /// Gives row `r` the score named `key`, worked out by `value` the first time the
    /// key is seen; false (the row left without a score) when that would be one
    /// distinct key too many.
    #[inline]
    pub fn put(&mut self, r: usize, key: usize, value: impl FnOnce() -> f64) -> bool {
        let mut level = self.level_of[key];
        if level == 0 {
            if self.levels.len() > self.max_levels {
                return false;
            }
            level = self.levels.len() as u8;
            self.levels.push(value());
            self.level_of[key] = level;
        }
        self.codes[r] = level;
        true
    }

    /// Starts a new numbering of keys (the levels made so far are kept): `keys` keys.
    pub fn rekey(&mut self, keys: usize) {
        self.level_of.clear();
        self.level_of.resize(keys, 0);
    }

    pub fn finish(self) -> ScoreValues {
        let scored = bits(self.codes.len(), |r| self.codes[r] != 0);
        let mut levels = Box::new([f64::NAN; 256]);
        levels[..self.levels.len()].copy_from_slice(&self.levels);
        ScoreValues::with_bits(
            Values::Coded {
                codes: self.codes,
                levels,
            },
            scored,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(v: &ScoreValues, rows: usize) -> Vec<(usize, f64)> {
        let mut out = Vec::new();
        v.for_each_scored(rows, |r, x| out.push((r, x)));
        out
    }

    /// 130 rows (three bitmap words, the last partial): every third row without a
    /// score, the others one of three values by key.
    fn coded_and_dense() -> (ScoreValues, ScoreValues) {
        let value = |r: usize| match r % 3 {
            0 => f64::NAN,
            1 => 12.5,
            _ => 100.0 / 3.0,
        };
        let mut c = CodedScores::new(130, 3, MAX_LEVELS);
        for r in 0..130 {
            if r % 3 != 0 {
                assert!(c.put(r, r % 3, || value(r)));
            }
        }
        (
            c.finish(),
            ScoreValues::dense((0..130).map(value).collect()),
        )
    }

    #[test]
    fn coded_and_dense_columns_read_back_the_same_scores() {
        let (coded, dense) = coded_and_dense();
        assert_eq!(coded.len(), 130);
        let want: Vec<Option<f64>> = (0..130)
            .map(|r| match r % 3 {
                0 => None,
                1 => Some(12.5),
                _ => Some(100.0 / 3.0),
            })
            .collect();
        assert_eq!(coded.iter().collect::<Vec<_>>(), want);
        assert_eq!(dense.iter().collect::<Vec<_>>(), want);
        let visited: Vec<(usize, f64)> = want
            .iter()
            .enumerate()
            .filter_map(|(r, x)| x.map(|x| (r, x)))
            .collect();
        assert_eq!(scored(&coded, 130), visited);
        assert_eq!(scored(&dense, 130), visited);
        // Rows past `rows` are not visited (row 100 is the first one left out).
        let below: Vec<_> = visited.iter().copied().filter(|(r, _)| *r < 100).collect();
        assert_eq!(scored(&coded, 100), below);
        assert_eq!(scored(&dense, 100), below);
        // A block of rows read at once is the rows read one by one (NaN for none).
        for column in [&coded, &dense] {
            let mut block = [0.0; 30];
            column.fill(95, &mut block);
            let one_by_one: Vec<u64> = (95..125).map(|r| column.value(r).to_bits()).collect();
            assert_eq!(block.map(f64::to_bits).to_vec(), one_by_one);
        }
    }

    #[test]
    fn a_column_with_every_score_visits_every_row() {
        let dense = ScoreValues::dense(vec![1.0, 2.0, 3.0]);
        assert_eq!(scored(&dense, 3), vec![(0, 1.0), (1, 2.0), (2, 3.0)]);
        assert_eq!(scored(&dense, 2), vec![(0, 1.0), (1, 2.0)]);
        let empty = ScoreValues::dense(Vec::new());
        assert!(empty.is_empty());
        assert!(scored(&empty, 0).is_empty());
    }

    #[test]
    fn one_key_too_many_is_refused_and_leaves_the_row_without_a_score() {
        let mut c = CodedScores::new(4, 4, 2);
        assert!(c.put(0, 0, || 1.0));
        assert!(c.put(1, 1, || 2.0));
        assert!(c.put(2, 0, || unreachable!("a key seen before keeps its value")));
        assert!(!c.put(3, 2, || 3.0));
        let v = c.finish();
        assert_eq!(
            v.iter().collect::<Vec<_>>(),
            vec![Some(1.0), Some(2.0), Some(1.0), None]
        );
    }

    #[test]
    fn a_new_numbering_of_keys_keeps_the_values_made_before() {
        let mut c = CodedScores::new(2, 1, MAX_LEVELS);
        assert!(c.put(0, 0, || 5.0));
        c.rekey(2);
        assert!(c.put(1, 0, || 7.0));
        assert_eq!(
            c.finish().iter().collect::<Vec<_>>(),
            vec![Some(5.0), Some(7.0)]
        );
    }
}
