//! `oncoread assess TIMELINE.json|.csv [--criteria LIST] [--config FILE] [--set KEY=VALUE]... [-o FILE|-]`

use anyhow::{anyhow, Context, Result};
use clap::Args;
use oncoread_criteria::adjudication::ReaderRules;
use oncoread_criteria::assessment::{Assessment, Flag};
use oncoread_criteria::concordance::review_reads;
use oncoread_criteria::csv_input::parse_timeline_csv;
use oncoread_criteria::{assess_timeline, parse_criteria_list, parse_timeline_json, Config};
use oncoread_pipeline::reader_settings::load_reader_rules;
use oncoread_pipeline::settings::load_criteria_file;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use crate::json_layout::{to_writer_lines, LineFormatter};
use crate::output::{is_special_file, write_atomically, AtomicFile};
use crate::stream::{self, Outcome};
use crate::{EXIT_BAD_INPUT, EXIT_PROBLEMS};

#[derive(Args)]
pub struct AssessArgs {
    /// The timeline: oncoread.timeline/1 JSON, or CSV (one row per lesion observation); `-` reads standard input.
    timeline: String,
    /// Criteria to apply, comma-separated (recist1.1, irecist, irrc, irrecist, imrecist, or
    /// all); default: the config file's `criteria.enabled`, else all.
    #[arg(long)]
    criteria: Option<String>,
    /// A TOML file of criteria config keys: pipeline.toml (its [criteria] table), or a file
    /// of keys such as `[recist] pd_rel = 0.2` or `"recist.pd_rel" = 0.2`.
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
    /// Indent the assessment JSON (default: compact, one line per subject and per problem).
    #[arg(long)]
    pretty: bool,
    /// Compare double reads and write the review (oncoread.concordance/1 JSON) here; the
    /// config file's [readers] table sets the triggers (default ones without it). A
    /// [readers] table alone also marks the accepted reads in the assessment.
    #[arg(long, value_name = "FILE")]
    concordance: Option<String>,
}

pub fn run(args: AssessArgs) -> Result<u8> {
    let (config, enabled_in_file) = build_config(&args)?;
    let criteria_list = match (&args.criteria, enabled_in_file) {
        (Some(list), _) => list.clone(),
        (None, Some(list)) => list,
        (None, None) => "all".to_string(),
    };
    let criteria = parse_criteria_list(&criteria_list).map_err(|e| anyhow!("criteria: {e}"))?;
    let reader_rules = reader_rules(&args)?;
    let bytes = read_input(&args.timeline)?;
    let csv = looks_like_csv(&args.timeline, &bytes);
    // The reader review needs every read of a subject at once: not the streaming path.
    if !csv && !args.pretty && reader_rules.is_none() {
        // JSON in, compact JSON out: assess subject by subject as they are parsed, writing
        // straight into the output file (synced as it grows) when there is one.
        // Straight into a regular output file; standard output, a device or a pipe get
        // the whole document at the end (the streaming path may read its file back).
        let mut file = match args.output.as_str() {
            "-" => None,
            target if is_special_file(target) => None,
            target => Some(AtomicFile::create(target)?),
        };
        if let Some(file) = file.as_mut() {
            file.sync_in_background()?;
        }
        let finish_header = |header: &mut Assessment| set_hashes(header, &bytes);
        let writer = file.as_mut().map(AtomicFile::writer);
        match stream::assess_json(&bytes, &config, &criteria, &finish_header, writer) {
            Outcome::Assessed(streamed) => {
                drop(bytes);
                match file {
                    Some(mut file) => {
                        file.writer()
                            .write_all(b"\n")
                            .context("writing the assessment")?;
                        file.commit()?;
                    }
                    None => write_atomically(&args.output, |out| {
                        streamed.write(out).context("writing the assessment")?;
                        out.write_all(b"\n")?;
                        Ok(())
                    })?,
                }
                let problems = streamed.problems;
                return Ok(report(
                    &args,
                    streamed.subjects,
                    criteria.len(),
                    streamed.rows,
                    problems,
                    &streamed.flags,
                ));
            }
            Outcome::Invalid(e) => {
                eprintln!("oncoread: {}: {e}", args.timeline);
                return Ok(EXIT_BAD_INPUT);
            }
            Outcome::Failed(e) => return Err(e),
            Outcome::Fallback => {} // the temporary file, if any, is removed here
        }
    }
    let timeline = if csv {
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
    set_hashes(&mut assessment, &bytes)?;
    if let Some(rules) = &reader_rules {
        let review = review_reads(Some(&timeline), &mut assessment, rules);
        eprintln!(
            "oncoread assess: {} double read(s), {} to adjudicate",
            review.statistics.pairs,
            review.adjudication.len()
        );
        if let Some(path) = &args.concordance {
            write_atomically(path, |out| {
                serde_json::to_writer_pretty(&mut *out, &review)
                    .context("writing the concordance")?;
                out.write_all(b"\n")?;
                Ok(())
            })?;
        }
    }

    write_atomically(&args.output, |out| {
        if args.pretty {
            serde_json::to_writer_pretty(&mut *out, &assessment)
        } else {
            to_writer_lines(&mut *out, &assessment, LineFormatter::default())
        }
        .context("writing the assessment")?;
        out.write_all(b"\n")?;
        Ok(())
    })?;
    let rows: usize = assessment
        .subjects
        .iter()
        .flat_map(|s| &s.assessments)
        .map(|a| a.timepoints.len())
        .sum();
    let mut flags = BTreeMap::new();
    for subject in &assessment.subjects {
        count_flags(&mut flags, &subject.flags);
    }
    let code = report(
        &args,
        assessment.subjects.len(),
        criteria.len(),
        rows,
        timeline.problems.len()
            + assessment
                .subjects
                .iter()
                .map(|s| s.problems.len())
                .sum::<usize>(),
        &flags,
    );
    // The process ends next: freeing millions of small allocations one by one would only
    // cost time (about 1.5 s for 100,000 subjects).
    std::mem::forget(timeline);
    std::mem::forget(assessment);
    Ok(code)
}

/// The hashes of the input document and of the effective config, in the generator block.
fn set_hashes(assessment: &mut Assessment, input: &[u8]) -> Result<()> {
    assessment.generator.input_sha256 = Some(hex_sha256(input));
    let config_json = serde_json::to_vec(&assessment.config).context("serialising the config")?;
    assessment.generator.config_sha256 = Some(hex_sha256(&config_json));
    Ok(())
}

/// Adds a subject's cross-criterion flags to the counts by kind.
pub fn count_flags(counts: &mut BTreeMap<String, usize>, flags: &[Flag]) {
    for flag in flags {
        match counts.get_mut(&flag.kind) {
            Some(n) => *n += 1,
            None => {
                counts.insert(flag.kind.clone(), 1);
            }
        }
    }
}

/// The summary on standard error (one line, then one line per flag kind), and the exit
/// status.
fn report(
    args: &AssessArgs,
    subjects: usize,
    criteria: usize,
    rows: usize,
    problems: usize,
    flags: &BTreeMap<String, usize>,
) -> u8 {
    eprintln!(
        "oncoread assess: {subjects} subject(s), {criteria} criterion(s), {rows} timepoint row(s), {problems} problem(s) → {}",
        if args.output == "-" { "standard output" } else { &args.output }
    );
    for (kind, count) in flags {
        eprintln!("oncoread assess: flag {kind}: {count}");
    }
    if args.strict && problems > 0 {
        return EXIT_PROBLEMS;
    }
    0
}

/// The input document's bytes: a file is memory-mapped (a 400 MB timeline then costs
/// neither a copy nor zeroed pages), standard input is read.
enum InputBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for InputBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            InputBytes::Mapped(map) => map,
            InputBytes::Read(bytes) => bytes,
        }
    }
}

