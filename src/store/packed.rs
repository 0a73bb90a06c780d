//! The packed answers column (`domain::packed`): finding the rows that have none yet,
//! storing what was packed for them, and clearing it for a rebuild. Reads and writes go
//! by primary key in batches, so a backfill can stop anywhere and resume.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use super::StoreError;
use crate::entities::responses;

/// A stored response without packed answers: id, questionnaire version, answers JSON.
pub type Unpacked = (Uuid, i64, String);

/// Up to `limit` responses without packed answers whose id sorts after `after`, in id
/// order (the caller passes the last id it saw, so rows it cannot pack are not read
/// again).
pub async fn unpacked(
    db: &DatabaseConnection,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Unpacked>, StoreError> {
    let mut q = responses::Entity::find()
        .select_only()
        .column(responses::Column::Id)
        .column(responses::Column::SurveyVersionId)
        .column(responses::Column::Answers)
        .filter(responses::Column::Packed.is_null());
    if let Some(after) = after {
        q = q.filter(responses::Column::Id.gt(after));
    }
    Ok(q.order_by_asc(responses::Column::Id)
        .limit(limit)
        .into_tuple::<Unpacked>()
        .all(db)
        .await?)
}

/// How many responses have no packed answers.
pub async fn count_unpacked(db: &DatabaseConnection) -> Result<u64, StoreError> {
    Ok(responses::Entity::find()
        .filter(responses::Column::Packed.is_null())
        .count(db)
        .await?)
}

/// Stores packed answers, all in one statement; a row packed meanwhile (by its own
/// insert) is left as it is.
pub async fn store(db: &DatabaseConnection, rows: &[(Uuid, Vec<u8>)]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let (tuple, source) = match backend {
        DatabaseBackend::Postgres => ("(CAST(? AS uuid), CAST(? AS bytea))", "AS v (id, p)"),
        _ => ("(?, ?)", "AS v"),
    };
    let (id, p) = match backend {
        DatabaseBackend::Postgres => ("v.id", "v.p"),
        _ => ("v.column1", "v.column2"),
    };
    let values = vec![tuple; rows.len()].join(", ");
    let sql = format!(
        "UPDATE responses SET packed = {p} FROM (VALUES {values}) {source} \
         WHERE responses.id = {id} AND responses.packed IS NULL"
    );
    let mut params: Vec<sea_orm::Value> = Vec::with_capacity(rows.len() * 2);
    for (id, packed) in rows {
        params.push((*id).into());
        params.push(packed.clone().into());
    }
    // PostgreSQL numbers its placeholders.
    let stmt = Statement::from_sql_and_values(backend, numbered(backend, &sql), params);
    db.execute_raw(stmt).await?;
    Ok(())
}

/// `sql` with PostgreSQL's `$1, $2, …` in place of each `?`.
fn numbered(backend: DatabaseBackend, sql: &str) -> String {
    if backend != DatabaseBackend::Postgres {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + sql.len() / 4);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// Forgets the packed answers of one campaign's responses, or of every response; the
/// analysis reads their JSON until they are packed again.
pub async fn clear(db: &DatabaseConnection, campaign_id: Option<i64>) -> Result<u64, StoreError> {
    let mut q = responses::Entity::update_many().col_expr(
        responses::Column::Packed,
        Expr::value(Option::<Vec<u8>>::None),
    );
    if let Some(c) = campaign_id {
        q = q.filter(responses::Column::CampaignId.eq(c));
    }
    Ok(q.exec(db).await?.rows_affected)
}
