//! Issue #20: the Word and Excel reports checked by a real office suite. LibreOffice
//! (headless) converts the DOCX to PDF and the XLSX to CSV and back to XLSX; what it
//! produced is read with pdftotext and calamine: the contents page reads as contents
//! (目录, every chapter with its page, no field code), its page numbers are where the
//! headings are, Chinese text survives, numbers stay numbers and formula-like text stays
//! inert text.

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx};

use crate::report_formats::{app_with_data, download, HOSTILE};

/// LibreOffice's `soffice`, or why not; under `CI=true` its absence fails the run.
fn soffice() -> Option<&'static str> {
    match Command::new("soffice").arg("--version").output() {
        Ok(out) if out.status.success() => Some("soffice"),
        other => {
            let why = format!("LibreOffice (soffice) is not usable: {other:?}");
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "{why}; .ci/run installs libreoffice-writer-nogui and libreoffice-calc-nogui"
                );
            }
            eprintln!("skipped: {why}");
            None
        }
    }
}

/// Converts `file` with LibreOffice into `dir` (`to` as `--convert-to` takes it), with a
/// profile of its own so parallel tests do not share one.
fn convert(soffice: &str, file: &Path, to: &str, dir: &Path) {
    let profile = dir.join("lo-profile");
    let out = Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--norestore", "--convert-to", to, "--outdir"])
        .arg(dir)
        .arg(file)
        .output()
        .expect("run soffice");
    assert!(
        out.status.success(),
        "soffice --convert-to {to}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The text of each page of `pdf`.
fn pages(pdf: &Path) -> Vec<String> {
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    assert!(out.status.success());
    let mut pages: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split('\u{c}')
        .map(str::to_string)
        .collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// A contents line: the heading, a dot leader, the page number at the right.
fn toc_entry(line: &str) -> Option<(String, u32)> {
    let line = line.trim();
    let digits = line.len() - line.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (head, page) = line.split_at(line.len() - digits);
    let text = head.trim_end_matches(['.', '…', ' ']);
    (digits > 0 && head.len() - text.len() >= 3)
        .then(|| (text.trim().to_string(), page.parse().ok()))
        .and_then(|(t, p)| Some((t, p?)))
}

/// The texts of the paragraphs styled `Heading1` in the DOCX's document.xml.
fn chapters(docx: &[u8]) -> Vec<String> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("document.xml")
        .read_to_string(&mut xml)
        .expect("utf-8");
    xml.split("</w:p>")
        .map(|chunk| {
            let at = chunk.rfind("<w:p ").max(chunk.rfind("<w:p>")).unwrap_or(0);
            &chunk[at..]
        })
        .filter(|p| p.contains("<w:pStyle w:val=\"Heading1\""))
        .map(|p| {
            p.split("<w:t")
                .skip(1)
                .filter_map(|t| t.split_once('>').map(|(_, rest)| rest))
                .filter_map(|t| t.split_once("</w:t>").map(|(text, _)| text))
                .collect::<String>()
        })
        .collect()
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[tokio::test]
async fn the_word_report_reads_right_in_libreoffice() {
    let Some(soffice) = soffice() else { return };
    let (app, _) = app_with_data().await;
    let docx = download(&app, "docx").await;
    let dir = temp();
    let file = dir.path().join("report.docx");
    std::fs::write(&file, &docx).expect("write");
    let started = std::time::Instant::now();
    convert(soffice, &file, "pdf", dir.path());
    eprintln!("LibreOffice: DOCX → PDF in {:?}", started.elapsed());
    let pages = pages(&dir.path().join("report.pdf"));
    assert!((10..=80).contains(&pages.len()), "{} pages", pages.len());
    let all = pages.concat();
    for code in ["TOC \\o", "PAGEREF", "HYPERLINK \\l", "_Toc"] {
        assert!(!all.contains(code), "field code {code:?} shows as text");
    }
    // Page 2: the contents, under 目录, every entry with its page.
    let contents = &pages[1];
    assert!(contents.contains("目录"), "{contents}");
    let entries: Vec<(String, u32)> = contents.lines().filter_map(toc_entry).collect();
    assert!(entries.len() >= 15, "entries: {entries:?}\n{contents}");
    let chapters = chapters(&docx);
    assert!(chapters.len() >= 8, "{chapters:?}");
    for c in &chapters {
        assert!(
            entries.iter().any(|(t, _)| t == c),
            "chapter {c:?} in the contents: {entries:?}"
        );
    }
    // Each entry's page is where the heading is (the first line after the contents
    // that is the heading alone).
    let mut from = 2;
    let mut off = Vec::new();
    for (text, page) in &entries {
        let found = (from..pages.len())
            .find(|&p| pages[p].lines().any(|l| l.trim() == text))
            .unwrap_or_else(|| panic!("heading {text:?} after the contents"));
        from = found;
        let actual = found as u32 + 1;
        assert!(
            page.abs_diff(actual) <= 1,
            "{text:?}: contents say page {page}, it is on page {actual}"
        );
        if *page != actual {
            off.push(format!("{text} ({page} → {actual})"));
        }
    }
    eprintln!(
        "contents: {} entries, {} exact; off by one: {off:?}",
        entries.len(),
        entries.len() - off.len()
    );
    assert!(
        off.len() * 5 <= entries.len(),
        "at most a fifth of the entries a page off: {off:?}"
    );
    assert!(
        all.contains("调研报告") && all.contains("综合"),
        "Chinese text"
    );
    // Charts at print resolution: every image placed at 300 dpi or more (pdfimages
    // rounds: 299 is a 300 dpi image a pixel short).
    let images = Command::new("pdfimages")
        .arg("-list")
        .arg(dir.path().join("report.pdf"))
        .output()
        .expect("pdfimages (poppler-utils)");
    let listing = String::from_utf8_lossy(&images.stdout);
    let ppi: Vec<u32> = listing
        .lines()
        .skip(2)
        .flat_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            [12, 13].map(|i| fields.get(i).and_then(|v| v.parse::<u32>().ok()))
        })
        .flatten()
        .collect();
    assert!(ppi.len() >= 5, "the charts are there: {listing}");
    assert!(ppi.iter().all(|&p| p >= 299), "print resolution: {listing}");
    // The footer's page number: the last line of a body page is its number.
    let numbered = pages
        .iter()
        .enumerate()
        .skip(2)
        .filter(|(i, p)| {
            p.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::trim)
                == Some((i + 1).to_string().as_str())
        })
        .count();
    assert!(
        numbered * 10 >= (pages.len() - 2) * 9,
        "page numbers in the footer: {numbered} of {}",
        pages.len() - 2
    );
}

