//! The evaluator workspace's fieldwork monitor (`/admin/campaigns/{key}/fieldwork`):
//! a server-rendered page for the weeks of collection — progress per questionnaire,
//! quota and unit, responses per day (a chart from `charts/` with its data table), the
//! units behind, and the invitation batches. Logged in with the evaluator page's
//! session cookie; a school's token sees its own school only.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::admin::session;
use super::auth::Grant;
use super::AppState;
use crate::app::campaigns::Rate;
use crate::app::explore::{self, ExploreError};
use crate::app::fieldwork::{self, Behind, Fieldwork};
use crate::charts::daily::DailyCounts;
use crate::error::ApiError;

/// A rate as the page prints it.
pub struct RateView {
    pub invited: u64,
    pub started: u64,
    pub completed: u64,
    pub rate: String,
}

impl From<&Rate> for RateView {
    fn from(r: &Rate) -> Self {
        RateView {
            invited: r.invited,
            started: r.started,
            completed: r.completed,
            rate: percent(r.rate),
        }
    }
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "—".into(), |s| format!("{:.0}%", s * 100.0))
}

struct SurveyRow {
    title: String,
    audience: &'static str,
    phase: &'static str,
    phase_en: &'static str,
    today: u64,
    week: u64,
    total: u64,
    cap: String,
    invitations: RateView,
}

struct QuotaRow {
    survey: String,
    unit: String,
    responses: u64,
    max: u64,
    share: String,
}

struct UnitRow {
    attribute: &'static str,
    label: String,
    survey: String,
    responses: u64,
    invitations: RateView,
    behind: Option<String>,
}

struct BatchRow {
    survey: String,
    batch: String,
    attributes: String,
    exact: bool,
    rate: RateView,
}

#[derive(Template)]
#[template(path = "fieldwork.html")]
struct FieldworkPage {
    title: String,
    key: String,
    phase: &'static str,
    phase_en: &'static str,
    today: String,
    who: String,
    school: Option<String>,
    recent: fieldwork::Recent,
    surveys: Vec<SurveyRow>,
    quotas: Vec<QuotaRow>,
    chart: Option<String>,
    days: Vec<(String, u64)>,
    units: Vec<UnitRow>,
    behind: usize,
    batches: Vec<BatchRow>,
    /// Some batch's figures are spread over an anonymous group (marked *).
    any_estimated: bool,
    /// An admin may issue a batch here: the questionnaires (slug, title) and the values
    /// each prefilled attribute can take (attribute, Chinese name, (code, label)).
    batch_form: Option<BatchForm>,
    /// When the figures were read, Beijing time (`HH:MM:SS`).
    as_of: String,
    /// How often the page refreshes itself (ms), and the script that does it.
    every_ms: u64,
    script: &'static str,
}

struct BatchForm {
    surveys: Vec<(String, String)>,
    attributes: Vec<Prefill>,
}

/// One attribute a batch can prefill: its name, Chinese name and (code, label) values.
struct Prefill(&'static str, &'static str, Vec<(String, String)>);

/// Attributes a batch can prefill from the page.
const PREFILL: [&str; 3] = ["school", "sector", "grade"];

fn batch_form(f: &Fieldwork) -> BatchForm {
    BatchForm {
        surveys: f
            .surveys
            .iter()
            .map(|s| (s.slug.clone(), s.title.clone()))
            .collect(),
        attributes: PREFILL
            .iter()
            .map(|a| Prefill(a, attribute_zh(a), f.values_of(a)))
            .collect(),
    }
}

/// Chinese names of the unit attributes.
pub(crate) fn attribute_zh(a: &str) -> &'static str {
    match a {
        "school" => "学校",
        "sector" => "产业方向",
        "grade" => "年级",
        "role" => "岗位",
        "size" => "企业规模",
        _ => "其他",
    }
}

fn behind_text(b: &Behind) -> String {
    match b {
        Behind::Rate { unit, overall } => format!(
            "落后：完成率 {} 低于本问卷的 {}",
            percent(Some(*unit)),
            percent(Some(*overall))
        ),
        Behind::Pace { expected } => {
            format!("落后：按调查时间进度应已收到约 {expected} 份")
        }
    }
}

