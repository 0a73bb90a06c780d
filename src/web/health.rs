//! Liveness and database readiness.

use actix_web::{web, HttpResponse};
use sea_orm::ConnectionTrait;

use super::AppState;

#[utoipa::path(get, path = "/healthz", tag = "respondents",
    responses(
        (status = 200, description = "Up, database answering", body = crate::web::openapi::Health),
        (status = 503, description = "Database unavailable", body = crate::web::openapi::Health),
    ))]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.execute_unprepared("SELECT 1").await {
        Ok(_) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "5"))
                .json(serde_json::json!({"status": "unavailable", "error": "database_unavailable"}))
        }
    }
}
