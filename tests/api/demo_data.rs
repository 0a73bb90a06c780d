//! The demo generator: deterministic, idempotent, and with believable differences.

use chorus::app::{analyse, demo};
use chorus::store;
use sea_orm::ConnectionTrait;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    demo_is_deterministic_and_differs_by_group,
    acknowledged_commits_are_durable
);

async fn demo_is_deterministic_and_differs_by_group(app: TestApp) {
    let db = store::connect(&app.settings).await.expect("db");

    let first = demo::fill(&db, "pingshun-2025", 300, 7)
        .await
        .expect("demo");
    let second = demo::fill(&db, "pingshun-2025", 300, 7)
        .await
        .expect("demo");

    assert_eq!(first, 300);
    assert_eq!(second, 0, "same seed, same ids: nothing new");
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // The load ends with ANALYZE: the planner knows the table's rows (a table
        // never analysed has reltuples -1, and the analysis read is then planned as
        // a bitmap scan and an external sort instead of the stored-order index).
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT reltuples::float8 FROM pg_class WHERE relname = 'responses'",
            ))
            .await
            .expect("pg_class")
            .expect("the responses table");
        let rows: f64 = row.try_get_by_index(0).expect("reltuples");
        assert_eq!(rows, 300.0, "planner statistics after the load");
    }
    let analyse::Analysed {
        meta: data,
        analysis: scores,
        ..
    } = analyse::load_and_analyse(&db, &Default::default(), "pingshun-2025", &[], false)
        .await
        .expect("score")
        .expect("campaign");
    let campaign = data.campaign;
    let a = demo::ids(&demo::generate(&campaign, 50, 7));
    let b = demo::ids(&demo::generate(&campaign, 50, 7));
    let c = demo::ids(&demo::generate(&campaign, 50, 8));
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Every group is present and groups differ on the composite.
    let by_group: Vec<f64> = scores
        .composite
        .by_group
        .values()
        .map(|s| s.mean.expect("mean"))
        .collect();
    assert_eq!(by_group.len(), 3);
    let spread = by_group.iter().cloned().fold(f64::MIN, f64::max)
        - by_group.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 2.0, "groups should differ: {by_group:?}");
    assert!(scores
        .composite
        .combined
        .mean
        .is_some_and(|m| (30.0..90.0).contains(&m)));
}

async fn acknowledged_commits_are_durable(app: TestApp) {
    let db = store::connect(&app.settings).await.expect("db");
    if app.settings.database_url.starts_with("sqlite") {
        let mode = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "PRAGMA journal_mode",
            ))
            .await
            .expect("pragma")
            .expect("row");
        assert_eq!(mode.try_get_by_index::<String>(0).expect("mode"), "wal");
        let sync = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "PRAGMA synchronous",
            ))
            .await
            .expect("pragma")
            .expect("row");
        assert_eq!(
            sync.try_get_by_index::<i32>(0).expect("sync"),
            2,
            "synchronous=FULL"
        );
    }
    if app.settings.database_url.starts_with("postgres") {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SHOW synchronous_commit",
            ))
            .await
            .expect("show")
            .expect("row");
        assert_eq!(row.try_get_by_index::<String>(0).expect("value"), "on");
    }
}