fn survey_title(f: &Fieldwork, slug: &str) -> String {
    f.surveys
        .iter()
        .find(|s| s.slug == slug)
        .map_or_else(|| slug.to_string(), |s| s.title.clone())
}

fn chart(f: &Fieldwork) -> Result<Option<String>, ApiError> {
    if f.days.is_empty() {
        return Ok(None);
    }
    let chart = DailyCounts {
        title: "每日回收答卷（份）".into(),
        days: f
            .days
            .iter()
            .map(|(d, n)| (d.format("%m-%d").to_string(), *n))
            .collect(),
        size: (760, 260),
    };
    let svg = crate::charts::svg(&chart).map_err(ApiError::unexpected)?;
    Ok(Some(svg))
}

fn view(
    f: &Fieldwork,
    who: String,
    school: Option<String>,
    admin: bool,
) -> Result<FieldworkPage, ApiError> {
    let surveys = f
        .surveys
        .iter()
        .map(|s| SurveyRow {
            title: s.title.clone(),
            audience: s.audience,
            phase: s.phase.label_zh(),
            phase_en: s.phase.label_en(),
            today: s.responses.today,
            week: s.responses.week,
            total: s.responses.total,
            cap: s
                .max_responses
                .map_or_else(|| "—".into(), |m| m.to_string()),
            invitations: (&s.invitations).into(),
        })
        .collect();
    let quotas = f
        .surveys
        .iter()
        .flat_map(|s| {
            s.quotas.iter().map(|q| QuotaRow {
                survey: s.title.clone(),
                unit: format!("{}：{}", attribute_zh(&q.attribute), q.label),
                responses: q.responses,
                max: q.max,
                share: percent((q.max > 0).then(|| q.responses as f64 / q.max as f64)),
            })
        })
        .collect();
    let units: Vec<UnitRow> = f
        .units
        .iter()
        .map(|u| UnitRow {
            attribute: attribute_zh(&u.attribute),
            label: u.label.clone(),
            survey: survey_title(f, &u.slug),
            responses: u.responses,
            invitations: (&u.invitations).into(),
            behind: u.behind.as_ref().map(behind_text),
        })
        .collect();
    let batches: Vec<BatchRow> = f
        .batches
        .iter()
        .map(|b| BatchRow {
            survey: survey_title(f, &b.slug),
            batch: b.batch.clone(),
            attributes: b
                .attributes
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("，"),
            exact: b.exact,
            rate: (&b.rate).into(),
        })
        .collect();
    Ok(FieldworkPage {
        title: f.title.clone(),
        key: f.key.clone(),
        phase: f.phase.label_zh(),
        phase_en: f.phase.label_en(),
        today: f.today.format("%Y-%m-%d").to_string(),
        who,
        school,
        recent: f.responses,
        surveys,
        quotas,
        chart: chart(f)?,
        days: f
            .days
            .iter()
            .map(|(d, n)| (d.format("%Y-%m-%d").to_string(), *n))
            .collect(),
        behind: units.iter().filter(|u| u.behind.is_some()).count(),
        units,
        any_estimated: batches.iter().any(|b: &BatchRow| !b.exact),
        batches,
        batch_form: admin.then(|| batch_form(f)),
        as_of: chrono::Utc::now()
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
            .format("%H:%M:%S")
            .to_string(),
        every_ms: super::live::EVERY_MS,
        script: super::live::SCRIPT.as_str(),
    })
}

/// A workspace page: HTML, never cached.
pub(crate) fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    heading: &'a str,
    body: &'a str,
    body_en: &'a str,
}

/// A workspace page refused: why, in Chinese and English.
pub(crate) fn refused(
    status: StatusCode,
    body: &str,
    body_en: &str,
) -> Result<HttpResponse, ApiError> {
    let page = Message {
        heading: "无法显示此页面",
        body,
        body_en,
    };
    Ok(html(status, page.render().map_err(ApiError::unexpected)?))
}

