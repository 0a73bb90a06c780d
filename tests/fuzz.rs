//! Bounded fuzzing (proptest) of every parser that reads outside input: the expression
//! language, questionnaire definition files, XLSForm workbooks and submitted answers.
//! Each target must return a value or a located error — never panic, hang or grow
//! without bound. Cases per target: `CHORUS_FUZZ_CASES` (default 1,000; XLSForm a
//! quarter of it, each case writes a workbook). The totals are printed for
//! docs/security.md.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chorus::definitions::{load_campaign, survey_file};
use chorus::domain::expr::{Context, Expression, V};
use chorus::domain::{Audience, NewResponse};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value};

fn cases() -> u32 {
    std::env::var("CHORUS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Every case of one target must finish quickly: a hang shows up as a failure.
fn bounded<T>(what: &str, input: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "{what} took {:?} on {input:?}",
        t.elapsed()
    );
    out
}

struct Answers;

impl Context for Answers {
    fn value(&self, name: &str) -> V {
        match name.len() % 3 {
            0 => V::Str(String::new()),
            1 => V::Num(name.len() as f64),
            _ => V::Str("a b".into()),
        }
    }

    fn current(&self) -> V {
        V::Str("2025-06-01".into())
    }
}

/// Token soup in the expression language's vocabulary, plus arbitrary text.
fn expression_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("${q1}".to_string()),
        Just("${".to_string()),
        Just(".".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just(",".to_string()),
        Just("'yes'".to_string()),
        Just("'".to_string()),
        Just("\"x".to_string()),
        Just(" and ".to_string()),
        Just(" or ".to_string()),
        Just(" div ".to_string()),
        Just(" mod ".to_string()),
        Just("-".to_string()),
        Just("<=".to_string()),
        Just("!=".to_string()),
        Just("=".to_string()),
        Just("selected(".to_string()),
        Just("count-selected(".to_string()),
        Just("regex(., '".to_string()),
        Just("if(".to_string()),
        Just("not(".to_string()),
        Just("coalesce(".to_string()),
        Just("string-length(".to_string()),
        Just("today()".to_string()),
        Just("pulldata(".to_string()),
        "[0-9]{1,30}(\\.[0-9]{0,5})?",
        "[a-z_]{1,8}",
        "\\PC{0,4}",
    ];
    prop_oneof![
        prop::collection::vec(token, 0..60).prop_map(|v| v.concat()),
        "\\PC{0,200}",
        (1usize..400).prop_map(|n| "(".repeat(n) + "1" + &")".repeat(n)),
        (1usize..400).prop_map(|n| "not(".repeat(n)),
        (1usize..200).prop_map(|n| "-".repeat(n) + "1"),
    ]
}

#[test]
fn expression_parser_never_panics() {
    let n = cases();
    let parsed = std::cell::Cell::new(0u32);
    runner(n)
        .run(&expression_text(), |src| {
            if let Ok(e) = bounded("parse", &src, || Expression::parse(&src)) {
                parsed.set(parsed.get() + 1);
                bounded("evaluate", &src, || e.truthy(&Answers));
                let _ = e.references();
            }
            Ok(())
        })
        .expect("expression fuzzing");
    println!(
        "fuzz: expression parser, {n} cases ({} parsed)",
        parsed.get()
    );
}

