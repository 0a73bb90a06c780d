//! `chorus check`: the shipped definitions pass; broken copies are reported at the
//! exact line and column of the mistake.

use std::path::Path;
use std::process::Command;

use chorus::definitions::{check_paths, line_col};

use crate::helpers::{copy_dir, repo_path};

#[test]
fn every_shipped_definition_file_passes() {
    let dir = repo_path("surveys/pingshun-2025");
    for entry in std::fs::read_dir(&dir).expect("dir") {
        let path = entry.expect("entry").path();
        let problems = check_paths(std::slice::from_ref(&path));
        assert!(problems.is_empty(), "{}: {problems:?}", path.display());
    }
    assert!(check_paths(&[repo_path("surveys")]).is_empty());
    assert!(check_paths(&[repo_path("tests/fixtures/surveys")]).is_empty());
}

/// Position of the `nth` occurrence of `needle` in `text` plus `offset` bytes.
fn position(text: &str, needle: &str, nth: usize, offset: usize) -> (usize, usize) {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} #{nth} not in text"))
        .0;
    line_col(text, start + offset)
}

struct Case {
    what: &'static str,
    file: &'static str,
    from: &'static str,
    to: &'static str,
    /// Which occurrence of `to` in the edited file the problem points at, and the
    /// byte offset into it.
    nth: usize,
    offset: usize,
    message: &'static str,
}

#[test]
fn broken_copies_report_file_line_and_column() {
    let cases = [
        Case { what: "unknown indicator", file: "students.toml", from: "indicator = \"C1\"", to: "indicator = \"C9\"", nth: 0, offset: 12, message: "unknown indicator \"C9\"" },
        Case { what: "duplicate question id", file: "students.toml", from: "id = \"S02\"", to: "id = \"S01\"", nth: 1, offset: 5, message: "question id \"S01\" is used twice" },
        Case { what: "unknown question type", file: "teachers.toml", from: "type = \"likert\"", to: "type = \"likret\"", nth: 0, offset: 7, message: "unknown question type \"likret\"" },
        Case { what: "unknown key", file: "enterprises.toml", from: "reverse = true", to: "revers = true", nth: 0, offset: 0, message: "unknown field `revers`" },
        Case { what: "reverse on a choice question", file: "students.toml", from: "attribute = \"grade\"", to: "attribute = \"grade\"\nreverse = true", nth: 0, offset: 30, message: "reverse applies only to likert items" },
        Case { what: "duplicate choice code", file: "students.toml", from: "{ code = \"g2\"", to: "{ code = \"g1\"", nth: 1, offset: 9, message: "choice code \"g1\" is used twice" },
        Case { what: "empty choice list", file: "teachers.toml", from: "choices = [\n  { code = \"yes\", label = \"是\" },\n  { code = \"no\", label = \"否\" },\n  { code = \"applying\", label = \"正在申报\" },\n]", to: "choices = []", nth: 0, offset: 10, message: "empty choice list" },
        Case { what: "unknown audience", file: "students.toml", from: "audience = \"students\"", to: "audience = \"pupils\"", nth: 0, offset: 11, message: "unknown audience \"pupils\"" },
        Case { what: "scale labels miscounted", file: "students.toml", from: "labels = [\"非常不同意\", ", to: "labels = [", nth: 0, offset: 9, message: "5 points but 4 labels" },
        Case { what: "first-level weights off", file: "campaign.toml", from: "weight = 0.15\n\n[[indicator.sub]]\ncode = \"A1\"", to: "weight = 0.25\n\n[[indicator.sub]]\ncode = \"A1\"", nth: 0, offset: 9, message: "first-level indicator weights sum to 1.1000" },
        Case { what: "second-level weights off", file: "campaign.toml", from: "weight = 0.40\n\n[[indicator.sub]]\ncode = \"B2\"", to: "weight = 0.45\n\n[[indicator.sub]]\ncode = \"B2\"", nth: 0, offset: 9, message: "under \"B\" sum to 1.0500" },
        Case { what: "duplicate indicator code", file: "campaign.toml", from: "code = \"E5\"", to: "code = \"E4\"", nth: 1, offset: 7, message: "indicator code \"E4\" is defined twice" },
        Case { what: "unknown group", file: "campaign.toml", from: "teachers = 0.3", to: "mentors = 0.3", nth: 0, offset: 0, message: "unknown group \"mentors\"" },
        Case { what: "unterminated string", file: "enterprises.toml", from: "title = \"二、合作机制与投入\"", to: "title = \"二、合作机制与投入", nth: 0, offset: 0, message: "" },
    ];
    for case in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let campaign = dir.path().join("pingshun-2025");
        copy_dir(&repo_path("surveys/pingshun-2025"), &campaign);
        let path = campaign.join(case.file);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.contains(case.from),
            "{}: fixture text changed",
            case.what
        );
        let broken = text.replacen(case.from, case.to, 1);
        std::fs::write(&path, &broken).expect("write");

        let problems = check_paths(std::slice::from_ref(&campaign));

        let (line, col) = position(&broken, case.to, case.nth, case.offset);
        let found = problems
            .iter()
            .find(|p| p.file == path.display().to_string() && p.message.contains(case.message));
        let found = found.unwrap_or_else(|| {
            panic!(
                "{}: no problem mentioning {:?} in {problems:#?}",
                case.what, case.message
            )
        });
        if case.what == "unterminated string" {
            // The parser reports where the string breaks: on that line.
            assert_eq!(found.line, line, "{}: {found}", case.what);
        } else {
            assert_eq!(
                (found.line, found.col),
                (line, col),
                "{}: {found}",
                case.what
            );
        }
        let shown = found.to_string();
        assert!(
            shown.starts_with(&format!(
                "{}:{}:{}: ",
                path.display(),
                found.line,
                found.col
            )),
            "{shown}"
        );
    }
}

