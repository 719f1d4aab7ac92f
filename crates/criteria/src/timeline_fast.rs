//! A fast reader for the common shape of one timeline subject, for the streaming
//! assessment of very large timelines.
//!
//! Parsing through serde's derived visitors cost about half of `oncoread assess` on a
//! 100,000-subject timeline (per-key string matching, a visitor per struct, an allocation
//! per string). This reader walks the bytes of one subject directly and builds the same
//! [`Subject`]. It only has to be right, not complete: whenever it meets anything beyond
//! the plain shape — an escaped string, an unknown or repeated key, a value of an
//! unexpected type — it answers `None` and the caller parses that subject with serde,
//! which then gives exactly the result (or the error naming the field) it always gave.
//! Numbers go through serde_json's own number parser, so every value is bit-identical.
//!
//! Struct literals below list every field without `..`: a field added to the timeline types
//! fails to compile here instead of being silently skipped.

use serde::de::DeserializeOwned;

use crate::timeline::{
    Change, Clinical, Context, Lesion, LesionStatus, Problem, Role, ScanStatus, Source, Subject,
    Timepoint,
};

/// The parts of a timeline document besides its subjects.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentParts {
    pub schema: String,
    pub problems: Option<Vec<Problem>>,
}

/// Walks a whole `oncoread.timeline/1` document, handing each subject to `subject` in
/// document order (subjects the fast reader declines are parsed with serde). `None` when
/// the document is not a plain object with `schema`, `subjects` and optional `problems`,
/// when a subject does not parse, or when `subject` returns `false` (stop): the caller then
/// parses the whole document with serde, which reports any error with its JSON path.
pub fn walk_document(
    text: &str,
    mut subject: impl FnMut(&Subject) -> bool,
) -> Option<DocumentParts> {
    let bytes = text.as_bytes();
    let mut r = Reader {
        text,
        bytes,
        pos: 0,
    };
    let (mut schema, mut problems, mut seen_subjects) = (None, None, false);
    // One subject's buffers, refilled for every subject: its strings and vectors keep
    // their capacity, so a large timeline costs few allocations.
    let mut reused = empty_subject();
    let mut seen = 0;
    r.object(|r, key| {
        match key {
            "schema" => {
                first_time(&mut seen, 0)?;
                schema = Some(r.with_serde::<String>()?);
            }
            "problems" => {
                first_time(&mut seen, 1)?;
                problems = Some(r.with_serde::<Vec<Problem>>()?);
            }
            "subjects" => {
                first_time(&mut seen, 2)?;
                seen_subjects = true;
                r.elements(|r| {
                    let start = r.pos;
                    let go_on = if r.subject_into(&mut reused).is_some() {
                        subject(&reused)
                    } else {
                        r.pos = start;
                        subject(&r.with_serde::<Subject>()?)
                    };
                    go_on.then_some(())
                })?;
            }
            _ => return None,
        }
        Some(())
    })?;
    r.skip_whitespace();
    if r.pos != bytes.len() || !seen_subjects {
        return None;
    }
    Some(DocumentParts {
        schema: schema?,
        problems,
    })
}

fn empty_subject() -> Subject {
    Subject {
        subject_id: String::new(),
        reader: None,
        context: None,
        timepoints: Vec::new(),
    }
}

/// Parses the subject object starting at `*pos` (after optional whitespace). On success
/// `*pos` is just past the object; on `None` it is unspecified.
pub fn parse_subject(text: &str, pos: &mut usize) -> Option<Subject> {
    let mut r = Reader {
        text,
        bytes: text.as_bytes(),
        pos: *pos,
    };
    let mut subject = empty_subject();
    r.subject_into(&mut subject)?;
    *pos = r.pos;
    Some(subject)
}

/// Refills `slot` with `value`, keeping its allocation.
fn set_string(slot: &mut String, value: &str) {
    slot.clear();
    slot.push_str(value);
}

/// Refills an optional string, keeping the allocation when there was one.
fn set_optional_string(slot: &mut Option<String>, value: Option<&str>) {
    match (slot.as_mut(), value) {
        (Some(existing), Some(value)) => set_string(existing, value),
        (None, Some(value)) => *slot = Some(value.to_owned()),
        (_, None) => *slot = None,
    }
}

