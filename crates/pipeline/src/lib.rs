//! oncoread-pipeline: sources (folder walk), the parallel scan and its SQLite index cache,
//! and the assembly of SR measurements into the `oncoread.timeline/1` document.

pub mod assemble;
pub mod extract;
pub mod index;
pub mod scan;
pub mod walk;
