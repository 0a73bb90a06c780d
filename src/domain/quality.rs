//! Data quality: the rules a campaign applies to its responses (`[quality]` in
//! campaign.toml), the flags they raise, and the paradata (how long answering took) a
//! response carries. Plain values of a definition and of a response; `analysis::quality`
//! applies the rules.

use serde::{Deserialize, Serialize};

/// Longest answering time kept, in seconds (a week): anything longer is a page left
/// open, not a measurement.
pub const MAX_SECONDS: u32 = 7 * 24 * 3600;

/// Most page times kept per response.
pub const MAX_PAGES: usize = 100;

/// Why a response is flagged. Flags never delete anything; `[quality] exclude` decides
/// which of them the analysis leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Answered in less than a fraction of the questionnaire's median time, or in
    /// less than the floor per answered item.
    Speeder,
    /// A Likert matrix of at least `straightline_min_items` statements all answered
    /// with one value.
    Straightlining,
    /// Agreed with a statement and with a reverse-worded statement of the same
    /// second-level indicator.
    Contradiction,
    /// More than `max_missing_share` of the unconditional scored items left blank.
    Nonresponse,
    /// An attention check (instructed response) answered otherwise than instructed.
    Attention,
    /// Nearly the same answers as an earlier response to the same questionnaire from
    /// the same client (address and browser) shortly before.
    Duplicate,
}

impl Flag {
    pub const ALL: [Flag; 6] = [
        Flag::Speeder,
        Flag::Straightlining,
        Flag::Contradiction,
        Flag::Nonresponse,
        Flag::Attention,
        Flag::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Speeder => "speeder",
            Flag::Straightlining => "straightlining",
            Flag::Contradiction => "contradiction",
            Flag::Nonresponse => "nonresponse",
            Flag::Attention => "attention",
            Flag::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The flag's name in Chinese and English.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Flag::Speeder => ("作答过快", "Speeding"),
            Flag::Straightlining => ("矩阵题同一答案", "Straight-lining"),
            Flag::Contradiction => ("正反向题矛盾", "Contradicting reverse items"),
            Flag::Nonresponse => ("漏答过多", "Item non-response"),
            Flag::Attention => ("注意力检测未通过", "Failed attention check"),
            Flag::Duplicate => ("疑似重复提交", "Likely duplicate"),
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The flags one response raised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FlagSet(u8);

impl FlagSet {
    pub const EMPTY: FlagSet = FlagSet(0);

    pub fn of(flags: &[Flag]) -> Self {
        let mut s = FlagSet::EMPTY;
        for f in flags {
            s.insert(*f);
        }
        s
    }

    pub fn insert(&mut self, f: Flag) {
        self.0 |= f.bit();
    }

    pub fn contains(self, f: Flag) -> bool {
        self.0 & f.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether any flag of `other` is raised here.
    pub fn intersects(self, other: FlagSet) -> bool {
        self.0 & other.0 != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flag::ALL.into_iter().filter(move |f| self.contains(*f))
    }

    /// `speeder;straightlining` (empty when none): the export's column.
    pub fn joined(self) -> String {
        self.iter().map(Flag::as_str).collect::<Vec<_>>().join(";")
    }
}

/// `[quality]`: the rules' parameters and what the analysis leaves out. The defaults
/// flag only and exclude nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QualitySettings {
    /// Speeder: faster than this fraction of the questionnaire's median time.
    pub speeder_fraction: f64,
    /// The median rule applies once a questionnaire has this many timed responses.
    pub speeder_min_responses: u64,
    /// Speeder too: fewer seconds than this per answered scored item, whatever the
    /// median (0 turns the floor off).
    pub min_seconds_per_item: f64,
    /// Straight-lining: a matrix needs this many answered statements to be judged.
    pub straightline_min_items: usize,
    /// Non-response: flagged above this share of unconditional scored items blank.
    pub max_missing_share: f64,
    /// Duplicate: within this many minutes of an earlier response from the same client …
    pub duplicate_window_minutes: u64,
    /// … with at least this share of the scored items both answered given the same
    /// answer (over at least three such items).
    pub duplicate_similarity: f64,
    /// Flags whose responses the analysis leaves out.
    pub exclude: Vec<Flag>,
}

impl Default for QualitySettings {
    fn default() -> Self {
        QualitySettings {
            speeder_fraction: 0.3,
            speeder_min_responses: 30,
            min_seconds_per_item: 1.0,
            straightline_min_items: 6,
            max_missing_share: 0.5,
            duplicate_window_minutes: 60,
            duplicate_similarity: 0.9,
            exclude: Vec::new(),
        }
    }
}

impl QualitySettings {
    pub fn excluded(&self) -> FlagSet {
        FlagSet::of(&self.exclude)
    }
}

/// How long answering took, in whole seconds: the whole response and, when the page
/// script measured them, each page in order. No clock time is kept, so it says
/// nothing about when anyone answered (anonymous questionnaires stay unlinkable).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paradata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub page_seconds: Vec<u32>,
    /// Keyed hash of the submitting client (address and browser), set by the server
    /// for named questionnaires to recognise duplicates; never sent by a client.
    #[serde(skip)]
    pub client: Option<String>,
}

/// Paradata the server could not accept, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ParadataError {
    pub field: String,
    pub message: String,
}