/// What every page about one view of a campaign says at its top.
pub(crate) struct ViewHead {
    pub title: String,
    pub key: String,
    /// Who is logged in.
    pub who: String,
    /// A school's evaluator's school.
    pub school: Option<String>,
    /// The view in words.
    pub view: String,
    /// The view's query string (filters, and the page's own parameters).
    pub query: String,
}

/// Query parameters as (name, value) pairs.
pub(crate) type Pairs = Vec<(String, String)>;

/// The filters asked for in the query string (known attributes with a value; an empty
/// value means "all") and the values of the `extra` parameters the page takes; any
/// other parameter is refused, in Chinese and English.
pub(crate) fn view_query(
    req: &HttpRequest,
    extra: &[&str],
) -> Result<(Pairs, Pairs), (String, String)> {
    let pairs: Vec<(String, String)> =
        web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map_err(|e| {
                (
                    "查询参数无法解析。".into(),
                    format!("The query cannot be read: {e}"),
                )
            })?
            .into_inner();
    let mut out = Vec::new();
    let mut others = Vec::new();
    for (k, v) in pairs {
        if v.chars().count() > 200 {
            return Err((
                format!("参数 {k} 过长（最多 200 字）。"),
                format!("Parameter {k} is longer than 200 characters."),
            ));
        }
        if extra.contains(&k.as_str()) {
            others.push((k, v));
            continue;
        }
        if !explore::FILTERS.contains(&k.as_str()) {
            return Err((
                format!("筛选条件 {k} 无效：可用 school、sector、grade、role、size。"),
                format!("Unknown filter {k}: use school, sector, grade, role or size."),
            ));
        }
        if !v.is_empty() {
            out.push((k, v));
        }
    }
    Ok((out, others))
}

/// The page for a view that cannot be shown: too many filters, another school's, or a
/// store failure.
pub(crate) fn view_refused(e: &ExploreError) -> Result<HttpResponse, ApiError> {
    match e {
        ExploreError::Filter(f) => {
            let zh = "筛选条件过多或重复：最多可同时使用两个筛选条件（学校令牌本身算一个），其余维度请看页面中的分组结果。".to_string();
            let en = format!("{f}. At most two filters combine (a school's token is one); read the others in the breakdowns.");
            refused(StatusCode::UNPROCESSABLE_ENTITY, &zh, &en)
        }
        ExploreError::OutOfScope(s) => {
            let zh = format!("此令牌仅可查看学校 {s} 的数据。");
            let en = format!("This token sees school {s} only.");
            refused(StatusCode::FORBIDDEN, &zh, &en)
        }
        ExploreError::Store(e) => Err(ApiError::unexpected(anyhow::anyhow!("{e:#}"))),
    }
}

/// A workspace view from the cache while the campaign's data is unchanged, computed by
/// `build` otherwise; a store failure is not kept. `None` for an unknown campaign.
pub(crate) async fn cached<V, E, F, Fut>(
    state: &AppState,
    cache: &super::report_cache::VersionCache<
        super::state::ViewKey,
        std::sync::Arc<Result<Option<V>, E>>,
    >,
    key: super::state::ViewKey,
    transient: impl Fn(&E) -> bool,
    build: F,
) -> Result<Option<std::sync::Arc<Result<Option<V>, E>>>, ApiError>
where
    E: std::fmt::Display,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Option<V>, E>>,
{
    let Some(version) = crate::app::campaigns::data_version(&state.db, &key.0).await? else {
        return Ok(None);
    };
    cache
        .get_or_build(key, version, || async move {
            match build().await {
                Err(e) if transient(&e) => Err(e.to_string()),
                other => Ok(std::sync::Arc::new(other)),
            }
        })
        .await
        .map(Some)
        .map_err(|e| ApiError::unexpected(anyhow::anyhow!(e)))
}

