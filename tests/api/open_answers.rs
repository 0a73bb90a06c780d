//! Open answers (issue #18): students, teachers and two enterprises write comments,
//! some with personal information in them. `/analysis` reads them per group through
//! the disclosure gate (the enterprises' two stay hidden), segmented with the
//! campaign's dictionary, coded into its themes, compared between groups, redacted;
//! the report's appendix shows the same in all four formats; only an admin's raw data
//! keeps the text as written.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!("tests/fixtures/open_answers" => open_answers_are_read_per_group_safely);

/// What respondent 5 wrote, and what must never be shown from it.
const PERSONAL: &str = "王小明同学说实训设备坏了，电话13912345678，微信号: wx_abc123，邮箱a.b@example.com，身份证110101200001011234，QQ：2345678";
const SECRETS: [&str; 8] = [
    "13912345678",
    "wx_abc123",
    "a.b@example.com",
    "110101200001011234",
    "2345678",
    "王小明",
    "红星农业公司",
    "6012345",
];

const STUDENTS: [(&str, &str); 8] = [
    ("s1", "订单班的实训设备太旧了，希望更新设备"),
    ("s1", "订单班的实训设备不够用"),
    ("s1", "顶岗实习时间太短，希望延长顶岗实习"),
    ("s1", "顶岗实习的岗位和专业不对口"),
    ("s1", PERSONAL),
    ("s2", "实训设备太旧"),
    ("s2", "食堂饭菜一般"),
    ("s2", "订单班很好"),
];

const TEACHERS: [&str; 6] = [
    "希望学校多培养双师型教师",
    "双师型教师培训机会太少",
    "教师培训经费不足",
    "企业参与教学不够，双师型教师少",
    "希望增加教师培训",
    "教师下企业锻炼的机会少",
];

const ENTERPRISES: [&str; 2] = [
    "红星农业公司希望学生实习更稳定",
    "实习学生很认真，联系0355-6012345",
];

fn no_secrets(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows {s:?}");
    }
}

fn group<'a>(text: &'a Value, g: &str) -> &'a Value {
    text["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|x| x["group"] == g)
        .unwrap_or_else(|| panic!("group {g}"))
}

/// Ten more students of 一校 and six more teachers say the same: enough words for a
/// difference between the groups to be significant.
const MORE_STUDENTS: (usize, &str) = (10, "实训设备需要更新");
const MORE_TEACHERS: (usize, &str) = (6, "双师型教师太少");

async fn arrange(app: &TestApp) {
    let more_students = std::iter::repeat_n(("s1", MORE_STUDENTS.1), MORE_STUDENTS.0);
    for (school, comment) in STUDENTS.into_iter().chain(more_students) {
        app.submit(
            "open-students",
            json!({"school": school, "q1": 4, "comment": comment}),
        )
        .await;
    }
    let more_teachers = std::iter::repeat_n(MORE_TEACHERS.1, MORE_TEACHERS.0);
    for comment in TEACHERS.into_iter().chain(more_teachers) {
        app.submit(
            "open-teachers",
            json!({"school": "s1", "q1": 3, "comment": comment}),
        )
        .await;
    }
    for comment in ENTERPRISES {
        app.submit(
            "open-enterprises",
            json!({"school": "s1", "q1": 5, "comment": comment}),
        )
        .await;
    }
}

async fn download(app: &TestApp, token: &str, path: &str) -> Vec<u8> {
    let res = app.get_ok_as(token, path).await;
    res.bytes().await.expect("body").to_vec()
}

fn shows_all(what: &str, text: &str, needles: &[&str]) {
    for n in needles {
        assert!(text.contains(n), "{what}: {n}");
    }
}

