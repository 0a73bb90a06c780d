//! HTTP: respondent pages, the respondent JSON API and the evaluator API.

pub mod access_log;
pub mod admin;
pub mod admission;
pub mod auth;
pub mod auth_limit;
pub mod benchmark;
pub mod campaigns;
pub mod client;
pub mod crosstab;
pub mod crosstab_api;
pub mod health;
pub mod invitations;
pub mod json_body;
pub mod live;
pub mod open_answers;
pub mod openapi;
pub mod page_cache;
pub mod report_cache;
pub mod report_jobs;
pub mod reports;
pub mod respondent;
pub mod responses;
pub mod results;
pub mod state;
pub mod submit_limit;
pub mod survey_cache;
pub mod survey_page;
pub mod tokens;
pub mod workspace;
pub mod xlsform;

use actix_web::web;

pub use state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // One resource per path: a method the path does not serve gets 405 with `Allow`.
    // No two patterns match the same path, so their order only decides the work: actix
    // tries each in turn (a regular expression per pattern with a parameter), so the
    // respondents' paths, which carry the load, come first.
    cfg.service(
        web::resource("/s/{slug}")
            .get(respondent::show)
            .post(respondent::submit),
    )
    .service(web::resource("/s/{slug}/thanks").get(respondent::thanks))
    .service(web::resource("/api/v1/surveys/{slug}/responses").post(responses::create))
    .service(web::resource("/healthz").get(health::healthz))
    .service(web::resource("/openapi.json").get(openapi::serve))
    .service(web::resource("/admin").get(admin::show))
    .service(web::resource("/admin/login").post(admin::login))
    .service(web::resource("/admin/logout").post(admin::logout))
    .service(web::resource("/admin/campaigns/{campaign}/fieldwork").get(workspace::show))
    .service(web::resource("/admin/campaigns/{campaign}/invitations").post(workspace::issue_batch))
    .service(web::resource("/admin/campaigns/{campaign}/results").get(results::show))
    .service(web::resource("/admin/campaigns/{campaign}/text").get(open_answers::show))
    .service(web::resource("/admin/campaigns/{campaign}/benchmark").get(benchmark::show))
    .service(web::resource("/admin/campaigns/{campaign}/crosstab").get(crosstab::show))
    .service(
        web::resource("/admin/campaigns/{campaign}/reports")
            .get(report_jobs::show)
            .post(report_jobs::start),
    )
    .service(web::resource("/admin/reports/{id}").get(report_jobs::status))
    .service(web::resource("/admin/reports/{id}/download").get(report_jobs::download))
    .service(web::resource("/admin/campaigns/{campaign}/crosstab.xlsx").get(crosstab::download))
    .service(
        web::resource("/admin/tokens")
            .get(tokens::show)
            .post(tokens::issue),
    )
    .service(web::resource("/admin/tokens/{id}/revoke").post(tokens::revoke))
    .service(web::resource("/api/v1/surveys/{slug}").get(responses::definition))
    .service(web::resource("/api/v1/surveys/{slug}/partial").put(respondent::save_partial))
    .service(web::resource("/api/v1/surveys/{slug}/invitations").post(invitations::create))
    .service(web::resource("/api/v1/surveys/{slug}/qr.{format}").get(invitations::qr_code))
    .service(web::resource("/api/v1/surveys/{slug}/poster").get(invitations::poster))
    .service(
        web::resource("/api/v1/campaigns/{campaign}/participation").get(invitations::participation),
    )
    .service(web::resource("/api/v1/campaigns").get(campaigns::list))
    .service(web::resource("/api/v1/audit").get(campaigns::audit_log))
    .service(
        web::resource("/api/v1/tokens")
            .get(campaigns::list_tokens)
            .post(campaigns::create_token),
    )
    .service(web::resource("/api/v1/tokens/{id}").delete(campaigns::revoke_token))
    .service(web::resource("/api/v1/campaigns/{campaign}/scores").get(campaigns::scores))
    .service(web::resource("/api/v1/campaigns/{campaign}/analysis").get(campaigns::analysis))
    .service(web::resource("/api/v1/campaigns/{campaign}/crosstab").get(crosstab_api::crosstab))
    .service(
        web::resource("/api/v1/campaigns/{campaign}/responses.csv").get(campaigns::responses_csv),
    )
    .service(web::resource("/api/v1/surveys/{slug}/xlsform").get(xlsform::export))
    .service(web::resource("/api/v1/campaigns/{campaign}/xlsform").post(xlsform::import))
    .service(web::resource("/api/v1/campaigns/{campaign}/report.{format}").get(reports::download));
}
