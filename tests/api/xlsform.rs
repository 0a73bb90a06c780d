//! XLSForm import and export: the real spreadsheets others wrote import correctly or are
//! refused precisely; a Chorus questionnaire survives a round trip through XLSForm; the
//! CLI and the upload endpoint write, check and publish.

use chorus::definitions;
use chorus::domain::{Audience, Question, QuestionKind, Survey};
use chorus::xlsform::{self, XlsProblem};
use rust_xlsxwriter::Workbook;

use crate::both_backends;
use crate::helpers::{copy_dir, repo_path, TestApp, TOKEN};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo_path(&format!("tests/fixtures/xlsform/{name}"))).expect("fixture")
}

fn import(bytes: &[u8]) -> Result<Survey, Vec<XlsProblem>> {
    xlsform::import(bytes, "t-students", Audience::Students, None).map(|i| i.survey)
}

fn q<'a>(s: &'a Survey, id: &str) -> &'a Question {
    s.question(id)
        .unwrap_or_else(|| panic!("question {id} in {s:#?}"))
}

fn codes(q: &Question) -> Vec<&str> {
    q.kind.choices().iter().map(|c| c.code.as_str()).collect()
}

fn has(problems: &[XlsProblem], sheet: &str, row: u32, column: &str, message: &str) -> bool {
    problems.iter().any(|p| {
        p.sheet == sheet
            && p.row == Some(row)
            && p.column.as_deref().is_some_and(|c| c.starts_with(column))
            && p.message.contains(message)
    })
}

#[test]
fn every_shared_fixture_imports_correctly_or_is_refused_precisely() {
    // Refused: external selects, choice_filter and OSM (sheet names in capitals).
    let p = import(&fixture("case_insensitivity.xlsx")).expect_err("refused");
    assert!(
        has(&p, "SURVEY", 3, "D (CHOICE_FILTER)", "cascading selects"),
        "{p:#?}"
    );
    assert!(has(&p, "SURVEY", 3, "A (TYPE)", "external"), "{p:#?}");
    assert!(has(&p, "SURVEY", 4, "A (TYPE)", "OpenStreetMap"), "{p:#?}");
    assert_eq!(p.len(), 3, "{p:#?}");

    // Refused: repeats (old "begin loop over" syntax), begin and end rows both named.
    let p = import(&fixture("loop.xlsx")).expect_err("refused");
    assert!(
        has(
            &p,
            "survey",
            3,
            "A (type)",
            "repeats and loops are not supported"
        ),
        "{p:#?}"
    );
    assert!(has(&p, "survey", 5, "A (type)", "repeats"), "{p:#?}");

    // Thousands of unnamed formatted columns are ignored.
    let s = import(&fixture("extra_columns.xlsx")).expect("imports");
    assert_eq!(s.questions().count(), 1);
    assert_eq!(q(&s, "a").text, "A");
    assert!(matches!(
        q(&s, "a").kind,
        QuestionKind::Text {
            max_length: 500,
            multiline: false,
            ..
        }
    ));

    // A group without a label becomes a page titled by its name; choices carry a
    // Chinese label and the plain label becomes English.
    let s = import(&fixture("field-list.xlsx")).expect("imports");
    assert_eq!(s.sections.len(), 1);
    assert_eq!(s.sections[0].title, "name");
    let t = q(&s, "table_list_question");
    assert_eq!(t.text, "table list question");
    assert_eq!(t.hint.as_deref(), Some("hint"));
    assert!(matches!(t.kind, QuestionKind::Single { other: false, .. }));
    assert_eq!(codes(t), ["yes", "no"]);
    let labels: Vec<(&str, Option<&str>)> = t
        .kind
        .choices()
        .iter()
        .map(|c| (c.label.as_str(), c.label_en.as_deref()))
        .collect();
    assert_eq!(labels, [("是", Some("Yes")), ("没有", Some("No"))]);

    // Questions before a group form their own page; "phone number" is text with a check.
    let s = import(&fixture("group.xlsx")).expect("imports");
    assert_eq!(s.sections.len(), 2);
    assert_eq!(s.sections[0].questions[0].id, "family_name");
    assert_eq!(s.sections[1].title, "Father");
    let ids: Vec<&str> = s.sections[1]
        .questions
        .iter()
        .map(|q| q.id.as_str())
        .collect();
    assert_eq!(ids, ["phone_number", "age"]);
    assert!(matches!(
        q(&s, "phone_number").kind,
        QuestionKind::Text { max_length: 20, .. }
    ));
    assert!(q(&s, "phone_number").constraint.is_some());
    assert!(matches!(q(&s, "age").kind, QuestionKind::Integer { .. }));
    assert_eq!(q(&s, "age").text, "How old is your father?");

    // Old "select one from … or specify other" spelling.
    let s = import(&fixture("specify_other.xlsx")).expect("imports");
    let sex = q(&s, "sex");
    assert!(matches!(sex.kind, QuestionKind::Single { other: true, .. }));
    assert_eq!(codes(sex), ["male", "female"]);
    assert_eq!(sex.text, "What sex are you?");

    let s = import(&fixture("text_and_integer.xlsx")).expect("imports");
    assert!(matches!(q(&s, "your_name").kind, QuestionKind::Text { .. }));
    assert!(matches!(
        q(&s, "your_age").kind,
        QuestionKind::Integer { .. }
    ));
    assert!(
        s.questions().all(|q| !q.required),
        "XLSForm questions are optional unless marked"
    );

    let s = import(&fixture("yes_or_no_question.xlsx")).expect("imports");
    let g = q(&s, "good_day");
    assert_eq!(g.text, "have you had a good day today?");
    assert_eq!(codes(g), ["yes", "no"]);
}

