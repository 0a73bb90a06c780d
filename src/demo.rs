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

use crate::domain::{AnswerValue, Audience, NewResponse, QuestionKind};
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
        let mut answers = std::collections::BTreeMap::new();
        let mut sector = "other".to_string();
        for q in survey.questions() {
            match &q.kind {
                QuestionKind::Single { choices } if !choices.is_empty() => {
                    // Sector: mostly the three focus sectors.
                    let pick = if q.attribute.as_deref() == Some("sector") {
                        let w = rng.random_range(0..100);
                        let wanted = match w {
                            0..=37 => "ecommerce",
                            38..=66 => "herbs",
                            67..=91 => "tourism",
                            _ => "other",
                        };
                        choices
                            .iter()
                            .find(|c| c.code == wanted)
                            .unwrap_or(&choices[0])
                    } else {
                        &choices[rng.random_range(0..choices.len())]
                    };
                    if q.attribute.as_deref() == Some("sector") {
                        sector = pick.code.clone();
                    }
                    answers.insert(q.id.clone(), AnswerValue::Text(pick.code.clone()));
                }
                _ => {}
            }
        }
        for q in survey.questions() {
            match &q.kind {
                QuestionKind::Likert { indicator, reverse } => {
                    if !q.required && rng.random_range(0..100) < 3 {
                        continue;
                    }
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
                        + normal(&mut rng) * 0.7;
                    let points = i64::from(survey.scale.points);
                    let scaled = 1.0 + (latent - 1.0) * (points - 1) as f64 / 4.0;
                    let mut x = (scaled.round() as i64).clamp(1, points);
                    if *reverse {
                        x = points + 1 - x;
                    }
                    answers.insert(q.id.clone(), AnswerValue::Number(x));
                }
                QuestionKind::Integer { min, max } if q.required => {
                    let lo = (*min).max(0);
                    let hi = (*max).min(lo + 40).max(lo);
                    answers.insert(q.id.clone(), AnswerValue::Number(rng.random_range(lo..=hi)));
                }
                _ => {}
            }
        }
        let attributes = survey
            .questions()
            .filter_map(|q| {
                let attr = q.attribute.as_ref()?;
                match answers.get(&q.id)? {
                    AnswerValue::Text(code) => Some((attr.clone(), code.clone())),
                    AnswerValue::Number(_) => None,
                }
            })
            .collect();
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        let id = uuid::Builder::from_random_bytes(id).into_uuid();
        let at = start + Duration::seconds(i as i64 * 97);
        out.push((
            idx,
            NewResponse {
                id,
                answers,
                attributes,
            },
            at,
        ));
    }
    out
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
    Ok(inserted)
}

/// Used by tests to check determinism without a database.
pub fn ids(generated: &[(usize, NewResponse, DateTime<Utc>)]) -> Vec<Uuid> {
    generated.iter().map(|(_, r, _)| r.id).collect()
}
