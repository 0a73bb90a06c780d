//! Reports as jobs in the evaluator workspace: `/admin/campaigns/{key}/reports` asks for
//! a report of a view in one format and lists the evaluator's jobs and the campaign's
//! report downloads (the audit trail); a job runs in the background (its row in the
//! database, so every instance shows it and a finished file outlives a restart) and
//! `/admin/reports/{id}` shows its stage until the file is ready (the page refreshes
//! itself, no script needed), then `/admin/reports/{id}/download` hands it over and
//! records the download. A long report is a job with a status, never a request that
//! hangs.

use std::time::Instant;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::auth::{self, Grant};
use super::results::{choice, query_of, view_words, ChoiceView};
use super::workspace::{evaluator, html, refused, view_query, view_refused, ViewHead};
use super::AppState;
use crate::app::explore::{filter_choices, view_filters, ExploreError, FILTERS};
use crate::app::report::{self as app_report, ReportRequest};
use crate::app::report_jobs::{self as jobs, Job, Stage, RUNNING_PER_OWNER};
use crate::error::ApiError;
use crate::report::{Format, Lang};

/// Who a job belongs to: the audit actor and their school; only they see it.
fn owner_of(grant: &Grant) -> String {
    format!("{}|{}", grant.actor, grant.school.as_deref().unwrap_or(""))
}

/// Runs job `id`: the laid-out report (shared with the API's cache), then the file;
/// each stage is written to the job's row, where any instance reads it.
async fn run(
    state: AppState,
    id: Uuid,
    key: String,
    request: ReportRequest,
    format: Format,
    raw_text: app_report::RawText,
) {
    let started = Instant::now();
    let outcome = match super::reports::built(&state, &key, &request).await {
        Err(e) => Err(e.to_string()),
        Ok(built) => {
            if let Err(e) = jobs::job_rendering(&state.db, id).await {
                tracing::warn!(error = %e, "report job stage not stored");
            }
            match web::block(move || app_report::render(&built.0, &built.1, format, raw_text)).await
            {
                Ok(Ok(bytes)) => Ok(bytes),
                Ok(Err(e)) => {
                    tracing::error!(error = ?e, "report job failed");
                    Err(format!("{e:#}"))
                }
                Err(e) => Err(e.to_string()),
            }
        }
    };
    let stored = match outcome {
        Ok(bytes) => jobs::job_done(&state.db, id, bytes, started.elapsed()).await,
        Err(why) => jobs::job_failed(&state.db, id, &why).await,
    };
    if let Err(e) = stored {
        // The row stays running and reads as interrupted once it is stale.
        tracing::error!(error = %e, "report job outcome not stored");
    }
}

fn format_zh(f: Format) -> &'static str {
    match f {
        Format::Html => "网页 HTML",
        Format::Docx => "Word",
        Format::Pdf => "PDF",
        Format::Xlsx => "Excel",
    }
}

struct JobRow {
    id: String,
    created: String,
    format: &'static str,
    view: String,
    status: String,
    ready: bool,
}

fn stage_zh(stage: &Stage) -> String {
    match stage {
        Stage::Reading => "正在读取与分析答卷 · reading and analysing the responses".into(),
        Stage::Rendering => "正在排版 · laying out the file".into(),
        Stage::Done { size, took } => format!(
            "已完成 · ready（{:.0} KB，用时 {:.1} 秒）",
            *size as f64 / 1024.0,
            took.as_secs_f64()
        ),
        Stage::Failed(e) => format!("失败 · failed：{e}"),
    }
}

fn job_row(j: &Job, choices: &[crate::app::explore::FilterChoice]) -> JobRow {
    JobRow {
        id: j.id.to_string(),
        created: j.created.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        format: format_zh(j.format),
        view: view_words(&j.filters, choices),
        status: stage_zh(&j.stage),
        ready: matches!(j.stage, Stage::Done { .. }),
    }
}

