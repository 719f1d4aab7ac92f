//! Deterministic UIDs: `2.25.<decimal of a 128-bit hash of (seed, names)>`.
//!
//! The `2.25` root takes a 128-bit integer (PS3.5 B.2); like pydicom's `generate_uid` with
//! entropy sources, we take it from a hash instead of a random UUID, so the same seed gives
//! the same UIDs. At most 5 + 39 characters, within the 64 allowed.

use crate::rng::hash128;

/// Identifies the software that wrote a file (File Meta Implementation Class UID); fixed,
/// independent of the seed.
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.284243106769440338698514151805340705832";
/// File Meta Implementation Version Name (at most 16 characters).
pub const IMPLEMENTATION_VERSION_NAME: &str = "ONCOREAD_SYNTH_1";

pub fn uid(seed: u64, names: &[&str]) -> String {
    format!("2.25.{}", hash128(seed, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn uids_are_valid_and_stable() -> TestResult {
        let a = uid(1, &["study", "SUBJ-001", "BL"]);
        assert_eq!(a, uid(1, &["study", "SUBJ-001", "BL"]));
        assert_ne!(a, uid(2, &["study", "SUBJ-001", "BL"]));
        assert!(a.len() <= 64);
        let digits = a
            .strip_prefix("2.25.")
            .ok_or(format!("{a} does not start with 2.25."))?;
        assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        assert!(!digits.starts_with('0'));
        assert!(IMPLEMENTATION_VERSION_NAME.len() <= 16);
        Ok(())
    }
}

/// The UIDs of one trial, all derived from its seed and the names of what they identify.
#[derive(Debug, Clone, Copy)]
pub struct Uids {
    pub seed: u64,
}

impl Uids {
    pub fn study(&self, subject: &str, timepoint: &str) -> String {
        uid(self.seed, &["study", subject, timepoint])
    }
    pub fn ct_series(&self, subject: &str, timepoint: &str) -> String {
        uid(self.seed, &["ct-series", subject, timepoint])
    }
    pub fn frame_of_reference(&self, subject: &str, timepoint: &str) -> String {
        uid(self.seed, &["frame", subject, timepoint])
    }
    pub fn ct_instance(&self, subject: &str, timepoint: &str, slice: usize) -> String {
        uid(self.seed, &["ct", subject, timepoint, &slice.to_string()])
    }
    pub fn sr_series(&self, subject: &str, timepoint: &str, reader: &str) -> String {
        uid(self.seed, &["sr-series", subject, timepoint, reader])
    }
    pub fn sr_instance(&self, subject: &str, timepoint: &str, reader: &str) -> String {
        uid(self.seed, &["sr", subject, timepoint, reader])
    }
    /// A lesion's Tracking Unique Identifier: one per reader and lesion, the same at
    /// every visit (each reader tracks the lesions they measure).
    pub fn tracking(&self, subject: &str, reader: &str, label: &str) -> String {
        uid(self.seed, &["tracking", subject, reader, label])
    }
}
