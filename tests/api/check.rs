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
        Case { what: "unknown quality flag", file: "campaign.toml", from: "exclude = []", to: "exclude = [\"speeding\"]", nth: 0, offset: 11, message: "unknown flag \"speeding\" in exclude; use \"speeder\"" },
        Case { what: "speeder fraction out of range", file: "campaign.toml", from: "speeder_fraction = 0.3", to: "speeder_fraction = 3", nth: 0, offset: 19, message: "speeder_fraction 3 must be within 0..1" },
        Case { what: "unknown quality key", file: "campaign.toml", from: "max_missing_share = 0.5", to: "max_missing = 0.5", nth: 0, offset: 0, message: "unknown field `max_missing`" },
        Case { what: "unknown group", file: "campaign.toml", from: "teachers = 0.3", to: "mentors = 0.3", nth: 0, offset: 0, message: "unknown group \"mentors\"" },
        Case { what: "attention row beyond the scale", file: "students.toml", from: "{ id = \"S02\", indicator = \"B1\", text", to: "{ id = \"S02\", expect = 9, text", nth: 0, offset: 23, message: "expect = 9 is beyond the scale's 5 points" },
        Case { what: "scored attention row", file: "students.toml", from: "{ id = \"S03\", indicator = \"B1\",", to: "{ id = \"S03\", indicator = \"B1\", expect = 4,", nth: 0, offset: 26, message: "is an attention check (expect = …), which is never scored; remove indicator" },
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
            "min_cell_size = 1",
            "min_cell_size = 0",
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

/// A broken copy of `students.toml`: `from` → `to`; the problem must sit at `mark`
/// inside `to` plus `offset` bytes.
struct LogicCase {
    what: &'static str,
    from: &'static str,
    to: &'static str,
    mark: &'static str,
    offset: usize,
    message: &'static str,
}

