//! QR codes for questionnaire links: SVG (for print sheets) and PNG (for messaging
//! apps), error correction level M, with the standard four-module quiet zone.

use qrcode::{Color, EcLevel, QrCode};

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the link is too long for a QR code: {0}")]
    TooLong(String),
    #[error("cannot encode PNG: {0}")]
    Png(String),
}

fn code(text: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| QrError::TooLong(e.to_string()))
}

/// An SVG QR code of `text`, `size` pixels wide at least: one path in module units,
/// each horizontal run of dark modules one rectangle (~3 KB for an invitation link,
/// a quarter of a rectangle per module), so a sheet of thousands of cards stays small.
pub fn svg(text: &str, size: u32) -> Result<String, QrError> {
    use std::fmt::Write;
    let code = code(text)?;
    let n = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let side = n + 2 * quiet;
    let mut d = String::with_capacity(n * n);
    for (y, row) in colors.chunks(n).enumerate() {
        let mut x = 0;
        while x < n {
            if row[x] != Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < n && row[x] == Color::Dark {
                x += 1;
            }
            let run = x - start;
            let _ = write!(d, "M{} {}h{run}v1h-{run}z", start + quiet, y + quiet);
        }
    }
    let scale = (size as usize).div_ceil(side).max(1);
    let px = side * scale;
    Ok(format!(
        "<?xml version=\"1.0\" standalone=\"yes\"?><svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{px}\" height=\"{px}\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{d}\"/></svg>"
    ))
}

/// A black-and-white PNG of `text`, `scale` pixels per module.
pub fn png(text: &str, scale: u32) -> Result<Vec<u8>, QrError> {
    let code = code(text)?;
    let modules = code.width() as u32;
    let colors = code.to_colors();
    let quiet = 4;
    let side = (modules + 2 * quiet) * scale;
    let mut pixels = vec![255u8; (side * side) as usize];
    for (i, c) in colors.iter().enumerate() {
        if *c != Color::Dark {
            continue;
        }
        let (mx, my) = (i as u32 % modules, i as u32 / modules);
        for dy in 0..scale {
            let y = (my + quiet) * scale + dy;
            let row = (y * side) as usize;
            let x0 = ((mx + quiet) * scale) as usize;
            pixels[row + x0..row + x0 + scale as usize].fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| QrError::Png(e.to_string()))?;
        w.write_image_data(&pixels)
            .map_err(|e| QrError::Png(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_and_png_encode_the_link() {
        let link = "https://survey.example.cn/s/pingshun-2025-students?t=abcdefghijkmnpqrstuv";
        let s = svg(link, 200).expect("svg");
        assert!(
            s.starts_with("<?xml") && s.contains("<svg") && s.contains("<path"),
            "{s}"
        );
        // The path, read back into a module grid, is exactly the code's dark modules.
        let modules = code(link).expect("code");
        let n = modules.width();
        let mut grid = vec![false; n * n];
        let d = s
            .split(" d=\"")
            .nth(1)
            .expect("d")
            .split('"')
            .next()
            .expect("d");
        for rect in d.split('z').filter(|r| !r.is_empty()) {
            let nums: Vec<usize> = rect
                .trim_start_matches('M')
                .split([' ', 'h', 'v'])
                .map(|v| v.trim_start_matches('-').parse().expect("number"))
                .collect();
            let (x, y, run) = (nums[0] - 4, nums[1] - 4, nums[2]);
            for cell in &mut grid[y * n + x..y * n + x + run] {
                assert!(!*cell, "runs do not overlap");
                *cell = true;
            }
        }
        let expected: Vec<bool> = modules
            .to_colors()
            .iter()
            .map(|c| *c == Color::Dark)
            .collect();
        assert_eq!(grid, expected);
        assert!(s.contains(&format!("viewBox=\"0 0 {} {}\"", n + 8, n + 8)));
        assert!(s.len() < 6_000, "compact: {} bytes", s.len());
        let p = png(link, 4).expect("png");
        let decoder = png::Decoder::new(std::io::Cursor::new(p));
        let mut reader = decoder.read_info().expect("png header");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("frame");
        // Version 4 at level M for this length: 33 modules + 8 quiet = 41, × 4 px.
        assert_eq!(info.width % 4, 0);
        let dark = buf.iter().filter(|b| **b == 0).count();
        assert!(
            dark > 0 && dark < buf.len() / 2,
            "a real pattern, not blank"
        );
        // The quiet zone is white.
        assert!(buf[..(info.width * 4 * 4) as usize]
            .iter()
            .all(|b| *b == 255));
    }
}
