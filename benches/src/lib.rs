//! Benchmark support for oncoread: a deterministic synthetic population of lesion
//! timelines ([`population`]) for the criterion benches and the `gen-population` binary.

pub mod population;
