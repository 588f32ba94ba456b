//! The 144 `pwg-raster-samples-*` files that `ipp-everywhere.test` names.
//!
//! ipptool aborts the whole file at its first `FILE` whose file is missing
//! (around line 192), even though each print test also says
//! `SKIP-IF-MISSING`. Each print test is guarded by
//! `SKIP-IF-NOT-DEFINED HAVE_<dpi>` and `HAVE_<type>`, which the first test of
//! the file defines from the printer's `pwg-raster-document-resolution-supported`
//! and `pwg-raster-document-type-supported`. So this module asks the printer
//! for those two attributes and:
//!
//! * for every sample the test would really print (resolution and type both
//!   advertised), renders a real PWG raster file with Ghostscript
//!   (`-sDEVICE=pwgraster`) from the committed documents, caching it under
//!   `target/peers/pwg-raster-samples/<same relative path>` so later runs only
//!   copy it (delete that folder after changing `fixtures/documents/`);
//! * for every other sample writes an empty placeholder, which is never sent.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ipptool::printer_attributes;
use crate::peers::{self, require_tool};

/// One sample file named by the test, e.g.
/// `pwg-raster-samples-300dpi/sgray-8/document-a4-sgray-8-300dpi.pwg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The path relative to the test file.
    pub relative: String,
    /// Resolution in dpi (same in both directions).
    pub dpi: u32,
    /// The PWG raster type keyword, e.g. `sgray_8`.
    pub raster_type: String,
    /// The picture: `color.jpg-4x6`, `gray.jpg-4x6`, `document-a4`,
    /// `document-letter`, `onepage-a4` or `onepage-letter`.
    pub picture: String,
}

/// Every distinct `pwg-raster-samples-*` path in the test file's text.
pub fn samples_named_in(test_text: &str) -> Vec<Sample> {
    let mut samples: Vec<Sample> = Vec::new();
    for token in test_text.split_whitespace() {
        if !token.starts_with("pwg-raster-samples-") || samples.iter().any(|s| s.relative == token)
        {
            continue;
        }
        samples
            .push(parse_sample(token).unwrap_or_else(|| panic!("unexpected sample name {token}")));
    }
    samples
}

/// Parses `pwg-raster-samples-{dpi}dpi/{type}/{picture}-{type}-{dpi}dpi.pwg`
/// (with `-` for `_` in the type).
fn parse_sample(relative: &str) -> Option<Sample> {
    let mut parts = relative.split('/');
    let dpi: u32 = parts
        .next()?
        .strip_prefix("pwg-raster-samples-")?
        .strip_suffix("dpi")?
        .parse()
        .ok()?;
    let dashed_type = parts.next()?;
    let file = parts.next()?;
    let picture = file.strip_suffix(&format!("-{dashed_type}-{dpi}dpi.pwg"))?;
    Some(Sample {
        relative: relative.to_string(),
        dpi,
        raster_type: dashed_type.replace('-', "_"),
        picture: picture.to_string(),
    })
}

/// Ghostscript's `cupsColorSpace` and `cupsBitsPerColor` for a PWG type.
fn gs_color(raster_type: &str) -> Option<(u32, u32)> {
    Some(match raster_type {
        "black_1" => (3, 1),  // CUPS_CSPACE_K
        "sgray_8" => (18, 8), // CUPS_CSPACE_SW
        "sgray_16" => (18, 16),
        "srgb_8" => (19, 8), // CUPS_CSPACE_SRGB
        "srgb_16" => (19, 16),
        "adobe-rgb_8" => (20, 8), // CUPS_CSPACE_ADOBERGB
        "adobe-rgb_16" => (20, 16),
        "cmyk_8" => (6, 8), // CUPS_CSPACE_CMYK
        "cmyk_16" => (6, 16),
        _ => return None,
    })
}