fn workbook(survey: &[&[&str]], choices: &[&[&str]], settings: &[&[&str]]) -> Vec<u8> {
    let mut wb = Workbook::new();
    for (name, rows) in [
        ("survey", survey),
        ("choices", choices),
        ("settings", settings),
    ] {
        if rows.is_empty() {
            continue;
        }
        let ws = wb.add_worksheet();
        ws.set_name(name).expect("name");
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32, c as u16, *v).expect("write");
                }
            }
        }
    }
    wb.save_to_buffer().expect("xlsx")
}

const HEAD: &[&str] = &[
    "type",
    "name",
    "label::中文 (zh)",
    "label::English (en)",
    "required",
    "relevant",
    "constraint",
    "constraint_message::中文 (zh)",
    "appearance",
    "parameters",
    "indicator",
    "reverse",
    "default",
];

const CHOICES: &[&[&str]] = &[
    &[
        "list_name",
        "name",
        "label::中文 (zh)",
        "label::English (en)",
    ],
    &["agree", "1", "非常不同意", "Strongly disagree"],
    &["agree", "2", "不同意", "Disagree"],
    &["agree", "3", "一般", "Neutral"],
    &["agree", "4", "同意", "Agree"],
    &["agree", "5", "非常同意", "Strongly agree"],
    &["yn", "yes", "是", "Yes"],
    &["yn", "no", "否", "No"],
    &["act", "visit", "参观", "Visit"],
    &["act", "talk", "讲座", "Talk"],
    &["act", "none", "都没有", "None"],
];

