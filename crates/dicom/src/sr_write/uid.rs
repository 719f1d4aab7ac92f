//! Deterministic UIDs: `2.25.` followed by the decimal of the first 128 bits of a SHA-256
//! over the parts given (PS3.5 B.2 allows any 128-bit integer under `2.25`). The same
//! parts give the same UID, so writing a document again does not make a new instance.

use sha2::{Digest, Sha256};

/// A UID from `parts`, each length-prefixed so that ("ab", "c") and ("a", "bc") differ.
pub fn hashed_uid(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    format!("2.25.{}", u128::from_be_bytes(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uid_is_the_decimal_of_the_first_128_bits_of_the_digest() {
        // By hand: SHA-256 of 8 zero bytes (the length 0 as u64) is
        // af5570f5a1810b7af78caf4bc70a660f0df51e42baf91d4de5b2328de0e83dfc; its first 16
        // bytes as a big-endian integer are 0xaf5570f5a1810b7af78caf4bc70a660f.
        let expected = format!("2.25.{}", 0xaf55_70f5_a181_0b7a_f78c_af4b_c70a_660f_u128);
        assert_eq!(hashed_uid(&[b""]), expected);
    }

    #[test]
    fn parts_are_separated_and_uids_fit_64_characters() {
        assert_ne!(hashed_uid(&[b"ab", b"c"]), hashed_uid(&[b"a", b"bc"]));
        let uid = hashed_uid(&[b"subject", b"reader"]);
        assert!(uid.len() <= 64, "{uid}");
        assert!(!uid["2.25.".len()..].starts_with('0'));
    }
}
