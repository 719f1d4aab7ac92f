//! DIMSE sources: index a PACS without DICOMweb over the DICOM network protocol, as the
//! DICOMweb source does over HTTP, fetching only what the pipeline needs.
//!
//! - Studies: C-FIND at STUDY level (Study Root Query/Retrieve – FIND) with Number of
//!   Study Related Instances, within the StudyDate range when one is set; a PACS that caps
//!   its answers is asked again by StudyDate sub-ranges (`study_list`).
//! - Series: C-FIND at SERIES level (Modality tells reports from images).
//! - Image series: C-FIND at IMAGE level asking for the attributes the index keeps
//!   (geometry, dates, clinical-trial attributes …): header records without any pixel
//!   data moved.
//! - Structured reports: C-GET (Study Root – GET) of each report not already cached; the
//!   PACS sends it back as C-STORE sub-operations on the same association (this client
//!   proposes the SR storage classes with the SCP role), and it is kept in the same cache
//!   folder as the DICOMweb source's, so `extract` reads it alike.
//! - Incremental by study instance count, a failed study recorded as a problem and
//!   fetched again next run, a bounded number of associations at once, associations that
//!   fail tried again with backoff: as DICOMweb.
//!
//! Index rows are named `dimse:AET@HOST:PORT/studies/S/series/SE/instances/I`, so
//! `extract dimse:AET@HOST:PORT` selects them like a folder root selects files.

mod association;
mod find;
mod get;
pub mod messages;
pub mod store;
mod study_list;
mod sync;

pub use sync::{sync, SyncOptions, SyncSummary};

use crate::index::IndexError;

/// The prefix of a DIMSE source in paths and on the command line.
pub const SCHEME: &str = "dimse:";

/// The calling AE title when the configuration names none.
pub const DEFAULT_CALLING_AET: &str = "ONCOREAD";

#[derive(Debug, thiserror::Error)]
pub enum DimseError {
    #[error("{0}")]
    Config(String),
    #[error("{peer}: association not established: {reason}")]
    Association { peer: String, reason: String },
    #[error("{peer}: {reason}")]
    Transport { peer: String, reason: String },
    #[error("DIMSE protocol: {0}")]
    Protocol(String),
    #[error("{peer}: {operation} failed: {reason}")]
    Refused {
        peer: String,
        operation: &'static str,
        reason: String,
    },
    #[error("{path}: {cause}")]
    Cache { path: String, cause: std::io::Error },
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// A DICOM application entity on the network: `AET@HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub aet: String,
    pub host: String,
    pub port: u16,
}

impl Peer {
    /// Parses `AET@HOST:PORT` (the AE title: 1 to 16 characters of the default
    /// repertoire, no backslash, not all spaces; PS3.5 6.2).
    pub fn parse(address: &str) -> Result<Peer, DimseError> {
        let invalid =
            |why: &str| DimseError::Config(format!("{address:?}: expected AET@HOST:PORT ({why})"));
        let (aet, rest) = address.split_once('@').ok_or_else(|| invalid("no @"))?;
        if !is_ae_title(aet) {
            return Err(invalid(
                "the AE title has 1 to 16 characters, printable ASCII, no backslash",
            ));
        }
        let (host, port) = rest.rsplit_once(':').ok_or_else(|| invalid("no :PORT"))?;
        if host.is_empty() || host.contains('/') {
            return Err(invalid("no host"));
        }
        // Written as it prints (no sign, no leading zero): the index names rows by the
        // address as printed, and `extract` selects them by the address as given.
        let port: u16 = port
            .parse()
            .ok()
            .filter(|p: &u16| *p > 0 && p.to_string() == port)
            .ok_or_else(|| invalid("the port is 1 to 65535"))?;
        Ok(Peer {
            aet: aet.to_string(),
            host: host.to_string(),
            port,
        })
    }
}

/// An AE title (PS3.5 6.2, AE): 1 to 16 printable ASCII characters, no backslash, not
/// only spaces.
pub fn is_ae_title(aet: &str) -> bool {
    (1..=16).contains(&aet.len())
        && aet.bytes().all(|b| (0x20..0x7F).contains(&b) && b != b'\\')
        && !aet.trim().is_empty()
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}:{}", self.aet, self.host, self.port)
    }
}

/// The peer address of a `dimse:AET@HOST:PORT` root, if it is one.
pub fn peer_address(root: &str) -> Option<&str> {
    root.strip_prefix(SCHEME)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn peers_parse_and_print_back() -> TestResult {
        let peer = Peer::parse("ORTHANC@127.0.0.1:4242")?;
        assert_eq!(
            peer,
            Peer {
                aet: "ORTHANC".into(),
                host: "127.0.0.1".into(),
                port: 4242
            }
        );
        assert_eq!(peer.to_string(), "ORTHANC@127.0.0.1:4242");
        assert_eq!(Peer::parse("A@pacs.local:104")?.host, "pacs.local");
        for bad in [
            "127.0.0.1:4242",
            "@h:1",
            "SEVENTEEN_CHARS_X@h:1",
            "A\\B@h:1",
            "A@h",
            "A@:1",
            "A@h:0",
            "A@h:65536",
            "A@h:x",
            "A@h:0104",
            "A@h:+104",
        ] {
            assert!(Peer::parse(bad).is_err(), "{bad}");
        }
        Ok(())
    }
}