#[test]
fn logic_types_and_scoring_columns_map_to_chorus() {
    let survey: &[&[&str]] = &[
        HEAD,
        &[
            "begin group",
            "p1",
            "基本情况",
            "Background",
            "",
            "",
            "",
            "",
            "field-list",
        ],
        &[
            "select_one yn",
            "intern",
            "参加过实习吗？",
            "Interned?",
            "yes",
        ],
        &[
            "select_multiple act or_other",
            "acts",
            "参加过哪些活动？",
            "Which activities?",
            "no",
            "",
            "not(selected(., 'none') and count-selected(.) > 1)",
            "“都没有”不能与其他同选",
        ],
        &[
            "integer",
            "years",
            "工作几年？",
            "Years?",
            "${intern} = 'yes'",
            "${intern} = 'yes'",
            ". >= 0 and . <= 40",
        ],
        &["decimal", "hours", "每周实训小时数", "Hours", "no"],
        &["date", "start", "开始日期", "Start date", "no"],
        &["rank yn", "prefer", "排序", "Rank", "no"],
        &[
            "range",
            "nps",
            "推荐可能性",
            "Recommend",
            "no",
            "",
            "",
            "",
            "",
            "start=0 end=10 step=1",
        ],
        &["note", "n1", "以下为评价题", "Ratings follow"],
        &["end group"],
        &[
            "begin group",
            "p2",
            "评价",
            "Ratings",
            "",
            "${intern} = 'yes'",
            "",
            "",
            "field-list",
        ],
        &[
            "begin group",
            "m1",
            "请评价：",
            "Rate:",
            "",
            "",
            "",
            "",
            "table-list",
        ],
        &[
            "select_one agree",
            "S01",
            "设备先进",
            "Modern equipment",
            "yes",
            "",
            "",
            "",
            "",
            "",
            "B1",
        ],
        &[
            "select_one agree",
            "S02",
            "缺少指导",
            "Little guidance",
            "yes",
            "",
            "",
            "",
            "",
            "",
            "B1",
            "yes",
        ],
        &["end group"],
        &[
            "select_one agree",
            "S03",
            "总体满意",
            "Satisfied",
            "yes",
            "",
            "",
            "",
            "likert",
        ],
        &[
            "text",
            "why",
            "原因",
            "Why",
            "no",
            "",
            "",
            "",
            "multiline",
            "",
            "",
            "",
            "无",
        ],
        &["end group"],
    ];
    let bytes = workbook(
        survey,
        CHOICES,
        &[
            &["form_title", "form_id", "default_language"],
            &["实习调查", "intern_survey", "中文 (zh)"],
        ],
    );
    let imported =
        xlsform::import(&bytes, "t-students", Audience::Students, None).expect("imports");
    let s = imported.survey;
    assert_eq!(s.title, "实习调查");
    assert_eq!(imported.indicators, ["B1"]);
    assert_eq!(
        (s.scale.points, s.scale.labels[0].as_str()),
        (5, "非常不同意")
    );
    assert_eq!(
        s.scale.labels_en.as_ref().map(|l| l[4].as_str()),
        Some("Strongly agree")
    );
    assert_eq!(s.sections.len(), 2);
    assert_eq!(s.sections[0].title_en.as_deref(), Some("Background"));
    assert_eq!(
        s.sections[1].relevant.as_ref().map(|e| e.source()),
        Some("${intern} = 'yes'")
    );
    let intern = q(&s, "intern");
    assert!(intern.required);
    assert_eq!(intern.text_en.as_deref(), Some("Interned?"));
    let acts = q(&s, "acts");
    assert!(matches!(
        acts.kind,
        QuestionKind::Multiple { other: true, .. }
    ));
    assert_eq!(
        acts.constraint_message.as_deref(),
        Some("“都没有”不能与其他同选")
    );
    let years = q(&s, "years");
    assert_eq!(
        years.required_if.as_ref().map(|e| e.source()),
        Some("${intern} = 'yes'")
    );
    assert_eq!(
        years.relevant.as_ref().map(|e| e.source()),
        Some("${intern} = 'yes'")
    );
    assert!(matches!(q(&s, "hours").kind, QuestionKind::Decimal { .. }));
    assert!(matches!(q(&s, "start").kind, QuestionKind::Date { .. }));
    assert!(matches!(q(&s, "prefer").kind, QuestionKind::Ranking { .. }));
    assert!(matches!(
        q(&s, "nps").kind,
        QuestionKind::Rating {
            min: 0,
            max: 10,
            ..
        }
    ));
    assert!(matches!(q(&s, "n1").kind, QuestionKind::Note));
    // The table-list group is a Likert matrix of scored items.
    for (id, reverse) in [("S01", false), ("S02", true)] {
        let item = q(&s, id);
        assert_eq!(item.matrix.as_ref().map(|m| m.id.as_str()), Some("m1"));
        assert_eq!(
            item.matrix.as_ref().map(|m| m.text.as_str()),
            Some("请评价：")
        );
        assert!(
            matches!(&item.kind, QuestionKind::Likert { indicator: Some(i), reverse: r } if i == "B1" && *r == reverse)
        );
    }
    assert!(
        matches!(
            &q(&s, "S03").kind,
            QuestionKind::Likert {
                indicator: None,
                ..
            }
        ),
        "likert appearance without indicator: asked, not scored"
    );
    assert!(matches!(
        q(&s, "why").kind,
        QuestionKind::Text {
            multiline: true,
            ..
        }
    ));
    assert_eq!(q(&s, "why").default.as_deref(), Some("无"));

    // The imported questionnaire validates answers like a native one.
    let raw = serde_json::json!({"intern": "no", "acts": ["none", "visit"], "years": 50});
    let errors = chorus::domain::NewResponse::parse(
        &s,
        uuid::Uuid::nil(),
        raw.as_object().expect("obj"),
        &serde_json::Map::new(),
    )
    .expect_err("constraint");
    assert_eq!(
        errors.len(),
        1,
        "years is hidden, so its bad value is discarded: {errors:?}"
    );
    assert_eq!(
        (errors[0].code.as_str(), errors[0].field.as_str()),
        ("constraint", "acts")
    );
}

