//! Questionnaire definition files: TOML in `surveys/<campaign>/`, parsed into domain
//! values or rejected with `file:line:col: message; hint` for every problem at once.

mod campaign_file;
mod logic_check;
mod population;
mod position;
mod question_file;
mod recommendations;
pub mod survey_file;
pub mod survey_writer;
pub mod text;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::domain::{Audience, Campaign};

pub use position::line_col;

/// One problem in one definition file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

/// Collects problems for one file, turning byte spans into line and column.
pub(crate) struct Sink<'a> {
    file: String,
    text: &'a str,
    pub problems: Vec<Problem>,
}

impl<'a> Sink<'a> {
    pub fn new(file: &Path, text: &'a str) -> Self {
        Self {
            file: file.display().to_string(),
            text,
            problems: Vec::new(),
        }
    }

    /// The file offset of byte `offset` inside the string value at `span`: exact when the
    /// value is written without escapes, else the start of the value.
    pub fn inside(&self, span: &std::ops::Range<usize>, value: &str, offset: usize) -> usize {
        let quote = self.text.get(span.start..span.start + 1).unwrap_or("");
        let skip = if self.text[span.start..].starts_with("\"\"\"")
            || self.text[span.start..].starts_with("'''")
        {
            3
        } else if quote == "\"" || quote == "'" {
            1
        } else {
            0
        };
        let body = span.start + skip;
        if self.text.get(body..body + value.len()) == Some(value) {
            body + offset
        } else {
            span.start
        }
    }

    pub fn at(&mut self, span: std::ops::Range<usize>, message: impl Into<String>) {
        let (line, col) = line_col(self.text, span.start);
        self.problems.push(Problem {
            file: self.file.clone(),
            line,
            col,
            message: message.into(),
        });
    }
}

pub const CAMPAIGN_FILE: &str = "campaign.toml";
/// Optional rule table for the report's recommendations (对策建议).
pub const RECOMMENDATIONS_FILE: &str = "recommendations.toml";
/// Optional population counts for weighting, as TOML or as CSV.
pub const POPULATION_FILE: &str = "population.toml";
pub const POPULATION_CSV: &str = "population.csv";

