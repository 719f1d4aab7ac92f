//! Resource limits of the SR reader: how large, how deep and how many content items a
//! report may be before it is refused as a problem instead of read.
//!
//! Why limits at all: the tree parser (dicom-object) holds the whole report in memory and
//! trusts the file's own claims, so a hostile or broken file could otherwise cost
//! gigabytes or exhaust the stack and abort the run. The defaults leave a wide margin over
//! every real report seen (the largest real SR in the fixtures, a dcmqi PET report, has
//! 255 content items nested 4 levels deep in 77 KB) while keeping one report's tree to a
//! few hundred MB at most. `pipeline.toml`'s `[limits]` table changes them.

use std::fmt;

/// The limits one SR read works within. `Default` gives the documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `max_sr_file_bytes`: the largest report file read (the file is read whole).
    pub max_sr_file_bytes: u64,
    /// `max_element_bytes`: the largest declared length of one non-sequence element of
    /// a report (Pixel Data at the top level is never read).
    pub max_element_bytes: u64,
    /// `max_sr_nesting`: sequences and items open at once (each content level opens two:
    /// the Content Sequence and its item).
    pub max_sr_nesting: usize,
    /// `max_sr_content_items`: content items in the whole tree (the items of every
    /// Content Sequence, at any depth).
    pub max_sr_content_items: usize,
}

impl Limits {
    /// 256 MiB: a report of 100,000 content items takes a few tens of MB.
    pub const DEFAULT_MAX_SR_FILE_BYTES: u64 = 256 * 1024 * 1024;
    /// 64 MiB: no SR attribute carries bulk data; this still admits an embedded document.
    pub const DEFAULT_MAX_ELEMENT_BYTES: u64 = 64 * 1024 * 1024;
    /// 256: TID 1500 reports nest about a dozen; this keeps the parser's recursion far from
    /// the end of the stack.
    pub const DEFAULT_MAX_SR_NESTING: usize = 256;
    /// 100,000: about 400 times the largest real report seen (255 items), room for a
    /// thousand lesions with 100 items each.
    pub const DEFAULT_MAX_SR_CONTENT_ITEMS: usize = 100_000;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_sr_file_bytes: Self::DEFAULT_MAX_SR_FILE_BYTES,
            max_element_bytes: Self::DEFAULT_MAX_ELEMENT_BYTES,
            max_sr_nesting: Self::DEFAULT_MAX_SR_NESTING,
            max_sr_content_items: Self::DEFAULT_MAX_SR_CONTENT_ITEMS,
        }
    }
}

/// Which limit a file went past: the `[limits]` key that raises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKey {
    MaxSrFileBytes,
    MaxElementBytes,
    MaxSrNesting,
    MaxSrContentItems,
}

impl LimitKey {
    /// The key's name in `pipeline.toml`'s `[limits]` table.
    pub fn name(self) -> &'static str {
        match self {
            LimitKey::MaxSrFileBytes => "max_sr_file_bytes",
            LimitKey::MaxElementBytes => "max_element_bytes",
            LimitKey::MaxSrNesting => "max_sr_nesting",
            LimitKey::MaxSrContentItems => "max_sr_content_items",
        }
    }
}

impl fmt::Display for LimitKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A limit a file went past: the key, its value, what was found and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitExceeded {
    pub key: LimitKey,
    pub allowed: u64,
    /// The value found (for content items, the whole file's count).
    pub found: u64,
    /// What `found` counts ("bytes", "content items", …), for the message.
    pub what: &'static str,
    /// The byte offset where the limit was first passed (the value of the element too
    /// long, the item one past the limit), when known.
    pub at_byte: Option<u64>,
    /// The element or item the limit was passed at, when known, e.g. `(0040,A160)`.
    pub element: Option<String>,
}

/// E.g. "limit max_sr_content_items = 100000 exceeded: 1000000 content items (element
/// (FFFE,E000) at byte 2000144)", the byte being where the limit was first passed.
impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let LimitExceeded {
            key,
            allowed,
            found,
            what,
            at_byte,
            element,
        } = self;
        write!(f, "limit {key} = {allowed} exceeded: {found} {what}")?;
        match (element, at_byte) {
            (Some(element), Some(at)) => write!(f, " (element {element} at byte {at})"),
            (Some(element), None) => write!(f, " (element {element})"),
            (None, Some(at)) => write!(f, " (at byte {at})"),
            (None, None) => Ok(()),
        }
    }
}

impl std::error::Error for LimitExceeded {}
