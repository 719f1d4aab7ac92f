//! `multipart/related` bodies (RFC 2387), as WADO-RS returns instances: the boundary comes
//! from the Content-Type header, each part has its own headers, a blank line, and the
//! bytes up to the next delimiter.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MultipartError {
    #[error("the Content-Type {0:?} is not multipart/related with a boundary")]
    NoBoundary(String),
    #[error("no part delimited by the boundary {0:?}")]
    NoParts(String),
    #[error("part {0} has no blank line after its headers")]
    NoHeaderEnd(usize),
}

/// The boundary parameter of a `multipart/related; ...; boundary=...` content type.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let mut parts = content_type.split(';');
    let media_type = parts.next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("multipart/related") {
        return Err(MultipartError::NoBoundary(content_type.to_string()));
    }
    for parameter in parts {
        if let Some((name, value)) = parameter.split_once('=') {
            if name.trim().eq_ignore_ascii_case("boundary") {
                let value = value.trim().trim_matches('"');
                if !value.is_empty() {
                    return Ok(value.to_string());
                }
            }
        }
    }
    Err(MultipartError::NoBoundary(content_type.to_string()))
}

/// The bodies of the parts, in order.
pub fn parts<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<&'a [u8]>, MultipartError> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut starts = Vec::new();
    let mut at = 0;
    while let Some(found) = find(&body[at..], delimiter) {
        let position = at + found;
        // A delimiter starts the body or follows a line break.
        if position == 0 || body[..position].ends_with(b"\n") {
            starts.push(position);
        }
        at = position + delimiter.len();
    }
    let mut parts = Vec::new();
    for (n, window) in starts.windows(2).enumerate() {
        let part = &body[window[0] + delimiter.len()..window[1]];
        let part = part
            .strip_prefix(b"\r\n")
            .or_else(|| part.strip_prefix(b"\n"))
            .unwrap_or(part);
        // No headers at all: the blank line follows the delimiter line at once.
        let (header_end, separator) = if part.starts_with(b"\r\n") {
            (0, 2)
        } else if part.starts_with(b"\n") {
            (0, 1)
        } else {
            match (find(part, b"\r\n\r\n"), find(part, b"\n\n")) {
                (Some(crlf), Some(lf)) if lf < crlf => (lf, 2),
                (Some(crlf), _) => (crlf, 4),
                (None, Some(lf)) => (lf, 2),
                (None, None) => return Err(MultipartError::NoHeaderEnd(n + 1)),
            }
        };
        let content = &part[header_end + separator..];
        // The line break before the next delimiter belongs to the delimiter.
        let content = content
            .strip_suffix(b"\r\n")
            .or_else(|| content.strip_suffix(b"\n"))
            .unwrap_or(content);
        parts.push(content);
    }
    if parts.is_empty() {
        return Err(MultipartError::NoParts(boundary.to_string()));
    }
    Ok(parts)
}

/// A boundary for a body of these parts: derived from their bytes (the same files give
/// the same request) and lengthened until no part contains it (RFC 2046 5.1.1).
pub fn new_boundary(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut boundary = String::from("oncoread-");
    for byte in digest.iter().take(12) {
        boundary.push_str(&format!("{byte:02x}"));
    }
    let mut salt = 0u32;
    while parts
        .iter()
        .any(|part| find(part, format!("--{boundary}").as_bytes()).is_some())
    {
        salt += 1;
        boundary.push_str(&format!("-{salt}"));
    }
    boundary
}

/// A multipart/related body of application/dicom parts (what STOW-RS takes).
pub fn related_body(parts: &[&[u8]], boundary: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(parts.iter().map(|p| p.len() + 80).sum());
    for part in parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Type: application/dicom\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(part);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn the_boundary_of_a_wado_rs_content_type() -> TestResult {
        assert_eq!(
            boundary("multipart/related; type=\"application/dicom\"; boundary=abc-123")?,
            "abc-123"
        );
        assert_eq!(
            boundary("Multipart/Related;boundary=\"q u\";type=application/dicom")?,
            "q u"
        );
        assert!(boundary("application/dicom").is_err());
        assert!(boundary("multipart/related; type=x").is_err());
        Ok(())
    }

    #[test]
    fn two_parts_with_binary_content_that_contains_line_breaks() -> TestResult {
        let body = b"--B\r\nContent-Type: application/dicom\r\n\r\nDICM\r\n\x00\x01\r\n--B\r\nContent-Type: application/dicom\r\nContent-Length: 3\r\n\r\nxyz\r\n--B--\r\n";
        let parts = parts(body, "B")?;
        assert_eq!(parts, vec![&b"DICM\r\n\x00\x01"[..], &b"xyz"[..]]);
        Ok(())
    }

    #[test]
    fn a_delimiter_inside_content_that_does_not_start_a_line_is_content() -> TestResult {
        let body = b"--B\r\n\r\nab--Bcd\r\n--B--";
        assert_eq!(parts(body, "B")?, vec![&b"ab--Bcd"[..]]);
        Ok(())
    }

    #[test]
    fn bodies_without_parts_or_headers_are_errors() -> TestResult {
        assert_eq!(
            parts(b"nothing here", "B"),
            Err(MultipartError::NoParts("B".into()))
        );
        assert_eq!(
            parts(b"--B\r\nno blank line\r\n--B--", "B")
                .err()
                .ok_or("a part without a blank line after its headers should be rejected")?,
            MultipartError::NoHeaderEnd(1)
        );
        Ok(())
    }

    #[test]
    fn a_body_written_reads_back_and_its_boundary_is_in_no_part() -> TestResult {
        let first: &[u8] = b"DICM\r\n--oncoread-\r\n";
        let second: &[u8] = b"\x00\x01\x02";
        let boundary = new_boundary(&[first, second]);
        let body = related_body(&[first, second], &boundary);
        // RFC 2046: the delimiter, the part's headers, a blank line, the content, CRLF.
        let expected_start = format!("--{boundary}\r\nContent-Type: application/dicom\r\n\r\n");
        assert!(body.starts_with(expected_start.as_bytes()));
        assert!(body.ends_with(format!("\r\n--{boundary}--\r\n").as_bytes()));
        assert_eq!(parts(&body, &boundary)?, vec![first, second]);
        Ok(())
    }
}
