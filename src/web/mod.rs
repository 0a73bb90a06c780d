//! HTTP: respondent pages, the respondent JSON API and the evaluator API.

pub mod admin;
pub mod admission;
pub mod auth;
pub mod auth_limit;
pub mod campaigns;
pub mod client;
pub mod health;
pub mod invitations;
pub mod page_cache;
pub mod report_cache;
pub mod reports;
pub mod respondent;
pub mod responses;
pub mod state;
pub mod submit_limit;
pub mod survey_cache;
pub mod survey_page;
pub mod xlsform;

use actix_web::web;

pub use state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/admin", web::get().to(admin::show))
        .route("/admin/login", web::post().to(admin::login))
        .route("/admin/logout", web::post().to(admin::logout))
        .route("/s/{slug}", web::get().to(respondent::show))
        .route("/s/{slug}", web::post().to(respondent::submit))
        .route("/s/{slug}/thanks", web::get().to(respondent::thanks))
        .route(
            "/api/v1/surveys/{slug}",
            web::get().to(responses::definition),
        )
        .route(
            "/api/v1/surveys/{slug}/responses",
            web::post().to(responses::create),
        )
        .route(
            "/api/v1/surveys/{slug}/partial",
            web::put().to(respondent::save_partial),
        )
        .route(
            "/api/v1/surveys/{slug}/invitations",
            web::post().to(invitations::create),
        )
        .route(
            "/api/v1/surveys/{slug}/qr.{format}",
            web::get().to(invitations::qr_code),
        )
        .route(
            "/api/v1/surveys/{slug}/poster",
            web::get().to(invitations::poster),
        )
        .route(
            "/api/v1/campaigns/{campaign}/participation",
            web::get().to(invitations::participation),
        )
        .route("/api/v1/campaigns", web::get().to(campaigns::list))
        .route("/api/v1/audit", web::get().to(campaigns::audit_log))
        .route("/api/v1/tokens", web::get().to(campaigns::list_tokens))
        .route("/api/v1/tokens", web::post().to(campaigns::create_token))
        .route(
            "/api/v1/tokens/{id}",
            web::delete().to(campaigns::revoke_token),
        )
        .route(
            "/api/v1/campaigns/{campaign}/scores",
            web::get().to(campaigns::scores),
        )
        .route(
            "/api/v1/campaigns/{campaign}/analysis",
            web::get().to(campaigns::analysis),
        )
        .route(
            "/api/v1/campaigns/{campaign}/responses.csv",
            web::get().to(campaigns::responses_csv),
        )
        .route(
            "/api/v1/surveys/{slug}/xlsform",
            web::get().to(xlsform::export),
        )
        .route(
            "/api/v1/campaigns/{campaign}/xlsform",
            web::post().to(xlsform::import),
        )
        .route(
            "/api/v1/campaigns/{campaign}/report.{format}",
            web::get().to(reports::download),
        );
}
