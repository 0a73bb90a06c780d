//! Definitions as files: check them without publishing, read the surveys folder, and
//! write a questionnaire as an XLSForm (from the folder or from its published version).

use std::path::{Path, PathBuf};

use crate::definitions::{self, Problem};
use crate::domain::{Campaign, Survey};

/// Every problem in these files or campaign folders, with file, line and column.
pub fn check(paths: &[PathBuf]) -> Vec<Problem> {
    definitions::check_paths(paths)
}

/// Every campaign in the surveys folder, or its problems as one message.
pub fn load_folder(dir: &Path) -> anyhow::Result<Vec<Campaign>> {
    definitions::load_dir(dir).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "the questionnaire definitions have problems:\n{}",
            list.join("\n")
        )
    })
}

/// The questionnaire as an XLSForm workbook.
pub fn xlsform(survey: &Survey) -> anyhow::Result<Vec<u8>> {
    Ok(crate::xlsform::to_xlsx(survey)?)
}

/// The questionnaire `slug` of the surveys folder as an XLSForm workbook; an unknown
/// slug is refused with the slugs there are.
pub fn xlsform_from_folder(dir: &Path, slug: &str) -> anyhow::Result<Vec<u8>> {
    let campaigns = load_folder(dir)?;
    let mut surveys = campaigns.iter().flat_map(|c| c.surveys.iter());
    match surveys.find(|s| s.slug == slug) {
        Some(found) => xlsform(found),
        None => anyhow::bail!(
            "no questionnaire {slug:?} in {}; slugs are {}",
            dir.display(),
            campaigns
                .iter()
                .flat_map(|c| c.surveys.iter().map(|s| s.slug.clone()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
