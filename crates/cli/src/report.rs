//! `oncoread report ASSESSMENT.json [--timeline FILE] --out DIR [--format LIST]`

use anyhow::{anyhow, Context, Result};
use clap::Args;
use oncoread_criteria::assessment::{Assessment, ASSESSMENT_SCHEMA};
use oncoread_criteria::concordance::{Concordance, CONCORDANCE_SCHEMA};
use oncoread_criteria::csv_input::parse_timeline_csv;
use oncoread_criteria::{parse_timeline_json, Timeline};
use oncoread_report::key_images::{KeyImageOptions, Window};
use oncoread_report::{write_all, Format, ReportOptions};
use std::path::Path;

#[derive(Args)]
pub struct ReportArgs {
    /// The assessment (oncoread.assessment/1 JSON, as `oncoread assess` writes it).
    assessment: String,
    /// The timeline the assessment came from (JSON or CSV): adds the lesion measurements
    /// (lesions.csv, the lesion tables of the HTML page) and the timeline's problems.
    #[arg(long)]
    timeline: Option<String>,
    /// The folder to write the reports into (created if missing).
    #[arg(long)]
    out: String,
    /// Formats to write, comma-separated: csv, html, json, and sdtm (CDISC SDTM TU/TR/RS as
    /// Dataset-JSON v1.1 and CSV; needs --timeline; written only when named), dicom-sr (one
    /// DICOM SR per subject, reader and timepoint under dicom-sr/; needs --timeline; only
    /// when named), key-images (PNG of each target lesion's measured slice; needs
    /// --timeline; only when named).
    #[arg(long, default_value = "csv,html,json")]
    format: String,
    /// The reader review of a double-read trial (concordance.json, as `oncoread assess
    /// --concordance` writes it): adds adjudication.csv, concordance.json and the page's
    /// reader-agreement section.
    #[arg(long, value_name = "FILE")]
    concordance: Option<String>,
    /// The CT window of key images, WIDTH,LEVEL in HU (default 400,40: soft tissue).
    #[arg(long, value_name = "WIDTH,LEVEL")]
    ct_window: Option<String>,
}

pub fn run(args: ReportArgs) -> Result<u8> {
    let formats = Format::parse_list(&args.format).map_err(|e| anyhow!("--format: {e}"))?;
    if formats.contains(&Format::DicomSr) && args.timeline.is_none() {
        return Err(anyhow!(
            "--format dicom-sr needs --timeline (the lesions and the studies they were measured in)"
        ));
    }
    if formats.contains(&Format::Sdtm) && args.timeline.is_none() {
        return Err(anyhow!(
            "--format sdtm needs --timeline (TU and TR list the timeline's lesions)"
        ));
    }
    if formats.contains(&Format::KeyImages) && args.timeline.is_none() {
        return Err(anyhow!(
            "--format key-images needs --timeline (the lesions' lines and images come from it)"
        ));
    }
    let mut key_images = KeyImageOptions::default();
    if let Some(window) = args.ct_window.as_deref() {
        key_images.ct_window = parse_ct_window(window)
            .ok_or_else(|| anyhow!("--ct-window: expected WIDTH,LEVEL in HU with WIDTH at least 1 (e.g. 400,40), found {window:?}"))?;
    }
    let assessment = read_assessment(&args.assessment)?;
    let timeline = args.timeline.as_deref().map(read_timeline).transpose()?;
    let readers = args
        .concordance
        .as_deref()
        .map(read_concordance)
        .transpose()?;
    let options = ReportOptions {
        key_images,
        readers,
        ..ReportOptions::default()
    };
    let written = write_all(
        &assessment,
        timeline.as_ref(),
        Path::new(&args.out),
        &formats,
        &options,
    )
    .context("writing the reports")?;
    let out = Path::new(&args.out);
    let key_image_count = written
        .files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .count();
    let names: Vec<String> = written
        .files
        .iter()
        .filter(|p| p.extension().is_none_or(|e| e != "png"))
        .map(|p| p.strip_prefix(out).unwrap_or(p).display().to_string())
        .chain((key_image_count > 0).then(|| format!("{key_image_count} key image(s)")))
        .collect();
    eprintln!(
        "oncoread report: {} subject read(s) → {} ({})",
        assessment.subjects.len(),
        args.out,
        names.join(", ")
    );
    for problem in &written.problems {
        eprintln!("problem: {}", problem.message);
    }
    Ok(0)
}

/// `WIDTH,LEVEL` (HU), width at least 1.
fn parse_ct_window(text: &str) -> Option<Window> {
    let (width, level) = text.split_once(',')?;
    let width: f64 = width.trim().parse().ok()?;
    let center: f64 = level.trim().parse().ok()?;
    (width >= 1.0 && width.is_finite() && center.is_finite()).then_some(Window { width, center })
}

fn read_assessment(path: &str) -> Result<Assessment> {
    let bytes = std::fs::read(path).with_context(|| format!("{path}: cannot read"))?;
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    let assessment: Assessment = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|e| anyhow!("{path}: {}: {}", e.path(), e.inner()))?;
    if assessment.schema != ASSESSMENT_SCHEMA {
        return Err(anyhow!(
            "{path}: schema: expected \"{ASSESSMENT_SCHEMA}\", found \"{}\"",
            assessment.schema
        ));
    }
    Ok(assessment)
}

pub(crate) fn read_timeline(path: &str) -> Result<Timeline> {
    let bytes = std::fs::read(path).with_context(|| format!("{path}: cannot read"))?;
    if path.to_ascii_lowercase().ends_with(".csv") {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| anyhow!("{path}: the CSV is not UTF-8 text"))?;
        parse_timeline_csv(text)
    } else {
        parse_timeline_json(&bytes)
    }
    .map_err(|e| anyhow!("{path}: {e}"))
}

/// A concordance document written by `oncoread assess --concordance` or `oncoread run`.
fn read_concordance(path: &str) -> Result<Concordance> {
    let bytes = std::fs::read(path).with_context(|| format!("{path}: cannot read"))?;
    let concordance: Concordance = serde_json::from_slice(&bytes)
        .map_err(|e| anyhow!("{path}: not an {CONCORDANCE_SCHEMA} document: {e}"))?;
    if concordance.schema != CONCORDANCE_SCHEMA {
        return Err(anyhow!(
            "{path}: schema {:?}, expected {CONCORDANCE_SCHEMA:?}",
            concordance.schema
        ));
    }
    Ok(concordance)
}
