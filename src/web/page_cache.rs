//! The open-link survey page, rendered and compressed once per questionnaire version and
//! language. The only per-request part is the stamp (the hidden `response_id` and the
//! time the page was served): it is spliced into the gzip stream as a stored
//! (uncompressed) deflate block between the two precompressed halves, and the CRC is
//! combined, so every request still gets its own id without recompressing 36 KB.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use crc32fast::Hasher as Crc;
use flate2::write::DeflateEncoder;
use flate2::Compression;

use crate::domain::Lang;

/// Marks where the stamp goes while rendering.
pub const MARKER: &str = "<!--chorus:stamp-->";

/// One rendered page split around the stamp, plain and compressed.
pub struct CachedPage {
    prefix: String,
    suffix: String,
    /// Raw deflate of the prefix, ended with a sync flush (byte-aligned, not final).
    prefix_deflate: Vec<u8>,
    /// Raw deflate of the suffix, ending with the final block.
    suffix_deflate: Vec<u8>,
    prefix_crc: Crc,
    suffix_crc: Crc,
}

/// Raw deflate of `text`: ended by a sync flush (byte-aligned, more may follow) or
/// finished with the final block.
fn deflate(text: &[u8], finish: bool) -> Vec<u8> {
    let mut enc = DeflateEncoder::new(Vec::with_capacity(text.len() / 3), Compression::best());
    if enc.write_all(text).is_err() {
        return Vec::new();
    }
    if finish {
        enc.finish().unwrap_or_default()
    } else {
        // `flush` is a sync flush: it ends with an empty stored block on a byte boundary.
        let _ = enc.flush();
        enc.get_ref().clone()
    }
}

impl CachedPage {
    /// Splits `html` (rendered with [`MARKER`] as the stamp); `None` if the marker is
    /// not there exactly once.
    pub fn new(html: &str) -> Option<Self> {
        if html.matches(MARKER).count() != 1 {
            return None;
        }
        let (prefix, suffix) = html.split_once(MARKER)?;
        let mut prefix_crc = Crc::new();
        prefix_crc.update(prefix.as_bytes());
        let mut suffix_crc = Crc::new();
        suffix_crc.update(suffix.as_bytes());
        Some(Self {
            prefix_deflate: deflate(prefix.as_bytes(), false),
            suffix_deflate: deflate(suffix.as_bytes(), true),
            prefix: prefix.to_string(),
            suffix: suffix.to_string(),
            prefix_crc,
            suffix_crc,
        })
    }

    pub fn plain(&self, stamp: &str) -> String {
        format!("{}{stamp}{}", self.prefix, self.suffix)
    }

    /// A complete gzip member with `stamp` in place (at most 64 KiB: one stored block).
    pub fn gzip(&self, stamp: &str) -> Vec<u8> {
        let id = stamp.as_bytes();
        let mut crc = self.prefix_crc.clone();
        let mut id_crc = Crc::new();
        id_crc.update(id);
        let id_crc = id_crc;
        crc.combine(&id_crc);
        crc.combine(&self.suffix_crc);
        let len = id.len() as u16;
        let mut out = Vec::with_capacity(
            18 + self.prefix_deflate.len() + 5 + id.len() + self.suffix_deflate.len(),
        );
        // Header: magic, deflate, no flags, no time, no extra flags, unknown OS.
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
        out.extend_from_slice(&self.prefix_deflate);
        // A stored block (BFINAL = 0, BTYPE = 00) holding the id.
        out.push(0);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(id);
        out.extend_from_slice(&self.suffix_deflate);
        let _ = out.write_all(&crc.finalize().to_le_bytes());
        let total = (self.prefix.len() + id.len() + self.suffix.len()) as u32;
        let _ = out.write_all(&total.to_le_bytes());
        out
    }
}

type Pages = HashMap<(i64, Lang), Arc<CachedPage>>;

/// Pages by (survey version id, language).
#[derive(Clone, Default)]
pub struct PageCache {
    pages: Arc<Mutex<Pages>>,
}

impl PageCache {
    pub fn get_or_insert(
        &self,
        key: (i64, Lang),
        render: impl FnOnce() -> Option<CachedPage>,
    ) -> Option<Arc<CachedPage>> {
        if let Some(p) = self.pages.lock().ok()?.get(&key) {
            return Some(p.clone());
        }
        let page = Arc::new(render()?);
        if let Ok(mut pages) = self.pages.lock() {
            pages.insert(key, page.clone());
        }
        Some(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn spliced_gzip_decodes_to_the_page_with_its_own_id() {
        let body: String = (0..3000)
            .map(|i| format!("<p>第 {i} 题：校企合作</p>"))
            .collect();
        let html = format!("<html>{body}{MARKER}{}</html>", body.to_uppercase());
        let page = CachedPage::new(&html).expect("marker once");
        for _ in 0..3 {
            let id = format!("<input value=\"{}\">", uuid::Uuid::new_v4());
            let gz = page.gzip(&id);
            let mut out = String::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_string(&mut out)
                .expect("valid gzip, CRC and length checked by the decoder");
            assert_eq!(out, html.replace(MARKER, &id));
            assert_eq!(out, page.plain(&id));
            assert!(
                gz.len() < html.len() / 5,
                "compressed: {} of {}",
                gz.len(),
                html.len()
            );
        }
        assert!(CachedPage::new("<p>no id here</p>").is_none());
    }
}
