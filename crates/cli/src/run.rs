//! `oncoread run [--config FILE] [--input PATH]... [--out DIR] [--reproducible] ...`
//!
//! The whole flow as `pipeline.toml` configures it: scan and extract the archive, assess
//! the timeline under the enabled criteria, write the reports and the run record. Each
//! stage is the library call the single-stage commands make; this module only sequences
//! them, times them and shows progress.

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use oncoread_criteria::assessment::Assessment;
use oncoread_criteria::concordance::{review_reads, Concordance};
use oncoread_criteria::timeline::Timeline;
use oncoread_criteria::{assess_timeline_each, parse_criteria_list, Criterion};
use oncoread_pipeline::assemble::LesionRoles;
use oncoread_pipeline::extract::{extract, ExtractOptions, ExtractSummary};
use oncoread_pipeline::index::Index;
use oncoread_pipeline::pacs_sink::{send_outputs, Destination, SinkSummary};
use oncoread_pipeline::pixel_measures::{lbm_formula_of, PixelOptions};
use oncoread_pipeline::pseudonym::Pseudonymizer;
use oncoread_pipeline::scan::{ScanOptions, ScanProgress};
use oncoread_pipeline::settings::{dicomweb_options, dimse_options, Input, PipelineSettings};
use oncoread_pipeline::shard::ShardSpec;
use oncoread_report::key_images::{KeyImageOptions, Window};
use oncoread_report::{write_all, Format, ReportOptions};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::assess::{apply_overrides, hex_sha256};
use crate::clock::utc_now;
use crate::extract::{describe_dicomweb, describe_dimse};
use crate::out_lock::lock_output_folder;
use crate::output::write_atomically;
use crate::progress::Progress;
use crate::{EXIT_BAD_INPUT, EXIT_PROBLEMS};

/// The run record's schema name.
const RUN_SCHEMA: &str = "oncoread.run/1";

#[derive(Args)]
pub struct RunArgs {
    /// The pipeline configuration.
    #[arg(long, value_name = "FILE", default_value = "pipeline.toml")]
    config: PathBuf,
    /// Folders (or `dicomweb:URL`, `dimse:AET@HOST:PORT` PACS) to read instead of the
    /// file's [[input]] tables (repeatable).
    #[arg(long = "input", value_name = "PATH")]
    inputs: Vec<PathBuf>,
    /// Output folder (default: the file's output.dir).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Same inputs, same bytes out: no timestamps or timings in the outputs.
    #[arg(long)]
    reproducible: bool,
    /// Criteria to apply (default: the file's criteria.enabled).
    #[arg(long)]
    criteria: Option<String>,
    /// Override one criteria config key, e.g. --set recist.pr_sticky=false (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// The index database (default: the file's run.index).
    #[arg(long, value_name = "FILE")]
    index: Option<PathBuf>,
    /// Reader threads (default: the file's run.threads, else one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Exit with status 3 when problems were recorded.
    #[arg(long)]
    strict: bool,
    /// Read only shard K of N (K from 0) into a partial output for `oncoread merge`:
    /// the subjects whose hash falls in shard K (see README, "Beyond one machine").
    #[arg(long, value_name = "K/N")]
    shard: Option<ShardSpec>,
    /// Replace patient names, ids and birth dates in every output with keyed pseudonyms;
    /// the key comes from the variable [privacy] key_env names (default
    /// ONCOREAD_PSEUDONYM_KEY). See README, "Pseudonymization".
    #[arg(long)]
    pseudonymize: bool,
}

/// One timed stage, for the summary and the run record.
pub(crate) struct Stage {
    pub(crate) name: &'static str,
    pub(crate) elapsed: Duration,
}