/// Refills a vector element by element: `fill` gets each element slot (reused, or a new
/// default one) and the vector keeps exactly the elements filled.
fn fill_vec<T: Default>(
    reader: &mut Reader<'_>,
    items: &mut Vec<T>,
    mut fill: impl FnMut(&mut Reader<'_>, &mut T) -> Option<()>,
) -> Option<()> {
    let mut filled = 0;
    reader.elements(|r| {
        if filled == items.len() {
            items.push(T::default());
        }
        fill(r, &mut items[filled])?;
        filled += 1;
        Some(())
    })?;
    items.truncate(filled);
    Some(())
}

/// The offset of the first byte that ends or interrupts a JSON string: `"`, `\\` or a
/// control character below 0x20. Eight bytes per step (SWAR): strings are most of a
/// timeline's bytes.
fn string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Flags (in its high bit) the lowest byte of `word` below `n` exactly; bytes above
    // a flagged one may be flagged falsely, so only the lowest flag is used.
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word_bytes = [0u8; 8];
        word_bytes.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word_bytes);
        let found = below(word ^ (ONES * u64::from(b'"')), 1)
            | below(word ^ (ONES * u64::from(b'\\')), 1)
            | below(word, 0x20);
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|p| offset + p)
}

struct Reader<'a> {
    /// The input as text (checked UTF-8 once), sliced for strings without re-checking.
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

/// Marks a key as seen; `None` when it was seen before (serde rejects duplicates).
fn first_time(seen: &mut u32, bit: u32) -> Option<()> {
    if *seen & (1 << bit) != 0 {
        return None;
    }
    *seen |= 1 << bit;
    Some(())
}

