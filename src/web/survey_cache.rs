//! The current version of each questionnaire, kept for a moment: every page view and
//! submission needs it, and it changes only when a definition is published. A publish
//! through this process clears it at once; another instance's publish is seen within
//! `TTL`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;

use crate::app;
use crate::store::surveys::StoredSurvey;
use crate::store::StoreError;

const TTL: Duration = Duration::from_secs(2);

type Entries = HashMap<String, (Instant, Option<Arc<StoredSurvey>>)>;

#[derive(Clone, Default)]
pub struct SurveyCache {
    entries: Arc<Mutex<Entries>>,
}

impl SurveyCache {
    pub async fn current(
        &self,
        db: &DatabaseConnection,
        slug: &str,
    ) -> Result<Option<Arc<StoredSurvey>>, StoreError> {
        if let Ok(entries) = self.entries.lock() {
            if let Some((at, s)) = entries.get(slug) {
                if at.elapsed() < TTL {
                    return Ok(s.clone());
                }
            }
        }
        let found = app::campaigns::survey(db, slug).await?.map(Arc::new);
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() > 10_000 {
                entries.clear();
            }
            entries.insert(slug.to_string(), (Instant::now(), found.clone()));
        }
        Ok(found)
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}