#[test]
fn importer_mistakes_are_named_by_sheet_row_and_column() {
    let base: Vec<&[&str]> = vec![
        HEAD,
        &["select_one yn", "a", "甲", "A", "yes"],
        &["integer", "b", "乙", "B", "yes"],
    ];
    // (what, survey rows, row of the problem, column, message)
    type Case<'a> = (&'a str, Vec<&'a [&'a str]>, u32, &'a str, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "unknown type",
            vec![HEAD, &["dropdown yn", "a", "甲"]],
            2,
            "A (type)",
            "unknown or unsupported question type",
        ),
        (
            "missing list",
            vec![HEAD, &["select_one nope", "a", "甲"]],
            2,
            "A (type)",
            "choice list \"nope\" is not on the choices sheet",
        ),
        (
            "duplicate name",
            vec![HEAD, &["text", "a", "甲"], &["text", "a", "乙"]],
            3,
            "B (name)",
            "used twice",
        ),
        (
            "name with a hyphen",
            vec![HEAD, &["text", "first-name", "甲"]],
            2,
            "B (name)",
            "not valid in Chorus",
        ),
        (
            "label missing",
            vec![HEAD, &["text", "a", ""]],
            2,
            "C (label::中文 (zh))",
            "no label in the default language",
        ),
        (
            "relevant refers to a later question",
            vec![
                HEAD,
                &["text", "a", "甲", "", "", "${b} = 1"],
                &["integer", "b", "乙"],
            ],
            2,
            "F (relevant)",
            "comes later",
        ),
        (
            "relevant refers to an unknown question",
            vec![HEAD, &["text", "a", "甲", "", "", "${zz} = 1"]],
            2,
            "F (relevant)",
            "not a question in this form",
        ),
        (
            "bad expression",
            vec![
                HEAD,
                &["text", "a", "甲"],
                &["text", "b", "乙", "", "", "${a} = = 1"],
            ],
            3,
            "F (relevant)",
            "a value is expected here",
        ),
        (
            "unsupported function",
            vec![
                HEAD,
                &["text", "a", "甲"],
                &[
                    "text",
                    "b",
                    "乙",
                    "",
                    "",
                    "pulldata('x', 'y', 'z', 'w') = 1",
                ],
            ],
            3,
            "F (relevant)",
            "unknown function \"pulldata\"",
        ),
        (
            "cyclic relevant",
            vec![HEAD, &["text", "a", "甲", "", "", "${a} != ''"]],
            2,
            "F (relevant)",
            "cyclic reference",
        ),
        (
            "indicator on a non-likert list",
            vec![
                HEAD,
                &["select_one yn", "a", "甲", "", "", "", "", "", "", "", "B1"],
            ],
            2,
            "K (indicator)",
            "coded 1, 2, 3",
        ),
        (
            "range with a fractional step",
            vec![
                HEAD,
                &[
                    "range",
                    "a",
                    "甲",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "start=0 end=5 step=0.5",
                ],
            ],
            2,
            "J (parameters)",
            "step 0.5 is not supported",
        ),
        (
            "reverse on a text",
            vec![
                HEAD,
                &["text", "a", "甲", "", "", "", "", "", "", "", "", "yes"],
            ],
            2,
            "L (reverse)",
            "reverse applies only to Likert",
        ),
        (
            "geopoint",
            vec![HEAD, &["geopoint", "a", "甲"]],
            2,
            "A (type)",
            "location questions",
        ),
        (
            "calculate",
            vec![HEAD, &["calculate", "a", "甲"]],
            2,
            "A (type)",
            "calculated fields",
        ),
        (
            "repeat",
            vec![HEAD, &["begin repeat", "r", "甲"]],
            2,
            "A (type)",
            "repeats",
        ),
        (
            "media",
            vec![HEAD, &["image", "a", "甲"]],
            2,
            "A (type)",
            "media and file questions",
        ),
        (
            "time",
            vec![HEAD, &["time", "a", "甲"]],
            2,
            "A (type)",
            "use date",
        ),
        (
            "end group alone",
            vec![HEAD, &["text", "a", "甲"], &["end group"]],
            3,
            "A (type)",
            "without a matching begin group",
        ),
        (
            "formula default",
            vec![
                HEAD,
                &["text", "a", "甲"],
                &[
                    "text",
                    "b",
                    "乙",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "concat(${a}, 'x')",
                ],
            ],
            3,
            "M (default)",
            "only fixed default values",
        ),
    ];
    assert_eq!(base.len(), 3);
    let mut seen = std::collections::HashSet::new();
    for (what, rows, row, column, message) in cases {
        assert!(seen.insert(message), "{what}: duplicate case");
        let bytes = workbook(&rows, CHOICES, &[]);
        let problems = import(&bytes).expect_err(what);
        assert!(
            has(&problems, "survey", row, column, message),
            "{what}: {problems:#?}"
        );
        let shown = problems[0].to_string();
        assert!(shown.starts_with("sheet survey, row "), "{shown}");
    }
    // A group never closed names the row where it opened.
    let bytes = workbook(
        &[HEAD, &["begin group", "g", "组"], &["text", "a", "甲"]],
        CHOICES,
        &[],
    );
    let p = import(&bytes).expect_err("unclosed");
    assert!(
        p.iter()
            .any(|p| p.row == Some(2) && p.message.contains("never closed")),
        "{p:#?}"
    );
    // Not a spreadsheet at all.
    let p = import(b"type,name\ntext,a\n").expect_err("csv");
    assert!(p[0].message.contains("not a readable spreadsheet"), "{p:?}");
    // An indicator the campaign does not define.
    let info = definitions::load_campaign(&repo_path("surveys/pingshun-2025"))
        .expect("campaign")
        .info;
    let bytes = workbook(
        &[
            HEAD,
            &[
                "select_one agree",
                "a",
                "甲",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "Z9",
            ],
        ],
        CHOICES,
        &[],
    );
    let p = xlsform::import(&bytes, "x", Audience::Students, Some(&info.framework))
        .expect_err("unknown indicator");
    assert!(
        has(&p, "survey", 2, "K (indicator)", "unknown indicator \"Z9\""),
        "{p:#?}"
    );
}