#[test]
fn check_command_exits_non_zero_and_prints_positions() {
    let bin = env!("CARGO_BIN_EXE_chorus");
    let ok = Command::new(bin)
        .args(["check", "surveys"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let campaign = dir.path().join("pingshun-2025");
    copy_dir(&repo_path("surveys/pingshun-2025"), &campaign);
    let file = campaign.join("students.toml");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text.replacen("indicator = \"B1\"", "indicator = \"Q7\"", 1)
            .replacen("type = \"single\"", "type = \"dropdown\"", 1),
    )
    .expect("write");
    let out = Command::new(bin)
        .arg("check")
        .arg(&campaign)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with(&file.display().to_string()))
        .collect();
    assert_eq!(lines.len(), 2, "both problems in one run: {stdout}");
    assert!(stdout.contains("unknown indicator \"Q7\""));
    assert!(stdout.contains("unknown question type \"dropdown\""));
    assert!(Path::new(&file).exists());
}

/// Issue #5: a matrix with CR ≥ 0.10 is refused with its CR shown, at the matrix.
#[test]
fn inconsistent_ahp_matrix_is_refused_with_its_cr() {
    let cases = [
        (
            "top = [[1, 3, 5], [0.3333333333, 1, 3], [0.2, 0.3333333333, 1]]",
            "top = [[1, 3, 0.3333333333], [0.3333333333, 1, 3], [3, 0.3333333333, 1]]",
            "CR = 1.149",
        ),
        (
            "top = [[1, 3, 5], [0.3333333333, 1, 3], [0.2, 0.3333333333, 1]]",
            "top = [[1, 3, 5], [0.5, 1, 3], [0.2, 0.3333333333, 1]]",
            "must be reciprocal",
        ),
        (
            "B = [[1, 2], [0.5, 1]]",
            "B = [[1, 2, 3], [0.5, 1]]",
            "a 2x2 matrix is needed",
        ),
        (
            "weights = \"ahp\"",
            "weights = \"ahp\"\nmin_cell_size = 0",
            "min_cell_size 0 must be at least 1",
        ),
        (
            "weights = \"ahp\"",
            "weights = \"delphi\"",
            "weights \"delphi\" is not known",
        ),
    ];
    for (from, to, message) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let campaign = dir.path().join("ahp");
        copy_dir(&repo_path("tests/fixtures/surveys/ahp"), &campaign);
        let path = campaign.join("campaign.toml");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from));
        let broken = text.replacen(from, to, 1);
        std::fs::write(&path, &broken).expect("write");

        let problems = check_paths(std::slice::from_ref(&campaign));

        let found = problems.iter().find(|p| p.message.contains(message));
        let found = found.unwrap_or_else(|| panic!("{message}: {problems:#?}"));
        let (line, _) = position(&broken, to.lines().last().expect("line"), 0, 0);
        assert_eq!(found.line, line, "{found}");
    }
}
