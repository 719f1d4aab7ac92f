//! Streaming assessment of a JSON timeline: each subject is assessed and serialised as
//! soon as it is parsed, so neither the whole `Timeline` nor the whole `Assessment` is
//! ever held in memory (a 100,000-subject population needs a few hundred megabytes
//! instead of three gigabytes, and its allocations are reused instead of faulted in).
//!
//! The result is, byte for byte, what `assess_timeline` followed by serialising with
//! [`LineFormatter`] gives: subjects are sorted the same way (a stable sort by subject id
//! and reader), the problems are the timeline's followed by each subject's in input order,
//! and the document header (schema, generator, config) comes from `assess_timeline` itself.
//! Whenever the streaming parse does not succeed outright (invalid JSON, unknown field,
//! wrong schema, an unusual but valid shape), [`Outcome::Fallback`] sends the caller back
//! to the whole-document path, which gives the exact errors and results it always gave.

use std::fmt;
use std::io::Write;
use std::ops::Range;

use oncoread_criteria::assessment::Assessment;
use oncoread_criteria::timeline::{Problem, Subject, Timeline};
use oncoread_criteria::{assess_subject, assess_timeline, Config, Criterion, InputError, TIMELINE_SCHEMA};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::json_layout::{to_writer_lines, LineFormatter, Splice};

pub enum Outcome {
    Assessed(Streamed),
    /// A subject that cannot be assessed (the first one in input order).
    Invalid(InputError),
    /// Use the whole-document path.
    Fallback,
}

/// An assessment whose subjects are already serialised.
pub struct Streamed {
    /// Everything but the subjects (`subjects` is empty; `problems` is complete).
    pub header: Assessment,
    subject_json: Vec<u8>,
    /// Byte ranges of the subjects in `subject_json`, in output order.
    order: Vec<Range<usize>>,
    pub subjects: usize,
    pub rows: usize,
}

impl Streamed {
    /// Writes the assessment with [`LineFormatter`].
    pub fn write(&self, out: &mut dyn Write) -> serde_json::Result<()> {
        let splice = Splice {
            key: "subjects",
            bytes: &self.subject_json,
            order: &self.order,
        };
        to_writer_lines(out, &self.header, LineFormatter::with_splice(splice))
    }
}

/// Parses and assesses `bytes` subject by subject.
pub fn assess_json(bytes: &[u8], config: &Config, criteria: &[Criterion]) -> Outcome {
    let mut state = State {
        config,
        criteria,
        schema: None,
        timeline_problems: None,
        seen_subjects: false,
        subject_problems: Vec::new(),
        subject_json: Vec::with_capacity(bytes.len()),
        entries: Vec::new(),
        rows: 0,
        invalid: None,
    };
    // Checking UTF-8 once up front (fast) spares serde_json checking every string.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Outcome::Fallback;
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = Document(&mut state)
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    if parsed.is_err() || !state.seen_subjects || state.schema.as_deref() != Some(TIMELINE_SCHEMA) {
        return Outcome::Fallback;
    }
    if let Some(error) = state.invalid {
        return Outcome::Invalid(error);
    }
    // The header from the engine itself: an empty timeline with the document's problems.
    let empty = Timeline {
        schema: TIMELINE_SCHEMA.to_string(),
        subjects: Vec::new(),
        problems: state.timeline_problems.unwrap_or_default(),
    };
    let Ok(mut header) = assess_timeline(&empty, config, criteria) else {
        return Outcome::Fallback;
    };
    header.problems.append(&mut state.subject_problems);
    // The engine's order: a stable sort by (subject id, reader).
    state
        .entries
        .sort_by(|a, b| (&a.subject_id, &a.reader).cmp(&(&b.subject_id, &b.reader)));
    Outcome::Assessed(Streamed {
        header,
        subjects: state.entries.len(),
        order: state.entries.into_iter().map(|e| e.range).collect(),
        subject_json: state.subject_json,
        rows: state.rows,
    })
}

struct Entry {
    subject_id: String,
    reader: Option<String>,
    range: Range<usize>,
}

struct State<'a> {
    config: &'a Config,
    criteria: &'a [Criterion],
    schema: Option<String>,
    timeline_problems: Option<Vec<Problem>>,
    seen_subjects: bool,
    subject_problems: Vec<Problem>,
    subject_json: Vec<u8>,
    entries: Vec<Entry>,
    rows: usize,
    /// The first subject that could not be assessed; later subjects are only parsed.
    invalid: Option<InputError>,
}

impl State<'_> {
    fn subject(&mut self, subject: Subject) -> Result<(), serde_json::Error> {
        if self.invalid.is_some() {
            return Ok(());
        }
        match assess_subject(&subject, self.config, self.criteria, &mut self.subject_problems) {
            Ok(assessed) => {
                let start = self.subject_json.len();
                serde_json::to_writer(&mut self.subject_json, &assessed)?;
                self.rows += assessed.assessments.iter().map(|a| a.timepoints.len()).sum::<usize>();
                self.entries.push(Entry {
                    subject_id: assessed.subject_id,
                    reader: assessed.reader,
                    range: start..self.subject_json.len(),
                });
            }
            Err(error) => self.invalid = Some(error),
        }
        Ok(())
    }
}

/// The top-level object: `schema`, `subjects`, `problems`, nothing else, no duplicates.
struct Document<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an oncoread.timeline/1 object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "schema" if state.schema.is_none() => state.schema = Some(map.next_value()?),
                "problems" if state.timeline_problems.is_none() => {
                    state.timeline_problems = Some(map.next_value()?)
                }
                "subjects" if !state.seen_subjects => {
                    state.seen_subjects = true;
                    map.next_value_seed(Subjects(&mut *state))?;
                }
                other => return Err(de::Error::custom(format_args!("unexpected key {other}"))),
            }
        }
        Ok(())
    }
}

struct Subjects<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Subjects<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Subjects<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of subjects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(subject) = seq.next_element::<Subject>()? {
            self.0.subject(subject).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}
