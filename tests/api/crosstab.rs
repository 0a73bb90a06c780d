//! Issue #16, the workspace's cross-tabulation (`/admin/campaigns/{key}/crosstab` and
//! its `.xlsx`): rows by an attribute or a single-choice answer against a score, a
//! scale or a choice question, with the test, through the same disclosure gate as
//! every other output; a school's evaluator sees their school only.
//!
//! Fixture: `tests/fixtures/surveys/crosstab`, students only, min_cell_size = 5. The
//! layout below is built so that the naive rule (publish every row of ≥ 5) would give a
//! small group away: school s1 has 3 students placed with a partner firm, school s2 has
//! 11, and the campaign's 14 minus school s2's 11 is s1's 3. The gate must hide the
//! campaign's "firm" row (and, to protect it, "self"), while school s2's rows stand.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{TestApp, TOKEN};
use crate::workspace::{audit_trail, html_of, login, school_token};

both_backends!(
    "tests/fixtures/surveys" =>
    cross_tabulation_publishes_through_the_gate_and_tests_published_rows,
    the_crosstab_api_gives_the_table_as_json
);

/// (school, sector, placement, how many): q1 = base + (j mod 2) for the j-th of them
/// (base: firm 4, self 2, none 1), q2 = 3; help wanted: firm → mentor, self → mentor
/// and kit, none → kit.
const LAYOUT: [(&str, &str, &str, usize); 6] = [
    ("s1", "ec", "firm", 3),
    ("s1", "ec", "self", 10),
    ("s2", "ec", "firm", 6),
    ("s2", "ec", "self", 10),
    ("s2", "herbs", "firm", 5),
    ("s2", "herbs", "none", 5),
];

async fn fill(app: &TestApp) {
    for (school, sector, place, n) in LAYOUT {
        let (base, help) = match place {
            "firm" => (4, json!(["mentor"])),
            "self" => (2, json!(["mentor", "kit"])),
            _ => (1, json!(["kit"])),
        };
        for j in 0..n {
            let q1 = base + (j % 2) as i64;
            let answers = json!({
                "school": school, "sector": sector, "place": place, "help": help,
                "q1": q1, "q2": 3
            });
            app.submit("crosstab-students", answers).await;
        }
    }
}

/// The cells of the table row whose header is `label`, or `None` without that row.
fn row(html: &str, label: &str) -> Option<String> {
    let start = html.find(&format!("<th scope=\"row\">{label}</th>"))?;
    let rest = &html[start..];
    Some(rest[..rest.find("</tr>").unwrap_or(rest.len())].to_string())
}

fn shown(cells: &str, text: &str) -> bool {
    cells.contains(&format!("<span class=\"v\">{text}</span>"))
}

fn hidden(cells: &str) -> bool {
    cells.contains("class=\"hid\"")
}

const PAGE: &str = "/admin/campaigns/crosstab/crosstab";