/// Issue #3: every Chorus questionnaire exports as an XLSForm that imports again to an
/// identical definition; and the TOML writer is the inverse of the TOML reader.
#[test]
fn default_campaign_round_trips_through_xlsform_and_toml() {
    let campaign =
        definitions::load_campaign(&repo_path("surveys/pingshun-2025")).expect("campaign");
    assert_eq!(campaign.surveys.len(), 3);
    for original in &campaign.surveys {
        let bytes = xlsform::to_xlsx(original).expect("export");
        let back = xlsform::import(
            &bytes,
            &original.slug,
            original.audience,
            Some(&campaign.info.framework),
        )
        .unwrap_or_else(|p| panic!("{}: {p:#?}", original.slug));
        assert_eq!(&back.survey, original, "{} through XLSForm", original.slug);

        let dir = tempfile::tempdir().expect("dir");
        let folder = dir.path().join("pingshun-2025");
        copy_dir(&repo_path("surveys/pingshun-2025"), &folder);
        let file = folder.join(format!("{}.toml", original.audience.as_str()));
        std::fs::write(
            &file,
            definitions::survey_writer::to_toml(original, "round trip"),
        )
        .expect("write");
        let reread = definitions::load_campaign(&folder).expect("written file loads");
        let again = reread
            .surveys
            .iter()
            .find(|s| s.slug == original.slug)
            .expect("survey");
        assert_eq!(again, original, "{} through TOML", original.slug);
    }
    // The default questionnaire exercises the types the issue asks for.
    let students = &campaign
        .surveys
        .iter()
        .find(|s| s.audience == Audience::Students)
        .expect("students");
    assert!(
        students.questions().any(|q| q.matrix.is_some()),
        "a Likert matrix"
    );
    assert!(
        students.questions().any(|q| q.relevant.is_some()),
        "a skip rule"
    );
    assert!(
        students.questions().any(|q| q.kind.has_other()),
        "an other, please specify"
    );
}

