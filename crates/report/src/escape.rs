//! Escaping text for HTML and SVG: one escape serves element content and double-quoted
//! attribute values. `>` needs no escape in either (rule texts are full of `≥`-style
//! comparisons, so leaving it saves bytes on large reports); `'` is escaped anyway.

use std::fmt;

/// Text escaped for HTML/SVG element content and double-quoted attribute values.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '"', '\'']) {
            f.write_str(&rest[..at])?;
            let replacement = match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'"' => "&quot;",
                _ => "&#39;",
            };
            f.write_str(replacement)?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

/// Shorthand: `esc(text)` in `write!` arguments.
pub fn esc(text: &str) -> Escaped<'_> {
    Escaped(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<b>"R&D" 'x'</b>"#).to_string(),
            "&lt;b>&quot;R&amp;D&quot; &#39;x&#39;&lt;/b>"
        );
        assert_eq!(esc("plain ≥ 5 mm").to_string(), "plain ≥ 5 mm");
    }
}