struct DownloadRow {
    at: String,
    actor: String,
    format: String,
    view: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    head: ViewHead,
    choices: Vec<ChoiceView>,
    formats: Vec<(&'static str, &'static str)>,
    jobs: Vec<JobRow>,
    downloads: Vec<DownloadRow>,
    all_downloads: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "report_job.html")]
struct JobPage {
    key: String,
    job: JobRow,
    running: bool,
}

/// The reports page of `key` for the view `asked`, with `error` from a refused form.
async fn page(
    state: &AppState,
    key: &str,
    (grant, scope): (Grant, Vec<(String, String)>),
    asked: &[(String, String)],
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let filters = match view_filters(&scope, asked) {
        Ok(f) => f,
        Err(e) => return view_refused(&e),
    };
    let Some(fieldwork) =
        crate::app::fieldwork::monitor(&state.db, &state.summaries.counts, key, &scope, Utc::now())
            .await?
    else {
        return Err(ApiError::NotFound {
            what: "campaign",
            key: key.to_string(),
        });
    };
    let choices = filter_choices(&fieldwork, &filters, &scope);
    let admin = grant.role == auth::Role::Admin;
    let downloads = crate::app::access::report_downloads(&state.db, key, 200)
        .await?
        .into_iter()
        .filter(|e| admin || e.actor == grant.actor)
        .map(|e| {
            let list = |k: &str| -> Vec<String> {
                e.detail[k]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let filters = list("filters");
            DownloadRow {
                at: e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                actor: e.actor.clone(),
                format: e.detail["format"].as_str().unwrap_or("").to_string(),
                view: if filters.is_empty() {
                    "全部答卷".into()
                } else {
                    filters.join(" 且 ")
                },
            }
        })
        .collect();
    let jobs = jobs::jobs_of(&state.db, key, &owner_of(&grant))
        .await?
        .iter()
        .map(|j| job_row(j, &choices))
        .collect();
    let page = ReportsPage {
        head: ViewHead {
            title: fieldwork.title.clone(),
            key: key.to_string(),
            who: super::admin::who(&grant),
            school: grant.school.clone(),
            view: view_words(&filters, &choices),
            query: query_of(&filters),
        },
        choices: choices.iter().map(choice).collect(),
        formats: Format::ALL
            .into_iter()
            .map(|f| (f.extension(), format_zh(f)))
            .collect(),
        jobs,
        downloads,
        all_downloads: admin,
        error,
    };
    Ok(html(status, page.render().map_err(ApiError::unexpected)?))
}

/// The reports page; without a session, back to the login on `/admin`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = match evaluator(&req, &state).await? {
        Ok(found) => found,
        Err(login) => return Ok(login),
    };
    let asked = match view_query(&req, &[]) {
        Ok((a, _)) => a,
        Err((zh, en)) => return refused(StatusCode::UNPROCESSABLE_ENTITY, &zh, &en),
    };
    page(&state, &key, found, &asked, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct JobForm {
    format: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    school: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    size: String,
}

impl JobForm {
    fn filters(&self) -> Vec<(String, String)> {
        FILTERS
            .iter()
            .zip([
                &self.school,
                &self.sector,
                &self.grade,
                &self.role,
                &self.size,
            ])
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.to_string(), v.trim().to_string()))
            .collect()
    }
}

