//! `oncoread report ASSESSMENT.json [--timeline FILE] --out DIR [--format LIST]`

use anyhow::{anyhow, Context, Result};
use clap::Args;
use oncoread_criteria::assessment::{Assessment, ASSESSMENT_SCHEMA};
use oncoread_criteria::csv_input::parse_timeline_csv;
use oncoread_criteria::{parse_timeline_json, Timeline};
use oncoread_report::{write_reports, Format, ReportOptions};
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
    /// DICOM SR per subject, reader and timepoint under dicom-sr/; needs --timeline).
    #[arg(long, default_value = "csv,html,json")]
    format: String,
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
    let assessment = read_assessment(&args.assessment)?;
    let timeline = args.timeline.as_deref().map(read_timeline).transpose()?;
    let written = write_reports(
        &assessment,
        timeline.as_ref(),
        Path::new(&args.out),
        &formats,
        &ReportOptions::default(),
    )
    .context("writing the reports")?;
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    eprintln!(
        "oncoread report: {} subject read(s) → {} ({})",
        assessment.subjects.len(),
        args.out,
        names.join(", ")
    );
    Ok(0)
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

fn read_timeline(path: &str) -> Result<Timeline> {
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
