//! `make-scan-corpus --out DIR [--small N] [--large N] [--per-series N] [--series-per-study N]`
//!
//! Writes a CT corpus for the `oncoread scan` benchmark, laid out like the peers'
//! corpus (`OUT/{small,large}/STUDY_0000/SERIES_0/IMG_0000.dcm`, lists in `OUT/files.txt`):
//! copies of two real CT slices from `fixtures/real/ct` with new Study / Series / SOP
//! Instance and Frame of Reference UIDs per file —
//!
//! * small: `pydicom_CT_small.dcm` (NEMA WG04 CT1 downsized: 128², 39 KB, Explicit LE);
//! * large: `dcmqi_ct-3slice/01.dcm` (GE LightSpeed: 512², 526 KB, Implicit LE).
//!
//! The new UIDs have the same length as the old ones (`2.25.` + digits), so each file is
//! the template with a few bytes replaced: headers and pixels stay real-sized and valid.
//! Deterministic: the same arguments give byte-identical files.

use oncoread_dicom::header::read_header;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: make-scan-corpus --out DIR [--small N (19000)] [--large N (1000)] \
                     [--per-series N (100)] [--series-per-study N (2)]";

struct Spec {
    out: PathBuf,
    small: usize,
    large: usize,
    per_series: usize,
    series_per_study: usize,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("make-scan-corpus: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn number(text: &str) -> Result<usize, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

fn run() -> Result<(), String> {
    let mut spec = Spec {
        out: PathBuf::new(),
        small: 19_000,
        large: 1_000,
        per_series: 100,
        series_per_study: 2,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--out" => spec.out = PathBuf::from(value("--out")?),
            "--small" => spec.small = number(&value("--small")?)?,
            "--large" => spec.large = number(&value("--large")?)?,
            "--per-series" => spec.per_series = number(&value("--per-series")?)?.max(1),
            "--series-per-study" => {
                spec.series_per_study = number(&value("--series-per-study")?)?.max(1)
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if spec.out.as_os_str().is_empty() {
        return Err("--out is required".into());
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/real/ct");
    let mut paths = Vec::new();
    for (kind, count, template) in [
        ("small", spec.small, fixtures.join("pydicom_CT_small.dcm")),
        ("large", spec.large, fixtures.join("dcmqi_ct-3slice/01.dcm")),
    ] {
        if count > 0 {
            write_kind(&spec, kind, count, &template, &mut paths)?;
        }
    }
    paths.sort();
    let mut list = String::new();
    for path in &paths {
        list.push_str(&path.to_string_lossy());
        list.push('\n');
    }
    std::fs::write(spec.out.join("files.txt"), list).map_err(|e| e.to_string())?;
    eprintln!(
        "make-scan-corpus: {} files under {}",
        paths.len(),
        spec.out.display()
    );
    Ok(())
}

/// A UID of exactly `len` characters: `2.25.` and digits that encode `parts`.
fn uid(len: usize, parts: &[usize]) -> Result<String, String> {
    let mut digits = String::from("1");
    for part in parts {
        digits.push_str(&format!("{part:06}"));
    }
    let width = len
        .checked_sub(5)
        .filter(|&w| w >= digits.len())
        .ok_or_else(|| format!("template UID too short ({len}) for a unique replacement"))?;
    Ok(format!("2.25.{digits:0<width$}"))
}

/// Offsets of every occurrence of `needle` in `haystack`.
fn occurrences(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(i) = haystack[at..]
        .windows(needle.len())
        .position(|w| w == needle)
    {
        found.push(at + i);
        at += i + needle.len();
    }
    found
}

fn write_kind(
    spec: &Spec,
    kind: &str,
    count: usize,
    template: &Path,
    paths: &mut Vec<PathBuf>,
) -> Result<(), String> {
    let original = std::fs::read(template).map_err(|e| format!("{}: {e}", template.display()))?;
    let header = read_header(template).map_err(|e| format!("{}: {e}", template.display()))?;
    let uids: Vec<String> = [
        &header.study_instance_uid,
        &header.series_instance_uid,
        &header.sop_instance_uid,
        &header.frame_of_reference_uid,
    ]
    .into_iter()
    .map(|u| u.clone().ok_or("template lacks a UID".to_string()))
    .collect::<Result<_, _>>()?;
    // Where each UID sits in the template (meta and data set): found once, then
    // overwritten in place for every file, since the new UIDs have the same length.
    let mut places = Vec::new();
    for (which, old) in uids.iter().enumerate() {
        let found = occurrences(&original, old.as_bytes());
        if found.is_empty() {
            return Err(format!("UID {old} not found in {}", template.display()));
        }
        places.extend(found.into_iter().map(|offset| (which, offset)));
    }
    let kind_id = if kind == "small" { 1 } else { 2 };
    let per_study = spec.per_series * spec.series_per_study;
    let mut bytes = original;
    for i in 0..count {
        let (study, rest) = (i / per_study, i % per_study);
        let (series, image) = (rest / spec.per_series, rest % spec.per_series);
        let new = [
            uid(uids[0].len(), &[kind_id, 1, study])?,
            uid(uids[1].len(), &[kind_id, 2, study, series])?,
            uid(uids[2].len(), &[kind_id, 3, study, series, image])?,
            uid(uids[3].len(), &[kind_id, 4, study])?,
        ];
        for &(which, offset) in &places {
            let value = new[which].as_bytes();
            bytes[offset..offset + value.len()].copy_from_slice(value);
        }
        let dir = spec
            .out
            .join(kind)
            .join(format!("STUDY_{study:04}"))
            .join(format!("SERIES_{series}"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join(format!("IMG_{image:04}.dcm"));
        let mut file =
            std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        file.write_all(&bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        paths.push(path);
    }
    Ok(())
}