/// Loads every campaign folder under `dir` (a folder holding `campaign.toml`).
pub fn load_dir(dir: &Path) -> Result<Vec<Campaign>, Vec<Problem>> {
    let entries = std::fs::read_dir(dir).map_err(|e| vec![io_problem(dir, &e)])?;
    let mut folders: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join(CAMPAIGN_FILE).is_file())
        .collect();
    folders.sort();
    let mut campaigns = Vec::new();
    let mut problems = Vec::new();
    for folder in folders {
        match load_campaign(&folder) {
            Ok(c) => campaigns.push(c),
            Err(p) => problems.extend(p),
        }
    }
    let mut seen = std::collections::HashMap::new();
    for c in &campaigns {
        for s in &c.surveys {
            if let Some(other) = seen.insert(s.slug.clone(), c.info.key.clone()) {
                problems.push(Problem {
                    file: dir.join(&c.info.key).display().to_string(),
                    line: 1,
                    col: 1,
                    message: format!(
                        "survey slug {:?} is also used in campaign {other:?}; slugs must be unique",
                        s.slug
                    ),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(campaigns)
    } else {
        Err(problems)
    }
}

/// Loads one campaign folder: `campaign.toml` plus one questionnaire file per group.
pub fn load_campaign(folder: &Path) -> Result<Campaign, Vec<Problem>> {
    let key = folder
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let campaign_path = folder.join(CAMPAIGN_FILE);
    let mut problems = Vec::new();
    if !valid_key(&key) {
        problems.push(Problem {
            file: folder.display().to_string(),
            line: 1,
            col: 1,
            message: format!("campaign folder name {key:?} is not a valid key; use lower-case letters, digits and '-'"),
        });
    }
    let info = match read(&campaign_path)
        .and_then(|text| campaign_file::parse(&campaign_path, &text, &key))
    {
        Ok(info) => Some(info),
        Err(p) => {
            problems.extend(p);
            None
        }
    };
    let mut info = info;
    let rec_path = folder.join(RECOMMENDATIONS_FILE);
    if rec_path.is_file() {
        match read(&rec_path).and_then(|t| {
            recommendations::parse(&rec_path, &t, info.as_ref().map(|i| &i.framework))
        }) {
            Ok(rules) => {
                if let Some(i) = info.as_mut() {
                    i.recommendations = rules;
                }
            }
            Err(p) => problems.extend(p),
        }
    }
    if let Some(i) = info.as_mut() {
        match load_population(folder, i) {
            Ok(p) => i.population = p,
            Err(p) => problems.extend(p),
        }
        match text::load(folder) {
            Ok(t) => i.text = t,
            Err(p) => problems.extend(p),
        }
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|e| vec![io_problem(folder, &e)])?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && p.file_name().is_some_and(|n| {
                    let n = n.to_str().unwrap_or_default();
                    ![CAMPAIGN_FILE, RECOMMENDATIONS_FILE, POPULATION_FILE].contains(&n)
                        && !text::is_text_file(n)
                })
        })
        .collect();
    files.sort();
    let mut surveys = Vec::new();
    for file in files {
        let parsed = read(&file)
            .and_then(|text| survey_file::parse(&file, &text, info.as_ref().map(|i| &i.framework)));
        match parsed {
            Ok(s) => surveys.push((file, s)),
            Err(p) => problems.extend(p),
        }
    }
    let mut seen: Vec<(Audience, &Path)> = Vec::new();
    for (file, s) in &surveys {
        if let Some((_, other)) = seen.iter().find(|(a, _)| *a == s.audience) {
            problems.push(Problem {
                file: file.display().to_string(),
                line: 1,
                col: 1,
                message: format!(
                    "audience {:?} already has a questionnaire in {}; a campaign has one questionnaire per group",
                    s.audience.as_str(),
                    other.display()
                ),
            });
        } else {
            seen.push((s.audience, file));
        }
    }
    match info {
        Some(info) if problems.is_empty() => Ok(Campaign {
            info,
            surveys: surveys.into_iter().map(|(_, s)| s).collect(),
        }),
        _ => Err(problems),
    }
}

/// The folder's population file, if any, checked against the campaign's weighting:
/// a weighting method needs one; its attributes must be breakdowns; cell weighting
/// takes one attribute per group.
fn load_population(
    folder: &Path,
    info: &crate::domain::campaign::CampaignInfo,
) -> Result<Option<crate::domain::weighting::Population>, Vec<Problem>> {
    use crate::domain::weighting::WeightingMethod;
    let (toml_path, csv_path) = (folder.join(POPULATION_FILE), folder.join(POPULATION_CSV));
    let problem = |path: &Path, message: String| Problem {
        file: path.display().to_string(),
        line: 1,
        col: 1,
        message,
    };
    let (path, population) = match (toml_path.is_file(), csv_path.is_file()) {
        (true, true) => {
            return Err(vec![problem(
                &csv_path,
                format!("{POPULATION_FILE} and {POPULATION_CSV} are both here; keep one"),
            )])
        }
        (true, false) => (
            toml_path.clone(),
            read(&toml_path).and_then(|t| population::parse_toml(&toml_path, &t))?,
        ),
        (false, true) => (
            csv_path.clone(),
            read(&csv_path).and_then(|t| population::parse_csv(&csv_path, &t))?,
        ),
        (false, false) => {
            if info.analysis.weighting.is_on() {
                return Err(vec![problem(
                    &folder.join(CAMPAIGN_FILE),
                    format!(
                        "weighting = {:?} needs the population counts in {POPULATION_FILE} (or {POPULATION_CSV}) next to {CAMPAIGN_FILE}; add one or set weighting = \"none\"",
                        info.analysis.weighting.method.as_str()
                    ),
                )]);
            }
            return Ok(None);
        }
    };
    let mut problems = Vec::new();
    for attr in population.attributes() {
        if !info.analysis.breakdowns.contains(&attr) {
            problems.push(problem(
                &path,
                format!(
                    "attribute {attr:?} is not one of the campaign's breakdowns ({}); weight by a breakdown attribute or add it to [analysis] breakdowns",
                    info.analysis.breakdowns.join(", ")
                ),
            ));
        }
    }
    if info.analysis.weighting.method == WeightingMethod::Cell {
        for (group, margins) in &population.groups {
            if margins.len() > 1 {
                problems.push(problem(
                    &path,
                    format!(
                        "weighting = \"cell\" takes one attribute per group, but {} has {} ({}); use weighting = \"raking\" for several",
                        group.as_str(),
                        margins.len(),
                        margins.iter().map(|m| m.attribute.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(Some(population))
    } else {
        Err(problems)
    }
}

/// `chorus check [PATH...]`: every problem in the given files or folders.
pub fn check_paths(paths: &[PathBuf]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for path in paths {
        if path.is_dir() {
            let result = if path.join(CAMPAIGN_FILE).is_file() {
                load_campaign(path).map(|_| ())
            } else {
                load_dir(path).map(|_| ())
            };
            if let Err(p) = result {
                problems.extend(p);
            }
        } else if path.file_name().is_some_and(|n| n == RECOMMENDATIONS_FILE) {
            if let Err(p) = read(path).and_then(|t| recommendations::parse(path, &t, None)) {
                problems.extend(p);
            }
        } else if path.file_name().is_some_and(|n| n == POPULATION_FILE) {
            if let Err(p) = read(path).and_then(|t| population::parse_toml(path, &t)) {
                problems.extend(p);
            }
        } else if path.file_name().is_some_and(|n| n == POPULATION_CSV) {
            if let Err(p) = read(path).and_then(|t| population::parse_csv(path, &t)) {
                problems.extend(p);
            }
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(text::is_text_file)
        {
            if let Err(p) = text::read_into(path, &mut Default::default()) {
                problems.extend(p);
            }
        } else if path.file_name().is_some_and(|n| n == CAMPAIGN_FILE) {
            let key = path
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str())
                .unwrap_or("campaign")
                .to_string();
            if let Err(p) = read(path).and_then(|t| campaign_file::parse(path, &t, &key)) {
                problems.extend(p);
            }
        } else {
            // A questionnaire on its own: check indicators against its folder's framework.
            let framework = path
                .parent()
                .map(|d| d.join(CAMPAIGN_FILE))
                .filter(|c| c.is_file())
                .and_then(|c| read(&c).ok().map(|t| (c, t)))
                .and_then(|(c, t)| campaign_file::parse(&c, &t, "campaign").ok())
                .map(|i| i.framework);
            if let Err(p) =
                read(path).and_then(|t| survey_file::parse(path, &t, framework.as_ref()))
            {
                problems.extend(p);
            }
        }
    }
    problems
}

fn read(path: &Path) -> Result<String, Vec<Problem>> {
    std::fs::read_to_string(path).map_err(|e| vec![io_problem(path, &e)])
}

fn io_problem(path: &Path, e: &std::io::Error) -> Problem {
    Problem {
        file: path.display().to_string(),
        line: 1,
        col: 1,
        message: format!("cannot read: {e}"),
    }
}

/// Whether `s` can name a campaign folder.
pub fn valid_campaign_key(s: &str) -> bool {
    valid_key(s)
}

/// Parses one `campaign.toml` (the framework an imported questionnaire must fit).
pub fn load_campaign_info(
    path: &Path,
    key: &str,
) -> Result<crate::domain::campaign::CampaignInfo, Vec<Problem>> {
    read(path).and_then(|t| campaign_file::parse(path, &t, key))
}

pub(crate) fn valid_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// The tolerance for weights that must sum to 1 (files write 3-6 decimals).
pub const WEIGHT_TOLERANCE: f64 = 1e-3;
