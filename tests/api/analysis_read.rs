//! Issue #19, the analysis read itself: every column the analysis reads comes back as
//! stored (ids, versions, instants to the microsecond, attributes, packed or JSON
//! answers, NULLs), in stored order, and narrowing by attribute values holding quotes,
//! backslashes, percent signs, CJK and emoji reads exactly the rows holding them. On
//! SQLite (its own scan) and PostgreSQL (one binary COPY), against the rows as sea-orm
//! reads them.

use std::collections::BTreeMap;

use chorus::entities::responses;
use chorus::store::attribute_numbers::AttributeTexts;
use chorus::store::responses::{stream_for_analysis, AnalysisRow, StoredAnswers};
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(the_analysis_read_returns_rows_as_stored);

/// On PostgreSQL the rows are indexed in the order the read sorts them (no sort per
/// pass), the index on `campaign_id` alone replaced; the step goes down and up again
/// (with the one after it).
/// SQLite keeps its index on `campaign_id`.
async fn stored_order_index(db: &DatabaseConnection) {
    use migrations::MigratorTrait;
    let indexes = |db: DatabaseConnection| async move {
        let sql = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE tablename = 'responses'"
            }
            _ => "SELECT name || ' ' || sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'responses' AND sql IS NOT NULL",
        };
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await
            .expect("indexes");
        rows.iter()
            .map(|r| r.try_get_by_index::<String>(0).expect("name"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let named = |all: &str, name: &str| all.lines().any(|l| l.starts_with(&format!("{name} ")));
    let all = indexes(db.clone()).await;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        assert!(
            all.contains("ix_responses_campaign_stored_order ")
                && all.contains("(campaign_id, submitted_at, id)"),
            "{all}"
        );
        assert!(!named(&all, "ix_responses_campaign"), "{all}");
        // Down past the totals' step (16) and the index step (15).
        migrations::Migrator::down(db, Some(2)).await.expect("down");
        let down = indexes(db.clone()).await;
        assert!(named(&down, "ix_responses_campaign"), "{down}");
        assert!(!down.contains("stored_order"), "{down}");
        migrations::Migrator::up(db, None).await.expect("up again");
        assert_eq!(indexes(db.clone()).await, all);
    } else {
        assert!(named(&all, "ix_responses_campaign"), "{all}");
        assert!(!all.contains("stored_order"), "{all}");
    }
}

const CAMPAIGN: &str = "pingshun-2025";

/// School names a filter must find literally (none is a pattern or ends a literal).
const AWKWARD: [&str; 5] = [
    "O'Brien 职校",
    r"back\slash \\ 学校",
    "100% _any_ 学校",
    "文旅🌿学院 \"quoted\"",
    "') OR 1=1; --",
];

/// A row as compared: every field the analysis reads.
type Compared = (
    Uuid,
    i64,
    DateTime<Utc>,
    String,
    Option<Vec<u8>>,
    Option<String>,
    Option<i32>,
    Option<String>,
    bool,
);

fn compared(r: AnalysisRow) -> Compared {
    let (packed, json) = match r.answers {
        StoredAnswers::Packed(p) => (Some(p), None),
        StoredAnswers::Json(j) => (None, Some(j)),
    };
    (
        r.id,
        r.survey_version_id,
        r.submitted_at,
        r.attributes,
        packed,
        json,
        r.duration_s,
        r.client_hash,
        r.duplicate,
    )
}

/// What the analysis read gives for `narrow`, in its order.
async fn read(db: &DatabaseConnection, campaign_id: i64, narrow: &[(&str, &str)]) -> Vec<Compared> {
    let narrow: Vec<(String, String)> = narrow
        .iter()
        .map(|(a, v)| (a.to_string(), v.to_string()))
        .collect();
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    // Unnarrowed reads hand their chunks back to the reader to be freed there, as the
    // analysis does; narrowed ones keep them.
    let (spent_tx, spent) = std::sync::mpsc::channel::<Vec<AnalysisRow>>();
    let spent = narrow.is_empty().then_some(spent);
    let reading = tokio::spawn({
        let db = db.clone();
        async move { stream_for_analysis(&db, campaign_id, &narrow, 7, tx, spent).await }
    });
    let mut rows = Vec::new();
    // Each distinct attributes text comes once, on the first row of its number.
    let mut texts = AttributeTexts::default();
    let mut numbers = Vec::new();
    while let Some(chunk) = rx.recv().await {
        for r in &chunk {
            let mut r = r.clone();
            numbers.push((r.attributes_no, !r.attributes.is_empty()));
            r.attributes = texts.of(&r).to_string();
            rows.push(compared(r));
        }
        let _ = spent_tx.send(chunk);
    }
    let sent = reading.await.expect("joined").expect("the read");
    assert_eq!(sent as usize, rows.len(), "rows counted as sent");
    let mut next = 0;
    for (no, with_text) in numbers {
        let no = no.expect("every text numbered");
        assert_eq!(with_text, no == next, "text only on a number's first row");
        assert!(no <= next, "numbered in order of first appearance");
        next += u32::from(no == next);
    }
    rows
}

