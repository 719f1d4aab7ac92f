//! `oncoread merge SHARD_OUTPUT... --out DIR`: join the partial outputs of `oncoread run
//! --shard K/N` into the outputs of one run.
//!
//! The shards' records, file problems and reports are joined in path order — the order a
//! single run reads them from its index — and the deciding half of the run (timeline
//! assembly, assessment, reports, `run.json`) runs once on them, so the outputs are the
//! single run's, byte for byte under `--reproducible`. Shards that do not belong together
//! are refused before anything is written: another version or configuration, another
//! number of shards, a shard missing or given twice.

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use oncoread_criteria::config::Config;
use oncoread_criteria::parse_criteria_list;
use oncoread_pipeline::assemble::LesionRoles;
use oncoread_pipeline::extract::{assemble_collected, Collected};
use oncoread_pipeline::pixel_measures::{lbm_formula_of, PixelOptions};
use oncoread_pipeline::pseudonym::{Privacy, Pseudonymizer};
use oncoread_pipeline::scan::ScanSummary;
use oncoread_pipeline::settings::{CriteriaSettings, Input, PipelineSettings};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::assess::hex_sha256;
use crate::out_lock::lock_output_folder;
use crate::partial::{self, ShardManifest, FILE_PROBLEMS, IMAGES, LESIONS, MANIFEST, REPORTS};
use crate::run::{config_record, finish_run, Stage};
use crate::EXIT_BAD_INPUT;

#[derive(Args)]
pub struct MergeArgs {
    /// Shard output folders (`OUT/shard-K-of-N`), or the folder that holds them.
    #[arg(value_name = "SHARD_OUTPUT", required = true)]
    shards: Vec<PathBuf>,
    /// Where to write the merged outputs.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Exit with status 3 when problems were recorded.
    #[arg(long)]
    strict: bool,
}

/// One shard output folder and its manifest.
struct Shard {
    dir: PathBuf,
    manifest: ShardManifest,
}

impl Shard {
    fn name(&self) -> String {
        format!(
            "shard {}/{} ({})",
            self.manifest.shard,
            self.manifest.shards,
            self.dir.display()
        )
    }
}

pub fn run(args: MergeArgs) -> Result<u8> {
    let started = Instant::now();
    let folders = shard_folders(&args.shards)?;
    let shards = folders
        .into_iter()
        .map(|dir| {
            let manifest = partial::read_manifest(&dir)?;
            Ok(Shard { dir, manifest })
        })
        .collect::<Result<Vec<_>>>()
        .map_err(|e| anyhow!("merge: {e:#}"))?;
    check_together(&shards).map_err(|e| anyhow!("merge: {e}"))?;
    // Checked: every shard has the same configuration; the first speaks for all.
    let Some(first) = shards.first() else {
        bail!("merge: no shard outputs given");
    };
    let settings = settings_of(&first.manifest, &args.out)?;
    let criteria = parse_criteria_list(&first.manifest.criteria.join(",")).map_err(|e| {
        anyhow!(
            "merge: {}: criteria: {e}",
            first.dir.join(MANIFEST).display()
        )
    })?;
    let rebuilt = hex_sha256(config_record(&settings, &criteria).to_string().as_bytes());
    if rebuilt != first.manifest.config_sha256 {
        bail!(
            "merge: {}: the configuration does not rebuild to its config_sha256 (written by another build of oncoread?)",
            first.dir.join(MANIFEST).display()
        );
    }
    let roles = match &first.manifest.lesions {
        Some(_) => {
            let path = first.dir.join(LESIONS);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("merge: {}: cannot read", path.display()))?;
            LesionRoles::parse_csv(&text).map_err(|e| anyhow!("merge: {}: {e}", path.display()))?
        }
        None => LesionRoles::default(),
    };
    // The shards recorded whether to pseudonymize; the merge writes the outputs, so the
    // merge reads the key (the same key gives the same pseudonyms as a single run).
    let pseudonymizer = match Pseudonymizer::from_env(&settings.privacy) {
        Ok(pseudonymizer) => pseudonymizer,
        Err(error) => {
            eprintln!("oncoread merge: {error}");
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let collected = join(&shards)?;
    // One writer per output folder, as for `run` (taken once the shards are known good,
    // so a refused merge writes nothing).
    let _lock = match lock_output_folder(&settings.out) {
        Ok(lock) => lock,
        Err(error) => {
            eprintln!("oncoread merge: {error:#}");
            return Ok(EXIT_BAD_INPUT);
        }
    };
    let mut stages = vec![Stage {
        name: "merge",
        elapsed: started.elapsed(),
    }];

    let started = Instant::now();
    let pixels = PixelOptions {
        lbm_formula: lbm_formula_of(&settings.criteria.config),
        sequential: false,
    };
    let (timeline, summary) = assemble_collected(collected, &roles, &pixels);
    stages.push(Stage {
        name: "extract",
        elapsed: started.elapsed(),
    });
    eprintln!("merge: {} shard(s)", shards.len());
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

/// The shard folders named: a folder with a manifest is one shard; a folder without one
/// stands for its `shard-*` subfolders.
fn shard_folders(named: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut folders = Vec::new();
    for dir in named {
        if dir.join(MANIFEST).exists() {
            folders.push(dir.clone());
            continue;
        }
        let entries = std::fs::read_dir(dir).map_err(|e| {
            anyhow!(
                "merge: {}: not a shard output ({e}); run that shard again",
                dir.display()
            )
        })?;
        let mut inner: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_dir()
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("shard-"))
            })
            .collect();
        if inner.is_empty() {
            // Neither a shard nor a folder of shards: an unfinished shard most likely.
            folders.push(dir.clone());
        }
        inner.sort();
        folders.extend(inner);
    }
    Ok(folders)
}