async fn cross_tabulation_publishes_through_the_gate_and_tests_published_rows(app: TestApp) {
    fill(&app).await;
    let anon = app
        .client
        .get(app.url(&format!("{PAGE}?group=students")))
        .send()
        .await
        .expect("page");
    assert_eq!(anon.status(), 303, "no session: back to the login");
    let cookie = login(&app, TOKEN).await;

    // Placement × q1 over the campaign: "firm" (14) is hidden, because inside school
    // s1's block its 3 cannot stand alone, and "self" with it; "none" (5) stands. One
    // published row: no test.
    let whole = html_of(
        &app,
        &format!("{PAGE}?group=students&rows=q:place&target=q:q1"),
        &cookie,
    )
    .await;
    assert!(whole.contains("<table id=\"crosstab\">"), "{whole}");
    let firm = row(&whole, "合作企业").expect("firm row");
    assert!(hidden(&firm) && firm.contains("为防止反推"), "{firm}");
    assert!(
        !firm.contains("4.4") && !firm.contains("4.3"),
        "no mean: {firm}"
    );
    assert!(hidden(&row(&whole, "自行联系").expect("self row")));
    let none = row(&whole, "未实习").expect("none row");
    assert!(shown(&none, "1.4"), "none: mean of 1,2,1,2,1 = 1.4: {none}");
    assert!(whole.contains("不作检验"), "one published row, no test");

    // School s2: all three rows stand; Kruskal–Wallis over them. Reference (scipy
    // 1.11): kruskal([4,5,4,5,4,5,4,5,4,5,4], [2,3]*5, [1,2,1,2,1]) → H = 21.3709677,
    // p = 2.287e-05; means 4.4545 (SD 0.5222), 2.5, 1.4.
    let s2 = html_of(
        &app,
        &format!("{PAGE}?group=students&rows=q:place&target=q:q1&school=s2"),
        &cookie,
    )
    .await;
    let firm = row(&s2, "合作企业").expect("firm row");
    assert!(shown(&firm, "4.5") && firm.contains("0.5"), "{firm}");
    assert!(shown(&row(&s2, "自行联系").expect("self"), "2.5"));
    assert!(shown(&row(&s2, "未实习").expect("none"), "1.4"));
    assert!(
        s2.contains("H(2) = 21.37") && s2.contains("p &#60; 0.001"),
        "{s2}"
    );
    assert!(s2.contains("<svg"), "the chart");

    // School s1: its 3 are below the minimum, the 10 hidden with them.
    let s1 = html_of(
        &app,
        &format!("{PAGE}?group=students&rows=q:place&target=q:q1&school=s1"),
        &cookie,
    )
    .await;
    let firm = row(&s1, "合作企业").expect("firm row");
    assert!(hidden(&firm) && firm.contains("样本不足"), "{firm}");
    assert!(hidden(&row(&s1, "自行联系").expect("self")));

    // Sector × placement (a single-choice target): counts and row shares, χ². ec: firm
    // 9, self 20, none 0; herbs: firm 5, self 0, none 5. Reference (scipy 1.11):
    // chi2_contingency([[9,20,0],[5,0,5]], correction=False) → χ² = 22.1416256,
    // p = 1.556e-05, dof 2; association(..., method="cramer") = 0.7534812.
    let by_sector = html_of(
        &app,
        &format!("{PAGE}?group=students&rows=attr:sector&target=q:place"),
        &cookie,
    )
    .await;
    let ec = row(&by_sector, "电子商务").expect("ec row");
    assert!(shown(&ec, "31.0") && ec.contains("n=9"), "9 of 29: {ec}");
    assert!(shown(&ec, "69.0") && ec.contains("n=20"), "{ec}");
    let herbs = row(&by_sector, "中药材").expect("herbs row");
    assert!(shown(&herbs, "50.0") && herbs.contains("n=5"), "{herbs}");
    assert!(
        by_sector.contains("χ²(2) = 22.14") && by_sector.contains("V = 0.753"),
        "{by_sector}"
    );

    // A multiple-choice target: shares of the row choosing each option, one test each.
    let help = html_of(
        &app,
        &format!("{PAGE}?group=students&rows=attr:sector&target=q:help"),
        &cookie,
    )
    .await;
    let herbs = row(&help, "中药材").expect("herbs row");
    assert!(
        shown(&herbs, "50.0") && herbs.contains("n=5"),
        "mentor 5 of 10: {herbs}"
    );
    assert!(
        help.contains("逐项卡方检验") && help.contains("Holm"),
        "{help}"
    );

    // Schools × the composite: the same cells as the results explorer's breakdown.
    let db = chorus::store::connect(&app.settings).await.expect("db");
    let analysis =
        chorus::app::analyse::load_and_analyse(&db, &Default::default(), "crosstab", &[], false)
            .await
            .expect("analysis")
            .expect("campaign")
            .analysis;
    let by_school = html_of(
        &app,
        &format!("{PAGE}?group=students&rows=attr:school&target=ind:TOTAL"),
        &cookie,
    )
    .await;
    let breakdown = analysis
        .breakdowns
        .iter()
        .find(|b| b.attribute == "school")
        .expect("school breakdown");
    for v in &breakdown.values {
        let cell = &v.composite.by_group[&chorus::domain::Audience::Students];
        let label = if v.value == "s1" { "一校" } else { "二校" };
        let cells = row(&by_school, label).unwrap_or_else(|| panic!("{label}: {by_school}"));
        match cell.mean {
            Some(m) => assert!(shown(&cells, &format!("{m:.1}")), "{cells}"),
            None => assert!(hidden(&cells), "{cells}"),
        }
    }

    // The workbook: the same table, numbers as numbers, hidden rows as their reason.
    let res =
        app.client
            .get(app.url(
                "/admin/campaigns/crosstab/crosstab.xlsx?group=students&rows=q:place&target=q:q1",
            ))
            .header("Cookie", &cookie)
            .send()
            .await
            .expect("xlsx");
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.expect("bytes").to_vec();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("xlsx");
    let sheet = wb.worksheet_range("交叉表").expect("sheet");
    let find = |label: &str| {
        sheet
            .rows()
            .find(|r| r.first() == Some(&Data::String(label.into())))
            .map(|r| r.to_vec())
            .unwrap_or_else(|| panic!("{label}"))
    };
    let none = find("未实习");
    assert_eq!(none[1], Data::Float(5.0));
    assert!(
        matches!(none[2], Data::Float(m) if (m - 1.4).abs() < 1e-9),
        "{none:?}"
    );
    let firm = find("合作企业");
    assert!(
        matches!(&firm[2], Data::String(s) if s.contains("为防止反推")),
        "{firm:?}"
    );

    // Bad parameters: named.
    for (query, field) in [
        ("group=robots", "group"),
        ("group=students&rows=q:nope", "rows"),
        ("group=students&rows=q:place&target=q:place", "target"),
        ("group=students&colour=red", "colour"),
    ] {
        let res = app
            .client
            .get(app.url(&format!("{PAGE}?{query}")))
            .header("Cookie", &cookie)
            .send()
            .await
            .expect("page");
        assert_eq!(res.status(), 422, "{query}");
        assert!(res.text().await.expect("html").contains(field), "{query}");
    }

    // A school's evaluator: their school only, wherever the rows come from.
    let school_cookie = login(&app, &school_token(&app, "s2").await).await;
    let own = html_of(
        &app,
        &format!("{PAGE}?group=students&rows=attr:school&target=ind:TOTAL"),
        &school_cookie,
    )
    .await;
    assert!(row(&own, "二校").is_some(), "{own}");
    assert!(
        !own.contains("一校") && !own.contains("\"s1\""),
        "nothing of s1: {own}"
    );
    let res = app
        .client
        .get(app.url(&format!("{PAGE}?group=students&school=s1")))
        .header("Cookie", &school_cookie)
        .send()
        .await
        .expect("page");
    assert_eq!(res.status(), 403);

    let audit = audit_trail(&app).await.to_string();
    assert!(audit.contains("crosstab.view") && audit.contains("crosstab.download"));

    // Views are cached per data version: asked again, the same page; after one more
    // response, the new count (and the old one no more).
    let again = html_of(
        &app,
        &format!("{PAGE}?group=students&rows=q:place&target=q:q1&school=s1"),
        &cookie,
    )
    .await;
    assert_eq!(again, s1, "the cached view");
    let total = |html: &str| row(html, "合计 · total").expect("total row");
    assert!(shown(&total(&s1), "<strong>13</strong>"), "{}", total(&s1));
    let extra =
        json!({"school": "s1", "sector": "ec", "place": "self", "help": ["kit"], "q1": 3, "q2": 3});
    app.submit("crosstab-students", extra).await;
    let after = html_of(
        &app,
        &format!("{PAGE}?group=students&rows=q:place&target=q:q1&school=s1"),
        &cookie,
    )
    .await;
    assert!(
        shown(&total(&after), "<strong>14</strong>"),
        "{}",
        total(&after)
    );
}