/// Starts a report job from the form (this site's forms only), then to its page.
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
    form: web::Form<JobForm>,
) -> Result<HttpResponse, ApiError> {
    if !auth::same_origin(&req) {
        return Err(ApiError::CrossSite);
    }
    let (grant, scope) = match evaluator(&req, &state).await? {
        Ok(found) => found,
        Err(login) => return Ok(login),
    };
    let key = key.into_inner();
    let form = form.into_inner();
    let asked = form.filters();
    let again = |message: String, grant: Grant, scope: Vec<(String, String)>| {
        let (state, key, asked) = (&state, &key, &asked);
        async move {
            page(
                state,
                key,
                (grant, scope),
                asked,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(message),
            )
            .await
        }
    };
    let Ok(format) = form.format.parse::<Format>() else {
        let m = format!(
            "format：{:?} 不是可用的格式（html、docx、pdf、xlsx）。",
            form.format
        );
        return again(m, grant, scope).await;
    };
    let lang = if form.lang.is_empty() {
        Some(Lang::Zh)
    } else {
        Lang::parse(&form.lang)
    };
    let Some(lang) = lang else {
        return again("lang：请选择 zh 或 en。".into(), grant, scope).await;
    };
    let filters = match view_filters(&scope, &asked) {
        Ok(f) => f,
        Err(ExploreError::Store(e)) => return Err(ApiError::unexpected(e)),
        Err(e) => return view_refused(&e),
    };
    if crate::app::campaigns::data_version(&state.db, &key)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound {
            what: "campaign",
            key,
        });
    }
    let owner = owner_of(&grant);
    let started = jobs::start_job(&state.db, &owner, &key, format, lang, &filters);
    let Some(id) = started.await? else {
        let m = format!("您已有 {RUNNING_PER_OWNER} 份报告正在生成，请稍候再试。{RUNNING_PER_OWNER} reports of yours are being made; try again when one is ready.");
        return page(
            &state,
            &key,
            (grant, scope),
            &asked,
            StatusCode::TOO_MANY_REQUESTS,
            Some(m),
        )
        .await;
    };
    crate::app::access::record(
        &state.db,
        &grant.actor,
        "report.job",
        &key,
        serde_json::json!({
            "job": id.to_string(),
            "format": format.extension(),
            "filters": filters.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
        }),
        state.client_ip(&req),
    )
    .await?;
    let request = ReportRequest { filters, lang };
    let raw_text = if grant.role == auth::Role::Admin {
        app_report::RawText::AsWritten
    } else {
        app_report::RawText::Redacted
    };
    tokio::spawn(run(
        state.get_ref().clone(),
        id,
        key,
        request,
        format,
        raw_text,
    ));
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/admin/reports/{id}")))
        .finish())
}

/// The job `id` of the session's evaluator, or the answer to give instead.
async fn own_job(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<Result<(Job, Grant), HttpResponse>, ApiError> {
    let (grant, _) = match evaluator(req, state).await? {
        Ok(found) => found,
        Err(login) => return Ok(Err(login)),
    };
    let job = match Uuid::parse_str(id) {
        Ok(id) => jobs::job(&state.db, id, &owner_of(&grant)).await?,
        Err(_) => None,
    };
    match job {
        Some(j) => Ok(Ok((j, grant))),
        None => Ok(Err(refused(
            StatusCode::NOT_FOUND,
            "没有这份报告任务（或它已过期，或不是您发起的）。",
            "No such report job (expired, or not yours).",
        )?)),
    }
}

/// A job's page: its stage, refreshing itself until the file is ready.
pub async fn status(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (job, _) = match own_job(&req, &state, &id).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let page = JobPage {
        key: job.campaign.clone(),
        running: !job.stage.finished(),
        job: job_row(&job, &[]),
    };
    Ok(html(
        StatusCode::OK,
        page.render().map_err(ApiError::unexpected)?,
    ))
}

/// A finished job's file; the download is recorded in the audit log.
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (job, grant) = match own_job(&req, &state, &id).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let file = match &job.stage {
        Stage::Done { .. } => jobs::job_file(&state.db, job.id, &owner_of(&grant)).await?,
        _ => None,
    };
    let Some(bytes) = file else {
        return refused(
            StatusCode::CONFLICT,
            "这份报告尚未生成完毕，请返回任务页面等待。",
            "This report is not ready yet; wait on its page.",
        );
    };
    crate::app::access::record(
        &state.db,
        &grant.actor,
        "report.download",
        &job.campaign,
        serde_json::json!({
            "format": job.format.extension(),
            "filters": job.filters.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
            "job": job.id.to_string(),
        }),
        state.client_ip(&req),
    )
    .await?;
    Ok(super::reports::report_response(
        &job.campaign,
        job.format,
        bytes,
    ))
}
