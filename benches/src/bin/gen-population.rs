//! `gen-population [--subjects N] [--timepoints T] [--seed S] [-o FILE|-]`
//!
//! Writes a deterministic synthetic `oncoread.timeline/1` population (compact JSON, one
//! subject per line) for benchmarking `oncoread assess`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use oncoread_bench::population::{write_population, PopulationSpec};

const USAGE: &str =
    "usage: gen-population [--subjects N (100000)] [--timepoints T (6)] [--seed S (1)] [-o FILE|- (-)]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gen-population: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut spec = PopulationSpec::new(100_000, 6, 1);
    let mut output = "-".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--subjects" => spec.subjects = number(&value("--subjects")?)?,
            "--timepoints" => spec.timepoints = number::<usize>(&value("--timepoints")?)?.max(1),
            "--seed" => spec.seed = number(&value("--seed")?)?,
            "-o" | "--output" => output = value("-o")?,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        let mut out = BufWriter::with_capacity(1 << 20, out);
        write_population(&spec, &mut out)?;
        out.flush()
    };
    if output == "-" {
        write(&mut std::io::stdout().lock())
    } else {
        if let Some(parent) = std::path::Path::new(&output).parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{output}: {e}"))?;
        }
        let mut file = File::create(&output).map_err(|e| format!("{output}: {e}"))?;
        write(&mut file)
    }
    .map_err(|e| format!("{output}: {e}"))?;
    eprintln!(
        "gen-population: {} subject(s) × {} timepoint(s), seed {} → {}",
        spec.subjects,
        spec.timepoints,
        spec.seed,
        if output == "-" {
            "standard output"
        } else {
            &output
        }
    );
    Ok(())
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a non-negative integer"))
}
