//! The `oncoread` command line: thin wrappers over the libraries, exit codes and messages.

/// Parsing and assessing allocate millions of small strings; mimalloc makes that about 10 %
/// faster than the system allocator on a 100,000-subject population (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod assess;
mod clock;
mod diff_config;
mod extract;
mod json_layout;
mod merge;
mod out_lock;
mod output;
mod partial;
mod progress;
mod report;
mod run;
mod scan;
mod shard;
mod stream;
mod subject_json;
mod synth;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit status for bad usage, configuration or an unreadable input document.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit status with `--strict` when problems were recorded.
pub const EXIT_PROBLEMS: u8 = 3;

#[derive(Parser)]
#[command(
    name = "oncoread",
    version,
    about = "Tumour-response assessment for oncology imaging core labs (RECIST 1.1, iRECIST, ...)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole flow as pipeline.toml configures it: scan and extract the archive, assess
    /// under the enabled criteria, write the reports and run.json.
    Run(run::RunArgs),
    /// Assess a lesion timeline (JSON oncoread.timeline/1 or CSV) under the chosen criteria.
    Assess(assess::AssessArgs),
    /// Index the headers of every DICOM file under PATH... (read up to Pixel Data, in
    /// parallel); unchanged files are skipped on a re-scan.
    Scan(scan::ScanArgs),
    /// Turn a DICOM archive (SR TID 1500 measurement reports and the images they measure)
    /// into a lesion timeline (oncoread.timeline/1).
    Extract(extract::ExtractArgs),
    /// Write the reports of an assessment: CSV tables, an HTML page with plots, the JSON.
    Report(report::ReportArgs),
    /// Write a synthetic trial (CT series with pixel data + TID 1500 SRs per visit) and
    /// the timeline it encodes (truth.timeline.json).
    Synth(synth::SynthArgs),
    /// Re-assess the trial under two named criteria configurations of pipeline.toml
    /// ([protocols.NAME]) and list every subject whose timepoint response, best overall
    /// response or progression changes, with the key that made the difference.
    DiffConfig(diff_config::DiffConfigArgs),
    /// Join the partial outputs of `oncoread run --shard K/N` (every shard of one run)
    /// into the outputs of a single run.
    Merge(merge::MergeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Assess(args) => assess::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Extract(args) => extract::run(args),
        Command::Report(args) => report::run(args),
        Command::Synth(args) => synth::run(args),
        Command::DiffConfig(args) => diff_config::run(args),
        Command::Merge(args) => merge::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("oncoread: {error:#}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}
