//! Checks across files of the archive that no single file shows: two files claiming one
//! SOP Instance UID with different content, and two patients sharing one Patient ID.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use oncoread_criteria::timeline::Problem;
use oncoread_dicom::header::HeaderRecord;
use sha2::{Digest, Sha256};

/// Files sharing a SOP Instance UID whose content differs: one problem per file not
/// used, naming the file kept. The kept file is the first in path order, as the
/// assembly's image lookup and report selection keep it. Byte-identical copies (a
/// re-sent object) are silent: either file gives the same result.
pub fn duplicate_instances(records: &[HeaderRecord]) -> Vec<Problem> {
    let mut by_uid: BTreeMap<&str, Vec<&HeaderRecord>> = BTreeMap::new();
    for record in records {
        if let Some(uid) = record.sop_instance_uid.as_deref() {
            by_uid.entry(uid).or_default().push(record);
        }
    }
    let mut problems = Vec::new();
    for (uid, mut files) in by_uid {
        if files.len() < 2 {
            continue;
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let Some((kept, others)) = files.split_first() else {
            continue;
        };
        let kept_hash = content_hash(kept);
        for other in others {
            let same = match (&kept_hash, content_hash(other)) {
                (Some(a), Some(b)) => *a == b,
                // Not a local file (a PACS source) or unreadable now: compare what was indexed.
                _ => same_header(kept, other),
            };
            if same {
                continue;
            }
            let mut problem = Problem::new(
                "duplicate_sop_instance_uid",
                format!(
                    "SOP Instance UID (0008,0018) {uid} is also in {} with different content; \
                     {} is used and this file is not",
                    kept.path, kept.path
                ),
            );
            problem.path = Some(other.path.clone());
            problem.sop_instance_uid = Some(uid.to_string());
            problems.push(problem);
        }
    }
    problems
}

/// SHA-256 of a local file's bytes; `None` for a URL or a file that cannot be read.
fn content_hash(record: &HeaderRecord) -> Option<[u8; 32]> {
    let bytes = std::fs::read(Path::new(&record.path)).ok()?;
    Some(Sha256::digest(&bytes).into())
}

fn same_header(a: &HeaderRecord, b: &HeaderRecord) -> bool {
    HeaderRecord {
        path: String::new(),
        ..a.clone()
    } == HeaderRecord {
        path: String::new(),
        ..b.clone()
    }
}

/// Who a file says the patient is, beyond the Patient ID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Identity {
    birth_date: Option<String>,
    /// Upper case, trailing empty name components dropped (`DOE^JOHN^^` = `doe^john`).
    name: Option<String>,
}

impl Identity {
    fn of(record: &HeaderRecord) -> Identity {
        let birth_date = record
            .patient_birth_date
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        let name = record
            .patient_name
            .as_deref()
            .map(|n| n.trim().trim_end_matches(['^', ' ']).to_uppercase())
            .filter(|n| !n.is_empty());
        Identity { birth_date, name }
    }

    /// Two identities contradict when a value both record differs (an absent value is
    /// unknown, not different).
    fn contradicts(&self, other: &Identity) -> bool {
        let differ =
            |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a != b);
        differ(&self.birth_date, &other.birth_date) || differ(&self.name, &other.name)
    }

    fn describe(&self) -> String {
        format!(
            "Patient's Birth Date (0010,0030) {}, Patient's Name (0010,0010) {}",
            self.birth_date.as_deref().unwrap_or("(empty)"),
            self.name.as_deref().unwrap_or("(empty)")
        )
    }
}

/// Patient IDs that files give to two different patients (different birth dates or
/// names), with one `patient_id_conflict` problem per file whose identity contradicts the
/// first file's (in path order), naming both files and both values.
pub fn patient_id_conflicts(records: &[HeaderRecord]) -> (BTreeSet<String>, Vec<Problem>) {
    let mut by_patient: BTreeMap<&str, Vec<&HeaderRecord>> = BTreeMap::new();
    for record in records {
        if let Some(id) = record
            .patient_id
            .as_deref()
            .filter(|id| !id.trim().is_empty())
        {
            by_patient.entry(id).or_default().push(record);
        }
    }
    let mut conflicted = BTreeSet::new();
    let mut problems = Vec::new();
    for (patient_id, mut files) in by_patient {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let Some((first, others)) = files.split_first() else {
            continue;
        };
        let reference = Identity::of(first);
        for other in others {
            let identity = Identity::of(other);
            if !reference.contradicts(&identity) {
                continue;
            }
            conflicted.insert(patient_id.to_string());
            let mut problem = Problem::new(
                "patient_id_conflict",
                format!(
                    "Patient ID (0010,0020) \"{patient_id}\" names two patients: this file has {}, \
                     {} has {}; no report of this Patient ID is used until the files are corrected",
                    identity.describe(),
                    first.path,
                    reference.describe()
                ),
            );
            problem.path = Some(other.path.clone());
            problem.sop_instance_uid = other.sop_instance_uid.clone();
            problems.push(problem);
        }
    }
    (conflicted, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(path: &str, patient: &str, birth: Option<&str>, name: Option<&str>) -> HeaderRecord {
        HeaderRecord {
            path: path.into(),
            sop_instance_uid: Some(format!("1.2.{}", path.len())),
            patient_id: Some(patient.into()),
            patient_birth_date: birth.map(str::to_string),
            patient_name: name.map(str::to_string),
            ..HeaderRecord::default()
        }
    }

    #[test]
    fn a_patient_id_with_two_birth_dates_or_names_is_a_conflict_and_unknown_values_are_not() {
        let records = [
            record("a/1.dcm", "P1", Some("19600101"), Some("DOE^JANE")),
            record("a/2.dcm", "P1", None, Some("doe^jane^^")),
            record("b/1.dcm", "P1", Some("19700101"), Some("DOE^JANE")),
            record("c/1.dcm", "P2", Some("19600101"), Some("ROE^RICHARD")),
            record("c/2.dcm", "P2", Some("19600101"), Some("ROE^RICHARDA")),
            record("d/1.dcm", "P3", Some("19600101"), None),
            record("d/2.dcm", "P3", None, Some("X")),
        ];
        let (conflicted, problems) = patient_id_conflicts(&records);
        assert_eq!(
            conflicted,
            BTreeSet::from(["P1".to_string(), "P2".to_string()])
        );
        let paths: Vec<_> = problems.iter().filter_map(|p| p.path.as_deref()).collect();
        assert_eq!(paths, ["b/1.dcm", "c/2.dcm"]);
        assert!(problems[0].message.contains("19700101"));
        assert!(problems[0].message.contains("19600101"));
        assert!(problems[0].message.contains("a/1.dcm"));
    }

    #[test]
    fn duplicates_are_compared_by_header_when_the_files_are_not_local() {
        let mut a = record("dicomweb:x/1", "P1", None, None);
        a.sop_instance_uid = Some("1.2.3".into());
        let b = HeaderRecord {
            path: "dicomweb:x/2".into(),
            ..a.clone()
        };
        assert!(duplicate_instances(&[a.clone(), b.clone()]).is_empty());
        let c = HeaderRecord {
            path: "dicomweb:x/3".into(),
            study_date: Some("20240101".into()),
            ..a.clone()
        };
        let problems = duplicate_instances(&[c, b, a]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path.as_deref(), Some("dicomweb:x/3"));
        assert!(problems[0].message.contains("dicomweb:x/1 is used"));
    }
}
