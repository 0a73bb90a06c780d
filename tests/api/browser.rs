//! Headless Chromium at a phone viewport fills the default student questionnaire with
//! JavaScript on and off (tests/browser/respondent.mjs, playwright-core): a skip rule,
//! a validation error, back a page, a reload mid-way, a double-tapped submit. Here we
//! check what was stored and that every screenshot shows something. The page's script
//! also runs the shared expression table (tests/fixtures/expressions.json,
//! tests/browser/expressions.mjs) and must agree with the Rust evaluator case by case.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::{repo_path, spawn_app, Backend, TestApp};

const SLUG: &str = "pingshun-2025-students";

/// Node, the playwright-core package and Chromium, or why they are missing.
fn tools() -> Result<PathBuf, String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Err(format!("{chromium} not found (apt-get install chromium)"));
    }
    let dir = repo_path("tests/browser");
    if !dir.join("node_modules/playwright-core").is_dir() {
        return Err("tests/browser/node_modules missing (cd tests/browser && npm ci)".into());
    }
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(dir),
        _ => Err("node not found".into()),
    }
}

/// The JSON summary a script printed, or a panic with what it said.
fn node_result(output: &std::process::Output, what: &str) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
        panic!(
            "{what}: no result\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Whether the browser tools are here; under `CI=true` their absence fails the test.
fn tools_present() -> bool {
    match tools() {
        Ok(_) => true,
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("browser tests must run in CI: {why}")
        }
        Err(why) => {
            eprintln!("skipped: {why}");
            false
        }
    }
}

/// A phone screenshot that is not blank: many distinct grey levels over the picture.
fn assert_not_blank(file: &str) {
    assert_not_blank_at(file, (390, 800));
}

/// A screenshot at least `min` (width, height) pixels that is not blank.
fn assert_not_blank_at(file: &str, min: (u32, u32)) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(file).expect("screenshot"),
    ));
    let mut reader = decoder.read_info().expect("png");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("frame");
    assert!(
        info.width >= min.0 && info.height >= min.1,
        "{file}: {}x{}",
        info.width,
        info.height
    );
    let mut levels = std::collections::HashSet::new();
    for px in buf.chunks(info.color_type.samples()) {
        levels.insert(px.iter().take(3).map(|c| u32::from(*c)).sum::<u32>() / 3);
    }
    assert!(
        levels.len() > 20,
        "{file} looks blank ({} grey levels)",
        levels.len()
    );
}

fn run(address: &str, mode: &str) -> serde_json::Value {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("browser")
        .join(mode);
    let _ = std::fs::remove_dir_all(&out);
    let dir = tools().expect("checked");
    let output = Command::new("node")
        .current_dir(&dir)
        .arg("respondent.mjs")
        .arg(address)
        .arg(SLUG)
        .arg(&out)
        .arg(mode)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
        panic!(
            "{mode}: no result\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(
        output.status.success() && result["ok"] == true,
        "{mode}: {result:#}"
    );
    for shot in result["shots"].as_array().expect("shots") {
        assert_not_blank(shot.as_str().expect("path"));
    }
    assert_eq!(
        result["axe_pages"],
        result["shots"].as_array().expect("shots").len(),
        "{mode}: axe-core ran on every page"
    );
    assert_eq!(
        result["violations"],
        serde_json::json!([]),
        "{mode}: axe-core violations"
    );
    eprintln!("{mode}: screenshots in {}", out.display());
    result
}

async fn stored_row(app: &TestApp) -> std::collections::BTreeMap<String, String> {
    let csv = app
        .get_auth("/api/v1/campaigns/pingshun-2025/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().expect("header").clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(
        rows.len(),
        1,
        "exactly one response stored after a double tap:\n{csv}"
    );
    header
        .iter()
        .zip(rows[0].iter())
        .map(|(h, v)| (h.to_string(), v.to_string()))
        .collect()
}