/// Issue #3: question types, display logic and constraints — every mistake at its
/// own line and column (expression errors at the bad token).
#[test]
fn broken_logic_and_types_report_file_line_and_column() {
    let intern_text = "text = \"你是否参加过企业的认知实习、跟岗实习或岗位实习？\"";
    let cases = [
        LogicCase { what: "relevant refers to a later question", from: "relevant = \"${bg_intern} = 'yes'\"", to: "relevant = \"${S16} = 'yes'\"", mark: "${S16}", offset: 0, message: "comes later in the questionnaire" },
        LogicCase { what: "relevant refers to an unknown question", from: "relevant = \"${bg_intern} = 'yes'\"", to: "relevant = \"${bg_intrn} = 'yes'\"", mark: "${bg_intrn}", offset: 0, message: "not a question in this file" },
        LogicCase { what: "relevant refers to itself", from: intern_text, to: "text = \"你是否参加过企业的认知实习、跟岗实习或岗位实习？\"\nrelevant = \"${bg_intern} = 'yes'\"", mark: "${bg_intern}", offset: 0, message: "refers to itself: a cyclic reference" },
        LogicCase { what: "two questions refer to each other", from: "attribute = \"grade\"\nchoices = [\n  { code = \"g1\", label = \"一年级\" },\n  { code = \"g2\", label = \"二年级\" },\n  { code = \"g3\", label = \"三年级（含顶岗实习）\" },\n]\n\n[[section.question]]\nid = \"bg_intern\"\ntype = \"single\"\n", to: "attribute = \"grade\"\nrelevant = \"${bg_intern} = 'yes'\"\nchoices = [\n  { code = \"g1\", label = \"一年级\" },\n  { code = \"g2\", label = \"二年级\" },\n  { code = \"g3\", label = \"三年级（含顶岗实习）\" },\n]\n\n[[section.question]]\nid = \"bg_intern\"\ntype = \"single\"\nrelevant = \"${bg_grade} != 'g1'\"\n", mark: "${bg_intern}", offset: 0, message: "cyclic reference: bg_grade → bg_intern → bg_grade" },
        LogicCase { what: "bad expression syntax", from: "count-selected(.) > 1)", to: "count-selected(.) >)", mark: ">)", offset: 1, message: "a value is expected here" },
        LogicCase { what: "unknown function", from: "not(selected(., 'none')", to: "not(selectd(., 'none')", mark: "selectd", offset: 0, message: "unknown function \"selectd\"" },
        LogicCase { what: "dot outside a constraint", from: "relevant = \"${bg_intern} = 'yes'\"", to: "relevant = \"${bg_intern} = 'yes' and . > 1\"", mark: ". > 1", offset: 0, message: "allowed only in constraint" },
        LogicCase { what: "constraint names its own question", from: "count-selected(.) > 1)", to: "count-selected(${bg_activities}) > 1)", mark: "${bg_activities}", offset: 0, message: "write . for the answer being checked" },
        LogicCase { what: "min_selected above max_selected", from: "other = true\nchoices = [\n  { code = \"visit\"", to: "other = true\nmin_selected = 3\nmax_selected = 2\nchoices = [\n  { code = \"visit\"", mark: "min_selected = 3", offset: 15, message: "min_selected 3 is greater than max_selected 2" },
        LogicCase { what: "explicit other choice beside other = true", from: "  { code = \"pszg\", label = \"平顺县职业高级中学\" },\n", to: "  { code = \"pszg\", label = \"平顺县职业高级中学\" },\n  { code = \"other\", label = \"其他\" },\n", mark: "\"other\"", offset: 0, message: "added by other = true" },
        LogicCase { what: "likert statement without indicator", from: "{ id = \"S01\", indicator = \"B1\", ", to: "{ id = \"S01\", ", mark: "\"S01\"", offset: 0, message: "has no indicator" },
        LogicCase { what: "scored = false with an indicator", from: "{ id = \"S02\", indicator = \"B1\"", to: "{ id = \"S02\", scored = false, indicator = \"B1\"", mark: "\"B1\"", offset: 0, message: "scored = false and an indicator" },
        LogicCase { what: "default is not a valid answer", from: "text = \"你目前就读几年级？\"", to: "text = \"你目前就读几年级？\"\ndefault = \"g9\"", mark: "\"g9\"", offset: 0, message: "default \"g9\" is not a valid answer" },
        LogicCase { what: "min on a text question", from: "multiline = true\nmax_length = 500", to: "multiline = true\nmin = 3\nmax_length = 500", mark: "min = 3", offset: 6, message: "min does not apply to a text question" },
        LogicCase { what: "rating bounds do not make a scale", from: "min = 0\nmax = 10", to: "min = 10\nmax = 10", mark: "min = 10", offset: 6, message: "min 10 is not below max 10" },
        LogicCase { what: "attribute on a multiple choice", from: "id = \"bg_activities\"\ntype = \"multiple\"", to: "id = \"bg_activities\"\ntype = \"multiple\"\nattribute = \"activities\"", mark: "\"activities\"", offset: 0, message: "only single-choice questions can record" },
        LogicCase { what: "label missing in the default language", from: "text = \"你参加过哪些校企合作活动？（可多选）\"", to: "text = \"\"", mark: "\"\"", offset: 0, message: "no text in the default language (zh)" },
        LogicCase { what: "duplicate id across matrices", from: "{ id = \"S06\"", to: "{ id = \"S01\"", mark: "\"S01\"", offset: 0, message: "question id \"S01\" is used twice" },
        LogicCase { what: "English scale labels miscounted", from: "labels = [\"非常不同意\", \"不同意\", \"一般\", \"同意\", \"非常同意\"]", to: "labels = [\"非常不同意\", \"不同意\", \"一般\", \"同意\", \"非常同意\"]\nlabels_en = [\"Disagree\"]", mark: "[\"Disagree\"]", offset: 0, message: "labels_en has 1 labels but labels has 5" },
        LogicCase { what: "required and required_if together", from: "required = false\nother = true", to: "required = false\nrequired_if = \"${bg_intern} = 'yes'\"\nother = true", mark: "\"${bg_intern}", offset: 0, message: "not both" },
        LogicCase { what: "matrix without rows", from: "type = \"likert_matrix\"\ntext = \"请评价课程、教材与考核：\"\nrows = [", to: "type = \"likert_matrix\"\ntext = \"请评价课程、教材与考核：\"\nrowz = [", mark: "rowz", offset: 0, message: "unknown field `rowz`" },
        LogicCase { what: "unknown question type", from: "type = \"multiple\"", to: "type = \"checkboxes\"", mark: "\"checkboxes\"", offset: 0, message: "unknown question type \"checkboxes\"; types are single, multiple, likert, likert_matrix" },
    ];
    let mut distinct = std::collections::HashSet::new();
    for case in &cases {
        assert!(
            distinct.insert(case.message),
            "{}: duplicate case",
            case.what
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let campaign = dir.path().join("pingshun-2025");
        copy_dir(&repo_path("surveys/pingshun-2025"), &campaign);
        let path = campaign.join("students.toml");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.contains(case.from),
            "{}: fixture text changed",
            case.what
        );
        let broken = text.replacen(case.from, case.to, 1);
        std::fs::write(&path, &broken).expect("write");

        let problems = check_paths(std::slice::from_ref(&campaign));

        // `replacen` edits the first occurrence of `from`: the replacement starts there.
        let to_at = text.find(case.from).expect("edited text");
        let mark_at = case.to.find(case.mark).expect("mark in replacement");
        let (line, col) = line_col(&broken, to_at + mark_at + case.offset);
        let found = problems
            .iter()
            .find(|p| p.file == path.display().to_string() && p.message.contains(case.message))
            .unwrap_or_else(|| {
                panic!(
                    "{}: no problem mentioning {:?} in {problems:#?}",
                    case.what, case.message
                )
            });
        if case.what == "matrix without rows" {
            assert_eq!(found.line, line, "{}: {found}", case.what);
        } else {
            assert_eq!(
                (found.line, found.col),
                (line, col),
                "{}: {found}",
                case.what
            );
        }
    }
    assert!(cases.len() >= 20);
}