/// Mutations of a real definition file: byte edits, cut lines, swapped lines, junk.
fn mutated(text: String) -> impl Strategy<Value = String> {
    let len = text.len();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let nl = lines.len();
    let edit = (0..len.max(1), "\\PC{0,6}");
    prop_oneof![
        prop::collection::vec(edit, 1..8).prop_map({
            let text = text.clone();
            move |edits| {
                let mut bytes = text.clone().into_bytes();
                for (at, junk) in edits {
                    let at = at.min(bytes.len());
                    bytes.splice(at..at, junk.into_bytes());
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }
        }),
        (0..nl.max(1), 0..nl.max(1)).prop_map({
            let lines = lines.clone();
            move |(a, b)| {
                let mut l = lines.clone();
                if a < l.len() && b < l.len() {
                    l.swap(a, b);
                    l.remove(a.min(b));
                }
                l.join("\n")
            }
        }),
        (0..len.max(1)).prop_map({
            let text = text.clone();
            move |cut| {
                let mut c = cut.min(text.len());
                while !text.is_char_boundary(c) {
                    c -= 1;
                }
                text[..c].to_string()
            }
        }),
    ]
}

#[test]
fn definition_parser_never_panics() {
    let n = cases();
    let refused = std::cell::Cell::new(0u32);
    for file in [
        "surveys/pingshun-2025/students.toml",
        "tests/fixtures/surveys/alltypes/students.toml",
    ] {
        let path = repo(file);
        let text = std::fs::read_to_string(&path).expect("definition");
        runner(n / 2)
            .run(&mutated(text), |src| {
                let head: String = src.chars().take(80).collect();
                let out = bounded("definition", &head, || {
                    survey_file::parse(&path, &src, None)
                });
                if let Err(problems) = out {
                    refused.set(refused.get() + 1);
                    assert!(!problems.is_empty(), "an error names its problems");
                }
                Ok(())
            })
            .expect("definition fuzzing");
    }
    println!(
        "fuzz: definition parser, {n} cases ({} refused with problems)",
        refused.get()
    );
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-10i64..12).prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,40}".prop_map(Value::String),
        // Free text as people type it: emoji, RTL, zero-width, NUL.
        prop::sample::select(vec![
            "好👍🏽",
            "مرحبا",
            "a\u{200b}b",
            "a\u{0}b",
            "\u{202e}evil",
            "=SUM(A1)",
            "<script>",
        ])
        .prop_map(|s| Value::String(s.to_string())),
        "[a-z_]{1,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn answer_decoder_never_panics_and_keeps_only_known_keys() {
    let campaign = load_campaign(&repo("tests/fixtures/surveys/alltypes")).expect("fixture");
    let survey = campaign
        .surveys
        .iter()
        .find(|s| s.audience == Audience::Students)
        .expect("students")
        .clone();
    let keys = survey.answer_keys();
    let key = prop_oneof![
        prop::sample::select(keys.clone()),
        "[a-z_]{1,10}",
        "\\PC{0,12}",
    ];
    let body = (
        prop::collection::btree_map(key, json_value(), 0..40),
        prop::collection::btree_map("[a-z]{1,8}", json_value(), 0..4),
    );
    let n = cases();
    let accepted = std::cell::Cell::new(0u32);
    runner(n)
        .run(&body, |(answers, attributes)| {
            let raw: Map<String, Value> = answers.into_iter().collect();
            let attrs: Map<String, Value> = attributes.into_iter().collect();
            let out = bounded("answers", "", || {
                NewResponse::parse(&survey, uuid::Uuid::new_v4(), &raw, &attrs)
            });
            match out {
                Ok(r) => {
                    accepted.set(accepted.get() + 1);
                    for k in r.answers.keys() {
                        prop_assert!(keys.contains(k), "unknown key {k:?} kept");
                    }
                }
                Err(errors) => prop_assert!(!errors.is_empty()),
            }
            Ok(())
        })
        .expect("answer fuzzing");
    println!(
        "fuzz: answer decoder, {n} cases ({} accepted)",
        accepted.get()
    );
}

/// Random XLSForm workbooks: real column names and types, random cells.
#[test]
fn xlsform_importer_never_panics() {
    let header = [
        "type",
        "name",
        "label",
        "relevant",
        "constraint",
        "required",
        "appearance",
    ];
    let cell = prop_oneof![
        prop::sample::select(vec![
            "integer",
            "text",
            "select_one yn",
            "select_multiple yn",
            "begin_group",
            "end_group",
            "begin repeat",
            "note",
            "range",
            "rank yn",
            "date",
            "geopoint",
            "calculate",
            "select one from yn",
            "likert",
            "yes",
            "no",
            "${q1} = 'yes'",
            ". > 3",
            "table-list",
            "field-list",
            "q1",
            "q2",
            "yn",
        ])
        .prop_map(str::to_string),
        "\\PC{0,12}",
        Just(String::new()),
    ];
    let rows = prop::collection::vec(prop::collection::vec(cell.clone(), 7), 0..25);
    let choices = prop::collection::vec(prop::collection::vec(cell, 3), 0..10);
    let n = (cases() / 4).max(10);
    let imported = std::cell::Cell::new(0u32);
    runner(n)
        .run(
            &(rows, choices, any::<bool>()),
            |(rows, choices, with_choices)| {
                let mut wb = rust_xlsxwriter::Workbook::new();
                let ws = wb.add_worksheet().set_name("survey").expect("sheet");
                for (c, h) in header.iter().enumerate() {
                    ws.write_string(0, c as u16, *h).expect("write");
                }
                for (r, row) in rows.iter().enumerate() {
                    for (c, v) in row.iter().enumerate() {
                        ws.write_string(r as u32 + 1, c as u16, v).expect("write");
                    }
                }
                if with_choices {
                    let ws = wb.add_worksheet().set_name("choices").expect("sheet");
                    for (c, h) in ["list_name", "name", "label"].iter().enumerate() {
                        ws.write_string(0, c as u16, *h).expect("write");
                    }
                    for (r, row) in choices.iter().enumerate() {
                        for (c, v) in row.iter().enumerate() {
                            ws.write_string(r as u32 + 1, c as u16, v).expect("write");
                        }
                    }
                }
                let bytes = wb.save_to_buffer().expect("xlsx");
                let out = bounded("xlsform", "", || {
                    chorus::xlsform::import(&bytes, "fuzz", Audience::Students, None)
                });
                match out {
                    Ok(_) => imported.set(imported.get() + 1),
                    Err(problems) => prop_assert!(!problems.is_empty()),
                }
                Ok(())
            },
        )
        .expect("xlsform fuzzing");
    // Not a workbook at all.
    runner(n)
        .run(&prop::collection::vec(any::<u8>(), 0..2000), |bytes| {
            prop_assert!(
                chorus::xlsform::import(&bytes, "fuzz", Audience::Students, None).is_err()
            );
            Ok(())
        })
        .expect("xlsform bytes");
    println!(
        "fuzz: XLSForm importer, {n} workbooks ({} imported) + {n} byte strings",
        imported.get()
    );
}
