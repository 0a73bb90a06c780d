//! The report in every format, parsed back: DOCX (document.xml and media), XLSX (calamine),
//! PDF (pdftotext), HTML (structure snapshot); hostile text stays inert everywhere.

use std::io::{Cursor, Read};

use calamine::{Data, DataType, Reader, Xlsx};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp, TOKEN};

pub(crate) const HOSTILE: &str =
    "=HYPERLINK(\"http://evil.example\",\"点我\") <script>alert(1)</script> +cmd @SUM(A1)";

/// 240 demo responses plus one student whose open answer is hostile.
pub(crate) async fn app_with_data() -> (TestApp, Value) {
    let app = spawn_app(Backend::Sqlite, None).await.expect("app");
    let db = chorus::store::connect(&app.settings).await.expect("db");
    chorus::app::demo::fill(&db, "pingshun-2025", 240, 5)
        .await
        .expect("demo");
    let mut answers = app.valid_answers("pingshun-2025-students", 4).await;
    answers.insert("suggestion".into(), json!(HOSTILE));
    let body = json!({"response_id": uuid::Uuid::new_v4(), "answers": answers});
    assert_eq!(
        app.post_json("/api/v1/surveys/pingshun-2025-students/responses", &body)
            .await
            .status(),
        201
    );
    let analysis: Value = app
        .get_auth("/api/v1/campaigns/pingshun-2025/analysis")
        .await
        .json()
        .await
        .expect("json");
    (app, analysis)
}

pub(crate) async fn download(app: &TestApp, ext: &str) -> Vec<u8> {
    let res = app
        .get_auth(&format!("/api/v1/campaigns/pingshun-2025/report.{ext}"))
        .await;
    assert_eq!(res.status(), 200, "report.{ext}");
    res.bytes().await.expect("body").to_vec()
}

fn composite(analysis: &Value) -> f64 {
    analysis["composite"]["combined"]["mean"]
        .as_f64()
        .expect("composite")
}

#[tokio::test]
async fn docx_has_heading_styles_tables_and_chart_images() {
    let (app, analysis) = app_with_data().await;
    let bytes = download(&app, "docx").await;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a DOCX is a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("document.xml")
        .read_to_string(&mut xml)
        .expect("utf-8");
    for heading in [
        "摘要",
        "一、调研背景与目的",
        "二、调研设计与实施",
        "五、评价结果",
        "七、主要问题",
        "八、对策建议",
        "附录",
    ] {
        assert!(xml.contains(&format!(">{heading}<")), "heading {heading}");
    }
    assert!(xml.contains("w:val=\"Heading1\""), "real heading styles");
    let mut styles = String::new();
    zip.by_name("word/styles.xml")
        .expect("styles.xml")
        .read_to_string(&mut styles)
        .expect("utf-8");
    assert!(
        styles.contains("w:outlineLvl"),
        "headings reach the navigation pane"
    );
    assert!(xml.contains("<w:tbl>"), "Word tables");
    assert!(
        xml.contains(&format!(">{:.1}<", composite(&analysis))),
        "composite from /analysis"
    );
    assert!(
        xml.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "hostile text escaped"
    );
    assert!(!xml.contains("<script>"));
    let media: Vec<String> = zip
        .file_names()
        .filter(|n| n.starts_with("word/media/") && n.ends_with(".png"))
        .map(str::to_string)
        .collect();
    assert!(media.len() >= 6, "charts embedded: {media:?}");
    for name in media {
        let mut png = Vec::new();
        zip.by_name(&name)
            .expect("media")
            .read_to_end(&mut png)
            .expect("read");
        // A complete PNG: signature, IHDR with the size, IEND at the end.
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}");
        assert_eq!(&png[12..16], b"IHDR");
        let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
        assert!(width >= 1000, "print resolution: {name} is {width} px wide");
        assert_eq!(
            &png[png.len() - 8..png.len() - 4],
            b"IEND",
            "{name} is complete"
        );
    }
    let mut footer = String::new();
    let footer_name = zip
        .file_names()
        .find(|n| n.starts_with("word/footer"))
        .map(str::to_string)
        .expect("footer");
    zip.by_name(&footer_name)
        .expect("footer")
        .read_to_string(&mut footer)
        .expect("utf-8");
    assert!(footer.contains("PAGE"), "page numbers");
}

#[tokio::test]
async fn xlsx_sheets_match_the_analysis_and_neutralise_formulas() {
    let (app, analysis) = app_with_data().await;
    let bytes = download(&app, "xlsx").await;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("xlsx");
    let names = wb.sheet_names();
    for sheet in [
        "first-level",
        "reliability",
        "gaps",
        "responses",
        "codebook",
    ] {
        assert!(
            names.iter().any(|n| n == sheet),
            "sheet {sheet} in {names:?}"
        );
    }
    let first = wb.worksheet_range("first-level").expect("sheet");
    let total = first
        .rows()
        .find(|r| r.first() == Some(&Data::String("TOTAL".into())))
        .expect("TOTAL row");
    let combined = total.last().and_then(|c| c.as_f64()).expect("number");
    assert!((combined - composite(&analysis)).abs() < 1e-9, "{combined}");
    let responses = wb.worksheet_range("responses").expect("sheet");
    let total_n: u64 = analysis["responses"]
        .as_object()
        .expect("n")
        .values()
        .map(|v| v.as_u64().expect("n"))
        .sum();
    assert_eq!(responses.height() as u64, total_n + 1);
    let hostile = responses
        .rows()
        .flat_map(|r| r.iter())
        .find_map(|c| match c {
            Data::String(s) if s.contains("HYPERLINK") => Some(s.clone()),
            _ => None,
        });
    assert_eq!(
        hostile.as_deref(),
        Some(format!("'{HOSTILE}").as_str()),
        "stored as inert text"
    );
    let codebook = wb.worksheet_range("codebook").expect("sheet");
    assert!(codebook
        .rows()
        .any(|r| r.iter().any(|c| c == &Data::String("S01".into()))));
}