/// The committed document and Ghostscript page options for a picture.
fn gs_source(picture: &str) -> (&'static str, Vec<&'static str>) {
    let fit = ["-dFIXEDMEDIA", "-dPDFFitPage"];
    let (doc, mut args): (&str, Vec<&str>) = match picture {
        "color.jpg-4x6" | "gray.jpg-4x6" => (
            "photo-4x6.pdf",
            vec!["-dDEVICEWIDTHPOINTS=288", "-dDEVICEHEIGHTPOINTS=432"],
        ),
        "document-a4" | "onepage-a4" => ("document-a4.pdf", vec!["-sPAPERSIZE=a4"]),
        "document-letter" | "onepage-letter" => ("document-letter.pdf", vec!["-sPAPERSIZE=letter"]),
        other => panic!("no source document for PWG raster sample picture {other}"),
    };
    args.extend(fit);
    if picture.starts_with("onepage") {
        args.extend(["-dFirstPage=1", "-dLastPage=1"]);
    }
    (doc, args)
}

/// Makes every sample the test file names exist under `dir`: real PWG raster
/// for what `uri` advertises, empty placeholders for the rest.
pub fn provide_pwg_raster_samples(test_file: &Path, dir: &Path, uri: &str) {
    let text = fs::read_to_string(test_file).expect("cannot read ipp-everywhere.test");
    let samples = samples_named_in(&text);
    let attrs = printer_attributes(
        uri,
        &[
            "pwg-raster-document-resolution-supported",
            "pwg-raster-document-type-supported",
        ],
    );
    let listed = |name: &str| -> Vec<String> {
        attrs
            .get(name)
            .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default()
    };
    let resolutions = listed("pwg-raster-document-resolution-supported");
    let types = listed("pwg-raster-document-type-supported");
    let mut real = 0;
    for sample in &samples {
        let target = dir.join(&sample.relative);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        let printed = resolutions.contains(&format!("{}dpi", sample.dpi))
            && types.contains(&sample.raster_type)
            && gs_color(&sample.raster_type).is_some();
        if printed {
            fs::copy(cached_sample(sample), &target).unwrap();
            real += 1;
        } else {
            fs::write(&target, b"").unwrap();
        }
    }
    eprintln!(
        "pwg-raster samples: {real} rendered for {resolutions:?} x {types:?}, {} placeholders",
        samples.len() - real
    );
}

/// The cached rendering of `sample`, made with Ghostscript if absent.
/// Written to a temporary name and renamed, so parallel tests never see a
/// half-written file.
fn cached_sample(sample: &Sample) -> PathBuf {
    let cached = peers::peers_dir()
        .join("pwg-raster-samples")
        .join(&sample.relative);
    if cached.is_file() {
        return cached;
    }
    let gs = require_tool("gs");
    fs::create_dir_all(cached.parent().unwrap()).unwrap();
    let partial = cached.with_extension(format!("pwg.partial-{}", std::process::id()));
    let (color_space, bits) = gs_color(&sample.raster_type).unwrap();
    let (doc, page_args) = gs_source(&sample.picture);
    let output = Command::new(gs)
        .args([
            "-q",
            "-dSAFER",
            "-dNOPAUSE",
            "-dBATCH",
            "-sDEVICE=pwgraster",
        ])
        .arg(format!("-r{}", sample.dpi))
        .arg(format!("-dcupsColorSpace={color_space}"))
        .arg(format!("-dcupsBitsPerColor={bits}"))
        .args(page_args)
        .arg(format!("-sOutputFile={}", partial.display()))
        .arg(peers::document(doc))
        .output()
        .expect("cannot run gs");
    assert!(
        output.status.success() && partial.is_file(),
        "gs failed to render {}: {}",
        sample.relative,
        String::from_utf8_lossy(&output.stderr)
    );
    fs::rename(&partial, &cached).unwrap();
    cached
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stock file names 144 samples, all parseable (needs cups-ipp-utils).
    #[test]
    fn stock_ipp_everywhere_names_144_samples() {
        let path = Path::new(crate::ipptool::STOCK_DIR).join("ipp-everywhere.test");
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} not found: {}", path.display(), peers::INSTALL_HINT));
        let samples = samples_named_in(&text);
        assert_eq!(samples.len(), 144);
        assert!(samples.iter().all(|s| gs_color(&s.raster_type).is_some()));
        let first =
            parse_sample("pwg-raster-samples-150dpi/black-1/color.jpg-4x6-black-1-150dpi.pwg");
        assert_eq!(
            first,
            Some(Sample {
                relative: "pwg-raster-samples-150dpi/black-1/color.jpg-4x6-black-1-150dpi.pwg"
                    .into(),
                dpi: 150,
                raster_type: "black_1".into(),
                picture: "color.jpg-4x6".into(),
            })
        );
    }
}
