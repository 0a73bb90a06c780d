//! PDF writer: the document as Typst markup, compiled in-process with the bundled CJK
//! font embedded (subset by Typst), A4, headings as PDF bookmarks, charts as vectors.

use typst_as_lib::TypstEngine;
use typst_layout::PagedDocument;

use super::document::{Block, Document};
use crate::charts::FONT_BYTES;

/// A Typst string literal: shown verbatim, so user text can never become markup.
fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Content from plain text.
fn text(s: &str) -> String {
    format!("[#{}]", lit(s))
}

pub fn source(doc: &Document) -> String {
    let mut s = String::new();
    s.push_str(&format!("#set document(title: {})\n", lit(&doc.title)));
    s.push_str("#set page(paper: \"a4\", margin: (x: 2.2cm, y: 2.4cm), numbering: \"1\")\n");
    s.push_str(
        "#set text(font: \"WenQuanYi Micro Hei\", size: 10pt, lang: \"zh\", region: \"cn\")\n",
    );
    s.push_str(
        "#set par(justify: true, leading: 0.9em, first-line-indent: (amount: 2em, all: true))\n",
    );
    s.push_str("#show heading: set text(fill: rgb(\"#0b4f8a\"))\n#show heading: set block(above: 1.4em, below: 0.8em)\n");
    s.push_str("#set table(stroke: 0.5pt + rgb(\"#9aa4ad\"), inset: 4pt)\n#show table: set text(size: 8.5pt)\n#show table: set par(first-line-indent: 0em, justify: false)\n");
    s.push_str("#show figure: set block(breakable: false)\n");
    s.push_str(&format!(
        "#align(center)[#v(5cm)\n#text(size: 20pt)[#{}]\n\n#v(0.6cm)\n#text(size: 15pt)[#{}]\n\n#v(1cm)\n#text{}\n\n#text{}]\n#pagebreak()\n",
        lit(&doc.title),
        lit(&doc.subtitle),
        text(&doc.organisations),
        text(&doc.date)
    ));
    s.push_str("#outline(title: [目录], depth: 2)\n#pagebreak()\n");
    for b in &doc.blocks {
        match b {
            Block::Heading { level, text: t, .. } => {
                s.push_str(&format!(
                    "#heading(level: {level}, outlined: true)[#{}]\n",
                    lit(t)
                ));
            }
            Block::Paragraph(t) => s.push_str(&format!("#par[#{}]\n\n", lit(t))),
            Block::List(items) => {
                s.push_str("#enum(");
                for i in items {
                    s.push_str(&format!("{}, ", text(i)));
                }
                s.push_str(")\n");
            }
            Block::Table(t) => {
                s.push_str(&format!(
                    "#figure(kind: table, caption: {}, supplement: none)[\n#table(columns: {},\n",
                    text(&t.caption),
                    t.header.len().max(1)
                ));
                s.push_str("table.header(");
                for h in &t.header {
                    s.push_str(&format!("[*#{}*], ", lit(h)));
                }
                s.push_str("),\n");
                for r in &t.rows {
                    for c in r {
                        let body = match &c.detail {
                            Some(d) => format!(
                                "[#{} #linebreak() #text(size: 6.5pt, fill: gray)[#{}]]",
                                lit(&c.text),
                                lit(d)
                            ),
                            None => text(&c.text),
                        };
                        if c.suppressed {
                            s.push_str(&format!("table.cell(fill: rgb(\"#f0f0f0\"))[{body}], "));
                        } else {
                            s.push_str(&format!("{body}, "));
                        }
                    }
                    s.push('\n');
                }
                s.push_str(")]\n");
                if let Some(n) = &t.note {
                    s.push_str(&format!(
                        "#text(size: 8pt, fill: gray)[#{}]\n\n",
                        lit(&format!("注：{n}"))
                    ));
                }
            }
            Block::Figure(i) => {
                if let Some(f) = doc.figures.get(*i) {
                    s.push_str(&format!("#figure(image(\"fig{i}.svg\", width: 92%), caption: {}, supplement: none)\n", text(&f.caption)));
                }
            }
        }
    }
    s
}

pub fn render(doc: &Document) -> anyhow::Result<Vec<u8>> {
    if let Some(dir) = std::env::var_os("CHORUS_REPORT_DEBUG") {
        std::fs::write(std::path::Path::new(&dir).join("report.typ"), source(doc))?;
    }
    let names: Vec<String> = (0..doc.figures.len())
        .map(|i| format!("fig{i}.svg"))
        .collect();
    let files: Vec<(&str, Vec<u8>)> = names
        .iter()
        .map(String::as_str)
        .zip(doc.figures.iter().map(|f| f.chart.svg.clone().into_bytes()))
        .collect();
    let engine = TypstEngine::builder()
        .main_file(source(doc))
        .fonts([FONT_BYTES])
        .with_static_file_resolver(files)
        .build();
    let compiled: PagedDocument = engine
        .compile()
        .output
        .map_err(|e| anyhow::anyhow!("typesetting the PDF failed: {e:?}"))?;
    typst_pdf::pdf(&compiled, &typst_pdf::PdfOptions::default())
        .map_err(|e| anyhow::anyhow!("writing the PDF failed: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::lit;

    #[test]
    fn user_text_is_a_literal() {
        assert_eq!(lit("a\"b\\c\n#set"), "\"a\\\"b\\\\c\\n#set\"");
    }
}
