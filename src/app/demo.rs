//! Deterministic synthetic responses so reports have something to show. The same seed
//! gives the same responses (ids included), so running it twice adds nothing.
//!
//! The model: an answer is round(3.65 + person + group×level + sector + indicator + noise),
//! clamped to the scale; reverse-coded items are flipped after. Groups and sectors
//! differ in ways evaluators find plausible (enterprises are harder judges of student
//! skills, teachers of resources; e-commerce is the strongest sector, herbs the weakest).

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use serde_json::{json, Value};

use crate::domain::quality::Paradata;
use crate::domain::{Audience, NewResponse, QuestionKind, Survey, OTHER_CODE, OTHER_SUFFIX};
use crate::store::{self, campaigns::StoredCampaign};

/// Share of responses per group.
const MIX: [(Audience, f64); 3] = [
    (Audience::Students, 0.55),
    (Audience::Teachers, 0.2),
    (Audience::Enterprises, 0.25),
];

fn group_effect(group: Audience, first_level: &str) -> f64 {
    match (group, first_level) {
        (Audience::Students, "E") => 0.25,
        (Audience::Students, _) => 0.1,
        (Audience::Teachers, "B") => -0.45,
        (Audience::Teachers, _) => -0.05,
        (Audience::Enterprises, "D") => -0.5,
        (Audience::Enterprises, "A") => -0.3,
        (Audience::Enterprises, _) => -0.15,
    }
}

fn sector_effect(code: &str) -> f64 {
    match code {
        "ecommerce" => 0.3,
        "herbs" => -0.35,
        "tourism" => 0.05,
        _ => -0.1,
    }
}