/// The same rows through sea-orm's models, in stored order (SQLite: rowid; PostgreSQL:
/// `submitted_at, id`).
async fn expected(db: &DatabaseConnection, campaign_id: i64) -> Vec<Compared> {
    let mut query = responses::Entity::find().filter(responses::Column::CampaignId.eq(campaign_id));
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        query = query
            .order_by_asc(responses::Column::SubmittedAt)
            .order_by_asc(responses::Column::Id);
    }
    query
        .all(db)
        .await
        .expect("models")
        .into_iter()
        .map(|m| {
            let json = m.packed.is_none().then_some(m.answers);
            (
                m.id,
                m.survey_version_id,
                m.submitted_at,
                m.attributes,
                m.packed,
                json,
                m.duration_s,
                m.client_hash,
                m.duplicate == Some(true),
            )
        })
        .collect()
}

async fn the_analysis_read_returns_rows_as_stored(app: TestApp) {
    let db = chorus::store::connect(&app.settings).await.expect("db");
    stored_order_index(&db).await;
    chorus::app::demo::fill(&db, CAMPAIGN, 40, 5)
        .await
        .expect("demo");
    let template = responses::Entity::find()
        .one(&db)
        .await
        .expect("query")
        .expect("a demo response");
    let campaign_id = template.campaign_id;
    // Rows with awkward schools, answers as JSON (not packed), NULLs and a duplicate
    // verdict, at instants with microseconds, one before every demo response.
    for (i, school) in AWKWARD.iter().enumerate() {
        let attributes =
            BTreeMap::from([("school", *school), ("sector", ["herbs", "tourism"][i % 2])]);
        let at = Utc
            .timestamp_opt(
                1_700_000_000 + 3_600 * i as i64,
                123_456_000 + i as u32 * 1_000,
            )
            .single()
            .expect("an instant");
        responses::ActiveModel {
            id: Set(Uuid::new_v4()),
            campaign_id: Set(campaign_id),
            survey_version_id: Set(template.survey_version_id),
            audience: Set(template.audience.clone()),
            submitted_at: Set(at),
            attributes: Set(serde_json::to_string(&attributes).expect("json")),
            answers: Set(template.answers.clone()),
            fingerprint: Set(format!("awkward-{i}")),
            duration_s: Set((i % 2 == 0).then_some(i as i32 * 7)),
            page_seconds: Set(None),
            client_hash: Set((i % 2 == 1).then(|| format!("hash-{i}"))),
            duplicate: Set((i != 2).then_some(i == 3)),
            packed: Set(None),
        }
        .insert(&db)
        .await
        .expect("insert");
    }

    let all = read(&db, campaign_id, &[]).await;
    assert_eq!(all.len(), 45);
    assert_eq!(all, expected(&db, campaign_id).await);
    assert!(all.iter().any(|r| r.4.is_some()), "demo rows are packed");
    assert_eq!(all.iter().filter(|r| r.5.is_some()).count(), 5, "JSON rows");
    assert!(
        all.iter().any(|r| r.2.timestamp_subsec_micros() == 123_459),
        "microseconds kept"
    );

    let holding = |pairs: &[(&str, &str)]| -> Vec<Compared> {
        all.iter()
            .filter(|r| {
                let attrs: BTreeMap<String, String> =
                    serde_json::from_str(&r.3).expect("attributes");
                pairs
                    .iter()
                    .all(|(a, v)| attrs.get(*a).map(String::as_str) == Some(*v))
            })
            .cloned()
            .collect()
    };
    for school in AWKWARD {
        let narrowed = read(&db, campaign_id, &[("school", school)]).await;
        assert_eq!(narrowed.len(), 1, "{school}");
        assert_eq!(narrowed, holding(&[("school", school)]), "{school}");
    }
    let pairs = [("sector", "herbs"), ("school", AWKWARD[2])];
    assert_eq!(read(&db, campaign_id, &pairs).await, holding(&pairs));
    let herbs = read(&db, campaign_id, &[("sector", "herbs")]).await;
    assert!(herbs.len() > 3, "demo herbs rows too");
    assert_eq!(herbs, holding(&[("sector", "herbs")]));
    assert!(read(&db, campaign_id, &[("school", "O'Brien")])
        .await
        .is_empty());
    assert!(read(&db, campaign_id + 1000, &[]).await.is_empty());
}