async fn browser_case(mode: &str) {
    if !tools_present() {
        return;
    }
    let app = spawn_app(Backend::Sqlite, None).await.expect("sqlite");
    let (address, m) = (app.address.clone(), mode.to_string());
    let result = tokio::task::spawn_blocking(move || run(&address, &m))
        .await
        .expect("join");
    assert_eq!(
        result["validation"],
        "选择了“都没有参加过”，就不能再选其他活动"
    );
    assert_eq!(result["thanks"], "提交成功，感谢您的参与！");
    if mode == "js" {
        assert_eq!(result["stayed_on_page_1"], true);
        assert_eq!(result["progress_2"], "第 2 / 4 页");
        assert_eq!(result["back_kept"], true);
        assert_eq!(result["skip_rule_hidden"], true);
        assert_eq!(result["reload_kept"], true);
        assert_eq!(result["reload_kept_page_1"], true);
        assert_eq!(result["progress_last"], "第 4 / 4 页");
    } else {
        assert_eq!(result["kept_after_error"], true);
        assert_eq!(
            result["error_summary"],
            "有 2 处需要修改，请查看标红的题目。"
        );
    }
    let row = stored_row(&app).await;
    assert_eq!(row["bg_sector"], "herbs");
    assert_eq!(row["bg_activities"], "none");
    assert_eq!(row["S10"], "4");
    assert_eq!(row["S24"], "5");
    assert_eq!(row["S12"], "", "skip rule: not asked, nothing stored");
    assert_eq!(row["suggestion"], "希望多安排企业实践。");
}

#[tokio::test]
async fn phone_with_javascript_fills_pages_reloads_and_submits_once() {
    browser_case("js").await;
}

#[tokio::test]
async fn phone_without_javascript_fills_one_page_and_submits_once() {
    browser_case("nojs").await;
}

/// The JavaScript port of the expression language gives what the Rust evaluator gives:
/// the page's own script, as served, runs the shared case table in Chromium.
#[tokio::test]
async fn the_page_script_evaluates_the_shared_expression_cases_like_the_server() {
    if !tools_present() {
        return;
    }
    let mut table: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_path("tests/fixtures/expressions.json")).expect("table"),
    )
    .expect("json");
    for case in table["cases"].as_array_mut().expect("cases") {
        let src = case["expr"].as_str().expect("expr");
        let parsed = chorus::domain::expr::Expression::parse(src).expect("valid");
        case["ast"] = serde_json::to_value(parsed.ast()).expect("ast");
    }
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("expression-cases.json");
    std::fs::write(&file, table.to_string()).expect("write");
    let app = spawn_app(Backend::Sqlite, None).await.expect("sqlite");
    let url = format!("{}/s/{SLUG}", app.address);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .current_dir(tools().expect("checked"))
            .arg("expressions.mjs")
            .arg(&url)
            .arg(&file)
            .output()
            .expect("run node")
    })
    .await
    .expect("join");
    let result = node_result(&output, "expressions");
    assert_eq!(result["ok"], true, "{result:#}");
    let values = result["values"].as_array().expect("values");
    let cases = table["cases"].as_array().expect("cases");
    assert_eq!(values.len(), cases.len());
    let same = |a: &serde_json::Value, b: &serde_json::Value| match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    };
    let wrong: Vec<String> = cases
        .iter()
        .zip(values)
        .filter(|(c, v)| !same(&c["value"], v))
        .map(|(c, v)| format!("{} → {v}, expected {}", c["expr"], c["value"]))
        .collect();
    assert!(
        wrong.is_empty(),
        "the page script disagrees:\n{}",
        wrong.join("\n")
    );
}