/// The API door gives the page's table as JSON: the same gate (a hidden row has its
/// state and no numbers), the same tests against the same scipy references, parameters
/// at fault named, the token's school kept.
async fn the_crosstab_api_gives_the_table_as_json(app: TestApp) {
    fill(&app).await;
    let api = "/api/v1/campaigns/crosstab/crosstab";
    let get = |query: &'static str| {
        let app = &app;
        async move {
            let res = app.get_auth(&format!("{api}?{query}")).await;
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.expect("json"))
        }
    };
    let row = |body: &Value, label: &str| {
        body["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["label"] == label)
            .cloned()
            .unwrap_or_else(|| panic!("row {label}: {body}"))
    };
    // School s2 × placement, q1's mean: Kruskal–Wallis H = 21.3709677 (scipy 1.11,
    // as in the page test above).
    let (status, s2) = get("group=students&rows=q:place&target=q:q1&school=s2").await;
    assert_eq!(status, 200, "{s2}");
    assert_eq!(s2["measure"], "mean");
    assert_eq!(s2["filters"], json!(["school=s2"]));
    assert_eq!(s2["test"]["test"], "kruskal_wallis");
    let h = s2["test"]["result"]["h"].as_f64().expect("H");
    assert!((h - 21.3709677).abs() < 1e-6, "H = {h}");
    let firm = row(&s2, "合作企业");
    assert_eq!(firm["n"], 11);
    let mean = firm["cells"][0]["mean"].as_f64().expect("mean");
    assert!((mean - 4.4545454).abs() < 1e-6, "{firm}");

    // The whole campaign: the firm row is hidden (3 + 6 + 5 across schools, s1's 3
    // below the minimum give it away), with no numbers.
    let (_, whole) = get("group=students&rows=q:place&target=q:q1").await;
    let firm = row(&whole, "合作企业");
    assert_ne!(firm["state"], "no", "{firm}");
    assert_eq!(firm["cells"], json!([]), "no cells for a hidden row");

    // Sector × placement: χ² = 22.1416256, V = 0.7534812 (scipy 1.11).
    let (_, by_sector) = get("group=students&rows=attr:sector&target=q:place").await;
    assert_eq!(by_sector["measure"], "shares");
    assert_eq!(by_sector["test"]["test"], "chi_square");
    let chi = &by_sector["test"]["result"];
    assert!((chi["chi2"].as_f64().expect("chi2") - 22.1416256).abs() < 1e-6);
    assert!((chi["cramers_v"].as_f64().expect("V") - 0.7534812).abs() < 1e-6);
    let ec = row(&by_sector, "电子商务");
    assert_eq!(ec["cells"][0]["n"], 9);
    // A multiple-choice target: one test per option.
    let (status, help) = get("group=students&rows=attr:sector&target=q:help").await;
    assert_eq!(status, 200, "{help}");
    assert_eq!(help["test"]["test"], "chi_square_per_option");

    for (query, field) in [
        ("group=nobody", "group"),
        ("group=students&rows=attr:nothing", "rows"),
        ("group=students&target=q:nothing", "target"),
        ("group=students&school=", "school"),
    ] {
        let res = app.get_auth(&format!("{api}?{query}")).await;
        assert_eq!(res.status(), 422, "{query}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["field"], field, "{query}: {body}");
    }
    let none = app.client.get(app.url(api)).send().await.expect("get");
    assert_eq!(none.status(), 401);
    let school = school_token(&app, "s1").await;
    let other = app
        .client
        .get(app.url(&format!("{api}?group=students&school=s2")))
        .bearer_auth(&school)
        .send()
        .await
        .expect("get");
    assert_eq!(other.status(), 403, "a school token stays in its school");
    let audit = audit_trail(&app).await.to_string();
    assert!(audit.contains("crosstab.view") && audit.contains("q:place"));
}
