//! Streaming assessment of a JSON timeline: each subject is assessed and serialised as
//! soon as it is parsed, so neither the whole `Timeline` nor the whole `Assessment` is
//! ever held in memory (a 100,000-subject population needs a few hundred megabytes
//! instead of three gigabytes, and its allocations are reused instead of faulted in).
//!
//! When the output is a file and the subjects come sorted (as generated or exported
//! timelines usually do), each subject goes straight into the file, so the disk writes
//! while the next subjects are assessed. Otherwise the serialised subjects are kept in
//! memory and written, sorted, at the end (subjects already in the file are read back).
//!
//! The result is, byte for byte, what `assess_timeline` followed by serialising with
//! [`LineFormatter`] gives: subjects are sorted the same way (a stable sort by subject id
//! and reader), each subject carries its own problems, and the document header (schema, generator, config) comes from `assess_timeline` itself.
//! Whenever the streaming parse does not succeed outright (invalid JSON, unknown field,
//! wrong schema, an unusual but valid shape), [`Outcome::Fallback`] sends the caller back
//! to the whole-document path, which gives the exact errors and results it always gave.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;

use oncoread_criteria::assessment::Assessment;
use oncoread_criteria::timeline::{Problem, Subject, Timeline};
use oncoread_criteria::timeline_fast::walk_document;
use oncoread_criteria::{
    assess_subject, assess_timeline, Config, Criterion, InputError, TIMELINE_SCHEMA,
};

use crate::json_layout::{to_writer_lines, LineFormatter, Splice};
use crate::subject_json::write_subject;

pub enum Outcome {
    /// Assessed. With a file, the file holds the whole document (without the final newline).
    Assessed(Streamed),
    /// A subject that cannot be assessed (the first one in input order).
    Invalid(InputError),
    /// Use the whole-document path.
    Fallback,
    /// Writing the file failed.
    Failed(anyhow::Error),
}

/// A streamed assessment: counts for the summary line, and what is left to write when
/// the output is not a file.
pub struct Streamed {
    /// Everything but the subjects (`subjects` is empty).
    pub header: Assessment,
    /// Whether the document is already in the file (then there is nothing left to write).
    pub in_file: bool,
    /// Compact JSON of the subjects (when the output is not a file).
    subject_json: Vec<u8>,
    /// Byte ranges of the subjects in `subject_json`, in output order.
    order: Vec<Range<usize>>,
    pub subjects: usize,
    pub rows: usize,
    /// Problems in the input timeline plus those found assessing its subjects.
    pub problems: usize,
    /// Cross-criterion flags by kind.
    pub flags: BTreeMap<String, usize>,
}

impl Streamed {
    /// Writes the whole assessment with [`LineFormatter`] (when the output is not a file).
    pub fn write(&self, out: &mut dyn Write) -> serde_json::Result<()> {
        if self.in_file {
            return Err(serde::ser::Error::custom(
                "the assessment is already in the output file",
            ));
        }
        let splice = Splice {
            key: "subjects",
            bytes: &self.subject_json,
            order: &self.order,
        };
        to_writer_lines(out, &self.header, LineFormatter::with_splice(splice))
    }
}

