//! The PACS sink (`[output.pacs]`): sends a run's DICOM outputs — every Part 10 file
//! (`*.dcm`) under the output folder's `dicom-sr/` and, when asked, `key-images/` — back to
//! the PACS, with STOW-RS (one multipart/related request per study) or C-STORE (one
//! association for all of them).
//!
//! The outputs carry deterministic UIDs, so sending the same results twice stores nothing
//! new: the PACS recognises the SOP Instance UIDs it holds. Every file that could not be
//! sent is a [`SinkProblem`] naming the file and its study; the caller fails the run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use oncoread_dicom::header::read_header_from_bytes;
use serde::Serialize;
use serde_json::Value;

use crate::dicomweb::{Auth, Client, ClientOptions, DicomWebError};
use crate::dimse::store::{store, Outgoing};
use crate::dimse::{DimseError, Peer};

/// The output sub-folders whose DICOM files are sent.
pub const SR_FOLDER: &str = "dicom-sr";
pub const KEY_IMAGE_FOLDER: &str = "key-images";

/// Where the results go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A DICOMweb service (STOW-RS), credentials from `{auth_env}_USER`/`_PASSWORD` or
    /// `_TOKEN` as for a DICOMweb input.
    DicomWeb { url: String, auth_env: String },
    /// A PACS over DIMSE (C-STORE): `AET@HOST:PORT`, and this client's AE title.
    Dimse {
        address: String,
        calling_aet: String,
    },
}

/// The `[output.pacs]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacsSink {
    pub destination: Destination,
    /// Also send the key images (Secondary Capture) under `key-images/`.
    pub key_images: bool,
    /// Seconds a request (STOW-RS) or each read and write on the association may take.
    pub timeout_s: u64,
    /// Further attempts after a failure that may pass (server down, timeout, 5xx).
    pub retries: u32,
}

impl PacsSink {
    pub fn new(destination: Destination) -> PacsSink {
        let defaults = ClientOptions::default();
        PacsSink {
            destination,
            key_images: true,
            timeout_s: defaults.timeout.as_secs(),
            retries: defaults.retries,
        }
    }

    /// The destination as the run's messages name it.
    pub fn describe(&self) -> String {
        match &self.destination {
            Destination::DicomWeb { url, .. } => format!("{}{url}", crate::dicomweb::SCHEME),
            Destination::Dimse { address, .. } => format!("{}{address}", crate::dimse::SCHEME),
        }
    }
}

