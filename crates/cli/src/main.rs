//! The `oncoread` command line: thin wrappers over the libraries, exit codes and messages.

mod assess;
mod output;

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
    /// Assess a lesion timeline (JSON oncoread.timeline/1 or CSV) under the chosen criteria.
    Assess(assess::AssessArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Assess(args) => assess::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("oncoread: {error:#}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}
