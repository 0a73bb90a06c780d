//! Word (DOCX) writer: real heading styles (navigation pane and TOC work), a table of
//! contents that reads right before any update (`docx_toc`), Word tables, charts as
//! print-resolution PNGs, page numbers.
//! Chinese text uses 宋体 / 黑体, which Word and WPS have on Chinese systems.

use std::io::Cursor;

use docx_rs::*;

use super::document::{Block, Document};
use super::docx_toc;

const BODY_FONT: &str = "宋体";
const HEADING_FONT: &str = "黑体";
/// Figure width in EMU (15 cm).
const FIGURE_WIDTH_EMU: u32 = 15 * 360_000;

fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new()
        .east_asia(east_asia)
        .ascii("Times New Roman")
        .hi_ansi("Times New Roman")
}

fn heading_style(level: u8) -> Style {
    let (size, id) = match level {
        1 => (32, "Heading1"),
        2 => (28, "Heading2"),
        _ => (24, "Heading3"),
    };
    Style::new(id, StyleType::Paragraph)
        .name(format!("heading {level}"))
        .based_on("Normal")
        .next("Normal")
        .q_format(true)
        .outline_lvl(usize::from(level - 1))
        .bold()
        .size(size)
        .fonts(fonts(HEADING_FONT))
}

fn text_run(text: &str) -> Run {
    Run::new().add_text(text).fonts(fonts(BODY_FONT))
}

fn cell_paragraph(text: &str, bold: bool, small: Option<&str>) -> Paragraph {
    let mut run = text_run(text).size(19);
    if bold {
        run = run.bold();
    }
    let mut p = Paragraph::new().add_run(run);
    if let Some(s) = small {
        p = p
            .add_run(Run::new().add_break(BreakType::TextWrapping))
            .add_run(text_run(s).size(15).color("57606A"));
    }
    p
}

/// Figure `i`'s height as placed (15 cm wide), in EMU.
fn figure_emu(doc: &Document, i: usize) -> u32 {
    let Some(fig) = doc.figures.get(i) else {
        return 0;
    };
    let (w, h) = fig.chart.size;
    (f64::from(FIGURE_WIDTH_EMU) * f64::from(h) / f64::from(w.max(1))) as u32
}

pub fn render(doc: &Document) -> anyhow::Result<Vec<u8>> {
    let toc = docx_toc::entries(doc, |i| f64::from(figure_emu(doc, i)) / 635.0);
    let mut d = Docx::new()
        .default_fonts(fonts(BODY_FONT))
        .default_size(21)
        .add_style(heading_style(1))
        .add_style(heading_style(2))
        .add_style(heading_style(3))
        .page_size(11906, 16838)
        .footer(
            Footer::new().add_paragraph(
                Paragraph::new()
                    .align(AlignmentType::Center)
                    .add_page_num(PageNum::new()),
            ),
        );
    // Cover.
    d = d
        .add_paragraph(
            Paragraph::new().align(AlignmentType::Center).add_run(
                Run::new()
                    .add_text(&doc.title)
                    .fonts(fonts(HEADING_FONT))
                    .bold()
                    .size(40),
            ),
        )
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(text_run(&doc.subtitle).size(32)),
        )
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(text_run(&doc.organisations)),
        )
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(text_run(&doc.date)),
        )
        .add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)));
    for style in docx_toc::styles() {
        d = d.add_style(style);
    }
    for p in docx_toc::paragraphs(&toc, || fonts(BODY_FONT)) {
        d = d.add_paragraph(p);
    }
    d = d.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)));
    let mut headings = toc.iter().enumerate();
    for block in &doc.blocks {
        d = match block {
            Block::Heading { level, text, .. } => {
                let style = match level {
                    1 => "Heading1",
                    2 => "Heading2",
                    _ => "Heading3",
                };
                // Kept with what follows (the page estimate of `docx_toc` counts on it).
                let mut p = Paragraph::new().style(style).keep_next(true);
                let entry = if *level <= 3 { headings.next() } else { None };
                if let Some((i, e)) = entry {
                    p = p.add_bookmark_start(docx_toc::BOOKMARK_ID_BASE + i, &e.bookmark);
                }
                p = p.add_run(Run::new().add_text(text).fonts(fonts(HEADING_FONT)));
                if let Some((i, _)) = entry {
                    p = p.add_bookmark_end(docx_toc::BOOKMARK_ID_BASE + i);
                }
                d.add_paragraph(p)
            }
            Block::Paragraph(text) => d.add_paragraph(
                Paragraph::new()
                    .add_run(text_run(text))
                    .line_spacing(LineSpacing::new().after(120)),
            ),
            Block::List(items) => {
                let mut d = d;
                for (i, item) in items.iter().enumerate() {
                    d = d.add_paragraph(
                        Paragraph::new().add_run(text_run(&format!("{}. {item}", i + 1))),
                    );
                }
                d
            }
            Block::Table(t) => {
                let mut rows = vec![TableRow::new(
                    t.header
                        .iter()
                        .map(|h| {
                            TableCell::new()
                                .shading(Shading::new().fill("F0F3F6"))
                                .add_paragraph(cell_paragraph(h, true, None))
                        })
                        .collect(),
                )];
                for r in &t.rows {
                    rows.push(TableRow::new(
                        r.iter()
                            .map(|c| {
                                let cell = TableCell::new().add_paragraph(cell_paragraph(
                                    &c.text,
                                    c.emphasis,
                                    c.detail.as_deref(),
                                ));
                                if c.suppressed {
                                    cell.shading(Shading::new().fill("F6F8FA"))
                                } else {
                                    cell
                                }
                            })
                            .collect(),
                    ));
                }
                let mut d = d
                    .add_paragraph(
                        Paragraph::new()
                            .align(AlignmentType::Center)
                            .keep_next(true)
                            .add_run(text_run(&t.caption).bold()),
                    )
                    .add_table(Table::new(rows).width(5000, WidthType::Pct));
                if let Some(n) = &t.note {
                    d = d.add_paragraph(
                        Paragraph::new()
                            .add_run(text_run(&format!("注：{n}")).size(18).color("57606A")),
                    );
                }
                d
            }
            Block::Figure(i) => {
                let Some(fig) = doc.figures.get(*i) else {
                    continue;
                };
                let pic = Pic::new(&fig.chart.png).size(FIGURE_WIDTH_EMU, figure_emu(doc, *i));
                d.add_paragraph(
                    Paragraph::new()
                        .align(AlignmentType::Center)
                        .keep_next(true)
                        .add_run(Run::new().add_image(pic)),
                )
                .add_paragraph(
                    Paragraph::new()
                        .align(AlignmentType::Center)
                        .add_run(text_run(&fig.caption).size(19)),
                )
            }
        };
    }
    let mut out = Cursor::new(Vec::new());
    d.build().pack(&mut out)?;
    Ok(out.into_inner())
}