/// Parses and assesses `bytes` subject by subject. `finish_header` completes the
/// document header (the generator's hashes). With `file` (empty, freshly created) the
/// assessment is written into it.
pub fn assess_json(
    bytes: &[u8],
    config: &Config,
    criteria: &[Criterion],
    finish_header: &dyn Fn(&mut Assessment) -> anyhow::Result<()>,
    file: Option<&mut BufWriter<File>>,
) -> Outcome {
    // Checking UTF-8 once up front (fast) spares serde_json checking every string.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Outcome::Fallback;
    };
    let header = || -> anyhow::Result<Assessment> {
        // The header from the engine itself: the assessment of an empty timeline.
        let empty = Timeline {
            schema: TIMELINE_SCHEMA.to_string(),
            subjects: Vec::new(),
            problems: Vec::new(),
        };
        let mut header = assess_timeline(&empty, config, criteria)
            .map_err(|e| anyhow::anyhow!("assessing an empty timeline: {e}"))?;
        finish_header(&mut header)?;
        Ok(header)
    };
    let direct = match file {
        Some(file) => {
            let prefix = match header().and_then(|h| Ok(split_document(&h)?.0)) {
                Ok(prefix) => prefix,
                Err(e) => return Outcome::Failed(e),
            };
            if let Err(e) = file.write_all(&prefix) {
                return Outcome::Failed(anyhow::Error::new(e).context("writing the assessment"));
            }
            Some(Direct {
                file,
                prefix,
                sorted: true,
                subjects_end: 0,
            })
        }
        None => None,
    };
    let mut state = State {
        config,
        criteria,
        timeline_problems: None,
        subject_problems: 0,
        direct,
        subject_json: Vec::new(),
        scratch: Vec::new(),
        entries: Vec::new(),
        rows: 0,
        flags: BTreeMap::new(),
        invalid: None,
        failed: None,
    };
    // Subjects are read by the fast reader (serde for any it declines), handed over in
    // document order; anything unusual sends the whole document to the serde path.
    let parts = walk_document(text, |subject| match state.subject(subject) {
        Ok(()) => true,
        Err(error) => {
            state.failed = Some(error);
            false
        }
    });
    if let Some(error) = state.failed {
        return Outcome::Failed(anyhow::Error::new(error).context("writing the assessment"));
    }
    let Some(parts) = parts.filter(|p| p.schema == TIMELINE_SCHEMA) else {
        return Outcome::Fallback;
    };
    state.timeline_problems = parts.problems;
    if let Some(error) = state.invalid {
        return Outcome::Invalid(error);
    }
    let header = match header() {
        Ok(header) => header,
        Err(e) => return Outcome::Failed(e),
    };
    let problems = state.timeline_problems.as_ref().map_or(0, Vec::len) + state.subject_problems;
    match state.finish(&header) {
        Ok(()) => {}
        Err(e) => return Outcome::Failed(anyhow::Error::new(e).context("writing the assessment")),
    }
    // The engine's order: a stable sort by (subject id, reader).
    state
        .entries
        .sort_by(|a, b| (&a.subject_id, &a.reader).cmp(&(&b.subject_id, &b.reader)));
    Outcome::Assessed(Streamed {
        header,
        in_file: state.direct.is_some(),
        subjects: state.entries.len(),
        order: state.entries.into_iter().map(|e| e.range).collect(),
        subject_json: state.subject_json,
        rows: state.rows,
        problems,
        flags: state.flags,
    })
}

/// The document's bytes before the first subject (through `"subjects":[`) and after the
/// last one (from the `\n]` that closes the list), for a header whose `subjects` is empty.
fn split_document(header: &Assessment) -> serde_json::Result<(Vec<u8>, Vec<u8>)> {
    // A NUL byte never occurs in serde_json output (strings escape it), so one spliced in
    // as the only subject marks the place exactly.
    #[allow(clippy::single_range_in_vec_init)] // one element: the marker's byte range
    let splice = Splice {
        key: "subjects",
        bytes: b"\0",
        order: &[0..1],
    };
    let mut out = Vec::new();
    to_writer_lines(&mut out, header, LineFormatter::with_splice(splice))?;
    // LineFormatter puts "\n" before the first element, so the marker follows a newline.
    let marker = out
        .iter()
        .position(|b| *b == 0)
        .filter(|&m| m > 0)
        .ok_or_else(|| serde::ser::Error::custom("the subjects marker is missing"))?;
    let suffix = out[marker + 1..].to_vec();
    out.truncate(marker - 1);
    Ok((out, suffix))
}

/// Subjects gathered before they are written to the file (at least the output writer's
/// buffer, so that the write bypasses it). Tiny in tests, so that their small documents
/// cross it and the unsorted and header-change paths meet partly written files.
const PENDING_BYTES: usize = if cfg!(test) { 64 } else { 1 << 20 };

struct Entry {
    subject_id: String,
    reader: Option<String>,
    range: Range<usize>,
}

/// Subjects going straight into the output file.
struct Direct<'f> {
    file: &'f mut BufWriter<File>,
    /// What was written before the first subject.
    prefix: Vec<u8>,
    /// Whether every subject so far came in output order (and went into the file).
    sorted: bool,
    /// End of the last subject, counted from the end of the prefix.
    subjects_end: usize,
}

struct State<'a, 'f> {
    config: &'a Config,
    criteria: &'a [Criterion],
    timeline_problems: Option<Vec<Problem>>,
    /// How many problems the subjects' assessments recorded.
    subject_problems: usize,
    direct: Option<Direct<'f>>,
    /// Serialised subjects kept in memory; an entry's range points into this buffer or,
    /// while `direct` is sorted, into the file (counted from the end of the prefix).
    subject_json: Vec<u8>,
    /// Subjects in output order not yet handed to the file (see [`PENDING_BYTES`]).
    scratch: Vec<u8>,
    entries: Vec<Entry>,
    rows: usize,
    /// Cross-criterion flags by kind, for the summary on standard error.
    flags: BTreeMap<String, usize>,
    /// The first subject that could not be assessed; later subjects are only parsed.
    invalid: Option<InputError>,
    failed: Option<io::Error>,
}

