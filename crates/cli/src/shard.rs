//! `oncoread run --shard K/N`: read one shard of the archive into a partial output folder
//! (`OUT/shard-K-of-N`, see `partial.rs`) for `oncoread merge`.
//!
//! A shard does the reading half of the run — scan its files, read its reports — and
//! nothing that needs the whole trial: the timeline, the assessment and the reports are
//! made once by the merge, from every shard's partial output, so they are exactly the
//! single run's.

use anyhow::{anyhow, Context, Result};
use oncoread_criteria::parse_criteria_list;
use oncoread_pipeline::assemble::LesionRoles;
use oncoread_pipeline::extract::{collect, ExtractOptions};
use oncoread_pipeline::index::Index;
use oncoread_pipeline::scan::{ScanOptions, ScanProgress};
use oncoread_pipeline::settings::{Input, PipelineSettings};
use oncoread_pipeline::shard::ShardSpec;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use crate::assess::hex_sha256;
use crate::partial::{
    self, ShardCounts, ShardManifest, FILE_PROBLEMS, IMAGES, LESIONS, MANIFEST, REPORTS,
    SHARD_SCHEMA,
};
use crate::progress::Progress;
use crate::run::{config_record, write_bytes, write_json};
use crate::EXIT_BAD_INPUT;

pub fn run_shard(mut settings: PipelineSettings, shard: ShardSpec) -> Result<u8> {
    if let Some(source) = settings
        .inputs
        .iter()
        .find(|input| !matches!(input, Input::Folder(_)))
    {
        eprintln!(
            "oncoread run: --shard {shard}: {} is a PACS source; shards read folders only (read a PACS in one run, without --shard)",
            source.root().display()
        );
        return Ok(EXIT_BAD_INPUT);
    }
    // What the merge cannot rebuild from a shard's manifest yet: refused, not dropped.
    let unsupported = [
        (settings.readers.is_some(), "[readers]"),
        (settings.pacs.is_some(), "[output.pacs]"),
        (
            settings.key_image_ct_window.is_some(),
            "output.key_image_ct_window",
        ),
    ];
    if let Some((_, key)) = unsupported.iter().find(|(set, _)| *set) {
        eprintln!(
            "oncoread run: --shard {shard}: {}: {key} is not supported with --shard yet (run without --shard, or remove it)",
            settings.file
        );
        return Ok(EXIT_BAD_INPUT);
    }
    let criteria_list = settings.criteria.enabled.as_deref().unwrap_or("all");
    let criteria = parse_criteria_list(criteria_list)
        .map_err(|e| anyhow!("{}: criteria.enabled: {e}", settings.file))?;
    // Read and check the lesion roles here, so a bad file fails the shard, not the merge.
    let lesions_csv = match &settings.lesions {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            LesionRoles::parse_csv(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            Some(text)
        }
        None => None,
    };
    // Shards may run at once on one shared folder: each keeps its own index.
    settings.index = shard_index_path(&settings.index, shard);
    let folder = partial::shard_folder(&settings.out, &shard.label());
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("{}: cannot create the folder", folder.display()))?;
    // An earlier run's manifest would vouch for data this run is about to replace.
    match std::fs::remove_file(folder.join(MANIFEST)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(anyhow!(
                "{}: cannot remove: {e}",
                folder.join(MANIFEST).display()
            ));
        }
        _ => {}
    }

    let started = Instant::now();
    let mut index = Index::open(&settings.index)?;
    let scan_progress = Arc::new(ScanProgress::default());
    let shown = Arc::clone(&scan_progress);
    let progress = Progress::start("scan", move || {
        Some((
            "scan",
            shown.done.load(Ordering::Relaxed),
            shown.seen.load(Ordering::Relaxed),
        ))
    });
    let roots: Vec<PathBuf> = settings.inputs.iter().map(Input::root).collect();
    let options = ExtractOptions {
        scan: ScanOptions {
            threads: settings.threads,
            progress: Some(scan_progress),
            shard: Some(shard),
        },
        limits: settings.limits,
        ..ExtractOptions::default()
    };
    let collected = collect(&roots, &mut index, &options);
    progress.finish();
    let collected = collected.context("scan")?;
    drop(index);

    partial::write_lines(&folder, IMAGES, &collected.images)?;
    partial::write_lines(&folder, FILE_PROBLEMS, &collected.file_problems)?;
    partial::write_lines(&folder, REPORTS, &collected.reports)?;
    if let Some(text) = &lesions_csv {
        write_bytes(&folder.join(LESIONS), text.as_bytes())?;
    }
    let config = config_record(&settings, &criteria);
    let scan = &collected.scan;
    let manifest = ShardManifest {
        schema: SHARD_SCHEMA.to_string(),
        shard: shard.index,
        shards: shard.count,
        oncoread_version: env!("CARGO_PKG_VERSION").to_string(),
        config_sha256: hex_sha256(config.to_string().as_bytes()),
        config,
        config_file: settings.file.clone(),
        inputs: roots.iter().map(|r| r.display().to_string()).collect(),
        criteria: criteria.iter().map(|c| c.name().to_string()).collect(),
        criteria_config: settings.criteria.config.effective(),
        formats: settings.formats.clone(),
        lesions: settings.lesions.as_ref().map(|p| p.display().to_string()),
        lesions_sha256: lesions_csv.as_ref().map(|t| hex_sha256(t.as_bytes())),
        reproducible: settings.reproducible,
        counts: ShardCounts {
            files: scan.files_seen,
            instances: scan.instances,
            file_problems: scan.problems,
            reports: collected.reports.len() as u64,
            files_read_now: scan.read,
            other_shards: scan.other_shards,
        },
    };
    // Last: the manifest marks the folder complete.
    write_json(
        &folder.join(MANIFEST),
        &serde_json::to_value(&manifest).context("serialising the shard manifest")?,
    )?;
    let read_ok = collected
        .reports
        .iter()
        .filter(|r| r.document.is_ok())
        .count();
    eprintln!(
        "shard {shard}: {} files = {} instances + {} unreadable ({} in other shards); {} SR(s), {read_ok} read; {:.3} s",
        scan.files_seen,
        scan.instances,
        scan.problems,
        scan.other_shards,
        collected.reports.len(),
        started.elapsed().as_secs_f64(),
    );
    eprintln!("  → {}", folder.display());
    Ok(0)
}

/// The index of one shard: beside the configured one, named after the shard and the
/// number of shards, so shards never share an index (nor a layout).
fn shard_index_path(index: &Path, shard: ShardSpec) -> PathBuf {
    let stem = index
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "index".to_string());
    let name = match index.extension() {
        Some(ext) => format!("{stem}.shard-{}.{}", shard.label(), ext.to_string_lossy()),
        None => format!("{stem}.shard-{}", shard.label()),
    };
    index.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shard_layout_has_its_own_index_beside_the_configured_one() {
        let shard = ShardSpec { index: 2, count: 7 };
        assert_eq!(
            shard_index_path(Path::new(".oncoread/index.sqlite"), shard),
            Path::new(".oncoread/index.shard-2-of-7.sqlite")
        );
        assert_eq!(
            shard_index_path(Path::new("/x/idx"), shard),
            Path::new("/x/idx.shard-2-of-7")
        );
    }
}