/// The first wait before a retry; doubled at each further attempt.
const BACKOFF: Duration = Duration::from_millis(250);

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Refused credentials or a bad configuration: nothing can be sent, stop at once.
    #[error(transparent)]
    DicomWeb(#[from] DicomWebError),
    #[error(transparent)]
    Dimse(#[from] DimseError),
    #[error("{path}: {cause}")]
    Folder { path: String, cause: std::io::Error },
}

/// A file that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SinkProblem {
    pub file: String,
    /// Its Study Instance UID, when the file could be read.
    pub study: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for SinkProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let study = self.study.as_deref().unwrap_or("unknown");
        write!(f, "{} (study {study}): {}", self.file, self.reason)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SinkSummary {
    /// DICOM files found to send.
    pub files: usize,
    /// Files the PACS confirmed as stored (new or already held).
    pub stored: usize,
    /// Distinct studies the files belong to.
    pub studies: usize,
    /// STOW-RS requests (retries included) or DIMSE associations opened.
    pub requests: u64,
    pub problems: Vec<SinkProblem>,
}

/// One file ready to send.
struct Prepared {
    file: String,
    bytes: Vec<u8>,
    study: String,
    sop_class: String,
    sop_instance: String,
    transfer_syntax: String,
    /// Where the data set starts (after the file meta group).
    data_set_offset: usize,
}

/// The files the sink sends from `out`, sorted.
pub fn files_to_send(out: &Path, key_images: bool) -> Result<Vec<PathBuf>, SinkError> {
    let mut folders = vec![out.join(SR_FOLDER)];
    if key_images {
        folders.push(out.join(KEY_IMAGE_FOLDER));
    }
    let mut files = Vec::new();
    for folder in folders {
        let mut stack = vec![folder];
        while let Some(folder) = stack.pop() {
            let entries = match std::fs::read_dir(&folder) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(cause) => {
                    return Err(SinkError::Folder {
                        path: folder.display().to_string(),
                        cause,
                    })
                }
            };
            for entry in entries {
                let path = entry
                    .map_err(|cause| SinkError::Folder {
                        path: folder.display().to_string(),
                        cause,
                    })?
                    .path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "dcm") {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Sends the run's DICOM outputs under `out` to the sink's PACS.
pub fn send_outputs(out: &Path, sink: &PacsSink) -> Result<SinkSummary, SinkError> {
    let files = files_to_send(out, sink.key_images)?;
    let mut summary = SinkSummary {
        files: files.len(),
        ..SinkSummary::default()
    };
    let mut ready = Vec::new();
    for path in &files {
        match prepare(path) {
            Ok(prepared) => ready.push(prepared),
            Err(problem) => summary.problems.push(problem),
        }
    }
    let mut studies: Vec<&str> = ready.iter().map(|p| p.study.as_str()).collect();
    studies.sort_unstable();
    studies.dedup();
    summary.studies = studies.len();
    if ready.is_empty() {
        return Ok(summary);
    }
    let timeout = Duration::from_secs(sink.timeout_s);
    let outcomes = match &sink.destination {
        Destination::DicomWeb { url, auth_env } => {
            let client = Client::new(
                url,
                Auth::from_env(auth_env)?,
                ClientOptions {
                    timeout,
                    retries: sink.retries,
                    backoff: BACKOFF,
                },
            );
            let outcomes = stow(&client, &ready)?;
            summary.requests = client.requests();
            outcomes
        }
        Destination::Dimse {
            address,
            calling_aet,
        } => {
            let peer = Peer::parse(address)?;
            let (outcomes, associations) =
                c_store(&peer, calling_aet, timeout, sink.retries, &ready);
            summary.requests = associations;
            outcomes
        }
    };
    for (prepared, outcome) in ready.iter().zip(outcomes) {
        match outcome {
            Ok(()) => summary.stored += 1,
            Err(reason) => summary.problems.push(SinkProblem {
                file: prepared.file.clone(),
                study: Some(prepared.study.clone()),
                reason,
            }),
        }
    }
    Ok(summary)
}

/// Reads a file and what sending it needs; a file that cannot be sent is a problem.
fn prepare(path: &Path) -> Result<Prepared, SinkProblem> {
    let file = path.display().to_string();
    let problem = |study: Option<String>, reason: String| SinkProblem {
        file: file.clone(),
        study,
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| problem(None, format!("cannot read: {e}")))?;
    let record = read_header_from_bytes(&bytes)
        .map_err(|e| problem(None, format!("not a DICOM Part 10 file: {e}")))?;
    let study = record.study_instance_uid.clone();
    let missing = |field: &str| problem(study.clone(), format!("no {field}"));
    let data_set_offset = data_set_offset(&bytes)
        .ok_or_else(|| problem(study.clone(), "no file meta information group".into()))?;
    Ok(Prepared {
        study: study.clone().ok_or_else(|| missing("Study Instance UID"))?,
        sop_class: record
            .sop_class_uid
            .clone()
            .ok_or_else(|| missing("SOP Class UID"))?,
        sop_instance: record
            .sop_instance_uid
            .clone()
            .ok_or_else(|| missing("SOP Instance UID"))?,
        transfer_syntax: record
            .transfer_syntax_uid
            .clone()
            .ok_or_else(|| missing("Transfer Syntax UID"))?,
        file,
        bytes,
        data_set_offset,
    })
}

/// Where a Part 10 file's data set starts: after the 128-byte preamble, `DICM` and the
/// file meta group, whose length (0002,0000) UL opens it in Explicit VR LE (PS3.10 7.1).
fn data_set_offset(bytes: &[u8]) -> Option<usize> {
    if bytes.get(128..132)? != b"DICM" {
        return None;
    }
    // (0002,0000) "UL" length 4: 2+2 bytes of tag, 2 of VR, 2 of length, then the value.
    let header = bytes.get(132..144)?;
    if header[..8] != [0x02, 0x00, 0x00, 0x00, b'U', b'L', 4, 0] {
        return None;
    }
    let group_length = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
    let offset = 144usize.checked_add(usize::try_from(group_length).ok()?)?;
    (offset <= bytes.len()).then_some(offset)
}

const FAILED_SOP_SEQUENCE: &str = "00081198";
const REFERENCED_SOP_SEQUENCE: &str = "00081199";
const REFERENCED_SOP_INSTANCE_UID: &str = "00081155";
const FAILURE_REASON: &str = "00081197";

/// STOW-RS, one request per study; per file: stored, or why not. Once a study cannot be
/// sent at all (the server does not answer after the retries), the next studies are not
/// tried: each would wait out the same retries.
fn stow(client: &Client, ready: &[Prepared]) -> Result<Vec<Result<(), String>>, DicomWebError> {
    let mut by_study: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (n, prepared) in ready.iter().enumerate() {
        by_study.entry(&prepared.study).or_default().push(n);
    }
    let mut outcomes: Vec<Result<(), String>> = vec![Ok(()); ready.len()];
    let mut unreachable: Option<String> = None;
    for members in by_study.values() {
        if let Some(reason) = &unreachable {
            for &n in members {
                outcomes[n] = Err(format!("not sent: {reason}"));
            }
            continue;
        }
        let bodies: Vec<&[u8]> = members.iter().map(|&n| ready[n].bytes.as_slice()).collect();
        match client.post_instances("studies", &bodies) {
            Ok((_, answer)) => {
                let failed = failures(&answer);
                let stored = referenced(&answer);
                for &n in members {
                    let sop = ready[n].sop_instance.as_str();
                    outcomes[n] = if let Some(reason) = failed.get(sop) {
                        Err(format!("STOW-RS refused it (failure reason {reason})"))
                    } else if stored.iter().any(|uid| uid == sop) {
                        Ok(())
                    } else {
                        Err("STOW-RS answer does not list it as stored".into())
                    };
                }
            }
            Err(error @ DicomWebError::Auth { .. }) => return Err(error),
            Err(error) => {
                for &n in members {
                    outcomes[n] = Err(format!("STOW-RS failed: {error}"));
                }
                if matches!(error, DicomWebError::Transport { .. }) {
                    unreachable = Some(format!("the PACS stopped answering ({error})"));
                }
            }
        }
    }
    Ok(outcomes)
}

/// The items of a sequence of a STOW-RS answer (DICOM JSON, PS3.18 F.2).
fn sequence_items<'a>(answer: &'a Value, tag: &str) -> impl Iterator<Item = &'a Value> {
    answer[tag]["Value"]
        .as_array()
        .map(|items| items.iter())
        .into_iter()
        .flatten()
}

fn first_text(item: &Value, tag: &str) -> Option<String> {
    match &item[tag]["Value"][0] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Failed SOP Sequence: SOP Instance UID → failure reason (hexadecimal, PS3.18 I.2.2).
fn failures(answer: &Value) -> BTreeMap<String, String> {
    sequence_items(answer, FAILED_SOP_SEQUENCE)
        .filter_map(|item| {
            let uid = first_text(item, REFERENCED_SOP_INSTANCE_UID)?;
            let reason = match item[FAILURE_REASON]["Value"][0].as_u64() {
                Some(code) => format!("{code:04X}H"),
                None => "not given".into(),
            };
            Some((uid, reason))
        })
        .collect()
}

fn referenced(answer: &Value) -> Vec<String> {
    sequence_items(answer, REFERENCED_SOP_SEQUENCE)
        .filter_map(|item| first_text(item, REFERENCED_SOP_INSTANCE_UID))
        .collect()
}

/// C-STORE on one association, opened again with backoff after a failure for the files
/// not yet confirmed; returns each file's outcome and the associations opened.
fn c_store(
    peer: &Peer,
    calling_aet: &str,
    timeout: Duration,
    retries: u32,
    ready: &[Prepared],
) -> (Vec<Result<(), String>>, u64) {
    let outgoing: Vec<Outgoing<'_>> = ready
        .iter()
        .map(|p| Outgoing {
            sop_class_uid: &p.sop_class,
            sop_instance_uid: &p.sop_instance,
            transfer_syntax_uid: &p.transfer_syntax,
            data_set: &p.bytes[p.data_set_offset..],
        })
        .collect();
    let mut outcomes: Vec<Option<Result<(), String>>> = vec![None; ready.len()];
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        match store(peer, calling_aet, timeout, &outgoing, &mut outcomes) {
            Ok(()) => break,
            Err(error) if attempts > retries => {
                for outcome in outcomes.iter_mut().filter(|o| o.is_none()) {
                    *outcome = Some(Err(format!(
                        "C-STORE failed: {error} (after {attempts} attempts)"
                    )));
                }
                break;
            }
            Err(_) => std::thread::sleep(BACKOFF * 2u32.saturating_pow(attempts - 1)),
        }
    }
    let outcomes = outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err("not sent".into())))
        .collect();
    (outcomes, u64::from(attempts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_set_starts_after_the_file_meta_group() {
        // PS3.10 7.1: 128-byte preamble, "DICM", then (0002,0000) UL with the byte count
        // of the rest of the group; here one element of 10 bytes follows, so the data set
        // starts at 132 + 12 + 10 = 154.
        let mut file = vec![0u8; 128];
        file.extend_from_slice(b"DICM");
        file.extend_from_slice(&[0x02, 0x00, 0x00, 0x00, b'U', b'L', 4, 0, 10, 0, 0, 0]);
        file.extend_from_slice(&[0x02, 0x00, 0x01, 0x00, b'O', b'B', 0, 0, 0, 0]);
        file.extend_from_slice(b"data");
        assert_eq!(data_set_offset(&file), Some(154));
        assert_eq!(&file[154..], b"data");
        // A group length past the end, or no DICM: not a Part 10 file.
        let mut short = file.clone();
        short[140] = 200;
        assert_eq!(data_set_offset(&short), None);
        assert_eq!(data_set_offset(&file[..100]), None);
    }

    #[test]
    fn a_stow_answer_gives_the_stored_and_the_failed_instances() {
        // The shape of PS3.18 Table I.2-1 / F.2 DICOM JSON: a failure reason is a US value
        // (A700H = 42752: out of resources; 0110H = 272: processing failure).
        let answer: Value = serde_json::json!({
            "00081198": {"vr": "SQ", "Value": [
                {"00081155": {"vr": "UI", "Value": ["1.2.3"]},
                 "00081197": {"vr": "US", "Value": [42752]}}
            ]},
            "00081199": {"vr": "SQ", "Value": [
                {"00081155": {"vr": "UI", "Value": ["1.2.4"]}}
            ]}
        });
        assert_eq!(
            failures(&answer),
            BTreeMap::from([("1.2.3".to_string(), "A700H".to_string())])
        );
        assert_eq!(referenced(&answer), vec!["1.2.4".to_string()]);
        assert!(failures(&Value::Null).is_empty());
    }
}
