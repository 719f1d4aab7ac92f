//! `oncoread synth --out DIR [--subjects N] [--timepoints T] [--seed S] [--slices N] [--matrix PX]`
//!
//! Writes a synthetic trial archive (CT series + TID 1500 SRs) and its truth timeline.

use anyhow::Result;
use clap::Args;
use oncoread_synth::{generate, SynthOptions, TRUTH_FILE};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct SynthArgs {
    /// The folder to write (created if missing; must be empty).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Number of subjects.
    #[arg(long, value_name = "N", default_value_t = 6)]
    subjects: usize,
    /// Scheduled visits per subject, baseline included.
    #[arg(long, value_name = "T", default_value_t = 5)]
    timepoints: usize,
    /// Seed: the same seed and options give the same bytes.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Slices per CT series.
    #[arg(long, value_name = "N", default_value_t = 40)]
    slices: usize,
    /// Rows and columns of each CT slice.
    #[arg(long, value_name = "PX", default_value_t = 128)]
    matrix: usize,
}

pub fn run(args: SynthArgs) -> Result<u8> {
    let options = SynthOptions {
        subjects: args.subjects,
        timepoints: args.timepoints,
        seed: args.seed,
        slices: args.slices,
        matrix: args.matrix,
    };
    let started = Instant::now();
    let summary = generate(&args.out, &options)?;
    let seconds = started.elapsed().as_secs_f64();
    let files = summary.files();
    eprintln!(
        "synth: {} subject(s), {} files ({} CT, {} SR, {TRUTH_FILE}), {:.1} MB in {seconds:.1} s ({:.0} files/s) → {}",
        summary.subjects,
        files,
        summary.ct_files,
        summary.sr_files,
        summary.bytes as f64 / 1e6,
        files as f64 / seconds.max(1e-9),
        args.out.display()
    );
    Ok(0)
}
