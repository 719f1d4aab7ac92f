//! File and folder names made from subject, reader and timepoint labels: nothing that can
//! leave the output folder or confuse a shell or a file system (no `/`, `\`, `..`, NUL or
//! control characters, no leading dot), at most [`MAX_NAME_BYTES`] bytes. A label that had
//! to change gets a short hash of the original, so two labels never share a name.

use sha2::{Digest, Sha256};

pub const MAX_NAME_BYTES: usize = 64;

pub fn safe_name(label: &str) -> String {
    let mut name: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with('.') {
        name.replace_range(0..1, "_");
    }
    if name == label && !name.is_empty() && name.len() <= MAX_NAME_BYTES {
        return name;
    }
    // 8 hex digits of the original label keep altered names apart.
    let digest = Sha256::digest(label.as_bytes());
    let suffix: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    name.truncate(MAX_NAME_BYTES - suffix.len() - 1);
    format!("{name}-{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_labels_are_kept() {
        assert_eq!(safe_name("SUBJ-001"), "SUBJ-001");
        assert_eq!(safe_name("W8"), "W8");
        assert_eq!(safe_name("2024-03-17"), "2024-03-17");
    }

    #[test]
    fn unsafe_labels_are_replaced_and_told_apart() {
        // Each unsafe character becomes `_`, then the leading dot: "_._etc_passwd".
        let slash = safe_name("../etc/passwd");
        assert!(slash.starts_with("_._etc_passwd-"), "{slash}");
        assert_eq!(slash.len(), "_._etc_passwd-".len() + 8);
        assert!(safe_name("Lindqvist^Eva").starts_with("Lindqvist_Eva-"));
        assert_ne!(safe_name("a/b"), safe_name("a_b"));
        assert_ne!(safe_name("a/b"), safe_name("a\\b"));
        let control = safe_name("x\u{0}\n\u{7f}");
        assert!(control.bytes().all(|b| b.is_ascii_graphic()), "{control}");
        assert_eq!(safe_name("..").as_bytes()[0], b'_');
        assert!(!safe_name("").is_empty());
    }

    #[test]
    fn long_labels_are_bounded() {
        let long = "é".repeat(200);
        let name = safe_name(&long);
        assert!(name.len() <= MAX_NAME_BYTES, "{}", name.len());
        assert_ne!(name, safe_name(&"é".repeat(201)));
    }
}