/// The evaluator of a workspace page and their scope (a school token's `school = X`),
/// or the redirect to the login on `/admin` when there is no session or the address is
/// locked out (the login page says which).
pub(crate) async fn evaluator(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Result<(Grant, Vec<(String, String)>), HttpResponse>, ApiError> {
    let grant = match session(req, state).await {
        Ok(Some(grant)) => grant,
        Ok(None) | Err(ApiError::TooManyAttempts(_)) => {
            return Ok(Err(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/admin"))
                .finish()))
        }
        Err(e) => return Err(e),
    };
    let scope = grant
        .school
        .iter()
        .map(|s| (super::auth::SCHOOL.to_string(), s.clone()))
        .collect();
    Ok(Ok((grant, scope)))
}

/// The fieldwork monitor; without a session, back to the login on `/admin`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (grant, scope) = match evaluator(&req, &state).await? {
        Ok(found) => found,
        Err(login) => return Ok(login),
    };
    let key = key.into_inner();
    let Some(f) = fieldwork::monitor(
        &state.db,
        &state.summaries.counts,
        &key,
        &scope,
        chrono::Utc::now(),
    )
    .await?
    else {
        return Err(ApiError::NotFound {
            what: "campaign",
            key,
        });
    };
    let ip = state.client_ip(&req);
    if super::live::is_refresh(&req) {
        let quiet = chrono::Duration::minutes(super::live::AUDIT_MINUTES);
        crate::app::access::record_refresh(
            &state.db,
            &grant.actor,
            "fieldwork.view",
            &key,
            ip,
            quiet,
        )
        .await?;
    } else {
        crate::app::access::record(
            &state.db,
            &grant.actor,
            "fieldwork.view",
            &key,
            serde_json::json!({}),
            ip,
        )
        .await?;
    }
    let who = super::admin::who(&grant);
    let admin = grant.role == super::auth::Role::Admin;
    let page = view(&f, who, grant.school, admin)?;
    let mut res = html(StatusCode::OK, page.render().map_err(ApiError::unexpected)?);
    let csp = header::HeaderValue::from_str(&super::live::CSP).map_err(ApiError::unexpected)?;
    res.headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, csp);
    Ok(res)
}

#[derive(serde::Deserialize)]
pub struct BatchRequest {
    survey: String,
    count: usize,
    #[serde(default)]
    batch: String,
    #[serde(default)]
    school: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    grade: String,
}

/// Issues an invitation batch from the fieldwork page (admins) and answers with its
/// printable QR sheet; the questionnaire must be one of the campaign's.
pub async fn issue_batch(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
    form: web::Form<BatchRequest>,
) -> Result<HttpResponse, ApiError> {
    if !super::auth::same_origin(&req) {
        return Err(ApiError::CrossSite);
    }
    let (grant, _) = match evaluator(&req, &state).await? {
        Ok(found) => found,
        Err(login) => return Ok(login),
    };
    if grant.role != super::auth::Role::Admin {
        return refused(
            StatusCode::FORBIDDEN,
            "只有管理员可以发放邀请。",
            "Only an admin issues invitations.",
        );
    }
    let key = key.into_inner();
    let form = form.into_inner();
    let Some(f) = fieldwork::monitor(
        &state.db,
        &state.summaries.counts,
        &key,
        &[],
        chrono::Utc::now(),
    )
    .await?
    else {
        return Err(ApiError::NotFound {
            what: "campaign",
            key,
        });
    };
    if !f.surveys.iter().any(|s| s.slug == form.survey) {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("问卷 {} 不属于本调查活动。", form.survey),
            &format!(
                "Questionnaire {} is not part of campaign {key}.",
                form.survey
            ),
        );
    }
    let attributes: std::collections::BTreeMap<String, String> = [
        ("school", form.school),
        ("sector", form.sector),
        ("grade", form.grade),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let batch = Some(form.batch).filter(|b| !b.trim().is_empty());
    let issued = super::invitations::issue_batch(
        &state,
        &req,
        &form.survey,
        form.count,
        &attributes,
        batch,
        crate::app::invite::Actor {
            name: &grant.actor,
            ip: state.client_ip(&req),
        },
    )
    .await;
    match issued {
        Ok((stored, issued)) => super::invitations::sheet_response(&stored, issued).await,
        Err(ApiError::Invalid { field, message, .. }) => refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("无法发放邀请：{}", field.unwrap_or_default()),
            &message,
        ),
        Err(e) => Err(e),
    }
}
