//! `oncoread diff-config A B [--config FILE] [--timeline FILE] [-o FILE|-]`: the trial
//! re-assessed under two named criteria configurations of `pipeline.toml`
//! (`[protocols.NAME]`), and every subject read whose timepoint response, best overall
//! response or progression changes, with the keys that make the difference.

use anyhow::{anyhow, bail, Result};
use clap::Args;
use oncoread_criteria::config_diff::{diff_configs, ConfigDiff};
use oncoread_criteria::parse_criteria_list;
use oncoread_pipeline::reader_settings::Protocol;
use oncoread_pipeline::settings::PipelineSettings;
use std::path::PathBuf;

use crate::output::write_atomically;
use crate::report::read_timeline;

#[derive(Args)]
pub struct DiffConfigArgs {
    /// The first configuration: a `[protocols.NAME]` of the file.
    first: String,
    /// The second configuration.
    second: String,
    /// The pipeline configuration that names the protocols.
    #[arg(long, value_name = "FILE", default_value = "pipeline.toml")]
    config: PathBuf,
    /// The trial's timeline (JSON or CSV); default: timeline.json of the file's output
    /// folder (what `oncoread run` wrote).
    #[arg(long, value_name = "FILE")]
    timeline: Option<String>,
    /// Where to write the changes as CSV (`-`: standard output).
    #[arg(short = 'o', long = "output", default_value = "-")]
    output: String,
}

pub fn run(args: DiffConfigArgs) -> Result<u8> {
    let settings = PipelineSettings::load(&args.config)?;
    let first = protocol(&settings, &args.first)?;
    let second = protocol(&settings, &args.second)?;
    let timeline_path = match &args.timeline {
        Some(path) => path.clone(),
        None => {
            let path = settings.out.join("timeline.json");
            if !path.exists() {
                bail!(
                    "{}: not found: run `oncoread run` first, or pass --timeline FILE",
                    path.display()
                );
            }
            path.display().to_string()
        }
    };
    let timeline = read_timeline(&timeline_path)?;
    // The criteria both configurations assess.
    let enabled = |p: &Protocol| p.criteria.enabled.clone().unwrap_or_else(|| "all".into());
    let first_criteria = parse_criteria_list(&enabled(first))
        .map_err(|e| anyhow!("protocols.{}: criteria: {e}", first.name))?;
    let second_criteria = parse_criteria_list(&enabled(second))
        .map_err(|e| anyhow!("protocols.{}: criteria: {e}", second.name))?;
    let criteria: Vec<_> = first_criteria
        .into_iter()
        .filter(|c| second_criteria.contains(c))
        .collect();
    if criteria.is_empty() {
        bail!(
            "protocols {:?} and {:?} enable no criterion in common",
            first.name,
            second.name
        );
    }
    let diff = diff_configs(
        &timeline,
        &first.criteria.config,
        &second.criteria.config,
        &criteria,
    )
    .map_err(|e| anyhow!("{timeline_path}: {e}"))?;
    write_atomically(&args.output, |out| {
        out.write_all(changes_csv(&diff).as_bytes())?;
        Ok(())
    })?;
    print_summary(&args, &diff);
    Ok(0)
}

fn protocol<'a>(settings: &'a PipelineSettings, name: &str) -> Result<&'a Protocol> {
    settings
        .protocols
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| {
            let known: Vec<String> = settings
                .protocols
                .iter()
                .map(|p| format!("{:?}", p.name))
                .collect();
            anyhow!(
                "{}: no [protocols.{name:?}] (named: {})",
                settings.file,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })
}

/// One CSV row per change (RFC 4180, CRLF).
fn changes_csv(diff: &ConfigDiff) -> String {
    let mut out = String::new();
    let mut record = |fields: &[&str]| {
        let line: Vec<String> = fields.iter().map(|f| quoted(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    };
    record(&[
        "subject_id",
        "reader",
        "criterion",
        "what",
        "timepoint_id",
        "first",
        "second",
        "keys",
    ]);
    for change in &diff.changes {
        let keys = if change.keys.is_empty() {
            "(the differing keys together)".to_string()
        } else {
            change.keys.join(" ")
        };
        record(&[
            &change.subject_id,
            change.reader.as_deref().unwrap_or(""),
            change.criterion.name(),
            change.what,
            change.timepoint_id.as_deref().unwrap_or(""),
            &change.first,
            &change.second,
            &keys,
        ]);
    }
    out
}

fn quoted(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// On standard error: the differing keys, then the subjects that change.
fn print_summary(args: &DiffConfigArgs, diff: &ConfigDiff) {
    let keys: Vec<String> = diff
        .keys
        .iter()
        .map(|k| format!("{} {} → {}", k.key, k.first, k.second))
        .collect();
    eprintln!(
        "oncoread diff-config: {:?} → {:?}: {} key(s) differ{}{}",
        args.first,
        args.second,
        keys.len(),
        if keys.is_empty() { "" } else { ": " },
        keys.join(", ")
    );
    let mut subjects: Vec<String> = diff
        .changes
        .iter()
        .map(|c| match &c.reader {
            Some(reader) => format!("{} ({reader})", c.subject_id),
            None => c.subject_id.clone(),
        })
        .collect();
    subjects.dedup();
    eprintln!(
        "oncoread diff-config: {} change(s) in {} subject read(s){}{}",
        diff.changes.len(),
        subjects.len(),
        if subjects.is_empty() { "" } else { ": " },
        subjects.join(", ")
    );
}