fn read_input(path: &str) -> Result<InputBytes> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
        return Ok(InputBytes::Read(bytes));
    }
    let file = std::fs::File::open(path).with_context(|| format!("{path}: cannot read"))?;
    let length = file
        .metadata()
        .with_context(|| format!("{path}: cannot read"))?
        .len();
    if length == 0 || !file.metadata().map(|m| m.is_file()).unwrap_or(false) {
        // Empty files and special files (pipes) cannot be mapped: read them.
        let bytes = std::fs::read(path).with_context(|| format!("{path}: cannot read"))?;
        return Ok(InputBytes::Read(bytes));
    }
    // SAFETY: the map is read-only and private to this process. If another process
    // truncated the file while we read it, reads past the new end would fault; a timeline
    // being rewritten under a running assessment is outside what this command supports
    // (outputs of oncoread itself are always replaced atomically by rename, which leaves
    // this mapping intact).
    let map =
        unsafe { memmap2::Mmap::map(&file) }.with_context(|| format!("{path}: cannot read"))?;
    Ok(InputBytes::Mapped(map))
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

/// The config with the file's keys and the `--set` overrides applied, and the criteria
/// list the file enables (if any).
fn build_config(args: &AssessArgs) -> Result<(Config, Option<String>)> {
    let (mut config, enabled) = match &args.config {
        Some(path) => {
            let settings = load_criteria_file(Path::new(path))?;
            (settings.config, settings.enabled)
        }
        None => (Config::default(), None),
    };
    apply_overrides(&mut config, &args.set)?;
    Ok((config, enabled))
}

/// The reader workflow: the config file's `[readers]`, else the default rules when
/// `--concordance` asks for a review, else none.
fn reader_rules(args: &AssessArgs) -> Result<Option<ReaderRules>> {
    let from_file = match &args.config {
        Some(path) => load_reader_rules(Path::new(path))?,
        None => None,
    };
    Ok(from_file.or_else(|| args.concordance.is_some().then(ReaderRules::default)))
}

/// Applies `--set KEY=VALUE` overrides (shared with `oncoread run`).
pub fn apply_overrides(config: &mut Config, assignments: &[String]) -> Result<()> {
    for assignment in assignments {
        let (key, value) = assignment
            .split_once('=')
            .ok_or_else(|| anyhow!("--set {assignment}: expected KEY=VALUE"))?;
        config
            .set_text(key.trim(), value)
            .map_err(|e| anyhow!("--set: {e}"))?;
    }
    Ok(())
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
