//! Importing an XLSForm into `surveys/<campaign>/<group>.toml` (creating the campaign
//! with a flat framework of the indicator codes used when it does not exist), checked
//! by the same loader as hand-written files; any failure leaves the folder as it was.

use std::path::{Path, PathBuf};

use crate::definitions::{self, survey_writer, Problem, CAMPAIGN_FILE};
use crate::domain::{Audience, Campaign};
use crate::xlsform::{self, XlsProblem};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("campaign key {0:?} is not valid; use lower-case letters, digits and '-'")]
    BadCampaign(String),
    #[error("{path} already exists; pass --replace (or replace=true) to overwrite it with the imported questionnaire")]
    Exists { path: String },
    #[error("the spreadsheet has {} problem(s)", .0.len())]
    Sheet(Vec<XlsProblem>),
    #[error("the imported questionnaire does not fit the campaign: {} problem(s)", .0.len())]
    Definition(Vec<Problem>),
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl ImportError {
    /// Every problem as one line (`sheet …, row …, column …: message`).
    pub fn lines(&self) -> Vec<String> {
        match self {
            ImportError::Sheet(p) => p.iter().map(ToString::to_string).collect(),
            ImportError::Definition(p) => p.iter().map(ToString::to_string).collect(),
            other => vec![other.to_string()],
        }
    }
}

/// What an import wrote; `undo` puts the folder back as it was.
pub struct ImportOutcome {
    pub campaign: Campaign,
    pub file: PathBuf,
    pub created_campaign: bool,
    pub notes: Vec<String>,
    rollback: Rollback,
}

impl ImportOutcome {
    pub fn undo(&self) {
        self.rollback.undo();
    }
}

struct Rollback {
    file: PathBuf,
    created_campaign: bool,
    previous: Option<String>,
}

impl Rollback {
    fn undo(&self) {
        let folder = self.file.parent().map(Path::to_path_buf);
        match &self.previous {
            Some(text) => {
                let _ = std::fs::write(&self.file, text);
            }
            None => {
                let _ = std::fs::remove_file(&self.file);
            }
        }
        if self.created_campaign {
            if let Some(folder) = folder {
                let _ = std::fs::remove_file(folder.join(CAMPAIGN_FILE));
                let _ = std::fs::remove_dir(folder);
            }
        }
    }
}

fn flat_framework(key: &str, title: &str, indicators: &[String]) -> String {
    if indicators.is_empty() {
        return format!(
            "# Created by `chorus import` for campaign {key}. The imported questionnaire has no\n\
             # scored items (no indicator column), so there is no indicator framework yet: answers\n\
             # are collected and exported; add [[indicator]] tables to score them.\n\
             title = {title:?}\n\
             description = \"\"\n\n\
             [group_weights]\nstudents = 0.4\nteachers = 0.3\nenterprises = 0.3\n"
        );
    }
    let w = 1.0 / indicators.len() as f64;
    let mut text = format!(
        "# Created by `chorus import` for campaign {key}: a flat framework of the indicator\n\
         # codes the imported items use, equal weights. Edit names and weights as needed.\n\
         title = {title:?}\n\
         description = \"\"\n\n\
         [group_weights]\nstudents = 0.4\nteachers = 0.3\nenterprises = 0.3\n\n\
         [[indicator]]\ncode = \"Q\"\nname = \"总体质量\"\nname_en = \"Overall quality\"\nweight = 1.0\n"
    );
    for (i, code) in indicators.iter().enumerate() {
        // Equal weights written to 6 decimals; the last one absorbs the rounding.
        let weight = if i + 1 == indicators.len() {
            1.0 - (w * 1e6).round() / 1e6 * (indicators.len() - 1) as f64
        } else {
            (w * 1e6).round() / 1e6
        };
        text.push_str(&format!(
            "\n[[indicator.sub]]\ncode = {code:?}\nname = {code:?}\nweight = {weight:.6}\n"
        ));
    }
    text
}

/// Imports `bytes` as the `audience` questionnaire of campaign `key` under `surveys_dir`.
pub fn import_into(
    surveys_dir: &Path,
    key: &str,
    audience: Audience,
    bytes: &[u8],
    slug: Option<&str>,
    replace: bool,
) -> Result<ImportOutcome, ImportError> {
    if !definitions::valid_campaign_key(key) {
        return Err(ImportError::BadCampaign(key.to_string()));
    }
    let folder = surveys_dir.join(key);
    let campaign_path = folder.join(CAMPAIGN_FILE);
    let existing = if campaign_path.is_file() {
        match definitions::load_campaign_info(&campaign_path, key) {
            Ok(info) => Some(info),
            Err(p) => return Err(ImportError::Definition(p)),
        }
    } else {
        None
    };
    let slug = slug.map_or_else(|| format!("{key}-{}", audience.as_str()), str::to_string);
    let imported = xlsform::import(
        bytes,
        &slug,
        audience,
        existing.as_ref().map(|i| &i.framework),
    )
    .map_err(ImportError::Sheet)?;
    let file = folder.join(format!("{}.toml", audience.as_str()));
    let previous = std::fs::read_to_string(&file).ok();
    if previous.is_some() && !replace {
        return Err(ImportError::Exists {
            path: file.display().to_string(),
        });
    }
    let io = |path: &Path, source| ImportError::Io {
        path: path.display().to_string(),
        source,
    };
    let created_campaign = existing.is_none();
    if created_campaign {
        std::fs::create_dir_all(&folder).map_err(|e| io(&folder, e))?;
        std::fs::write(
            &campaign_path,
            flat_framework(key, &imported.survey.title, &imported.indicators),
        )
        .map_err(|e| io(&campaign_path, e))?;
    }
    let text = survey_writer::to_toml(
        &imported.survey,
        &format!("Imported from an XLSForm by `chorus import` ({} questionnaire).\nEdit here or re-import the spreadsheet with --replace.", audience.as_str()),
    );
    let rollback = Rollback {
        file: file.clone(),
        created_campaign,
        previous,
    };
    if let Err(e) = std::fs::write(&file, text) {
        rollback.undo();
        return Err(io(&file, e));
    }
    match definitions::load_campaign(&folder) {
        Ok(campaign) => Ok(ImportOutcome {
            campaign,
            file,
            created_campaign,
            notes: imported.notes,
            rollback,
        }),
        Err(p) => {
            rollback.undo();
            Err(ImportError::Definition(p))
        }
    }
}