#[test]
fn cli_imports_into_a_new_campaign_and_exports_again() {
    let bin = env!("CARGO_BIN_EXE_chorus");
    let dir = tempfile::tempdir().expect("dir");
    let surveys = dir.path().join("surveys");
    std::fs::create_dir_all(&surveys).expect("mkdir");
    let env = [
        ("CHORUS_SURVEYS_DIR", surveys.display().to_string()),
        (
            "CHORUS_DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display()),
        ),
    ];
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .envs(env.clone())
            .output()
            .expect("run")
    };
    // The default student questionnaire, exported and imported as a new campaign.
    let xlsx = dir.path().join("students.xlsx");
    let out = std::process::Command::new(bin)
        .args([
            "export-xlsform",
            "--survey",
            "pingshun-2025-students",
            "--out",
        ])
        .arg(&xlsx)
        .env("CHORUS_SURVEYS_DIR", repo_path("surveys"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "import",
        xlsx.to_str().expect("path"),
        "--campaign",
        "county-2026",
        "--audience",
        "students",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("created campaign county-2026"), "{stdout}");
    assert!(
        stdout.contains("county-2026-students v1 published"),
        "{stdout}"
    );
    let campaign = definitions::load_campaign(&surveys.join("county-2026"))
        .expect("a valid campaign was written");
    let codes: Vec<&str> = campaign
        .info
        .framework
        .subs()
        .map(|(_, s)| s.code.as_str())
        .collect();
    for code in ["B1", "B2", "C1", "C2", "C3", "C4", "D1", "D2", "D3", "E3"] {
        assert!(
            codes.contains(&code),
            "flat framework has {code}: {codes:?}"
        );
    }
    // Importing again without --replace is refused and changes nothing.
    let before = std::fs::read_to_string(surveys.join("county-2026/students.toml")).expect("file");
    let out = run(&[
        "import",
        xlsx.to_str().expect("path"),
        "--campaign",
        "county-2026",
        "--audience",
        "students",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--replace"));
    // A spreadsheet with problems is refused with positions, nothing written.
    let out = run(&[
        "import",
        repo_path("tests/fixtures/xlsform/loop.xlsx")
            .to_str()
            .expect("p"),
        "--campaign",
        "county-2026",
        "--audience",
        "teachers",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("loop.xlsx: sheet survey, row 3, column A (type): repeats"),
        "{stdout}"
    );
    assert!(!surveys.join("county-2026/teachers.toml").exists());
    assert_eq!(
        std::fs::read_to_string(surveys.join("county-2026/students.toml")).expect("file"),
        before
    );
}

both_backends!(upload_endpoint_imports_publishes_and_serves);

async fn upload_endpoint_imports_publishes_and_serves(app: TestApp) {
    let path = "/api/v1/campaigns/herbs-2026/xlsform?audience=enterprises";
    let body = fixture("specify_other.xlsx");
    let anonymous = app
        .client
        .post(app.url(path))
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(anonymous.status(), 401);

    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(TOKEN)
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    let created: serde_json::Value = res.json().await.expect("json");
    assert_eq!(created["slug"], "herbs-2026-enterprises");
    assert_eq!(created["version"], 1);
    assert_eq!(created["created_campaign"], true);

    // The page is served and an answer with "other, please specify" is stored.
    let page = app
        .client
        .get(app.url("/s/herbs-2026-enterprises"))
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .expect("html")
        .contains("What sex are you?"));
    let res = app
        .post_json(
            "/api/v1/surveys/herbs-2026-enterprises/responses",
            &serde_json::json!({"response_id": uuid::Uuid::new_v4(), "answers": {"sex": "other"}}),
        )
        .await;
    assert_eq!(res.status(), 422, "other needs its text");
    let res = app
        .post_json(
            "/api/v1/surveys/herbs-2026-enterprises/responses",
            &serde_json::json!({"response_id": uuid::Uuid::new_v4(), "answers": {"sex": "other", "sex_other": "不便透露"}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let csv = app
        .get_auth("/api/v1/campaigns/herbs-2026/responses.csv")
        .await
        .text()
        .await
        .expect("csv");
    let header = csv.lines().next().expect("header");
    assert!(header.contains("sex,sex_other"), "{header}");
    assert!(csv.contains("other,不便透露"), "{csv}");

    // Uploading again without replace=true: 409, and a broken sheet: 422 with positions.
    let again = app
        .client
        .post(app.url(path))
        .bearer_auth(TOKEN)
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(again.status(), 409);
    let bad = app
        .client
        .post(app.url("/api/v1/campaigns/herbs-2026/xlsform?audience=teachers"))
        .bearer_auth(TOKEN)
        .body(fixture("loop.xlsx"))
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status(), 422);
    let err: serde_json::Value = bad.json().await.expect("json");
    assert_eq!(err["error"], "invalid_xlsform");
    assert!(
        err["problems"][0]
            .as_str()
            .expect("problem")
            .starts_with("sheet survey, row 3, column A (type)"),
        "{err}"
    );

    // Download as XLSForm and read it back.
    let xlsx = app
        .get_auth("/api/v1/surveys/herbs-2026-enterprises/xlsform")
        .await;
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.expect("bytes");
    let back = xlsform::import(
        &bytes,
        "herbs-2026-enterprises",
        Audience::Enterprises,
        None,
    )
    .expect("re-import");
    assert!(matches!(
        back.survey.question("sex").map(|q| &q.kind),
        Some(QuestionKind::Single { other: true, .. })
    ));
    let anonymous = app
        .client
        .get(app.url("/api/v1/surveys/herbs-2026-enterprises/xlsform"))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status(), 401);
}
