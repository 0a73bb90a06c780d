//! What reading open answers costs (issue #18): `analysis::text::analyse` over N
//! demo open answers of the default campaign (redaction, jieba segmentation with its
//! dictionary, term and phrase counts per group and per breakdown cell, log-odds,
//! themes, quotes), in memory, release build. Prints the one-off dictionary load, then
//! the median of RUNS analyses and the peak RSS.
//!
//! Usage: cargo bench --bench open_answers -- [ANSWERS] [RUNS]   (default: 100000 5)

use std::path::Path;
use std::time::Instant;

use chorus::analysis::disclosure::Gate;
use chorus::analysis::frame::FrameBuilder;
use chorus::analysis::text;
use chorus::domain::QuestionKind;
use chorus::store::campaigns::StoredCampaign;
use chorus::store::surveys::StoredSurvey;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let campaign = chorus::definitions::load_campaign(Path::new("surveys/pingshun-2025"))
        .expect("the shipped campaign loads");
    let stored = StoredCampaign {
        id: 1,
        info: campaign.info.clone(),
        surveys: campaign
            .surveys
            .iter()
            .enumerate()
            .map(|(i, s)| StoredSurvey {
                version_id: i as i64,
                version: 1,
                campaign_id: 1,
                campaign_key: campaign.info.key.clone(),
                survey: s.clone(),
            })
            .collect(),
    };
    let breakdowns = campaign.info.analysis.breakdowns.clone();
    let open: Vec<String> = campaign
        .surveys
        .iter()
        .flat_map(|s| s.questions())
        .filter(|q| {
            matches!(
                q.kind,
                QuestionKind::Text {
                    in_report: true,
                    ..
                }
            )
        })
        .map(|q| q.id.clone())
        .collect::<std::collections::BTreeSet<String>>()
        .into_iter()
        .collect();
    // About 57 % of demo respondents write: generate until there are enough answers.
    let mut builder = FrameBuilder::new(&breakdowns).keeping_texts();
    let mut answers = 0usize;
    let mut chars = 0usize;
    let mut seed = 1;
    while answers < wanted {
        for (idx, r, _) in chorus::app::demo::generate(&stored, 50_000, seed) {
            if answers >= wanted {
                break;
            }
            for q in &open {
                if let Some(a) = r.answers.get(q) {
                    answers += 1;
                    chars += a.to_text().chars().count();
                }
            }
            builder.push(
                idx as i64,
                &stored.surveys[idx].survey,
                &r.attributes,
                &r.answers,
            );
        }
        seed += 1;
    }
    let frames = builder.finish().expect("frames");
    let settings = &campaign.info.text;
    let t = Instant::now();
    drop(text::segment::Segmenter::new(settings));
    let load = t.elapsed().as_secs_f64();
    let gate = Gate::new(campaign.info.analysis.min_cell_size, None);
    let mut times = Vec::new();
    let mut shown = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let report = text::analyse(settings, &frames, &gate, &breakdowns).expect("analysis");
        times.push(t.elapsed().as_secs_f64());
        shown = report.groups.iter().map(|g| g.terms.len()).sum();
    }
    println!(
        "open answers: {answers} answers ({:.1} characters on average) of {} respondents, {} breakdowns; \
dictionary load {load:.3} s; analysis median {:.3} s (min {:.3}, max {:.3}) over {runs} runs; {shown} terms listed; \
peak RSS {:.0} MB",
        chars as f64 / answers.max(1) as f64,
        frames.len(),
        breakdowns.len(),
        median(times.clone()),
        times.iter().copied().fold(f64::INFINITY, f64::min),
        times.iter().copied().fold(0.0, f64::max),
        peak_rss_mb()
    );
}
