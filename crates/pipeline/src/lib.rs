//! oncoread-pipeline: sources (folder walk, DICOMweb, DIMSE), the parallel scan and its SQLite index cache,
//! the assembly of SR measurements into the `oncoread.timeline/1` document, and the
//! `pipeline.toml` settings of the whole flow.

pub mod assemble;
pub mod consistency;
pub mod dicomweb;
pub mod dimse;
pub mod extract;
pub mod index;
pub mod pacs_sink;
pub mod pixel_measures;
pub mod pseudonym;
pub mod reader_settings;
pub mod scan;
pub mod settings;
pub mod shard;
mod study_sync;
pub mod walk;