impl State<'_, '_> {
    fn subject(&mut self, subject: &Subject) -> io::Result<()> {
        if self.invalid.is_some() {
            return Ok(());
        }
        let assessed = match assess_subject(subject, self.config, self.criteria) {
            Ok(assessed) => assessed,
            Err(error) => {
                self.invalid = Some(error);
                return Ok(());
            }
        };
        self.subject_problems += assessed.problems.len();
        crate::assess::count_flags(&mut self.flags, &assessed.flags);
        self.rows += assessed
            .assessments
            .iter()
            .map(|a| a.timepoints.len())
            .sum::<usize>();
        let in_order = match self.entries.last() {
            Some(last) => {
                (&last.subject_id, &last.reader) <= (&assessed.subject_id, &assessed.reader)
            }
            None => true,
        };
        if !in_order {
            self.read_back()?;
        }
        let range = match self.direct.as_mut().filter(|d| d.sorted) {
            Some(direct) => {
                // Subjects gather in `scratch` (logically already in the file) and go to the
                // file a megabyte at a time, past the writer's buffer: one copy fewer.
                let separator: &[u8] = if self.entries.is_empty() {
                    b"\n"
                } else {
                    b",\n"
                };
                self.scratch.extend_from_slice(separator);
                let before = self.scratch.len();
                write_subject(&mut self.scratch, &assessed)?;
                let start = direct.subjects_end + separator.len();
                direct.subjects_end = start + (self.scratch.len() - before);
                if self.scratch.len() >= PENDING_BYTES {
                    direct.file.write_all(&self.scratch)?;
                    self.scratch.clear();
                }
                start..direct.subjects_end
            }
            None => {
                let start = self.subject_json.len();
                write_subject(&mut self.subject_json, &assessed)?;
                start..self.subject_json.len()
            }
        };
        self.entries.push(Entry {
            subject_id: assessed.subject_id,
            reader: assessed.reader,
            range,
        });
        Ok(())
    }

    /// Brings the subjects written to the file back into memory (same ranges), so they can
    /// be sorted and written again at the end.
    fn read_back(&mut self) -> io::Result<()> {
        let Some(direct) = self.direct.as_mut().filter(|d| d.sorted) else {
            return Ok(());
        };
        direct.sorted = false;
        direct.file.write_all(&self.scratch)?;
        self.scratch.clear();
        direct.file.flush()?;
        let file = direct.file.get_mut();
        file.seek(SeekFrom::Start(direct.prefix.len() as u64))?;
        let mut written = vec![0; direct.subjects_end];
        file.read_exact(&mut written)?;
        file.seek(SeekFrom::End(0))?;
        written.extend_from_slice(&self.subject_json);
        self.subject_json = written;
        Ok(())
    }