/// Issue #17: the population file is checked against the campaign's weighting, each
/// problem naming the file and the fix; the CSV form loads like the TOML.
#[test]
fn population_problems_name_the_file_and_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let campaign = dir.path().join("weighting");
    copy_dir(&repo_path("tests/fixtures/weighting/weighting"), &campaign);
    assert!(check_paths(std::slice::from_ref(&campaign)).is_empty());
    let problems = |edit: &dyn Fn(&Path)| -> Vec<String> {
        let copy = dir.path().join("copy").join("weighting");
        let _ = std::fs::remove_dir_all(&copy);
        copy_dir(&campaign, &copy);
        edit(&copy);
        check_paths(&[copy]).iter().map(|p| p.to_string()).collect()
    };
    let set = |file: &'static str, from: &'static str, to: &'static str| {
        move |c: &Path| {
            let path = c.join(file);
            let text = std::fs::read_to_string(&path).expect("read");
            std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
        }
    };

    let missing =
        problems(&|c: &Path| std::fs::remove_file(c.join("population.toml")).expect("rm"));
    assert!(
        missing.iter().any(|p| p.contains("campaign.toml:1:1:")
            && p.contains("needs the population counts in population.toml")),
        "{missing:?}"
    );
    let cell = problems(&set(
        "campaign.toml",
        "weighting = \"raking\"",
        "weighting = \"cell\"",
    ));
    assert!(
        cell.iter()
            .any(|p| p.contains("takes one attribute per group")
                && p.contains("use weighting = \"raking\"")),
        "{cell:?}"
    );
    let not_breakdown = problems(&set(
        "campaign.toml",
        "breakdowns = [\"school\", \"grade\"]",
        "breakdowns = [\"school\"]",
    ));
    assert!(
        not_breakdown.iter().any(|p| p.contains("population.toml")
            && p.contains("attribute \"grade\" is not one of the campaign's breakdowns")),
        "{not_breakdown:?}"
    );
    let bad_count = problems(&set("population.toml", "s2 = 100", "s2 = -1"));
    assert!(
        bad_count
            .iter()
            .any(|p| p.contains("population.toml:4:") && p.contains("at least 1")),
        "{bad_count:?}"
    );
    let bad_method = problems(&set(
        "campaign.toml",
        "weighting = \"raking\"",
        "weighting = \"rake\"",
    ));
    assert!(
        bad_method
            .iter()
            .any(|p| p.contains("weighting \"rake\" is not known")),
        "{bad_method:?}"
    );
    let as_csv = problems(&|c: &Path| {
        std::fs::remove_file(c.join("population.toml")).expect("rm");
        std::fs::write(
            c.join("population.csv"),
            "group,attribute,value,count\nstudents,school,s1,300\nstudents,school,s2,100\nstudents,grade,g1,200\nstudents,grade,g2,200\n",
        )
        .expect("write");
    });
    assert!(as_csv.is_empty(), "{as_csv:?}");
    let both = problems(&|c: &Path| {
        std::fs::write(c.join("population.csv"), "group,attribute,value,count\n").expect("write");
    });
    assert!(
        both.iter().any(|p| p.contains("are both here; keep one")),
        "{both:?}"
    );
}
