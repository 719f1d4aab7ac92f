//! `oncoread extract PATH... [-o timeline.json] [--index FILE] [--lesions CSV] [--threads N]`
//!
//! DICOM archive → `oncoread.timeline/1`. The summary line goes to standard error so that
//! `-o -` can stream the document to standard output.

use anyhow::{anyhow, Context, Result};
use clap::Args;
use oncoread_pipeline::assemble::LesionRoles;
use oncoread_pipeline::extract::{extract, ExtractOptions};
use oncoread_pipeline::index::{default_index_path, Index};
use oncoread_pipeline::scan::ScanOptions;
use oncoread_pipeline::settings::{dicomweb_options, dimse_options, Input};
use std::path::PathBuf;

use crate::output::write_atomically;

/// One line on what a DICOMweb fetch did.
pub fn describe_dicomweb(web: &oncoread_pipeline::dicomweb::SyncSummary) -> String {
    format!(
        "dicomweb: {} studies, {} fetched ({} failed), {} instances indexed, {} problem(s), \
         {} requests, {} bytes, {:.2} s",
        web.studies,
        web.studies_fetched,
        web.studies_failed,
        web.instances,
        web.problems,
        web.requests,
        web.bytes,
        web.elapsed.as_secs_f64()
    )
}

/// One line on what a DIMSE fetch did.
pub fn describe_dimse(dimse: &oncoread_pipeline::dimse::SyncSummary) -> String {
    format!(
        "dimse: {} studies, {} fetched ({} failed), {} instances indexed, {} problem(s), \
         {} C-FIND, {} C-GET, {} association(s), {:.2} s",
        dimse.studies,
        dimse.studies_fetched,
        dimse.studies_failed,
        dimse.instances,
        dimse.problems,
        dimse.c_finds,
        dimse.c_gets,
        dimse.associations,
        dimse.elapsed.as_secs_f64()
    )
}

#[derive(Args)]
pub struct ExtractArgs {
    /// Files or folders of the archive (recursively; any layout and file names), or
    /// DICOMweb services as `dicomweb:URL` (credentials from ONCOREAD_DICOMWEB_USER and
    /// ONCOREAD_DICOMWEB_PASSWORD, or ONCOREAD_DICOMWEB_TOKEN), or PACS over DIMSE as
    /// `dimse:AET@HOST:PORT` (calling AE title ONCOREAD).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Where to write the timeline (`-` for standard output).
    #[arg(short = 'o', long = "output", default_value = "-")]
    output: String,
    /// The index database (SQLite); created when missing.
    #[arg(long, value_name = "FILE", default_value_os_t = default_index_path())]
    index: PathBuf,
    /// Lesion roles by hand, for reports that carry none: CSV with columns
    /// subject_id, lesion (tracking UID or tracking label), role (target, non_target, new).
    #[arg(long, value_name = "CSV")]
    lesions: Option<PathBuf>,
    /// Reader threads (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

pub fn run(args: ExtractArgs) -> Result<u8> {
    let roles = match &args.lesions {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            LesionRoles::parse_csv(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?
        }
        None => LesionRoles::default(),
    };
    let inputs: Vec<Input> = args.paths.iter().map(|p| Input::from_argument(p)).collect();
    let mut index = Index::open(&args.index)?;
    let options = ExtractOptions {
        scan: ScanOptions {
            threads: args.threads.map(usize::from),
            progress: None,
            shard: None,
        },
        dicomweb: dicomweb_options(&inputs)?,
        dimse: dimse_options(&inputs),
        roles,
        pixels: Default::default(),
        limits: Default::default(),
    };
    let (timeline, summary) = extract(&args.paths, &mut index, &options).context("extract")?;
    write_atomically(&args.output, |out| {
        serde_json::to_writer_pretty(&mut *out, &timeline).context("writing the timeline")?;
        out.write_all(b"\n")?;
        Ok(())
    })?;
    let scan = &summary.scan;
    if let Some(web) = &summary.dicomweb {
        eprintln!("{}", describe_dicomweb(web));
    }
    if let Some(dimse) = &summary.dimse {
        eprintln!("{}", describe_dimse(dimse));
    }
    eprintln!(
        "extract: {} files = {} instances + {} unreadable; {} reports ({} read); {} subject(s), \
         {} timepoint(s), {} lesion observation(s); {} problem(s) listed in the timeline → {}",
        scan.files_seen,
        scan.instances,
        scan.problems,
        summary.reports,
        summary.reports_read,
        summary.subjects,
        summary.timepoints,
        summary.lesion_observations,
        summary.problems,
        if args.output == "-" {
            "standard output"
        } else {
            &args.output
        }
    );
    Ok(0)
}
