//! The partial output folder of one shard (`oncoread run --shard K/N`), which
//! `oncoread merge` reads:
//!
//! | file | content |
//! | --- | --- |
//! | `images.jsonl` | one index record per line: every instance of the shard, by path |
//! | `file_problems.jsonl` | one file problem per line (`unreadable_file`, `wrong_vr`, `missing_attribute`), by path |
//! | `reports.jsonl` | one structured report per line, by path: the document read, or why not |
//! | `lesions.csv` | a copy of the run's lesion roles file, when it has one |
//! | `shard.json` | written last: which shard of how many, the version, the configuration and its hash, counts |
//!
//! A folder without `shard.json` is an unfinished shard.

use anyhow::{anyhow, Context, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::output::write_atomically;

pub const MANIFEST: &str = "shard.json";
pub const IMAGES: &str = "images.jsonl";
pub const FILE_PROBLEMS: &str = "file_problems.jsonl";
pub const REPORTS: &str = "reports.jsonl";
pub const LESIONS: &str = "lesions.csv";

/// The manifest's schema name.
pub const SHARD_SCHEMA: &str = "oncoread.shard/1";

/// `shard.json`: what a shard read and under which configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardManifest {
    pub schema: String,
    /// K of `K/N`, from 0.
    pub shard: u32,
    /// N of `K/N`.
    pub shards: u32,
    pub oncoread_version: String,
    /// The run record's `config` and its hash: every shard of one run has the same.
    pub config_sha256: String,
    pub config: serde_json::Value,
    /// The configuration file as named on the command line (`run.json`'s `config_file`).
    pub config_file: String,
    /// The folders read (all shards read the same ones).
    pub inputs: Vec<String>,
    /// Criteria names, as `criteria.enabled` would list them.
    pub criteria: Vec<String>,
    /// The effective criteria configuration (every key).
    pub criteria_config: BTreeMap<String, serde_json::Value>,
    pub formats: Vec<String>,
    /// The lesion roles file as configured (its content is `lesions.csv` beside).
    pub lesions: Option<String>,
    /// SHA-256 of the lesion roles file's content, when there is one.
    pub lesions_sha256: Option<String>,
    pub reproducible: bool,
    pub counts: ShardCounts,
}

/// The shard's share of the run's file counts (they add up over the shards).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardCounts {
    pub files: u64,
    pub instances: u64,
    pub file_problems: u64,
    pub reports: u64,
    /// Files whose header was read in this run (the others were unchanged in the index).
    pub files_read_now: u64,
    /// Files of the other shards met by the walk.
    pub other_shards: u64,
}

/// Writes `items` to `dir/name`, one JSON document per line, atomically.
pub fn write_lines<T: Serialize>(dir: &Path, name: &str, items: &[T]) -> Result<()> {
    let path = dir.join(name);
    let target = path
        .to_str()
        .ok_or_else(|| anyhow!("{}: not a UTF-8 path", path.display()))?;
    write_atomically(target, |out| {
        for item in items {
            serde_json::to_writer(&mut *out, item).with_context(|| format!("writing {target}"))?;
            out.write_all(b"\n")
                .with_context(|| format!("writing {target}"))?;
        }
        Ok(())
    })
}

/// Reads `dir/name` written by [`write_lines`]; an error names the file and line.
pub fn read_lines<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<Vec<T>> {
    let path = dir.join(name);
    let file = std::fs::File::open(&path)
        .with_context(|| format!("{}: cannot open (an unfinished shard?)", path.display()))?;
    let mut items = Vec::new();
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}: cannot read", path.display()))?;
        let item = serde_json::from_str(&line).with_context(|| {
            format!(
                "{}: line {}: not what a shard writes",
                path.display(),
                number + 1
            )
        })?;
        items.push(item);
    }
    Ok(items)
}

/// Reads a shard folder's `shard.json`.
pub fn read_manifest(dir: &Path) -> Result<ShardManifest> {
    let path = dir.join(MANIFEST);
    let bytes = std::fs::read(&path).map_err(|e| {
        anyhow!(
            "{}: no {MANIFEST} ({e}): not a finished shard output; run that shard again",
            dir.display()
        )
    })?;
    let manifest: ShardManifest = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a shard manifest", path.display()))?;
    if manifest.schema != SHARD_SCHEMA {
        return Err(anyhow!(
            "{}: schema {:?}, expected {SHARD_SCHEMA:?}",
            path.display(),
            manifest.schema
        ));
    }
    Ok(manifest)
}

/// The folder of shard `label` (`K-of-N`) under a run's output folder.
pub fn shard_folder(out: &Path, label: &str) -> PathBuf {
    out.join(format!("shard-{label}"))
}