/// Refuses shards that do not make one whole run (one line each, naming the shard).
fn check_together(shards: &[Shard]) -> Result<(), String> {
    let Some(first) = shards.first() else {
        return Err("no shard outputs given".to_string());
    };
    let expected = first.manifest.shards;
    for shard in shards {
        let m = &shard.manifest;
        if m.oncoread_version != first.manifest.oncoread_version {
            return Err(format!(
                "{} was written by oncoread {}, {} by oncoread {}: run every shard with one version",
                shard.name(),
                m.oncoread_version,
                first.name(),
                first.manifest.oncoread_version
            ));
        }
        if m.shards != expected {
            return Err(format!(
                "{} is one of {} shards, {} one of {}: merge shards of one layout",
                shard.name(),
                m.shards,
                first.name(),
                expected
            ));
        }
        if m.config_sha256 != first.manifest.config_sha256
            || m.config_file != first.manifest.config_file
            || m.lesions_sha256 != first.manifest.lesions_sha256
        {
            return Err(format!(
                "{} was run with another configuration than {} (config_sha256 {} vs {}, or another config file or lesions file): run every shard with the same configuration",
                shard.name(),
                first.name(),
                short(&m.config_sha256),
                short(&first.manifest.config_sha256)
            ));
        }
        if m.reproducible != first.manifest.reproducible {
            return Err(format!(
                "{} and {} disagree on --reproducible: run every shard with the same flags",
                shard.name(),
                first.name()
            ));
        }
    }
    let mut by_index: BTreeMap<u32, &Shard> = BTreeMap::new();
    for shard in shards {
        if let Some(before) = by_index.insert(shard.manifest.shard, shard) {
            return Err(format!(
                "shard {}/{expected} is given twice: {} and {}",
                shard.manifest.shard,
                before.dir.display(),
                shard.dir.display()
            ));
        }
    }
    let missing: Vec<String> = (0..expected)
        .filter(|k| !by_index.contains_key(k))
        .map(|k| format!("{k}/{expected}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "shard {} {} missing: run it again (oncoread run --shard K/N) and merge again",
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" }
        ));
    }
    Ok(())
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The settings the shards ran with, as far as the deciding half of the run needs them.
fn settings_of(manifest: &ShardManifest, out: &Path) -> Result<PipelineSettings> {
    let config = config_from_effective(&manifest.criteria_config)?;
    Ok(PipelineSettings {
        file: manifest.config_file.clone(),
        inputs: manifest
            .inputs
            .iter()
            .map(|p| Input::Folder(PathBuf::from(p)))
            .collect(),
        index: PathBuf::new(), // the merge reads no archive
        threads: None,
        lesions: manifest.lesions.as_ref().map(PathBuf::from),
        out: out.to_path_buf(),
        formats: manifest.formats.clone(),
        reproducible: manifest.reproducible,
        // `run --shard` refuses these (see shard.rs): a sharded run uses their defaults.
        key_image_ct_window: None,
        pacs: None,
        readers: None,
        protocols: Default::default(),
        // The merge reads no report: each shard read within its own [limits].
        limits: Default::default(),
        privacy: privacy_of(&manifest.config),
        criteria: CriteriaSettings {
            enabled: Some(manifest.criteria.join(",")),
            config,
            keys_set: Vec::new(),
        },
    })
}