impl<'a> Reader<'a> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next non-whitespace byte, consumed.
    fn next_byte(&mut self) -> Option<u8> {
        self.skip_whitespace();
        let byte = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(byte)
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes.get(self.pos).copied()
    }

    fn consume(&mut self, byte: u8) -> Option<()> {
        (self.next_byte()? == byte).then_some(())
    }

    /// A string without escapes, borrowed from the input.
    fn plain_str(&mut self) -> Option<&'a str> {
        self.consume(b'"')?;
        let start = self.pos;
        let rest = self.bytes.get(start..)?;
        let length = string_end(rest)?;
        if rest[length] != b'"' {
            return None; // an escape or a raw control character: serde's job
        }
        self.pos = start + length + 1;
        // Both ends are ASCII quotes, so on character boundaries: slicing is O(1).
        self.text.get(start..start + length)
    }

    /// `null`, consumed, if it comes next.
    fn null(&mut self) -> bool {
        if self.peek() == Some(b'n') && self.bytes[self.pos..].starts_with(b"null") {
            self.pos += 4;
            true
        } else {
            false
        }
    }

    fn optional<T>(&mut self, value: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.null() {
            Some(None)
        } else {
            value(self).map(Some)
        }
    }

    fn boolean(&mut self) -> Option<bool> {
        self.skip_whitespace();
        let rest = &self.bytes[self.pos..];
        if rest.starts_with(b"true") {
            self.pos += 4;
            Some(true)
        } else if rest.starts_with(b"false") {
            self.pos += 5;
            Some(false)
        } else {
            None
        }
    }

    /// The bytes of a JSON number.
    fn number_text(&mut self) -> Option<&'a str> {
        self.skip_whitespace();
        let start = self.pos;
        let length = self.bytes[start..]
            .iter()
            .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
            .unwrap_or(self.bytes.len() - start);
        if length == 0 {
            return None;
        }
        self.pos = start + length;
        self.text.get(start..start + length)
    }

    /// An integer (serde refuses `5.0` for an integer field, so must we).
    fn integer(&mut self) -> Option<i64> {
        let text = self.number_text()?;
        let digits = text.strip_prefix('-').unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if digits.len() > 1 && digits.starts_with('0') {
            return None; // not JSON
        }
        text.parse().ok()
    }

    /// A number through serde_json's own parser (the same bits as the serde path).
    fn float(&mut self) -> Option<f64> {
        serde_json::from_str(self.number_text()?).ok()
    }

    /// Any value through serde (for the rare, small or free-form parts).
    fn with_serde<T: DeserializeOwned>(&mut self) -> Option<T> {
        self.skip_whitespace();
        let mut values =
            serde_json::Deserializer::from_slice(&self.bytes[self.pos..]).into_iter::<T>();
        let value = values.next()?.ok()?;
        self.pos += values.byte_offset();
        Some(value)
    }

    /// Walks the members of an object, calling `member` with each key.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.consume(b'{')?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Some(());
        }
        loop {
            let key = self.plain_str()?;
            self.consume(b':')?;
            member(self, key)?;
            match self.next_byte()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// Walks the elements of an array, calling `element` at each.
    fn elements(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.consume(b'[')?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Some(());
        }
        loop {
            element(self)?;
            match self.next_byte()? {
                b',' => {}
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    fn floats(&mut self) -> Option<Vec<f64>> {
        let mut values = Vec::new();
        self.elements(|r| {
            values.push(r.float()?);
            Some(())
        })?;
        Some(values)
    }

    /// Fills `subject` from the object at the current position. Every field is either
    /// read or reset to its default, so nothing of the previous subject survives.
    fn subject_into(&mut self, subject: &mut Subject) -> Option<()> {
        let Subject {
            subject_id,
            reader,
            context,
            timepoints,
        } = subject;
        let mut seen = 0;
        self.object(|r, key| {
            match key {
                "subject_id" => {
                    first_time(&mut seen, 0)?;
                    set_string(subject_id, r.plain_str()?);
                }
                "reader" => {
                    first_time(&mut seen, 1)?;
                    let value = r.optional(Self::plain_str)?;
                    set_optional_string(reader, value);
                }
                "context" => {
                    first_time(&mut seen, 2)?;
                    *context = r.optional(Self::with_serde::<Context>)?;
                }
                "timepoints" => {
                    first_time(&mut seen, 3)?;
                    fill_vec(r, timepoints, |r, t| r.timepoint_into(t))?;
                }
                _ => return None,
            }
            Some(())
        })?;
        // subject_id and timepoints are required (serde names the missing one).
        if seen & 0b1001 != 0b1001 {
            return None;
        }
        if seen & 0b10 == 0 {
            *reader = None;
        }
        if seen & 0b100 == 0 {
            *context = None;
        }
        Some(())
    }

    fn timepoint_into(&mut self, t: &mut Timepoint) -> Option<()> {
        let Timepoint {
            timepoint_id,
            date,
            day,
            baseline,
            scan,
            unscheduled,
            symptomatic,
            clinical,
            lesions,
            source,
            liver_sul_mean,
            liver_sul_sd,
        } = t;
        let mut seen = 0;
        self.object(|r, key| {
            match key {
                "timepoint_id" => {
                    first_time(&mut seen, 0)?;
                    let value = r.optional(Self::plain_str)?;
                    set_optional_string(timepoint_id, value);
                }
                "date" => {
                    first_time(&mut seen, 1)?;
                    let value = r.optional(Self::plain_str)?;
                    set_optional_string(date, value);
                }
                "day" => {
                    first_time(&mut seen, 2)?;
                    *day = r.optional(Self::integer)?;
                }
                "baseline" => {
                    first_time(&mut seen, 3)?;
                    *baseline = r.optional(Self::boolean)?;
                }
                "scan" => {
                    first_time(&mut seen, 4)?;
                    *scan = match r.plain_str()? {
                        "done" => ScanStatus::Done,
                        "missing" => ScanStatus::Missing,
                        _ => return None,
                    };
                }
                "unscheduled" => {
                    first_time(&mut seen, 5)?;
                    *unscheduled = r.boolean()?;
                }
                "symptomatic" => {
                    first_time(&mut seen, 6)?;
                    *symptomatic = r.boolean()?;
                }
                "clinical" => {
                    first_time(&mut seen, 7)?;
                    *clinical = r.optional(Self::with_serde::<Clinical>)?;
                }
                "lesions" => {
                    first_time(&mut seen, 8)?;
                    fill_vec(r, lesions, |r, l| r.lesion_into(l))?;
                }
                "source" => {
                    first_time(&mut seen, 9)?;
                    *source = r.optional(Self::with_serde::<Source>)?;
                }
                "liver_sul_mean" => {
                    first_time(&mut seen, 10)?;
                    *liver_sul_mean = r.optional(Self::float)?;
                }
                "liver_sul_sd" => {
                    first_time(&mut seen, 11)?;
                    *liver_sul_sd = r.optional(Self::float)?;
                }
                _ => return None,
            }
            Some(())
        })?;
        // Every field not in the object takes its default (one line per field, in order).
        let unseen = |bit: u32| seen & (1 << bit) == 0;
        if unseen(0) {
            *timepoint_id = None;
        }
        if unseen(1) {
            *date = None;
        }
        if unseen(2) {
            *day = None;
        }
        if unseen(3) {
            *baseline = None;
        }
        if unseen(4) {
            *scan = ScanStatus::default();
        }
        if unseen(5) {
            *unscheduled = false;
        }
        if unseen(6) {
            *symptomatic = false;
        }
        if unseen(7) {
            *clinical = None;
        }
        if unseen(8) {
            lesions.clear();
        }
        if unseen(9) {
            *source = None;
        }
        if unseen(10) {
            *liver_sul_mean = None;
        }
        if unseen(11) {
            *liver_sul_sd = None;
        }
        Some(())
    }

    fn lesion_into(&mut self, l: &mut Lesion) -> Option<()> {
        let Lesion {
            lesion_id,
            label,
            role,
            organ,
            nodal,
            long_axis_mm,
            short_axis_mm,
            status,
            change_since_last,
            fragments_mm,
            coalesced_into,
            slice_thickness_mm,
            outside_rt_field,
            mean_hu,
            sul_peak,
            volume_mm3,
            source,
            viable_long_axis_mm,
            new_intratumoral_nodule,
        } = l;
        let mut seen = 0;
        self.object(|r, key| {
            match key {
                "lesion_id" => {
                    first_time(&mut seen, 0)?;
                    set_string(lesion_id, r.plain_str()?);
                }
                "label" => {
                    first_time(&mut seen, 1)?;
                    let value = r.optional(Self::plain_str)?;
                    set_optional_string(label, value);
                }
                "role" => {
                    first_time(&mut seen, 2)?;
                    *role = match r.plain_str()? {
                        "target" => Role::Target,
                        "non_target" => Role::NonTarget,
                        "new" => Role::New,
                        _ => return None,
                    };
                }
                "organ" => {
                    first_time(&mut seen, 3)?;
                    let value = r.optional(Self::plain_str)?;
                    set_optional_string(organ, value);
                }
                "nodal" => {
                    first_time(&mut seen, 4)?;
                    *nodal = r.boolean()?;
                }
                "long_axis_mm" => {
                    first_time(&mut seen, 5)?;
                    *long_axis_mm = r.optional(Self::float)?;
                }
                "short_axis_mm" => {
                    first_time(&mut seen, 6)?;
                    *short_axis_mm = r.optional(Self::float)?;
                }
                "status" => {
                    first_time(&mut seen, 7)?;
                    *status = r.optional(Self::lesion_status)?;
                }
                "change_since_last" => {
                    first_time(&mut seen, 8)?;
                    *change_since_last = r.optional(|r| match r.plain_str()? {
                        "decreased" => Some(Change::Decreased),
                        "unchanged" => Some(Change::Unchanged),
                        "increased" => Some(Change::Increased),
                        _ => None,
                    })?;
                }
                "fragments_mm" => {
                    first_time(&mut seen, 9)?;
                    *fragments_mm = r.optional(Self::floats)?;
                }
                "coalesced_into" => {
                    first_time(&mut seen, 10)?;
                    let value = r.optional(Self::plain_str)?;
                    set_optional_string(coalesced_into, value);
                }
                "slice_thickness_mm" => {
                    first_time(&mut seen, 11)?;
                    *slice_thickness_mm = r.optional(Self::float)?;
                }
                "outside_rt_field" => {
                    first_time(&mut seen, 12)?;
                    *outside_rt_field = r.optional(Self::boolean)?;
                }
                "mean_hu" => {
                    first_time(&mut seen, 13)?;
                    *mean_hu = r.optional(Self::float)?;
                }
                "sul_peak" => {
                    first_time(&mut seen, 14)?;
                    *sul_peak = r.optional(Self::float)?;
                }
                "volume_mm3" => {
                    first_time(&mut seen, 15)?;
                    *volume_mm3 = r.optional(Self::float)?;
                }
                "source" => {
                    first_time(&mut seen, 16)?;
                    *source = r.optional(Self::with_serde::<Source>)?;
                }
                "viable_long_axis_mm" => {
                    first_time(&mut seen, 17)?;
                    *viable_long_axis_mm = r.optional(Self::float)?;
                }
                "new_intratumoral_nodule" => {
                    first_time(&mut seen, 18)?;
                    *new_intratumoral_nodule = r.optional(Self::boolean)?;
                }
                _ => return None,
            }
            Some(())
        })?;
        // lesion_id and role are required (serde names the missing one).
        if seen & 0b101 != 0b101 {
            return None;
        }
        // Every other field not in the object takes its default (one line per field).
        let unseen = |bit: u32| seen & (1 << bit) == 0;
        if unseen(1) {
            *label = None;
        }
        if unseen(3) {
            *organ = None;
        }
        if unseen(4) {
            *nodal = false;
        }
        if unseen(5) {
            *long_axis_mm = None;
        }
        if unseen(6) {
            *short_axis_mm = None;
        }
        if unseen(7) {
            *status = None;
        }
        if unseen(8) {
            *change_since_last = None;
        }
        if unseen(9) {
            *fragments_mm = None;
        }
        if unseen(10) {
            *coalesced_into = None;
        }
        if unseen(11) {
            *slice_thickness_mm = None;
        }
        if unseen(12) {
            *outside_rt_field = None;
        }
        if unseen(13) {
            *mean_hu = None;
        }
        if unseen(14) {
            *sul_peak = None;
        }
        if unseen(15) {
            *volume_mm3 = None;
        }
        if unseen(16) {
            *source = None;
        }
        if unseen(17) {
            *viable_long_axis_mm = None;
        }
        if unseen(18) {
            *new_intratumoral_nodule = None;
        }
        Some(())
    }

    fn lesion_status(&mut self) -> Option<LesionStatus> {
        Some(match self.plain_str()? {
            "measured" => LesionStatus::Measured,
            "too_small" => LesionStatus::TooSmall,
            "absent" => LesionStatus::Absent,
            "not_assessed" => LesionStatus::NotAssessed,
            "present" => LesionStatus::Present,
            "unequivocal_progression" => LesionStatus::UnequivocalProgression,
            "equivocal" => LesionStatus::Equivocal,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// The fast reader and serde give the same subject, or the fast reader declines.
    fn agrees_with_serde(json: &str) -> bool {
        let mut pos = 0;
        let fast = parse_subject(json, &mut pos);
        let serde: Result<Subject, _> = serde_json::from_str(json);
        match fast {
            Some(subject) => {
                assert_eq!(Ok(&subject), serde.as_ref().map_err(|e| e.to_string()));
                assert_eq!(json[pos..].trim(), "", "consumed the whole object");
                true
            }
            None => false,
        }
    }

    #[test]
    fn every_field_reads_as_serde_reads_it() {
        let json = r#" {"subject_id":"S-1","reader":"R1",
            "context":{"disease":"high_grade_glioma","therapy_start_day":-3,"radiotherapy_end_date":"2024-01-02"},
            "timepoints":[
              {"timepoint_id":"BL","date":"2024-01-05","day":0,"baseline":true,"scan":"done",
               "unscheduled":false,"symptomatic":true,"clinical":{"clinical_status":"stable","steroid_dose_mg":4.5},
               "source":{"study":"1.2.3","n":[1,2]},"liver_sul_mean":2.1,"liver_sul_sd":0.31,
               "lesions":[
                 {"lesion_id":"T1","label":"liver seg 7","role":"target","organ":"liver","nodal":false,
                  "long_axis_mm":12.3,"short_axis_mm":8,"status":"measured","change_since_last":"unchanged",
                  "fragments_mm":[1.5, 2e1],"coalesced_into":null,"slice_thickness_mm":2.5,
                  "outside_rt_field":true,"mean_hu":-12.75,"sul_peak":3.25,"volume_mm3":1500.0,
                  "source":{"sop_instance_uid":"1.2.3.4"},"viable_long_axis_mm":7.1,"new_intratumoral_nodule":false},
                 {"lesion_id":"N1","role":"new","status":"equivocal"}
               ]},
              {"timepoint_id":"W6","day":42,"scan":"missing","lesions":[]},
              {"day":84}
            ]} "#;
        assert!(agrees_with_serde(json));
    }

    #[test]
    fn string_ends_are_found_at_every_offset() {
        for stop in [b'"', b'\\', 0x00, 0x1f] {
            for length in 0..40 {
                for at in 0..length {
                    let mut bytes = vec![b'a'; length];
                    // Bytes just above the stops must not be taken for them.
                    for (i, b) in bytes.iter_mut().enumerate() {
                        *b = [b'a', b'#', b'!', b']', 0x20, 0x7f, 0xc3][i % 7];
                    }
                    bytes[at] = stop;
                    assert_eq!(string_end(&bytes), Some(at), "{stop} at {at} of {length}");
                }
                let plain: Vec<u8> = (0..length)
                    .map(|i| [b'a', b'#', 0x20, 0xa9][i % 4])
                    .collect();
                assert_eq!(string_end(&plain), None);
            }
        }
    }

    #[test]
    fn a_refilled_subject_keeps_nothing_of_the_previous_one() -> TestResult {
        // The first subject sets every field; the second sets almost none. Walking both
        // through one reused buffer must give serde's reading of each.
        let full = r#"{"subject_id":"S-1","reader":"R1","context":{"therapy_start_day":1},
            "timepoints":[{"timepoint_id":"BL","date":"2024-01-05","day":0,"baseline":true,
              "scan":"missing","unscheduled":true,"symptomatic":true,
              "clinical":{"steroid_dose_mg":4.0},"source":{"k":1},"liver_sul_mean":2.0,
              "liver_sul_sd":0.5,"lesions":[
                {"lesion_id":"T1","label":"a","role":"new","organ":"liver","nodal":true,
                 "long_axis_mm":12.0,"short_axis_mm":8.0,"status":"measured",
                 "change_since_last":"increased","fragments_mm":[1.0],"coalesced_into":"T9",
                 "slice_thickness_mm":2.5,"outside_rt_field":true,"mean_hu":1.0,"sul_peak":2.0,
                 "volume_mm3":3.0,"source":{"k":2},"viable_long_axis_mm":4.0,
                 "new_intratumoral_nodule":true},
                {"lesion_id":"T2","role":"target"}]},
              {"day":42}]}"#;
        let sparse = r#"{"subject_id":"S-2","timepoints":[{"lesions":[{"lesion_id":"X","role":"target"}]}]}"#;
        let document =
            format!(r#"{{"schema":"oncoread.timeline/1","subjects":[{full},{sparse},{full}]}}"#);
        let mut walked = Vec::new();
        let parts = walk_document(&document, |s| {
            walked.push(s.clone());
            true
        })
        .ok_or("the fast walk declined the document")?;
        assert_eq!(parts.schema, "oncoread.timeline/1");
        let by_serde = [full, sparse, full]
            .iter()
            .map(|s| serde_json::from_str(s))
            .collect::<Result<Vec<Subject>, _>>()?;
        assert_eq!(walked, by_serde);
        Ok(())
    }

    #[test]
    fn numbers_are_bit_identical_to_serde() {
        for number in [
            "0.1",
            "12.300000000000001",
            "1e-7",
            "9007199254740993",
            "-0.0",
            "123456.789e-3",
        ] {
            let json = format!(
                r#"{{"subject_id":"S","timepoints":[{{"day":0,"lesions":[{{"lesion_id":"T","role":"target","long_axis_mm":{number}}}]}}]}}"#
            );
            assert!(agrees_with_serde(&json), "{number}");
        }
    }

    #[test]
    fn anything_beyond_the_plain_shape_is_left_to_serde() {
        let declined = [
            // an escaped string
            r#"{"subject_id":"S\"1","timepoints":[]}"#,
            // an unknown key
            r#"{"subject_id":"S","timepoints":[],"colour":1}"#,
            // a repeated key
            r#"{"subject_id":"S","subject_id":"T","timepoints":[]}"#,
            // a missing required field
            r#"{"subject_id":"S"}"#,
            r#"{"subject_id":"S","timepoints":[{"lesions":[{"lesion_id":"T"}]}]}"#,
            // a float where an integer is required
            r#"{"subject_id":"S","timepoints":[{"day":5.0}]}"#,
            // null where no null is allowed
            r#"{"subject_id":"S","timepoints":[{"unscheduled":null}]}"#,
            // an unknown enum string
            r#"{"subject_id":"S","timepoints":[{"scan":"maybe"}]}"#,
            // a trailing comma
            r#"{"subject_id":"S","timepoints":[],}"#,
            // a leading zero
            r#"{"subject_id":"S","timepoints":[{"day":01}]}"#,
        ];
        for json in declined {
            assert!(!agrees_with_serde(json), "{json}");
        }
    }
}