impl Paradata {
    /// Checks what a client measured: every time within a week, at most
    /// [`MAX_PAGES`] pages.
    pub fn parse(duration_s: Option<u64>, page_seconds: &[u64]) -> Result<Self, ParadataError> {
        let within = |field: String, s: u64| {
            u32::try_from(s)
                .ok()
                .filter(|s| *s <= MAX_SECONDS)
                .ok_or_else(|| ParadataError {
                    field,
                    message: format!("{s} seconds is more than a week ({MAX_SECONDS} s); send the time spent answering, in seconds"),
                })
        };
        if page_seconds.len() > MAX_PAGES {
            return Err(ParadataError {
                field: "paradata.page_seconds".into(),
                message: format!(
                    "{} page times; at most {MAX_PAGES} are kept",
                    page_seconds.len()
                ),
            });
        }
        Ok(Paradata {
            duration_s: duration_s
                .map(|s| within("paradata.duration_s".into(), s))
                .transpose()?,
            page_seconds: page_seconds
                .iter()
                .enumerate()
                .map(|(i, s)| within(format!("paradata.page_seconds[{i}]"), *s))
                .collect::<Result<_, _>>()?,
            client: None,
        })
    }

    /// From the time the page was served (Unix seconds, as the page sent it back) to
    /// `now`: the no-script measurement. Nonsense (in the future, over a week) is
    /// dropped rather than refused: it must never cost a respondent their answers.
    pub fn from_served(served: i64, now: i64) -> Self {
        let duration_s = now
            .checked_sub(served)
            .and_then(|d| u32::try_from(d).ok())
            .filter(|d| *d <= MAX_SECONDS);
        Paradata {
            duration_s,
            page_seconds: Vec::new(),
            client: None,
        }
    }

    /// The same paradata with the submitting client's hash.
    pub fn from_client(self, client: Option<String>) -> Self {
        Paradata { client, ..self }
    }

    pub fn is_empty(&self) -> bool {
        self.duration_s.is_none() && self.page_seconds.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_sets_hold_what_was_inserted() {
        let mut s = FlagSet::EMPTY;
        assert!(s.is_empty());
        s.insert(Flag::Nonresponse);
        s.insert(Flag::Speeder);
        assert_eq!(s.joined(), "speeder;nonresponse");
        assert!(s.intersects(FlagSet::of(&[Flag::Speeder])));
        assert!(!s.intersects(FlagSet::of(&[Flag::Contradiction])));
        for f in Flag::ALL {
            assert_eq!(Flag::parse(f.as_str()), Some(f));
        }
    }

    #[test]
    fn paradata_keeps_times_within_a_week_and_names_the_bad_field() {
        let p = Paradata::parse(Some(312), &[100, 212]).expect("valid");
        assert_eq!(p.duration_s, Some(312));
        let e = Paradata::parse(Some(u64::from(MAX_SECONDS) + 1), &[]).expect_err("too long");
        assert_eq!(e.field, "paradata.duration_s");
        let e = Paradata::parse(None, &[1, 9_999_999]).expect_err("page too long");
        assert_eq!(e.field, "paradata.page_seconds[1]");
        let e = Paradata::parse(None, &[1; MAX_PAGES + 1]).expect_err("too many pages");
        assert_eq!(e.field, "paradata.page_seconds");
    }

    #[test]
    fn the_served_time_gives_the_duration_and_nonsense_gives_none() {
        assert_eq!(
            Paradata::from_served(1000, 1300).duration_s,
            Some(300),
            "served at 1000, submitted at 1300"
        );
        assert_eq!(Paradata::from_served(2000, 1300).duration_s, None);
        assert_eq!(Paradata::from_served(i64::MIN, 1300).duration_s, None);
        assert_eq!(
            Paradata::from_served(0, i64::from(MAX_SECONDS) + 10).duration_s,
            None
        );
    }
}
