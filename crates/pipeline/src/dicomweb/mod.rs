//! DICOMweb sources: index a PACS's studies as a folder scan indexes files, fetching only
//! what the pipeline needs.
//!
//! - Image series: their WADO-RS `/metadata` only (DICOM JSON → the same header records
//!   as the files give); never pixel data.
//! - Structured reports: the whole instance (WADO-RS), kept in a cache folder beside the
//!   index, because the measurements are in the content tree.
//! - Incremental: a study fetched completely is recorded with its instance count; the next
//!   run fetches only studies that are new or whose count changed. A study that fails
//!   (server down, timeout) is recorded as a problem and fetched again next time; what was
//!   fetched before is kept.
//!
//! Index rows of a DICOMweb source are named by the instance's URL prefixed with
//! `dicomweb:`, so `extract dicomweb:URL` selects them like a folder root selects files.

mod client;
pub mod multipart;
mod sync;

pub use client::{Auth, Client, ClientOptions};
pub(crate) use sync::cache_dir;
pub use sync::{cached_report, sync, SyncOptions, SyncSummary};

use crate::index::IndexError;

/// The prefix of a DICOMweb source in paths and on the command line.
pub const SCHEME: &str = "dicomweb:";

#[derive(Debug, thiserror::Error)]
pub enum DicomWebError {
    #[error("{0}")]
    Config(String),
    #[error("{url}: authentication refused (HTTP {status}); set ONCOREAD_DICOMWEB_USER and ONCOREAD_DICOMWEB_PASSWORD, or ONCOREAD_DICOMWEB_TOKEN")]
    Auth { url: String, status: u16 },
    #[error("{url}: HTTP {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("{url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("{url}: unexpected response: {reason}")]
    Response { url: String, reason: String },
    #[error("{path}: {cause}")]
    Cache { path: String, cause: std::io::Error },
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// The service URL of a `dicomweb:URL` root, if it is one.
pub fn service_url(root: &str) -> Option<&str> {
    root.strip_prefix(SCHEME)
}