/// The sheets LibreOffice wrote as CSV files (all sheets: the `-1` sheet option).
fn csv_sheets(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("utf-8 csv");
            (p, text)
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn the_excel_report_opens_in_libreoffice_with_numbers_as_numbers_and_text_inert() {
    let Some(soffice) = soffice() else { return };
    let (app, analysis) = app_with_data().await;
    let xlsx = download(&app, "xlsx").await;
    let dir = temp();
    let file = dir.path().join("report.xlsx");
    std::fs::write(&file, &xlsx).expect("write");
    // Every sheet as CSV (UTF-8, comma, quoted text), as LibreOffice 7.2+ takes it.
    convert(
        soffice,
        &file,
        "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
        dir.path(),
    );
    let sheets = csv_sheets(dir.path());
    assert!(sheets.len() >= 5, "one CSV per sheet: {sheets:?}");
    let all: String = sheets.iter().map(|(_, t)| t.as_str()).collect();
    assert!(all.contains("综合"), "Chinese text survives");
    let shown = format!("'{HOSTILE}").replace('"', "\"\"");
    assert!(
        all.contains(&shown),
        "the formula-like answer is text, prefixed, not a formula's result"
    );
    assert!(
        !all.contains("#NAME?") && !all.contains("Err:"),
        "no formula ran"
    );

    // Round trip: LibreOffice saves it as XLSX again; read back, numbers are numbers
    // and nothing became a formula.
    let back = dir.path().join("back");
    std::fs::create_dir_all(&back).expect("dir");
    convert(soffice, &file, "xlsx", &back);
    let mut book: Xlsx<_> = calamine::open_workbook(back.join("report.xlsx")).expect("xlsx back");
    let composite = analysis["composite"]["combined"]["mean"]
        .as_f64()
        .expect("composite");
    let mut numbers = 0;
    let mut found_composite = false;
    for name in book.sheet_names().to_vec() {
        let range = book.worksheet_range(&name).expect("sheet");
        for cell in range.used_cells() {
            match cell.2 {
                Data::Float(f) => {
                    numbers += 1;
                    found_composite |= (f - composite).abs() < 0.05;
                }
                Data::Int(_) => numbers += 1,
                Data::String(s) if s.contains("HYPERLINK") => {
                    assert!(s.starts_with("'="), "stays prefixed text: {s}")
                }
                _ => {}
            }
        }
        let formulas = book.worksheet_formula(&name).expect("formulas");
        assert!(
            formulas.used_cells().all(|c| c.2.is_empty()),
            "{name}: no formula after the round trip"
        );
    }
    assert!(numbers > 100, "numbers stay numbers: {numbers}");
    assert!(
        found_composite,
        "the composite {composite} is a number cell"
    );
}