pub fn run(args: RunArgs) -> Result<u8> {
    let settings = match load_settings(&args) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("oncoread run: {error:#}");
            return Ok(EXIT_BAD_INPUT);
        }
    };
    if let Some(shard) = args.shard {
        return crate::shard::run_shard(settings, shard);
    }
    // Before any work: a run that cannot pseudonymize must not write identifiers.
    let pseudonymizer = match Pseudonymizer::from_env(&settings.privacy) {
        Ok(pseudonymizer) => pseudonymizer,
        Err(error) => {
            eprintln!("oncoread run: {error}");
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let criteria_list = settings
        .criteria
        .enabled
        .clone()
        .unwrap_or_else(|| "all".to_string());
    let criteria = parse_criteria_list(&criteria_list)
        .map_err(|e| anyhow!("{}: criteria.enabled: {e}", settings.file))?;
    let roots: Vec<PathBuf> = settings.inputs.iter().map(Input::root).collect();
    let roles = match &settings.lesions {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            LesionRoles::parse_csv(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?
        }
        None => LesionRoles::default(),
    };
    // One run per output folder; a killed run's temporary files are cleared.
    let _lock = match lock_output_folder(&settings.out) {
        Ok(lock) => lock,
        Err(error) => {
            eprintln!("oncoread run: {error:#}");
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let mut stages = Vec::new();

    // Scan and extract (one library call; the scan times itself).
    let started = Instant::now();
    let mut index = Index::open(&settings.index)?;
    let scan_progress = Arc::new(ScanProgress::default());
    let shown = Arc::clone(&scan_progress);
    let progress = Progress::start("scan", move || {
        let reports = shown.reports_total.load(Ordering::Relaxed);
        Some(if reports > 0 {
            (
                "extract",
                shown.reports_read.load(Ordering::Relaxed),
                reports,
            )
        } else {
            (
                "scan",
                shown.done.load(Ordering::Relaxed),
                shown.seen.load(Ordering::Relaxed),
            )
        })
    });
    let options = ExtractOptions {
        scan: ScanOptions {
            threads: settings.threads,
            progress: Some(scan_progress),
            shard: None,
        },
        dicomweb: dicomweb_options(&settings.inputs)?,
        dimse: dimse_options(&settings.inputs),
        roles,
        pixels: PixelOptions {
            lbm_formula: lbm_formula_of(&settings.criteria.config),
            sequential: false,
        },
        limits: settings.limits,
    };
    let extracted = extract(&roots, &mut index, &options);
    progress.finish();
    let (timeline, summary) = extracted.context("extract")?;
    drop(index);
    stages.push(Stage {
        name: "scan",
        elapsed: summary.scan.elapsed,
    });
    let fetched = summary.dicomweb.as_ref().map(|web| web.elapsed);
    if let Some(elapsed) = fetched {
        stages.push(Stage {
            name: "fetch",
            elapsed,
        });
    }
    stages.push(Stage {
        name: "extract",
        elapsed: started
            .elapsed()
            .saturating_sub(summary.scan.elapsed + fetched.unwrap_or_default()),
    });

    finish_run(
        &settings,
        &criteria,
        &timeline,
        &summary,
        stages,
        args.strict,
        pseudonymizer.as_ref(),
    )
}

/// What a run does once the timeline is built (also the second half of `oncoread merge`):
/// assess, compare double reads, write the outputs, send them to the PACS when configured,
/// write `run.json` and print the summary. Returns the exit status. With a
/// `pseudonymizer`, everything after this point sees only the pseudonymized timeline.
pub(crate) fn finish_run(
    settings: &PipelineSettings,
    criteria: &[Criterion],
    timeline: &Timeline,
    summary: &ExtractSummary,
    mut stages: Vec<Stage>,
    strict: bool,
    pseudonymizer: Option<&Pseudonymizer>,
) -> Result<u8> {
    let started = Instant::now();
    let pseudonymized = pseudonymizer
        .map(|p| p.apply(timeline))
        .transpose()
        .context("pseudonymize")?;
    if pseudonymized.is_some() {
        stages.push(Stage {
            name: "privacy", // the [privacy] table's rewriting
            elapsed: started.elapsed(),
        });
    }
    let (timeline, image_files) = match &pseudonymized {
        Some(p) => (&p.timeline, p.image_files.clone()),
        None => (timeline, Default::default()),
    };

    // Assess.
    let started = Instant::now();
    let progress = Progress::spinner("assess");
    // One subject that cannot be assessed is a problem of that subject, not of the run.
    let mut assessment = assess_timeline_each(timeline, &settings.criteria.config, criteria);
    progress.finish();
    // Double reads compared and adjudicated as `[readers]` says; marks the accepted reads.
    let readers = settings
        .readers
        .as_ref()
        .map(|rules| review_reads(Some(timeline), &mut assessment, rules));
    stages.push(Stage {
        name: "assess",
        elapsed: started.elapsed(),
    });

    // Report.
    let started = Instant::now();
    let progress = Progress::spinner("report");
    let written = write_outputs(settings, timeline, &mut assessment, readers, image_files);
    progress.finish();
    let (outputs, report_problems) = written?;
    stages.push(Stage {
        name: "report",
        elapsed: started.elapsed(),
    });

    // Send the DICOM outputs back to the PACS, when configured.
    let sent = settings.pacs.as_ref().map(|sink| {
        let started = Instant::now();
        let progress = Progress::spinner("send");
        let sent = send_outputs(&settings.out, sink).map_err(|e| e.to_string());
        progress.finish();
        stages.push(Stage {
            name: "send",
            elapsed: started.elapsed(),
        });
        sent
    });

    let problems = count_problems(timeline, &assessment) + report_problems;
    let mut record = run_record(
        settings,
        criteria,
        summary,
        &assessment,
        problems,
        &outputs,
        &stages,
    );
    if let Some(sent) = &sent {
        record["pacs"] = sink_record(sent, settings.reproducible);
    }
    write_json(&settings.out.join("run.json"), &record)?;

    print_summary(settings, summary, &assessment, problems, &stages);
    if let (Some(sink), Some(sent)) = (&settings.pacs, &sent) {
        let destination = sink.describe();
        match sent {
            Ok(sent) => {
                eprintln!(
                    "pacs: {} file(s) of {} study(ies) sent to {destination}: {} stored, {} \
                     failed, {} request(s)",
                    sent.files,
                    sent.studies,
                    sent.stored,
                    sent.problems.len(),
                    sent.requests
                );
                for problem in &sent.problems {
                    eprintln!("pacs: not stored: {problem}");
                }
                if !sent.problems.is_empty() {
                    return Ok(EXIT_BAD_INPUT);
                }
            }
            Err(error) => {
                eprintln!("pacs: nothing sent to {destination}: {error}");
                return Ok(EXIT_BAD_INPUT);
            }
        }
    }
    if strict && problems > 0 {
        return Ok(EXIT_PROBLEMS);
    }
    Ok(0)
}

/// The sink's part of `run.json`: what was sent, and every file not stored.
fn sink_record(sent: &Result<SinkSummary, String>, reproducible: bool) -> Value {
    match sent {
        Ok(sent) => {
            let mut record = json!({
                "files": sent.files,
                "studies": sent.studies,
                "stored": sent.stored,
                "problems": sent.problems,
            });
            if !reproducible {
                record["requests"] = json!(sent.requests);
            }
            record
        }
        Err(error) => json!({"error": error}),
    }
}

/// The settings file with the command line's overrides applied.
fn load_settings(args: &RunArgs) -> Result<PipelineSettings> {
    if !args.config.exists() {
        bail!(
            "{}: not found (run from the folder that holds pipeline.toml, or pass --config FILE)",
            args.config.display()
        );
    }
    let mut settings = PipelineSettings::load(&args.config)?;
    if !args.inputs.is_empty() {
        settings.inputs = args
            .inputs
            .iter()
            .map(|a| Input::from_argument(a))
            .collect();
    }
    if settings.inputs.is_empty() {
        bail!(
            "{}: no inputs: add an [[input]] table with `path = \"FOLDER\"`, or pass --input PATH",
            settings.file
        );
    }
    if let Some(out) = &args.out {
        settings.out = out.clone();
    }
    if let Some(index) = &args.index {
        settings.index = index.clone();
    }
    if let Some(threads) = args.threads {
        settings.threads = Some(usize::from(threads));
    }
    if let Some(list) = &args.criteria {
        settings.criteria.enabled = Some(list.clone());
    }
    settings.reproducible |= args.reproducible;
    settings.privacy.pseudonymize |= args.pseudonymize;
    // The SRs would carry pseudonyms into the original studies (same Study Instance UIDs):
    // one study, two patients, in the PACS the identifiers came from.
    if settings.privacy.pseudonymize && settings.pacs.is_some() {
        bail!(
            "{}: [output.pacs] with pseudonymization would store pseudonymized SRs in the \
             original studies: remove [output.pacs], or run without --pseudonymize",
            settings.file
        );
    }
    apply_overrides(&mut settings.criteria.config, &args.set)?;
    Ok(settings)
}

/// Writes `timeline.json` and the configured report formats; returns the files written and
/// the number of problems met while writing them (key images that could not be made).
pub(crate) fn write_outputs(
    settings: &PipelineSettings,
    timeline: &Timeline,
    assessment: &mut Assessment,
    readers: Option<Concordance>,
    image_files: BTreeMap<String, String>,
) -> Result<(Vec<PathBuf>, usize)> {
    std::fs::create_dir_all(&settings.out)
        .with_context(|| format!("{}: cannot create the folder", settings.out.display()))?;
    let timeline_path = settings.out.join("timeline.json");
    let timeline_bytes = pretty_json(timeline)?;
    write_bytes(&timeline_path, &timeline_bytes)?;
    // The assessment names the document it assessed, as `oncoread assess` does.
    assessment.generator.input_sha256 = Some(hex_sha256(&timeline_bytes));
    let config_json = serde_json::to_vec(&assessment.config).context("serialising the config")?;
    assessment.generator.config_sha256 = Some(hex_sha256(&config_json));

    let formats = settings
        .formats
        .iter()
        .map(|name| Format::from_name(name).ok_or_else(|| anyhow!("unknown format {name}")))
        .collect::<Result<Vec<_>>>()?;
    let options = ReportOptions {
        generated_at: (!settings.reproducible).then(utc_now),
        problems: Vec::new(), // the timeline's problems are listed from the timeline itself
        readers,
        key_images: KeyImageOptions {
            ct_window: settings
                .key_image_ct_window
                .map(|[width, center]| Window { width, center })
                .unwrap_or(Window::CT_SOFT_TISSUE),
            image_files,
        },
    };
    let reports = write_all(
        assessment,
        Some(timeline),
        &settings.out,
        &formats,
        &options,
    )
    .context("writing the reports")?;
    let mut written = vec![timeline_path];
    written.extend(reports.files);
    Ok((written, reports.problems.len()))
}

/// Problems of the extraction (files, reports, assembly) and of the assessment.
pub(crate) fn count_problems(timeline: &Timeline, assessment: &Assessment) -> usize {
    timeline.problems.len()
        + assessment
            .subjects
            .iter()
            .map(|s| s.problems.len())
            .sum::<usize>()
}

/// `run.json`: what ran, on what, with which configuration, and what came out.
pub(crate) fn run_record(
    settings: &PipelineSettings,
    criteria: &[Criterion],
    summary: &ExtractSummary,
    assessment: &Assessment,
    problems: usize,
    outputs: &[PathBuf],
    stages: &[Stage],
) -> Value {
    let mut config = config_record(settings, criteria);
    // Only when configured: runs without a sink keep their configuration hash.
    if let Some(sink) = &settings.pacs {
        config["pacs"] = match &sink.destination {
            Destination::DicomWeb { url, auth_env } => json!({
                "dicomweb": url,
                "auth_env": auth_env,
                "key_images": sink.key_images,
            }),
            Destination::Dimse {
                address,
                calling_aet,
            } => json!({
                "dimse": address,
                "calling_aet": calling_aet,
                "key_images": sink.key_images,
            }),
        };
    }
    let config_sha256 = hex_sha256(config.to_string().as_bytes());
    let output_hashes: Vec<Value> = outputs
        .iter()
        .map(|path| {
            // Relative to the output folder: dicom-sr/ and key-images/ hold many files of
            // one name (BL.dcm) in different folders.
            let name = path
                .strip_prefix(&settings.out)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned();
            let sha256 = std::fs::read(path).map(|b| hex_sha256(&b)).ok();
            json!({"file": name, "sha256": sha256})
        })
        .collect();
    let scan = &summary.scan;
    let mut record = json!({
        "schema": RUN_SCHEMA,
        "oncoread_version": env!("CARGO_PKG_VERSION"),
        "config_file": settings.file,
        "config": config,
        "config_sha256": config_sha256,
        "input_manifest_sha256": summary.input_manifest_sha256,
        "counts": {
            "files": scan.files_seen,
            "instances": scan.instances,
            "file_problems": scan.problems,
            "reports": summary.reports,
            "reports_read": summary.reports_read,
            "subjects": distinct_subjects(assessment),
            "subject_reads": assessment.subjects.len(),
            "timepoints": summary.timepoints,
            "lesion_observations": summary.lesion_observations,
            "problems": problems,
        },
        "outputs": output_hashes,
    });
    if !settings.reproducible {
        record["generated_at"] = json!(utc_now());
        record["stages"] = stages
            .iter()
            .map(|s| json!({"stage": s.name, "seconds": round_ms(s.elapsed)}))
            .collect();
        record["files_read_now"] = json!(scan.read);
    }
    record
}

/// The run record's `config`: everything that decides the outputs (its hash is
/// `config_sha256`; shards of one run must agree on it).
pub(crate) fn config_record(settings: &PipelineSettings, criteria: &[Criterion]) -> Value {
    let mut config = json!({
        "inputs": settings.inputs.iter().map(|input| match input {
            Input::Folder(path) => json!({"path": path.display().to_string()}),
            Input::DicomWeb(web) => json!({
                "dicomweb": web.url,
                "auth_env": web.auth_env,
                "study_dates": web.study_dates,
            }),
            Input::Dimse(dimse) => json!({
                "dimse": dimse.address,
                "calling_aet": dimse.calling_aet,
                "study_dates": dimse.study_dates,
            }),
        }).collect::<Vec<_>>(),
        "criteria": criteria.iter().map(|c| c.name()).collect::<Vec<_>>(),
        "criteria_config": settings.criteria.config.effective(),
        "formats": settings.formats,
        "lesions": settings.lesions.as_ref().map(|p| p.display().to_string()),
    });
    // Only when on (runs without it keep their configuration hash); the variable's name,
    // never the key.
    if settings.privacy.pseudonymize {
        config["privacy"] = json!({
            "pseudonymize": true,
            "key_env": settings.privacy.key_env,
            "shift_dates": settings.privacy.shift_dates,
        });
    }
    config
}

/// Subjects, each counted once however many readers read it.
fn distinct_subjects(assessment: &Assessment) -> usize {
    let mut ids: Vec<&str> = assessment
        .subjects
        .iter()
        .map(|s| s.subject_id.as_str())
        .collect();
    ids.dedup(); // the assessment is sorted by subject id, then reader
    ids.len()
}

fn round_ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

pub(crate) fn print_summary(
    settings: &PipelineSettings,
    summary: &ExtractSummary,
    assessment: &Assessment,
    problems: usize,
    stages: &[Stage],
) {
    let scan = &summary.scan;
    if let Some(web) = &summary.dicomweb {
        eprintln!("{}", describe_dicomweb(web));
    }
    if let Some(dimse) = &summary.dimse {
        eprintln!("{}", describe_dimse(dimse));
    }
    eprintln!(
        "run: {} files = {} instances + {} unreadable; {} SR(s), {} read; {} subject(s), \
         {} subject read(s), {} timepoint(s), {} lesion observation(s); {} problem(s)",
        scan.files_seen,
        scan.instances,
        scan.problems,
        summary.reports,
        summary.reports_read,
        distinct_subjects(assessment),
        assessment.subjects.len(),
        summary.timepoints,
        summary.lesion_observations,
        problems
    );
    for stage in stages {
        let seconds = stage.elapsed.as_secs_f64();
        let rate = match stage.name {
            "scan" | "merge" => per_second(scan.files_seen as f64, seconds, "files"),
            "fetch" => per_second(
                summary.dicomweb.as_ref().map_or(0, |w| w.studies) as f64,
                seconds,
                "studies",
            ),
            "extract" => per_second(summary.reports as f64, seconds, "SRs"),
            "send" => String::new(), // the pacs line below gives its counts
            _ => per_second(assessment.subjects.len() as f64, seconds, "subjects"),
        };
        eprintln!("  {:<8} {seconds:>8.3} s  {rate}", stage.name);
    }
    eprintln!("  → {}", settings.out.display());
}

fn per_second(count: f64, seconds: f64, unit: &str) -> String {
    if seconds > 0.0 {
        format!("{:.0} {unit}/s", count / seconds)
    } else {
        String::new()
    }
}

fn pretty_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value).context("serialising")?;
    bytes.push(b'\n');
    Ok(bytes)
}

pub(crate) fn write_json(path: &Path, value: &Value) -> Result<()> {
    write_bytes(path, &pretty_json(value)?)
}

pub(crate) fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = path
        .to_str()
        .ok_or_else(|| anyhow!("{}: not a UTF-8 path", path.display()))?;
    write_atomically(target, |out| {
        out.write_all(bytes)
            .with_context(|| format!("writing {target}"))
    })
}