async fn open_answers_are_read_per_group_safely(app: TestApp) {
    // Arrange
    arrange(&app).await;

    // Act
    let analysis: Value = app
        .get_auth("/api/v1/campaigns/open/analysis")
        .await
        .json()
        .await
        .expect("json");

    // Assert: who wrote, per group; the enterprises' two are below the minimum of 5.
    let text = &analysis["text"];
    let students = group(text, "students");
    assert_eq!(students["respondents"], 18);
    assert_eq!(students["suppressed"], "no");
    assert_eq!(group(text, "teachers")["respondents"], 12);
    let enterprises = group(text, "enterprises");
    assert_eq!(enterprises["respondents"], 2);
    assert_eq!(enterprises["suppressed"], "primary");
    for list in ["terms", "phrases", "themes", "quotes", "uncoded_answers"] {
        assert_eq!(enterprises[list], json!([]), "{list}");
    }
    assert!(!text.to_string().contains("认真"), "hidden words leak");

    // Themes: equipment 14 of 18 (answers 1, 2, 5, 6 and the ten more), internship 2 of
    // 18, with Wilson intervals (scipy 1.17.1 binomtest(k, 18).proportion_ci(method=
    // 'wilson')).
    let themes = students["themes"].as_array().expect("themes");
    let share = |code: &str| {
        themes
            .iter()
            .find(|t| t["code"] == code)
            .unwrap_or_else(|| panic!("{code}"))
    };
    let close = |v: &Value, x: f64| (v.as_f64().expect("number") - x).abs() < 1e-5;
    let eq = share("equipment");
    assert_eq!(eq["respondents"], 14);
    assert!(close(&eq["share"], 77.777_778) && close(&eq["ci_low"], 54.785_416));
    assert!(close(&eq["ci_high"], 90.999_072), "{eq}");
    let int = share("internship");
    assert_eq!(int["respondents"], 2);
    assert!(close(&int["ci_low"], 3.101_952) && close(&int["ci_high"], 32.799_765));
    assert_eq!(share("teachers")["respondents"], 0);
    // Answers in no theme, for the evaluator to read, in the order received.
    assert_eq!(students["uncoded"], 2);
    assert_eq!(
        students["uncoded_answers"],
        json!(["食堂饭菜一般", "订单班很好"])
    );

    // The campaign's dictionary keeps 订单班 and 顶岗实习 whole.
    let terms: Vec<(String, u64)> = students["terms"]
        .as_array()
        .expect("terms")
        .iter()
        .map(|t| {
            (
                t["term"].as_str().expect("term").to_string(),
                t["documents"].as_u64().expect("documents"),
            )
        })
        .collect();
    assert!(terms.contains(&("订单班".into(), 3)), "{terms:?}");
    assert!(terms.contains(&("顶岗实习".into(), 2)), "{terms:?}");
    assert!(!terms.iter().any(|(t, _)| t == "订单"), "{terms:?}");

    // Distinctive terms: students against teachers only (enterprises are hidden).
    let distinctive = text["distinctive"].as_array().expect("distinctive");
    let of = |g: &str| {
        distinctive
            .iter()
            .find(|d| d["group"] == g)
            .unwrap_or_else(|| panic!("{g}"))
    };
    assert_eq!(of("students")["against"], json!(["teachers"]));
    let words = |g: &str| -> Vec<String> {
        of(g)["terms"]
            .as_array()
            .expect("terms")
            .iter()
            .map(|t| t["term"].as_str().expect("term").to_string())
            .collect()
    };
    assert!(
        words("students").contains(&"设备".to_string()),
        "{:?}",
        words("students")
    );
    assert!(
        words("teachers").contains(&"双师型".to_string()),
        "{:?}",
        words("teachers")
    );

    // The school breakdown: the 3 students of 二校 are below the minimum, and 一校's
    // 15 would give them away as the difference with the 18.
    let cells = text["breakdowns"][0]["cells"].as_array().expect("cells");
    let cell = |g: &str, v: &str| {
        cells
            .iter()
            .find(|c| c["group"] == g && c["value"] == v)
            .unwrap_or_else(|| panic!("{g} {v}"))
    };
    assert_eq!(cell("students", "s2")["suppressed"], "primary");
    assert_eq!(cell("students", "s1")["suppressed"], "secondary");
    assert_eq!(cell("students", "s1")["terms"], json!([]));
    assert_eq!(cell("teachers", "s1")["suppressed"], "no");

    // Nothing personal anywhere in the analysis.
    no_secrets("/analysis", &analysis.to_string());

    // A view of 二校 alone: its 3 students' texts are not shown.
    let s2: Value = app
        .get_auth("/api/v1/campaigns/open/analysis?school=s2")
        .await
        .json()
        .await
        .expect("json");
    let students_s2 = group(&s2["text"], "students");
    assert_eq!(students_s2["suppressed"], "primary");
    assert_eq!(students_s2["terms"], json!([]));

    // The report's appendix, in all four formats.
    let token = crate::helpers::TOKEN;
    let html = String::from_utf8(download(&app, token, "/api/v1/campaigns/open/report.html").await)
        .expect("utf-8");
    shows_all(
        "HTML",
        &html,
        &[
            "附录 5 开放题分析",
            "开放题主题分布",
            "实训条件",
            "77.8%",
            "特色词",
            "代表性回答",
            "未归入任何主题的回答",
            "食堂饭菜一般",
        ],
    );
    no_secrets("HTML report", &html);
    let en = String::from_utf8(
        download(&app, token, "/api/v1/campaigns/open/report.html?lang=en").await,
    )
    .expect("utf-8");
    shows_all(
        "English HTML",
        &en,
        &[
            "A5 Open answers",
            "Training facilities",
            "distinctive terms",
        ],
    );
    let docx = download(&app, token, "/api/v1/campaigns/open/report.docx").await;
    let mut zip = zip::ZipArchive::new(Cursor::new(docx)).expect("zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("document")
        .read_to_string(&mut xml)
        .expect("xml");
    assert!(
        xml.contains("开放题分析") && xml.contains("实训条件"),
        "DOCX"
    );
    no_secrets("DOCX report", &xml);
    let pdf = download(&app, token, "/api/v1/campaigns/open/report.pdf").await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    let pdf_text = String::from_utf8_lossy(&out.stdout);
    assert!(pdf_text.contains("开放题分析"), "PDF");
    assert!(pdf_text.contains("实训条件"), "PDF");
    no_secrets("PDF report", &pdf_text);

    // The spreadsheet: a sheet per table, and the raw sheet as the reader may see it.
    let xlsx = download(&app, token, "/api/v1/campaigns/open/report.xlsx").await;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).expect("xlsx");
    for sheet in [
        "text-summary",
        "text-themes",
        "text-distinctive-students",
        "text-terms-students",
        "text-quotes-students",
        "text-uncoded-students",
    ] {
        assert!(wb.worksheet_range(sheet).is_ok(), "sheet {sheet}");
    }
    let themes = wb.worksheet_range("text-themes").expect("themes");
    assert!(themes
        .rows()
        .any(|r| r.iter().any(|c| c == &Data::String("实训条件".into()))));
    let cells = |wb: &mut Xlsx<Cursor<Vec<u8>>>, sheet: &str| -> String {
        wb.worksheet_range(sheet)
            .expect(sheet)
            .rows()
            .flat_map(|r| r.iter().map(|c| c.to_string()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for sheet in wb.sheet_names() {
        if sheet != "responses" {
            no_secrets(&format!("sheet {sheet}"), &cells(&mut wb, &sheet));
        }
    }
    // The admin's raw data keeps the text as written ...
    assert!(cells(&mut wb, "responses").contains(PERSONAL));
    let (header, rows) = app.export_csv("open").await;
    let comment = header.iter().position(|h| h == "comment").expect("comment");
    assert!(rows.iter().any(|r| &r[comment] == PERSONAL));

    // ... a school evaluator's has it redacted, in the CSV and in the spreadsheet.
    let school = crate::workspace::school_token(&app, "s1").await;
    let csv =
        String::from_utf8(download(&app, &school, "/api/v1/campaigns/open/responses.csv").await)
            .expect("utf-8");
    assert!(
        csv.contains("〔姓名〕同学说实训设备坏了，电话〔电话〕，微信号〔微信号〕，邮箱〔邮箱〕，身份证〔身份证号〕，QQ〔QQ号〕"),
        "{csv}"
    );
    no_secrets("a school's CSV", &csv);
    let xlsx = download(&app, &school, "/api/v1/campaigns/open/report.xlsx").await;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).expect("xlsx");
    let raw = cells(&mut wb, "responses");
    assert!(raw.contains("〔电话〕"), "{raw}");
    no_secrets("a school's raw sheet", &raw);

    // The workspace page shows the same, redacted and gated; a school's evaluator
    // sees nothing of another school's students.
    let cookie = crate::workspace::login(&app, token).await;
    let page = crate::workspace::html_of(&app, "/admin/campaigns/open/text", &cookie).await;
    shows_all(
        "workspace",
        &page,
        &[
            "开放题 · Open answers",
            "实训条件",
            "77.8% [54.8, 91.0] n=14",
            "特色词",
            "双师型",
            "食堂饭菜一般",
            "样本不足（少于 5 人）",
        ],
    );
    no_secrets("the workspace page", &page);
    let school_cookie = crate::workspace::login(&app, &school).await;
    let page = crate::workspace::html_of(&app, "/admin/campaigns/open/text", &school_cookie).await;
    assert!(page.contains("仅显示学校"), "{page}");
    for other in ["食堂饭菜一般", "订单班很好"] {
        assert!(!page.contains(other), "二校's answer {other} shown to 一校");
    }
    no_secrets("a school's workspace page", &page);
}