/// A stable per-indicator offset in [-0.32, 0.32], from the code's bytes.
fn indicator_effect(code: &str) -> f64 {
    let h = code
        .bytes()
        .fold(17u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    f64::from(h % 9) * 0.08 - 0.32
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller.
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Generates `n` responses for the campaign's questionnaires.
pub fn generate(
    campaign: &StoredCampaign,
    n: usize,
    seed: u64,
) -> Vec<(usize, NewResponse, DateTime<Utc>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(
        seed ^ campaign
            .info
            .key
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(131) + u64::from(b)),
    );
    let start = Utc
        .with_ymd_and_hms(2025, 11, 3, 8, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    // Answering times from their own stream, so adding them left the answers as they
    // were for a given seed.
    let mut clock = ChaCha8Rng::seed_from_u64(seed.rotate_left(17) ^ 0x7469_6d65);
    // Comments from a third stream, likewise.
    let mut words = ChaCha8Rng::seed_from_u64(seed.rotate_left(29) ^ 0x776f_7264);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let r: f64 = rng.random();
        let mut acc = 0.0;
        let group = MIX.iter().find(|(_, p)| {
            acc += p;
            r < acc
        });
        let group = group.map_or(Audience::Enterprises, |(g, _)| *g);
        let Some(idx) = campaign
            .surveys
            .iter()
            .position(|s| s.survey.audience == group)
        else {
            continue;
        };
        let survey = &campaign.surveys[idx].survey;
        let person = normal(&mut rng) * 0.55;
        let mut raw = raw_answers(survey, group, person, &mut rng);
        let open = survey.questions().find(|q| {
            matches!(
                q.kind,
                QuestionKind::Text {
                    in_report: true,
                    ..
                }
            )
        });
        if let Some(q) = open {
            if let Some(c) = super::demo_comments::comment(group, &mut words) {
                raw.insert(q.id.clone(), json!(c));
            }
        }
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        let id = uuid::Builder::from_random_bytes(id).into_uuid();
        let Some(response) = validated(survey, id, raw) else {
            continue;
        };
        let response = response.with_paradata(answering_time(&mut clock));
        let at = start + Duration::seconds(i as i64 * 97);
        out.push((idx, response, at));
    }
    out
}

/// A plausible answering time: about six minutes, spread log-normally, and one response
/// in fifty clicked through in under a minute.
fn answering_time(rng: &mut ChaCha8Rng) -> Paradata {
    let seconds = if rng.random_range(0..50) == 0 {
        rng.random_range(20..60)
    } else {
        (360.0 * (normal(rng) * 0.45).exp())
            .round()
            .clamp(60.0, 3600.0) as u32
    };
    Paradata {
        duration_s: Some(seconds),
        page_seconds: Vec::new(),
        client: None,
    }
}

/// Runs generated answers through the same checks as a real submission, so display
/// logic and constraints hold; answers the checks refuse are dropped (they are optional
/// or hidden) and the rest checked again.
fn validated(
    survey: &Survey,
    id: Uuid,
    mut raw: serde_json::Map<String, Value>,
) -> Option<NewResponse> {
    for _ in 0..4 {
        match NewResponse::parse(survey, id, &raw, &serde_json::Map::new()) {
            Ok(r) => return Some(r),
            Err(errors) => {
                for e in errors {
                    raw.remove(&e.field);
                }
            }
        }
    }
    None
}

fn raw_answers(
    survey: &Survey,
    group: Audience,
    person: f64,
    rng: &mut ChaCha8Rng,
) -> serde_json::Map<String, Value> {
    let mut answers = serde_json::Map::new();
    let mut sector = "other".to_string();
    for q in survey.questions() {
        if let QuestionKind::Single { choices, other } = &q.kind {
            if choices.is_empty() {
                continue;
            }
            // Sector: mostly the three focus sectors.
            let code = if q.attribute.as_deref() == Some("sector") {
                let wanted = match rng.random_range(0..100) {
                    0..=37 => "ecommerce",
                    38..=66 => "herbs",
                    67..=91 => "tourism",
                    _ => "other",
                };
                choices
                    .iter()
                    .find(|c| c.code == wanted)
                    .unwrap_or(&choices[0])
                    .code
                    .clone()
            } else if *other && rng.random_range(0..100) < 4 {
                OTHER_CODE.to_string()
            } else {
                choices[rng.random_range(0..choices.len())].code.clone()
            };
            if q.attribute.as_deref() == Some("sector") {
                sector = code.clone();
            }
            if code == OTHER_CODE && *other {
                answers.insert(format!("{}{OTHER_SUFFIX}", q.id), json!("其他"));
            }
            answers.insert(q.id.clone(), json!(code));
        }
    }
    for q in survey.questions() {
        let optional_skip = !q.required && rng.random_range(0..100) < 3;
        match &q.kind {
            QuestionKind::Likert { indicator, reverse } => {
                if optional_skip {
                    continue;
                }
                let indicator = indicator.as_deref().unwrap_or("");
                let level = indicator
                    .chars()
                    .next()
                    .map(|c| c.to_string())
                    .unwrap_or_default();
                let latent = 3.65
                    + person
                    + group_effect(group, &level)
                    + sector_effect(&sector)
                    + indicator_effect(indicator)
                    + normal(rng) * 0.7;
                let points = i64::from(survey.scale.points);
                let scaled = 1.0 + (latent - 1.0) * (points - 1) as f64 / 4.0;
                let mut x = (scaled.round() as i64).clamp(1, points);
                if *reverse {
                    x = points + 1 - x;
                }
                answers.insert(q.id.clone(), json!(x));
            }
            QuestionKind::Importance { .. } if !optional_skip => {
                let points = i64::from(survey.scale.points);
                let x = (points as f64 - 0.8 + normal(rng) * 0.8).round() as i64;
                answers.insert(q.id.clone(), json!(x.clamp(1, points)));
            }
            QuestionKind::Integer { min, max } if q.required => {
                let lo = (*min).max(0);
                let hi = (*max).min(lo + 40).max(lo);
                answers.insert(q.id.clone(), json!(rng.random_range(lo..=hi)));
            }
            QuestionKind::Rating { min, max, .. } if !optional_skip => {
                let mid = (*min + *max) as f64 / 2.0;
                let spread = (*max - *min) as f64 / 4.0;
                let x = (mid + 0.6 * spread + person * spread + normal(rng) * spread).round();
                answers.insert(q.id.clone(), json!((x as i64).clamp(*min, *max)));
            }
            QuestionKind::Decimal { min, max } if q.required => {
                let lo = min.unwrap_or(0.0);
                let hi = max.unwrap_or(lo + 100.0);
                let x = lo + (hi - lo) * rng.random::<f64>();
                answers.insert(q.id.clone(), json!((x * 10.0).round() / 10.0));
            }
            QuestionKind::Multiple {
                choices, min, max, ..
            } if !choices.is_empty() => {
                let lo = min.unwrap_or(0) as usize;
                let hi = max.map_or(choices.len(), |m| m as usize).min(choices.len());
                let k = rng.random_range(lo.max(1).min(hi)..=hi.max(1));
                let mut picked: Vec<&str> = Vec::new();
                while picked.len() < k.min(choices.len()) {
                    let c = choices[rng.random_range(0..choices.len())].code.as_str();
                    if !picked.contains(&c) {
                        picked.push(c);
                    }
                }
                answers.insert(q.id.clone(), json!(picked));
            }
            QuestionKind::Ranking { choices } => {
                let mut order: Vec<&str> = choices.iter().map(|c| c.code.as_str()).collect();
                for i in (1..order.len()).rev() {
                    order.swap(i, rng.random_range(0..=i));
                }
                answers.insert(q.id.clone(), json!(order));
            }
            QuestionKind::Date { min, max } if q.required => {
                let d = max
                    .clone()
                    .or_else(|| min.clone())
                    .unwrap_or_else(|| "2025-09-01".into());
                answers.insert(q.id.clone(), json!(d));
            }
            _ => {}
        }
    }
    answers
}

/// Generates and stores; returns how many were new.
pub async fn fill(db: &DatabaseConnection, key: &str, n: usize, seed: u64) -> anyhow::Result<u64> {
    let campaign = store::campaigns::get(db, key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("campaign {key:?} not found"))?;
    let generated = generate(&campaign, n, seed);
    let mut inserted = 0;
    for (idx, survey) in campaign.surveys.iter().enumerate() {
        let mine: Vec<(NewResponse, DateTime<Utc>)> = generated
            .iter()
            .filter(|(i, _, _)| *i == idx)
            .map(|(_, r, at)| (r.clone(), *at))
            .collect();
        for chunk in mine.chunks(500) {
            inserted += store::responses::insert_many(db, survey, chunk).await?;
        }
    }
    store::refresh_statistics(db).await?;
    Ok(inserted)
}

/// Used by tests to check determinism without a database.
pub fn ids(generated: &[(usize, NewResponse, DateTime<Utc>)]) -> Vec<Uuid> {
    generated.iter().map(|(_, r, _)| r.id).collect()
}