/// Issue #16: an evaluator in Chromium at 1366×768 and 1024×768 logs in with the form
/// (keyboard only), opens the campaigns page, watches the fieldwork monitor follow
/// responses that arrive (and hold still when paused), opens the results
/// explorer, sets two filters with the form and gets a third refused, reads the open
/// answers, and benchmarks
/// the teachers' units with the funnel plot, and opens the token page; axe-core reports
/// no violation on any of those pages, and every screenshot shows something.
#[tokio::test]
async fn an_evaluator_walks_the_workspace_with_no_accessibility_violation() {
    if !tools_present() {
        return;
    }
    let app = spawn_app(Backend::Sqlite, None).await.expect("sqlite");
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, "pingshun-2025", 300, 5)
        .await
        .expect("demo");
    let slug = "pingshun-2025-students";
    let arrivals = Path::new(env!("CARGO_TARGET_TMPDIR")).join("workspace-arrivals.json");
    let answers = app.valid_answers(slug, 4).await;
    let body = serde_json::json!({"slug": slug, "answers": answers, "count": 3});
    std::fs::write(&arrivals, body.to_string()).expect("arrivals");
    for size in ["1366x768", "1024x768"] {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("workspace")
            .join(size);
        let _ = std::fs::remove_dir_all(&out);
        let (address, o, s) = (app.address.clone(), out.clone(), size.to_string());
        let arrivals = arrivals.clone();
        let output = tokio::task::spawn_blocking(move || {
            Command::new("node")
                .current_dir(tools().expect("checked"))
                .arg("workspace.mjs")
                .arg(&address)
                .arg(crate::helpers::TOKEN)
                .arg("pingshun-2025")
                .arg(&o)
                .arg(&s)
                .arg(&arrivals)
                .output()
                .expect("run node")
        })
        .await
        .expect("join");
        let result = node_result(&output, size);
        assert_eq!(result["ok"], true, "{size}: {result:#}");
        let steps: Vec<&str> = result["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter_map(|s| s.as_str())
            .collect();
        assert!(steps.contains(&"logged in"), "{size}: {steps:?}");
        assert!(
            steps.contains(&"live moved +3 news true reloaded false"),
            "{size}: the monitor follows arriving responses: {steps:?}"
        );
        assert!(
            steps.contains(&"paused true held true"),
            "{size}: paused, it holds still: {steps:?}"
        );
        assert!(steps.contains(&"two filters shown"), "{size}: {steps:?}");
        assert!(steps.contains(&"third filter 422"), "{size}: {steps:?}");
        assert_eq!(
            result["violations"],
            serde_json::json!([]),
            "{size}: axe-core violations"
        );
        assert!(
            steps
                .iter()
                .any(|s| s.starts_with("funnel points ") && *s != "funnel points 0"),
            "{size}: {steps:?}"
        );
        assert!(
            steps
                .iter()
                .any(|s| s.starts_with("crosstab q:") && s.ends_with("test true xlsx 1")),
            "{size}: {steps:?}"
        );
        assert!(
            steps.iter().any(|s| s.starts_with("open answers themes 7 charts ")
                && !s.ends_with("charts 0")),
            "{size}: the open answers show the 7 themes and distinctive terms: {steps:?}"
        );
        assert!(steps.contains(&"report ready"), "{size}: {steps:?}");
        assert_eq!(result["pages"].as_array().expect("pages").len(), 12);
        let (w, h) = size.split_once('x').expect("size");
        let min = (w.parse().expect("w"), h.parse().expect("h"));
        for shot in result["shots"].as_array().expect("shots") {
            assert_not_blank_at(shot.as_str().expect("path"), min);
        }
        eprintln!("{size}: screenshots in {}", out.display());
    }
}

/// The respondent pages a form does not lead to — not yet open, closed, full, an unknown
/// questionnaire — at a phone viewport: each says so in its heading with the right
/// status, and axe-core finds no violation on any of them.
#[tokio::test]
async fn refusal_pages_are_accessible() {
    if !tools_present() {
        return;
    }
    let app =
        crate::helpers::spawn_app_with(Backend::Sqlite, Some("tests/fixtures/distribution"), |s| {
            s.submit_rate = 0
        })
        .await
        .expect("sqlite");
    for sector in ["herbs", "ecommerce"] {
        let body = serde_json::json!({"response_id": uuid::Uuid::new_v4(), "answers": {"sector": sector, "Q1": 4}});
        let res = app
            .post_json("/api/v1/surveys/states-enterprises/responses", &body)
            .await;
        assert_eq!(res.status(), 201);
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("refusals");
    let _ = std::fs::remove_dir_all(&out);
    let (address, o) = (app.address.clone(), out.clone());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .current_dir(tools().expect("checked"))
            .arg("axe.mjs")
            .arg(&address)
            .arg(&o)
            .args([
                "/s/states-students",
                "/s/states-teachers",
                "/s/states-enterprises",
                "/s/no-such-survey",
            ])
            .output()
            .expect("run node")
    })
    .await
    .expect("join");
    let result = node_result(&output, "refusals");
    assert_eq!(result["ok"], true, "{result:#}");
    let pages = result["pages"].as_array().expect("pages");
    let seen: Vec<(u64, &str)> = pages
        .iter()
        .map(|p| {
            (
                p["status"].as_u64().expect("status"),
                p["h1"].as_str().expect("h1"),
            )
        })
        .collect();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].0, 403);
    assert!(seen[0].1.contains("尚未开放"), "{seen:?}");
    assert_eq!(seen[1].0, 410);
    assert!(seen[1].1.contains("已结束"), "{seen:?}");
    assert_eq!(seen[2].0, 410);
    assert!(seen[2].1.contains("已收满"), "{seen:?}");
    assert_eq!(seen[3].0, 404);
    assert_eq!(
        result["violations"],
        serde_json::json!([]),
        "axe-core violations"
    );
    for shot in result["shots"].as_array().expect("shots") {
        assert_not_blank_at(shot.as_str().expect("path"), (390, 800));
    }
}
