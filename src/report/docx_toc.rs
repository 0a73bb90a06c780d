//! The Word report's table of contents, written the way Word writes one: a 目录 heading,
//! then a TOC field whose cached result is one hyperlinked entry per heading (each
//! pointing at its own `_Toc…` bookmark on that heading, with a PAGEREF to it) behind
//! right-aligned dot-leader tabs. It reads correctly before any field update — in
//! LibreOffice (which recomputes the PAGEREFs), and in Word and WPS from the cached page
//! numbers, estimated here by laying the document out roughly (Word is asked to update
//! the field on open, which makes them exact).

use docx_rs::*;

use super::document::{Block, Document};

/// A4 with docx-rs's default margins, in twips: the text block's width and height.
pub const TEXT_WIDTH: usize = 11906 - 1701 - 1701;
const TEXT_HEIGHT: f64 = (16838 - 1985 - 1701) as f64;
/// Indent of a level-2 and level-3 entry (two body characters per level).
const LEVEL_INDENT: i32 = 420;

/// One entry: the heading's level and text, its bookmark and (estimated) page.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub level: u8,
    pub text: String,
    pub bookmark: String,
    pub page: u32,
}

/// The bookmark of the `i`-th heading (in document order), unique within a document and
/// the same for the same document.
pub fn bookmark(i: usize) -> String {
    format!("_Toc{:09}", i + 1)
}

/// Bookmark ids of headings start here (docx ids must be unique; nothing else in the
/// report uses bookmarks).
pub const BOOKMARK_ID_BASE: usize = 1000;

/// Width of `text` in body characters: CJK and full-width forms count one, a space a
/// quarter, the rest (Times New Roman) half.
fn ems(text: &str) -> f64 {
    text.chars()
        .map(|c| match c {
            ' ' => 0.25,
            c if (c as u32) >= 0x2E80 => 1.0,
            _ => 0.5,
        })
        .sum()
}

/// Height in twips of `text` set at `size_half_points` in a column `width` twips wide,
/// at `leading` × the font size per line.
fn text_height(text: &str, size_half_points: f64, width: f64, leading: f64) -> f64 {
    let char_twips = size_half_points * 10.0;
    let per_line = (width / char_twips).max(1.0);
    let lines = text
        .split('\n')
        .map(|l| (ems(l) / per_line).ceil().max(1.0))
        .sum::<f64>();
    lines * char_twips * leading
}

/// Where the text is on the page being filled, in twips from its top.
struct Pages {
    page: u32,
    used: f64,
}

impl Pages {
    /// Takes `height`: a block that cannot be split (a heading kept with what follows, a
    /// figure) and does not fit what is left starts a new page; text and tables flow on.
    fn take(&mut self, height: f64, splits: bool) {
        if !splits && self.used + height > TEXT_HEIGHT && self.used > 0.0 {
            self.page += 1;
            self.used = 0.0;
        }
        self.used += height;
        while self.used > TEXT_HEIGHT {
            self.page += 1;
            self.used -= TEXT_HEIGHT;
        }
    }

    fn page_break(&mut self) {
        self.page += 1;
        self.used = 0.0;
    }
}

/// A table's caption height and each row's (the header first), in twips.
fn table_parts(t: &super::document::Table) -> (f64, Vec<f64>) {
    let w = TEXT_WIDTH as f64;
    let cols = t.header.len().max(1) as f64;
    let cell = w / cols - 216.0;
    let row = |texts: Vec<(&str, Option<&str>)>| {
        texts
            .into_iter()
            .map(|(text, detail)| {
                text_height(text, 19.0, cell, 1.45)
                    + detail.map_or(0.0, |d| text_height(d, 15.0, cell, 1.45))
            })
            .fold(0.0, f64::max)
            + 5.0
    };
    let mut rows = vec![row(t.header.iter().map(|h| (h.as_str(), None)).collect())];
    rows.extend(t.rows.iter().map(|r| {
        row(r
            .iter()
            .map(|c| (c.text.as_str(), c.detail.as_deref()))
            .collect())
    }));
    (text_height(&t.caption, 21.0, w, 1.45), rows)
}

/// How much of `blocks[0]` a heading before it is kept with (twips): the figure whole,
/// a table's caption, header and first row, a paragraph's first two lines (widow and
/// orphan control), another heading with what that one keeps.
fn kept(blocks: &[Block], doc: &Document, figure_height: &impl Fn(usize) -> f64) -> f64 {
    let line = 21.0 * 10.0 * 1.45;
    match blocks.first() {
        None => 0.0,
        Some(b @ Block::Figure(_)) => block_height(b, doc, figure_height),
        Some(b @ Block::Heading { .. }) => {
            block_height(b, doc, figure_height) + kept(&blocks[1..], doc, figure_height)
        }
        Some(Block::Table(t)) => {
            let (caption, rows) = table_parts(t);
            caption + rows.iter().take(2).sum::<f64>()
        }
        Some(b) => block_height(b, doc, figure_height).min(2.0 * line),
    }
}

/// How tall a block is (twips), by the sizes `docx::render` sets them in.
fn block_height(block: &Block, doc: &Document, figure_height: impl Fn(usize) -> f64) -> f64 {
    let w = TEXT_WIDTH as f64;
    match block {
        Block::Heading { level, text, .. } => {
            let size = match level {
                1 => 32.0,
                2 => 28.0,
                _ => 24.0,
            };
            text_height(text, size, w, 1.45)
        }
        Block::Paragraph(text) => text_height(text, 21.0, w, 1.45) + 120.0,
        Block::List(items) => items.iter().map(|i| text_height(i, 21.0, w, 1.45)).sum(),
        Block::Table(t) => {
            let (caption, rows) = table_parts(t);
            caption
                + rows.iter().sum::<f64>()
                + t.note
                    .as_ref()
                    .map_or(0.0, |n| text_height(n, 18.0, w, 1.45))
        }
        // The figure is kept with its caption (`docx::render` sets keep-with-next).
        Block::Figure(i) => match doc.figures.get(*i) {
            Some(fig) => figure_height(*i) + text_height(&fig.caption, 19.0, w, 1.45),
            None => 0.0,
        },
    }
}