#[tokio::test]
async fn pdf_has_chinese_headings_figures_and_inert_text() {
    let (app, analysis) = app_with_data().await;
    let bytes = download(&app, "pdf").await;
    assert!(bytes.starts_with(b"%PDF"));
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, &bytes).expect("write");
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils) must be installed; .ci/run installs it");
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "调研报告",
        "一、调研背景与目的",
        "四、信度检验",
        "八、对策建议",
        "附录 5 开放题分析",
    ] {
        assert!(text.contains(needle), "{needle} in PDF text");
    }
    assert!(text.contains(&format!("{:.1}", composite(&analysis))));
    assert!(
        text.contains("<script>alert(1)</script>"),
        "hostile text shown literally, not interpreted"
    );
    // Chinese fonts are embedded.
    assert!(
        bytes.windows(8).any(|w| w == b"FontFile"),
        "embedded font program"
    );
}

/// Headings, table and figure ids of the HTML report, as an insta snapshot.
#[tokio::test]
async fn html_report_structure_matches_snapshot() {
    let (app, _) = app_with_data().await;
    let html = String::from_utf8(download(&app, "html").await).expect("utf-8");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no external requests"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || html.contains("&#60;script&#62;"),
        "escaped"
    );
    assert!(!html.contains("<script>alert(1)"));
    let mut structure = Vec::new();
    for part in html.split('<').skip(1) {
        if let Some(rest) = part
            .strip_prefix("h1 class=\"h\"")
            .or_else(|| part.strip_prefix("h2 class=\"h\""))
        {
            structure.push(format!(
                "heading {}",
                rest.split('>').nth(1).unwrap_or_default()
            ));
        } else if let Some(rest) = part.strip_prefix("table id=\"") {
            structure.push(format!(
                "table {}",
                rest.split('"').next().unwrap_or_default()
            ));
        } else if let Some(rest) = part.strip_prefix("figure id=\"") {
            structure.push(format!(
                "figure {}",
                rest.split('"').next().unwrap_or_default()
            ));
        }
    }
    // Reviewed with `cargo insta review` (tests/api/snapshots/); never accepted in CI.
    insta::assert_snapshot!("report_structure", structure.join("\n"));
    assert!(html.matches("<svg").count() >= 7, "charts inline");
}

#[tokio::test]
async fn filters_and_language_are_applied_and_validated() {
    let (app, _) = app_with_data().await;
    let html = String::from_utf8(
        app.get_auth("/api/v1/campaigns/pingshun-2025/report.html?sector=herbs")
            .await
            .bytes()
            .await
            .expect("b")
            .to_vec(),
    )
    .expect("utf-8");
    assert!(html.contains("sector = herbs"), "filter named on the cover");
    let en = app
        .get_auth("/api/v1/campaigns/pingshun-2025/report.html?lang=en")
        .await;
    assert_eq!(en.status(), 200);
    let en = en.text().await.expect("t");
    for needle in [
        "1. Background and purpose",
        "The composite index",
        "Strongest second-level indicators",
        "Highest / lowest group",
        "scores low",
    ] {
        assert!(en.contains(needle), "English report has {needle:?}");
    }
    assert!(
        en.contains("<li>On &#34;") || en.contains("<li>On &quot;"),
        "recommendations in English"
    );
    let bad = app
        .get_auth("/api/v1/campaigns/pingshun-2025/report.html?lang=fr")
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(bad.json::<Value>().await.expect("json")["field"], "lang");
    let unknown = app
        .get_auth("/api/v1/campaigns/pingshun-2025/report.odt")
        .await;
    assert_eq!(unknown.status(), 404);
    let anon = app
        .client
        .get(app.url("/api/v1/campaigns/pingshun-2025/report.pdf"))
        .send()
        .await
        .expect("req");
    assert_eq!(anon.status(), 401);
}

#[tokio::test]
async fn evaluator_page_logs_in_with_a_cookie_and_lists_downloads() {
    let app = spawn_app(Backend::Sqlite, None).await.expect("app");
    let page = app
        .client
        .get(app.url("/admin"))
        .send()
        .await
        .expect("req")
        .text()
        .await
        .expect("t");
    assert!(page.contains("name=\"token\"") && !page.contains("report.docx"));

    let wrong = app
        .client
        .post(app.url("/admin/login"))
        .form(&[("token", "nope-nope-nope-nope")])
        .send()
        .await
        .expect("req");
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());

    let ok = app
        .client
        .post(app.url("/admin/login"))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .expect("req");
    assert_eq!(ok.status(), 303);
    let cookie = ok.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("pair").to_string();

    let listed = app
        .client
        .get(app.url("/admin"))
        .header("cookie", &pair)
        .send()
        .await
        .expect("req")
        .text()
        .await
        .expect("t");
    for link in [
        "report.html",
        "report.docx",
        "report.pdf",
        "report.xlsx",
        "responses.csv",
        "/s/pingshun-2025-students",
    ] {
        assert!(listed.contains(link), "{link}");
    }
    let xlsx = app
        .client
        .get(app.url("/api/v1/campaigns/pingshun-2025/report.xlsx"))
        .header("cookie", &pair)
        .send()
        .await
        .expect("req");
    assert_eq!(
        xlsx.status(),
        200,
        "the session cookie authorises downloads"
    );
}
