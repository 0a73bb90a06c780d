//! The layering stays true: imports run one way, in the order data flows (STYLE.md):
//! definitions → domain → store → analysis → charts → report → app → web / cli. Each
//! `use crate::…` (and `crate::…` path) in `src/` is read per top-level module and
//! checked against the layer ranks below; a module may import its own layer and the
//! layers beneath it. The imports that still run upward are listed in `KNOWN_UPWARD`
//! with what they wait for; the test fails on any new one, and on a listed one that is
//! gone (so the list only shrinks).

use std::collections::BTreeSet;
use std::path::Path;

/// Top-level module → layer (higher may import lower).
const LAYERS: &[(&str, u8)] = &[
    ("entities", 0),
    ("config", 0),
    ("domain", 1),
    ("definitions", 2),
    ("xlsform", 2),
    ("store", 3),
    ("analysis", 4),
    ("charts", 5),
    ("qr", 5),
    ("report", 6),
    ("export", 6),
    ("app", 7),
    ("error", 8),
    ("web", 8),
    ("cli", 9),
    ("startup", 9),
    ("lib", 10),
];

/// Upward imports not yet removed: (from, to, what removes it). Empty: keep it so.
const KNOWN_UPWARD: &[(&str, &str, &str)] = &[];

/// The doors: they reach the layers beneath `app` for data types and constants only;
/// every use-case (a function that reads, writes, analyses or renders) goes through
/// `app`. `startup` is the composition root that wires the store, so it is not a door.
const DOORS: &[&str] = &["web", "cli"];

/// The layers a door may name only through a type or constant (an item whose name
/// starts with a capital: `StoredSurvey`, `Format::ALL`, `MAX_FILTERS`).
const BEHIND_APP: &[&str] = &[
    "store",
    "analysis",
    "report",
    "export",
    "definitions",
    "xlsform",
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The top-level modules a source text names through `crate::`.
fn imported(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // use crate::{a::b, c, d::{e, f}};  — the first segment of each entry.
            let mut depth = 0;
            let mut entry_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => entry_start = true,
                    c if entry_start && (c.is_ascii_alphabetic() || c == '_') => {
                        out.insert(ident(&group[j..]));
                        entry_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn imports_run_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 50, "found the sources: {}", files.len());
    let mut upward: BTreeSet<(String, String)> = BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("name")
            .trim_end_matches(".rs")
            .to_string();
        if top == "main" {
            continue;
        }
        let from = layer(&top).unwrap_or_else(|| {
            panic!("src/{top}: a new top-level module; give it a layer in tests/layering.rs")
        });
        let text = std::fs::read_to_string(file).expect("read");
        for to in imported(&text) {
            if to == top {
                continue;
            }
            let Some(to_layer) = layer(&to) else {
                panic!(
                    "{}: crate::{to} is not a known top-level module",
                    rel.display()
                );
            };
            if to_layer > from {
                upward.insert((top.clone(), to));
            }
        }
    }
    let known: BTreeSet<(String, String)> = KNOWN_UPWARD
        .iter()
        .map(|(a, b, _)| (a.to_string(), b.to_string()))
        .collect();
    let new: Vec<_> = upward.difference(&known).collect();
    assert!(
        new.is_empty(),
        "imports against the data flow (a lower layer importing a higher one): {new:?}; pass the value down in the input instead, or move the type to the lower layer"
    );
    let gone: Vec<_> = known.difference(&upward).collect();
    assert!(
        gone.is_empty(),
        "no longer imported upward, remove from KNOWN_UPWARD: {gone:?}"
    );
}

/// Every full path a source text names through `crate::`, with `{…}` groups expanded:
/// `use crate::store::{self, surveys::StoredSurvey}` gives `store::self` and
/// `store::surveys::StoredSurvey`.
fn crate_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        expand(&text[i + "crate::".len()..], String::new(), &mut out);
    }
    out
}

/// Reads one path (segments, then maybe a group) from the start of `rest`.
fn expand(rest: &str, prefix: String, out: &mut Vec<String>) {
    let mut path = prefix;
    let mut rest = rest.trim_start();
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            for entry in group_entries(group) {
                expand(entry, path.clone(), out);
            }
            return;
        }
        let seg: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '*')
            .collect();
        if seg.is_empty() {
            break;
        }
        if !path.is_empty() {
            path.push_str("::");
        }
        path.push_str(&seg);
        rest = &rest[seg.len()..];
        match rest.strip_prefix("::") {
            Some(r) => rest = r.trim_start(),
            None => break,
        }
    }
    if !path.is_empty() {
        out.push(path);
    }
}

/// The top-level entries of a `{…}` group (its text after the `{`).
fn group_entries(group: &str) -> Vec<&str> {
    let mut entries = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (j, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                entries.push(&group[start..j]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                entries.push(&group[start..j]);
                start = j + 1;
            }
            _ => {}
        }
    }
    entries
        .into_iter()
        .filter(|e| !e.trim().is_empty())
        .collect()
}

/// Whether a door may name this path: not behind `app`, or through a type or constant.
fn door_may_name(path: &str) -> bool {
    let mut segs = path.split("::");
    let top = segs.next().unwrap_or_default();
    !BEHIND_APP.contains(&top) || segs.any(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
}

#[test]
fn doors_reach_use_cases_only_through_app() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut bad = Vec::new();
    for door in DOORS {
        let mut files = Vec::new();
        sources(&src.join(door), &mut files);
        assert!(!files.is_empty(), "src/{door} has sources");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            for path in crate_paths(&text) {
                if !door_may_name(&path) {
                    let rel = file.strip_prefix(&src).expect("under src");
                    bad.push(format!("{}: crate::{path}", rel.display()));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "a door calls beneath the application layer; add or use an `app::` use-case instead:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_door_rule_tells_types_from_calls() {
    let text = "use crate::store::{self, surveys::StoredSurvey, ingest::{Ingest, submit}};\n\
        let f = crate::report::Format::ALL; crate::report::render(x); crate::app::report::render(x);\n\
        use crate::analysis::disclosure::MAX_FILTERS;";
    let got = crate_paths(text);
    assert_eq!(
        got,
        [
            "store::self",
            "store::surveys::StoredSurvey",
            "store::ingest::Ingest",
            "store::ingest::submit",
            "report::Format::ALL",
            "report::render",
            "app::report::render",
            "analysis::disclosure::MAX_FILTERS",
        ]
    );
    let allowed: Vec<bool> = got.iter().map(|p| door_may_name(p)).collect();
    assert_eq!(allowed, [false, true, true, false, true, false, true, true]);
}

#[test]
fn the_import_reader_sees_groups_and_paths() {
    let text = "use crate::{domain::Survey, store::{self, x}, web};\nlet a = crate::report::view::build();";
    let got: Vec<String> = imported(text).into_iter().collect();
    assert_eq!(got, ["domain", "report", "store", "web"]);
}
