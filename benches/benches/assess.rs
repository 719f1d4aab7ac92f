//! Criterion benches of the `oncoread assess` path on a synthetic population of 2,000
//! subjects × 6 timepoints × 5–8 lesions under `recist1.1,irecist`:
//!
//! - `parse`: `parse_timeline_json` on the generated JSON (what the command reads);
//! - `assess`: `assess_timeline` on the parsed timeline (the engine alone);
//! - `serialize`: the assessment to compact JSON, as the command writes it;
//! - `end_to_end`: parse + assess + serialize, the command minus the file system.
//!
//! Run with `cargo bench -p oncoread-bench` (about a minute). The allocator is the one the
//! `oncoread` binary uses, so the figures add up to the command's (see BENCHMARKS.md).

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use oncoread_bench::population::{population_json, PopulationSpec};
use oncoread_criteria::{assess_timeline, parse_criteria_list, parse_timeline_json, Config};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SUBJECTS: usize = 2_000;
const TIMEPOINTS: usize = 6;
const SEED: u64 = 1;

fn benches(c: &mut Criterion) {
    let spec = PopulationSpec::new(SUBJECTS, TIMEPOINTS, SEED);
    let json = population_json(&spec).expect("a generated population serialises");
    let timeline = parse_timeline_json(&json).expect("the generated timeline parses");
    let config = Config::default();
    let criteria = parse_criteria_list("recist1.1,irecist").expect("known criteria");
    let assessment = assess_timeline(&timeline, &config, &criteria).expect("assessable");
    let output = serde_json::to_vec(&assessment).expect("serialisable");

    let mut group = c.benchmark_group(format!("{SUBJECTS}_subjects"));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));

    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| parse_timeline_json(black_box(&json)).expect("parses"))
    });

    group.throughput(Throughput::Elements(SUBJECTS as u64));
    group.bench_function("assess", |b| {
        b.iter(|| assess_timeline(black_box(&timeline), &config, &criteria).expect("assessable"))
    });

    group.throughput(Throughput::Bytes(output.len() as u64));
    group.bench_function("serialize", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(output.len());
            serde_json::to_writer(&mut out, black_box(&assessment)).expect("serialisable");
            out
        })
    });

    group.throughput(Throughput::Elements(SUBJECTS as u64));
    group.bench_function("end_to_end", |b| {
        b.iter(|| {
            let timeline = parse_timeline_json(black_box(&json)).expect("parses");
            let assessment = assess_timeline(&timeline, &config, &criteria).expect("assessable");
            let mut out = Vec::with_capacity(output.len());
            serde_json::to_writer(&mut out, &assessment).expect("serialisable");
            out
        })
    });
    group.finish();
}

criterion_group!(assess, benches);
criterion_main!(assess);
