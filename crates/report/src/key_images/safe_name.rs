//! File and folder names from identifiers the archive chose (subject, reader, timepoint,
//! lesion): only ASCII letters, digits, `-`, `_` and `.` survive (dots only inside a name,
//! never two in a row), so no name can hold `/`, `..`, NUL or control characters, or
//! start with a dot, whatever the DICOM said. A UID (`2.25.…`) stays readable.

/// Longest kept part of an identifier (a UID's maximum); a longer one is cut and marked
/// by its hash.
const MAX_KEPT: usize = 64;

/// A name safe as one path component. An identifier that had to be changed gets a short
/// hash of the original appended, so two identifiers that differ only in replaced
/// characters (`A/B`, `A_B`) still get different names.
pub fn safe_name(identifier: &str) -> String {
    let kept: String = identifier
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_KEPT)
        .collect();
    // A leading dot hides the file, `..` climbs: then no dot is kept at all.
    let kept = if kept.starts_with('.') || kept.contains("..") {
        kept.replace('.', "_")
    } else {
        kept
    };
    if kept == identifier && !kept.is_empty() {
        kept
    } else {
        format!("{kept}~{:08x}", fnv1a_32(identifier.as_bytes()))
    }
}

/// FNV-1a (32 bit): small, stable across versions and platforms.
fn fnv1a_32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_identifiers_are_kept() {
        assert_eq!(safe_name("SUBJ-001"), "SUBJ-001");
        assert_eq!(safe_name("W8"), "W8");
        let uid = "2.25.136820470332466266008421578157476109527";
        assert_eq!(safe_name(uid), uid);
    }

    #[test]
    fn separators_dots_nul_and_controls_are_replaced() {
        for hostile in [
            "../../etc",
            "a/b",
            "a\\b",
            "x\0y",
            "line\nbreak",
            "..",
            ".",
            ".hidden",
        ] {
            let name = safe_name(hostile);
            assert!(
                !name.contains('/') && !name.contains('\\') && !name.contains(".."),
                "{hostile:?} → {name}"
            );
            assert!(
                !name.chars().any(|c| c.is_control()),
                "{hostile:?} → {name}"
            );
            assert!(!name.starts_with('.'), "{hostile:?} → {name}");
        }
        // `..` keeps two underscores and gets the hash of "..".
        assert!(safe_name("..").starts_with("__~"));
    }

    #[test]
    fn names_differing_only_in_replaced_characters_stay_apart() {
        assert_ne!(safe_name("A/B"), safe_name("A_B"));
        assert_ne!(safe_name("A/B"), safe_name("A:B"));
        assert_eq!(safe_name("A_B"), "A_B");
    }

    #[test]
    fn length_is_bounded_and_empty_is_named() {
        let long = "x".repeat(1000);
        assert_eq!(safe_name(&long).len(), MAX_KEPT + 9);
        assert!(safe_name("").starts_with('~'));
    }

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        // FNV-1a 32-bit reference values (the FNV authors' test suite): "" and "a".
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
    }
}