/// The `[privacy]` settings the shards recorded in their configuration (`run.rs`
/// `config_record`), off when absent.
fn privacy_of(config: &serde_json::Value) -> Privacy {
    let privacy = &config["privacy"];
    let defaults = Privacy::default();
    Privacy {
        pseudonymize: privacy["pseudonymize"].as_bool().unwrap_or(false),
        key_env: privacy["key_env"]
            .as_str()
            .map_or(defaults.key_env, str::to_string),
        shift_dates: privacy["shift_dates"].as_bool().unwrap_or(false),
    }
}

/// The criteria configuration whose effective keys are `effective`.
fn config_from_effective(effective: &BTreeMap<String, serde_json::Value>) -> Result<Config> {
    let mut config = Config::default();
    for (key, value) in effective {
        config
            .set(key, value)
            .map_err(|e| anyhow!("merge: criteria_config: {e}"))?;
    }
    Ok(config)
}

/// Every shard's records, problems and reports, in the path order of one index.
fn join(shards: &[Shard]) -> Result<Collected> {
    let mut collected = Collected::default();
    let mut scan = ScanSummary::default();
    for shard in shards {
        let dir = &shard.dir;
        let read = |e: anyhow::Error| anyhow!("merge: {e:#}");
        collected
            .images
            .extend(partial::read_lines(dir, IMAGES).map_err(read)?);
        collected
            .file_problems
            .extend(partial::read_lines(dir, FILE_PROBLEMS).map_err(read)?);
        collected
            .reports
            .extend(partial::read_lines(dir, REPORTS).map_err(read)?);
        let counts = shard.manifest.counts;
        scan.files_seen += counts.files;
        scan.instances += counts.instances;
        scan.problems += counts.file_problems;
        scan.read += counts.files_read_now;
    }
    // Byte order, as SQLite's ORDER BY path gives the single run.
    collected.images.sort_by(|a, b| a.path.cmp(&b.path));
    collected.file_problems.sort_by(|a, b| a.path.cmp(&b.path));
    collected.reports.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(pair) = collected.images.windows(2).find(|w| w[0].path == w[1].path) {
        bail!(
            "merge: {} was indexed by two shards (shards of different archives?)",
            pair[0].path
        );
    }
    collected.scan = scan;
    Ok(collected)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// The merge rebuilds the criteria configuration from the effective keys a shard
    /// recorded: it must be the configuration the shard ran with, keys changed from their
    /// defaults included.
    #[test]
    fn a_configuration_rebuilds_from_its_effective_keys() -> TestResult {
        let mut changed = Config::default();
        for (key, text) in [
            ("measurement_rounding", "nearest_mm"),
            ("recist.pd_rel", "0.25"),
            ("irecist.confirm_window_days", "[21, 70]"),
            ("rano.early_window_days", "90"),
        ] {
            changed.set_text(key, text)?;
        }
        assert_ne!(changed, Config::default());
        for config in [Config::default(), changed] {
            let rebuilt = config_from_effective(&config.effective())?;
            assert_eq!(rebuilt, config);
        }
        Ok(())
    }
}