    /// Completes the file: the end of the document when every subject is already in place,
    /// else the whole document again.
    fn finish(&mut self, header: &Assessment) -> io::Result<()> {
        let (prefix, suffix) = split_document(header)?;
        if let Some(direct) = self
            .direct
            .as_mut()
            .filter(|d| d.sorted && d.prefix == prefix)
        {
            let suffix = if self.entries.is_empty() {
                &suffix[1..] // no subject: "[]", not "[\n]"
            } else {
                &suffix[..]
            };
            direct.file.write_all(&self.scratch)?;
            self.scratch.clear();
            direct.file.write_all(suffix)?;
            return direct.file.flush();
        }
        self.read_back()?;
        let Some(direct) = self.direct.as_mut() else {
            return Ok(()); // not a file: the caller writes the document
        };
        let mut order: Vec<&Entry> = self.entries.iter().collect();
        order.sort_by(|a, b| (&a.subject_id, &a.reader).cmp(&(&b.subject_id, &b.reader)));
        let order: Vec<Range<usize>> = order.into_iter().map(|e| e.range.clone()).collect();
        direct.file.flush()?;
        let file = direct.file.get_mut();
        file.seek(SeekFrom::Start(0))?;
        file.set_len(0)?;
        let splice = Splice {
            key: "subjects",
            bytes: &self.subject_json,
            order: &order,
        };
        to_writer_lines(
            &mut *direct.file,
            header,
            LineFormatter::with_splice(splice),
        )?;
        direct.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncoread_criteria::{parse_criteria_list, parse_timeline_json};
    use serde_json::json;

    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    fn criteria() -> TestResult<Vec<Criterion>> {
        Ok(parse_criteria_list("all")?)
    }

    /// What the whole-document path writes (before the hashes are set).
    fn whole_document(bytes: &[u8]) -> TestResult<Vec<u8>> {
        let timeline = parse_timeline_json(bytes)?;
        let assessment = assess_timeline(&timeline, &Config::default(), &criteria()?)?;
        let mut out = Vec::new();
        to_writer_lines(&mut out, &assessment, LineFormatter::default())?;
        Ok(out)
    }

    fn streamed(bytes: &[u8]) -> TestResult<Vec<u8>> {
        let Outcome::Assessed(streamed) =
            assess_json(bytes, &Config::default(), &criteria()?, &|_| Ok(()), None)
        else {
            return Err("expected a streamed assessment".into());
        };
        let mut out = Vec::new();
        streamed.write(&mut out)?;
        Ok(out)
    }

    fn subject(
        id: &str,
        reader: Option<&str>,
        baseline_mm: f64,
        followup_mm: f64,
    ) -> serde_json::Value {
        let mut subject = json!({
            "subject_id": id,
            "timepoints": [
                {"timepoint_id": "BL", "day": 0, "lesions": [
                    {"lesion_id": "T1", "role": "target", "organ": "liver", "long_axis_mm": baseline_mm},
                    {"lesion_id": "NT1", "role": "non_target", "organ": "bone", "status": "present"}
                ]},
                {"timepoint_id": "W8", "day": 56, "lesions": [
                    {"lesion_id": "T1", "role": "target", "organ": "liver", "long_axis_mm": followup_mm},
                    {"lesion_id": "NT1", "role": "non_target", "organ": "bone", "status": "present"}
                ]}
            ]
        });
        if let Some(reader) = reader {
            subject["reader"] = json!(reader);
        }
        subject
    }

    #[test]
    fn the_sample_trial_streams_to_the_same_bytes() -> TestResult {
        let bytes = include_bytes!("../../../fixtures/sample-timeline.json");
        assert_eq!(streamed(bytes)?, whole_document(bytes)?);
        Ok(())
    }

    #[test]
    fn unsorted_subjects_double_reads_and_problems_stream_to_the_same_bytes() -> TestResult {
        let document = json!({
            "problems": [{"kind": "bad_file", "message": "not DICOM", "path": "x.dcm"}],
            "schema": "oncoread.timeline/1",
            "subjects": [
                subject("S3", Some("R2"), 40.0, 20.0),
                subject("S1", None, 7.5, 9.0), // not measurable at baseline: a problem
                subject("S3", Some("R1"), 40.0, 52.0),
                subject("S2", Some("R1"), 30.0, 30.0),
                subject("S1", None, 12.0, 3.0), // same key twice: input order kept
            ]
        });
        let bytes = serde_json::to_vec(&document)?;
        let out = streamed(&bytes)?;
        assert_eq!(out, whole_document(&bytes)?);
        let text = String::from_utf8(out)?;
        // The subject's own problem is listed with it; the timeline's problems stay in the
        // timeline (the assessment's top level is closed by the schema).
        assert!(text.contains("not_measurable_at_baseline"), "{text}");
        assert!(!text.contains("bad_file"), "{text}");
        Ok(())
    }

    #[test]
    fn the_first_subject_that_cannot_be_assessed_is_reported() -> TestResult {
        let mut bad = subject("S2", None, 30.0, 30.0);
        bad["timepoints"][0]["lesions"][0]["long_axis_mm"] = json!(null);
        let document = json!({
            "schema": "oncoread.timeline/1",
            "subjects": [subject("S1", None, 30.0, 30.0), bad, subject("S3", None, 30.0, 30.0)]
        });
        let bytes = serde_json::to_vec(&document)?;
        // A target without its long axis is an input error for the RECIST family alone
        // (with other criteria too, that family is reported not assessed instead).
        let recist = parse_criteria_list("recist1.1,irecist")?;
        let Outcome::Invalid(error) =
            assess_json(&bytes, &Config::default(), &recist, &|_| Ok(()), None)
        else {
            return Err("expected an invalid subject".into());
        };
        let timeline = parse_timeline_json(&bytes)?;
        let expected = assess_timeline(&timeline, &Config::default(), &recist)
            .err()
            .ok_or("a target without its long axis should be rejected")?;
        assert_eq!(error.to_string(), expected.to_string());
        Ok(())
    }

    #[test]
    fn anything_unusual_falls_back_to_the_whole_document_path() -> TestResult {
        let good = serde_json::to_string(&json!({
            "schema": "oncoread.timeline/1",
            "subjects": [subject("S1", None, 30.0, 30.0)]
        }))?;
        let cases: Vec<Vec<u8>> = vec![
            good.replace("\"schema\"", "\"extra\":1,\"schema\"")
                .into_bytes(),
            good.replace("timeline/1", "timeline/2").into_bytes(),
            good.replace("\"subjects\"", "\"schema\":\"x\",\"subjects\"")
                .into_bytes(),
            br#"{"schema":"oncoread.timeline/1"}"#.to_vec(),
            br#"["oncoread.timeline/1",[]]"#.to_vec(),
            format!("{good} trailing").into_bytes(),
            good.as_bytes()[..good.len() - 3].to_vec(),
            [good.as_bytes(), b" \xff"].concat(),
        ];
        for bytes in cases {
            assert!(
                matches!(
                    assess_json(&bytes, &Config::default(), &criteria()?, &|_| Ok(()), None),
                    Outcome::Fallback
                ),
                "{}",
                String::from_utf8_lossy(&bytes)
            );
        }
        assert!(matches!(
            assess_json(
                good.as_bytes(),
                &Config::default(),
                &criteria()?,
                &|_| Ok(()),
                None
            ),
            Outcome::Assessed(_)
        ));
        Ok(())
    }

    fn streamed_to_file(
        bytes: &[u8],
        finish_header: &dyn Fn(&mut Assessment) -> anyhow::Result<()>,
    ) -> TestResult<Vec<u8>> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static FILES: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "oncoread-stream-test-{}-{}.json",
            std::process::id(),
            FILES.fetch_add(1, Ordering::Relaxed)
        ));
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        let mut writer = BufWriter::new(file);
        let outcome = assess_json(
            bytes,
            &Config::default(),
            &criteria()?,
            finish_header,
            Some(&mut writer),
        );
        assert!(matches!(outcome, Outcome::Assessed(ref s) if s.in_file));
        writer.flush()?;
        drop(writer);
        let out = std::fs::read(&path)?;
        std::fs::remove_file(&path)?;
        Ok(out)
    }

    fn document(subjects: Vec<serde_json::Value>) -> TestResult<Vec<u8>> {
        Ok(serde_json::to_vec(&json!({
            "schema": "oncoread.timeline/1",
            "subjects": subjects,
            "problems": [{"kind": "bad_file", "message": "not DICOM"}]
        }))?)
    }

    #[test]
    fn into_a_file_sorted_unsorted_or_empty_gives_the_same_bytes() -> TestResult {
        let sorted = document(vec![
            subject("S1", None, 7.5, 9.0),
            subject("S2", Some("R1"), 30.0, 30.0),
            subject("S2", Some("R2"), 30.0, 40.0),
            subject("S3", None, 40.0, 20.0),
        ])?;
        let unsorted = document(vec![
            subject("S2", Some("R1"), 30.0, 30.0),
            subject("S3", None, 40.0, 20.0),
            subject("S1", None, 7.5, 9.0),
            subject("S2", Some("R2"), 30.0, 40.0),
        ])?;
        let empty = document(vec![])?;
        let sample = include_bytes!("../../../fixtures/sample-timeline.json").to_vec();
        for bytes in [sorted, unsorted, empty, sample] {
            assert_eq!(
                String::from_utf8(streamed_to_file(&bytes, &|_| Ok(()))?)?,
                String::from_utf8(whole_document(&bytes)?)?
            );
        }
        Ok(())
    }

    #[test]
    fn a_header_that_changes_by_the_end_rewrites_the_file() -> TestResult {
        // The start of the document is written before the subjects are assessed; were the
        // final header different, the file is written again from the start.
        let calls = std::cell::Cell::new(0);
        let finish_header = |header: &mut Assessment| {
            calls.set(calls.get() + 1);
            header.generator.input_sha256 = Some(format!("call {}", calls.get()));
            Ok(())
        };
        let bytes = document(vec![
            subject("S1", None, 30.0, 30.0),
            subject("S2", None, 30.0, 9.0),
        ])?;
        let out = String::from_utf8(streamed_to_file(&bytes, &finish_header)?)?;
        assert!(out.contains("\"input_sha256\":\"call 2\""), "{out}");
        let mut expected: serde_json::Value = serde_json::from_slice(&whole_document(&bytes)?)?;
        expected["generator"]["input_sha256"] = json!("call 2");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&out)?, expected);
        Ok(())
    }
}
