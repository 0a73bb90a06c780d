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

/// Upward imports not yet removed: (from, to, what removes it).
const KNOWN_UPWARD: &[(&str, &str, &str)] = &[
    (
        "definitions",
        "analysis",
        "the AHP consistency check at parse time (weights::ahp, MAX_CR) moves to a check the app layer runs",
    ),
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

#[test]
fn the_import_reader_sees_groups_and_paths() {
    let text = "use crate::{domain::Survey, store::{self, x}, web};\nlet a = crate::report::view::build();";
    let got: Vec<String> = imported(text).into_iter().collect();
    assert_eq!(got, ["domain", "report", "store", "web"]);
}
