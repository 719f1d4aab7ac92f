//! Which shard a file belongs to, for `oncoread run --shard K/N`.
//!
//! A file belongs to the shard of its subject: SHA-256 of the subject id's UTF-8 bytes,
//! the first 8 bytes of the digest read as a big-endian unsigned integer, modulo N. The
//! subject is Clinical Trial Subject ID (0012,0040), else Patient ID (0010,0020), as the
//! timeline assembly names subjects. A file whose subject cannot be read (not DICOM,
//! broken, or neither attribute set) belongs to the shard of the same hash of its path as
//! the scan names it. The rule depends only on those bytes, never on the machine, the
//! walk order or the version, so every shard of one run agrees on it.

use oncoread_dicom::header::HeaderRecord;
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count` (numbered from 0, like Slurm array task ids and Kubernetes
/// completion indexes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardSpecError {
    #[error("{0:?}: expected K/N, e.g. 0/4 (shard K of N, K from 0 to N-1)")]
    Syntax(String),
    #[error("{0:?}: N must be at least 1")]
    NoShards(String),
    #[error("{text:?}: K must be 0..{last} (shards are numbered from 0, like Slurm array task ids)", last = .count - 1)]
    OutOfRange { text: String, count: u32 },
}

impl FromStr for ShardSpec {
    type Err = ShardSpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = || ShardSpecError::Syntax(text.to_string());
        let (k, n) = text.split_once('/').ok_or_else(syntax)?;
        let index: u32 = k.trim().parse().map_err(|_| syntax())?;
        let count: u32 = n.trim().parse().map_err(|_| syntax())?;
        if count == 0 {
            return Err(ShardSpecError::NoShards(text.to_string()));
        }
        if index >= count {
            return Err(ShardSpecError::OutOfRange {
                text: text.to_string(),
                count,
            });
        }
        Ok(ShardSpec { index, count })
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard (0..count) of a key: SHA-256, first 8 bytes big-endian, modulo `count`.
pub fn shard_of(key: &str, count: u32) -> u32 {
    let digest = Sha256::digest(key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // The remainder is below `count`, a u32: the conversion cannot fail.
    u32::try_from(u64::from_be_bytes(first) % u64::from(count.max(1))).unwrap_or(0)
}

/// The subject a record is filed under: Clinical Trial Subject ID, else Patient ID; blank
/// values count as absent.
pub fn subject_of_record(record: &HeaderRecord) -> Option<&str> {
    record
        .clinical_trial_subject_id
        .as_deref()
        .or(record.patient_id.as_deref())
        .filter(|s| !s.trim().is_empty())
}

impl ShardSpec {
    /// Whether a file that could not be read into a record (`path` as the scan names it)
    /// is this shard's.
    pub fn owns_path(&self, path: &str) -> bool {
        shard_of(path, self.count) == self.index
    }

    /// Whether an indexed instance is this shard's: by its subject, else by its path.
    pub fn owns_record(&self, record: &HeaderRecord) -> bool {
        match subject_of_record(record) {
            Some(subject) => shard_of(subject, self.count) == self.index,
            None => self.owns_path(&record.path),
        }
    }

    /// A file-name-safe label, `K-of-N`.
    pub fn label(&self) -> String {
        format!("{}-of-{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    // Expected values derived outside this code: the first 16 hex digits of
    // `printf %s KEY | sha256sum` (coreutils), and the shard by python3's
    // `int(DIGITS, 16) % N`.
    #[test]
    fn the_shard_is_the_first_eight_digest_bytes_big_endian_modulo_n() -> TestResult {
        for (key, first_16_hex, n, expected) in KNOWN {
            let value = u64::from_str_radix(first_16_hex, 16)?;
            assert_eq!(value % u64::from(*n), u64::from(*expected), "{key}");
            assert_eq!(shard_of(key, *n), *expected, "{key} into {n}");
        }
        Ok(())
    }

    /// (key, first 16 hex digits of `printf %s KEY | sha256sum`, N, shard by hand).
    const KNOWN: &[(&str, &str, u32, u32)] = &[
        ("SUBJ-001", "44bc86a8dcba3570", 3, 1),
        ("SUBJ-001", "44bc86a8dcba3570", 7, 6),
        ("SUBJ-002", "54074f920a8e71cf", 3, 2),
        ("SUBJ-002", "54074f920a8e71cf", 7, 1),
        ("P1", "fbeae7c18667b698", 7, 3),
        ("a/b.dcm", "bc27a2b3342996d0", 7, 1),
        ("SUBJ-001", "44bc86a8dcba3570", 1, 0),
    ];

    #[test]
    fn shard_specs_parse_and_refuse_clearly() -> TestResult {
        assert_eq!(
            "2/7".parse::<ShardSpec>(),
            Ok(ShardSpec { index: 2, count: 7 })
        );
        assert_eq!(
            "0/1".parse::<ShardSpec>(),
            Ok(ShardSpec { index: 0, count: 1 })
        );
        let message = |text: &str| {
            text.parse::<ShardSpec>()
                .err()
                .map(|error| error.to_string())
                .ok_or(format!("{text:?} should be rejected"))
        };
        assert_eq!(
            message("3/3")?,
            "\"3/3\": K must be 0..2 (shards are numbered from 0, like Slurm array task ids)"
        );
        assert_eq!(message("1/0")?, "\"1/0\": N must be at least 1");
        assert!(message("2")?.contains("expected K/N"));
        assert!(message("a/3")?.contains("expected K/N"));
        assert!(message("-1/3")?.contains("expected K/N"));
        Ok(())
    }

    #[test]
    fn records_go_by_subject_then_by_path() -> TestResult {
        // Of 7 shards: SUBJ-001 is in 6, P1 in 3, the path a/b.dcm in 1 (table above).
        let owner = |record: &HeaderRecord| {
            (0..7)
                .filter(|k| {
                    ShardSpec {
                        index: *k,
                        count: 7,
                    }
                    .owns_record(record)
                })
                .collect::<Vec<_>>()
        };
        let mut record = HeaderRecord {
            path: "a/b.dcm".into(),
            patient_id: Some("P1".into()),
            clinical_trial_subject_id: Some("SUBJ-001".into()),
            ..HeaderRecord::default()
        };
        assert_eq!(owner(&record), [6]);
        record.clinical_trial_subject_id = None;
        assert_eq!(owner(&record), [3]);
        record.patient_id = Some("  ".into());
        assert_eq!(owner(&record), [1]);
        Ok(())
    }
}
