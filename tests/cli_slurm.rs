//! The Slurm deployment (`deploy/slurm/`) on a real one-node Slurm started by the test
//! (tests/common/slurm.rs): a job array of shards plus a dependent merge job gives the
//! single run's outputs byte for byte, for the sample trial and a larger generated one, on
//! 1, 3 and 7 shards; a shard that fails gets the merge job cancelled by Slurm, and
//! re-running that shard and the merge completes with the identical result.

mod common;

use common::shards::assert_same_folders;
use common::slurm::Slurm;
use common::{oncoread, repo, temp_dir};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a batch of jobs may take on CI's two cores.
const JOBS_TIMEOUT: Duration = Duration::from_secs(300);

/// `oncoread run --reproducible` on one process, with `inputs` (empty: pipeline.toml's).
fn single_run(dir: &Path, inputs: &[&str]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let out = dir.join("single");
    let index = dir.join("single.sqlite");
    let mut args = vec![
        "run",
        "--config",
        "pipeline.toml",
        "--reproducible",
        "--out",
        out.to_str().unwrap(),
        "--index",
        index.to_str().unwrap(),
    ];
    args.extend_from_slice(inputs);
    let output = oncoread(&args);
    assert!(
        output.status.success(),
        "single run: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// The jobs `deploy/slurm/submit.sh` submitted: (array job, merge job).
fn submit(slurm: &Slurm, args: &[&str], run_args: &[&str]) -> (String, String) {
    let output = slurm
        .command(repo().join("deploy/slurm/submit.sh"))
        .args(args)
        .arg("--")
        .args(["--config", "pipeline.toml", "--reproducible"])
        .args(run_args)
        .env("ONCOREAD_BIN", env!("CARGO_BIN_EXE_oncoread"))
        .current_dir(repo())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "submit.sh: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let id = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .to_string()
    };
    (id("ARRAY_JOB="), id("MERGE_JOB="))
}

fn logs_of(work: &Path) -> String {
    common::orthanc::files_under(&work.join("logs"))
        .iter()
        .map(|p| {
            format!(
                "== {}\n{}",
                p.display(),
                std::fs::read_to_string(p).unwrap_or_default()
            )
        })
        .collect()
}

fn assert_all(slurm: &Slurm, job: &str, state: &str, work: &Path) {
    let states = slurm.job_states(job);
    assert!(
        !states.is_empty() && states.iter().all(|(s, _)| s == state),
        "job {job}: {states:?}, expected {state}\n{}",
        logs_of(work)
    );
}

#[test]
fn slurm_arrays_of_1_3_and_7_shards_merge_to_the_single_runs_bytes() {
    let dir = temp_dir("slurm-identical");
    let slurm = Slurm::start(&dir.join("slurm"));

    // A larger trial than the sample: 30 subjects, 4 visits (cycling through the six
    // trajectories, double reads and missed visits), small images.
    let trial = dir.join("trial");
    let output = oncoread(&[
        "synth",
        "--out",
        trial.to_str().unwrap(),
        "--subjects",
        "30",
        "--timepoints",
        "4",
        "--slices",
        "3",
        "--matrix",
        "32",
        "--seed",
        "8",
    ]);
    assert!(output.status.success(), "{output:?}");
    let trial_input = ["--input", trial.to_str().unwrap()];
    let expected = [
        ("sample", single_run(&dir.join("sample"), &[]), &[][..]),
        (
            "trial",
            single_run(&dir.join("trial-single"), &trial_input),
            &trial_input[..],
        ),
    ];

    // Every array and merge job at once: Slurm queues them on the node's cores.
    let mut submitted = Vec::new();
    for (name, _, inputs) in &expected {
        for n in [1, 3, 7] {
            let work = dir.join(format!("work-{name}-{n}"));
            let shards = n.to_string();
            let (array, merge) = submit(
                &slurm,
                &[
                    "--shards",
                    &shards,
                    "--work",
                    work.to_str().unwrap(),
                    "--partition",
                    "batch",
                ],
                inputs,
            );
            submitted.push((*name, n, work, array, merge));
        }
    }
    let jobs: Vec<String> = submitted
        .iter()
        .flat_map(|(_, _, _, array, merge)| [array.clone(), merge.clone()])
        .collect();
    slurm.wait_for(&jobs, JOBS_TIMEOUT);

    for (name, n, work, array, merge) in &submitted {
        assert_all(&slurm, array, "COMPLETED", work);
        assert_eq!(
            slurm.job_states(array).len(),
            *n as usize,
            "{n} array tasks"
        );
        assert_all(&slurm, merge, "COMPLETED", work);
        let (_, single, _) = expected.iter().find(|(e, _, _)| e == name).unwrap();
        assert_same_folders(
            single,
            &work.join("out"),
            &format!("{name}, {n} shards on Slurm"),
        );
    }
}

#[test]
fn a_failed_shard_cancels_the_merge_and_its_rerun_completes_it() {
    let dir = temp_dir("slurm-rerun");
    let slurm = Slurm::start(&dir.join("slurm"));
    let single = single_run(&dir.join("single"), &[]);
    let work = dir.join("work");

    // Shard 1's output folder cannot be made (a file is in the way): that task fails.
    std::fs::create_dir_all(work.join("parts")).unwrap();
    let obstacle = work.join("parts/shard-1-of-3");
    std::fs::write(&obstacle, b"in the way").unwrap();
    let args = ["--shards", "3", "--work", work.to_str().unwrap()];
    let (array, merge) = submit(&slurm, &args, &[]);
    slurm.wait_for(&[array.clone(), merge.clone()], JOBS_TIMEOUT);
    let mut states = slurm.job_states(&array);
    states.sort();
    assert_eq!(
        states.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        ["COMPLETED", "COMPLETED", "FAILED"],
        "{}",
        logs_of(&work)
    );
    assert_eq!(
        slurm.job_states(&merge),
        [(
            "CANCELLED".to_string(),
            "DependencyNeverSatisfied".to_string()
        )],
        "the merge job is cancelled by Slurm"
    );
    assert!(!work.join("out").exists());

    // Re-run shard 1 alone, and a new merge after it.
    std::fs::remove_file(&obstacle).unwrap();
    let mut rerun_args = args.to_vec();
    rerun_args.extend(["--rerun", "1"]);
    let (array, merge) = submit(&slurm, &rerun_args, &[]);
    slurm.wait_for(&[array.clone(), merge.clone()], JOBS_TIMEOUT);
    assert_eq!(slurm.job_states(&array).len(), 1, "only shard 1 ran again");
    assert_all(&slurm, &array, "COMPLETED", &work);
    assert_all(&slurm, &merge, "COMPLETED", &work);
    assert_same_folders(
        &single,
        &work.join("out"),
        "after re-running shard 1 on Slurm",
    );
}