/// The entries of `doc`'s headings of levels 1–3 with the page each probably starts on:
/// the cover is page 1, the contents follow on their own page(s), the body after a page
/// break. `figure_height(i)` is figure `i`'s height in twips as placed.
pub fn entries(doc: &Document, figure_height: impl Fn(usize) -> f64) -> Vec<Entry> {
    let headings: Vec<(u8, &str)> = doc
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Heading { level, text, .. } if *level <= 3 => Some((*level, text.as_str())),
            _ => None,
        })
        .collect();
    let entry_height = 21.0 * 10.0 * 1.45 + 60.0;
    let mut pages = Pages { page: 2, used: 0.0 };
    pages.take(
        32.0 * 10.0 * 1.45 + 240.0 + entry_height * headings.len() as f64,
        true,
    );
    pages.page_break();
    let mut out = Vec::with_capacity(headings.len());
    for (at, block) in doc.blocks.iter().enumerate() {
        let height = block_height(block, doc, &figure_height);
        match block {
            Block::Heading { level, text, .. } => {
                // Kept with the start of what follows: moved on together when that
                // does not fit.
                let with = kept(&doc.blocks[at + 1..], doc, &figure_height);
                pages.take(height + with, false);
                pages.used -= with;
                if *level <= 3 {
                    out.push(Entry {
                        level: *level,
                        text: text.clone(),
                        bookmark: bookmark(out.len()),
                        page: pages.page,
                    });
                }
            }
            Block::Figure(_) => pages.take(height, false),
            _ => pages.take(height, true),
        }
    }
    out
}

/// The TOC style of a level: hanging indent per level, a dot-leader tab at the right
/// margin for the page number.
pub fn styles() -> Vec<Style> {
    let mut styles: Vec<Style> = (1..=3)
        .map(|level: i32| {
            Style::new(format!("TOC{level}"), StyleType::Paragraph)
                .name(format!("toc {level}"))
                .based_on("Normal")
                .next("Normal")
                .ui_priority(39)
                .indent(Some(LEVEL_INDENT * (level - 1)), None, None, None)
        })
        .collect();
    styles.push(
        Style::new("TOCHeading", StyleType::Paragraph)
            .name("TOC Heading")
            .based_on("Normal")
            .next("Normal")
            .ui_priority(39)
            .bold()
            .size(32)
            .align(AlignmentType::Center),
    );
    styles
}

fn page_ref(entry: &Entry) -> Vec<Run> {
    vec![
        Run::new().add_field_char(FieldCharType::Begin, false),
        Run::new().add_instr_text(InstrText::PAGEREF(
            InstrPAGEREF::new(&entry.bookmark).hyperlink(),
        )),
        Run::new().add_field_char(FieldCharType::Separate, false),
        Run::new().add_text(entry.page.to_string()),
        Run::new().add_field_char(FieldCharType::End, false),
    ]
}

/// The 目录 heading and the TOC field with its cached entries, as paragraphs; `fonts`
/// sets the Chinese typeface of each run.
pub fn paragraphs(entries: &[Entry], fonts: impl Fn() -> RunFonts) -> Vec<Paragraph> {
    let leader = || {
        Tab::new()
            .val(TabValueType::Right)
            .leader(TabLeaderType::Dot)
            .pos(TEXT_WIDTH)
    };
    let mut out = vec![Paragraph::new()
        .style("TOCHeading")
        .add_run(Run::new().add_text("目录").fonts(fonts()).bold().size(32))];
    for (i, e) in entries.iter().enumerate() {
        let mut p = Paragraph::new()
            .style(&format!("TOC{}", e.level.clamp(1, 3)))
            .add_tab(leader());
        if i == 0 {
            // Asked to be updated on open (dirty): Word then refreshes the page numbers.
            p = p
                .add_run(Run::new().add_field_char(FieldCharType::Begin, true))
                .add_run(Run::new().add_instr_text(InstrText::TOC(
                    InstrToC::new().heading_styles_range(1, 3).hyperlink(),
                )))
                .add_run(Run::new().add_field_char(FieldCharType::Separate, false));
        }
        let mut link = Hyperlink::new(&e.bookmark, HyperlinkType::Anchor)
            .add_run(Run::new().add_text(&e.text).fonts(fonts()))
            .add_run(Run::new().add_tab());
        for run in page_ref(e) {
            link = link.add_run(run);
        }
        out.push(p.add_hyperlink(link));
    }
    out.push(Paragraph::new().add_run(Run::new().add_field_char(FieldCharType::End, false)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_chinese_as_one_and_latin_as_half() {
        assert_eq!(ems("目录"), 2.0);
        assert_eq!(ems("A1 合作"), 3.25);
    }

    #[test]
    fn a_block_taller_than_what_is_left_starts_a_page() {
        let mut p = Pages { page: 3, used: 0.0 };
        p.take(TEXT_HEIGHT - 100.0, true);
        assert_eq!(p.page, 3);
        p.take(200.0, false);
        assert_eq!((p.page, p.used), (4, 200.0), "a figure moves on");
        p.take(TEXT_HEIGHT * 1.5, true);
        assert_eq!(p.page, 5, "a long table flows over the next page");
        assert!((p.used - (TEXT_HEIGHT * 0.5 + 200.0)).abs() < 1e-6);
    }
}
