//! `oncoread assess TIMELINE.json|.csv [--criteria LIST] [--config FILE] [--set KEY=VALUE]... [-o FILE|-]`

use anyhow::{anyhow, Context, Result};
use clap::Args;
use oncoread_criteria::csv_input::parse_timeline_csv;
use oncoread_criteria::{assess_timeline, parse_criteria_list, parse_timeline_json, Config};
use sha2::{Digest, Sha256};
use std::io::Read;

use crate::output::write_atomically;
use crate::{EXIT_BAD_INPUT, EXIT_PROBLEMS};

#[derive(Args)]
pub struct AssessArgs {
    /// The timeline: oncoread.timeline/1 JSON, or CSV (one row per lesion observation); `-` reads standard input.
    timeline: String,
    /// Criteria to apply, comma-separated (recist1.1, irecist, or all).
    #[arg(long, default_value = "all")]
    criteria: String,
    /// A TOML file of criteria config keys (`[recist] pd_rel = 0.2` or `"recist.pd_rel" = 0.2`).
    #[arg(long)]
    config: Option<String>,
    /// Override one config key, e.g. --set recist.pr_sticky=false (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Where to write the assessment JSON (`-` for standard output).
    #[arg(short = 'o', long = "output", default_value = "-")]
    output: String,
    /// Exit with status 3 when problems were recorded.
    #[arg(long)]
    strict: bool,
}

pub fn run(args: AssessArgs) -> Result<u8> {
    let config = build_config(&args)?;
    let criteria = parse_criteria_list(&args.criteria).map_err(|e| anyhow!("--criteria: {e}"))?;
    let bytes = read_input(&args.timeline)?;
    let timeline = if looks_like_csv(&args.timeline, &bytes) {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| anyhow!("{}: the CSV is not UTF-8 text", args.timeline))?;
        parse_timeline_csv(text)
    } else {
        parse_timeline_json(&bytes)
    }
    .map_err(|e| anyhow!("{}: {e}", args.timeline))?;

    let mut assessment = match assess_timeline(&timeline, &config, &criteria) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("oncoread: {}: {e}", args.timeline);
            return Ok(EXIT_BAD_INPUT);
        }
    };
    assessment.generator.input_sha256 = Some(hex_sha256(&bytes));
    let config_json = serde_json::to_vec(&assessment.config).context("serialising the config")?;
    assessment.generator.config_sha256 = Some(hex_sha256(&config_json));

    write_atomically(&args.output, |out| {
        serde_json::to_writer_pretty(&mut *out, &assessment).context("writing the assessment")?;
        out.write_all(b"\n")?;
        Ok(())
    })?;
    let rows: usize = assessment
        .subjects
        .iter()
        .flat_map(|s| &s.assessments)
        .map(|a| a.timepoints.len())
        .sum();
    eprintln!(
        "oncoread assess: {} subject(s), {} criterion(s), {rows} timepoint row(s), {} problem(s) → {}",
        assessment.subjects.len(),
        criteria.len(),
        assessment.problems.len(),
        if args.output == "-" { "standard output" } else { &args.output }
    );
    if args.strict && !assessment.problems.is_empty() {
        return Ok(EXIT_PROBLEMS);
    }
    Ok(0)
}

fn read_input(path: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("{path}: cannot read"))?;
    }
    Ok(bytes)
}

fn looks_like_csv(path: &str, bytes: &[u8]) -> bool {
    if path.to_ascii_lowercase().ends_with(".csv") {
        return true;
    }
    if path.to_ascii_lowercase().ends_with(".json") {
        return false;
    }
    let first = bytes
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
    first != Some(b'{')
}

fn build_config(args: &AssessArgs) -> Result<Config> {
    let mut config = Config::default();
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path).with_context(|| format!("{path}: cannot read"))?;
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| anyhow!("{path}: not valid TOML: {}", e.message()))?;
        let mut flat = Vec::new();
        flatten_toml("", &toml::Value::Table(table), &mut flat);
        for (key, value) in flat {
            let json = toml_to_json(&value);
            config
                .set(&key, &json)
                .map_err(|e| anyhow!("{path}: {e}"))?;
        }
    }
    for assignment in &args.set {
        let (key, value) = assignment
            .split_once('=')
            .ok_or_else(|| anyhow!("--set {assignment}: expected KEY=VALUE"))?;
        config
            .set_text(key.trim(), value)
            .map_err(|e| anyhow!("--set: {e}"))?;
    }
    Ok(config)
}

/// `[recist] pd_rel = 0.2` and `"recist.pd_rel" = 0.2` both become `recist.pd_rel`.
fn flatten_toml(prefix: &str, value: &toml::Value, out: &mut Vec<(String, toml::Value)>) {
    match value {
        toml::Value::Table(table) => {
            for (key, inner) in table {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten_toml(&name, inner, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

fn toml_to_json(value: &toml::Value) -> serde_json::Value {
    match value {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        // Integers and floats keep their decimal spelling, so 0.2 stays exactly 0.2.
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        toml::Value::Float(f) => serde_json::from_str(&f.to_string()).unwrap_or(serde_json::Value::Null),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Array(items) => serde_json::Value::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Table(_) => serde_json::Value::Null,
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
