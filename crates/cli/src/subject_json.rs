//! Compact JSON of one [`SubjectAssessment`], byte for byte what `serde_json::to_writer`
//! gives, written without serde's per-byte string escaping.
//!
//! Serialising the assessment of 100,000 subjects (about 600 MB, mostly rule texts) spent
//! more instructions escaping strings byte by byte than assessing them. Here a string is
//! checked for the few bytes JSON must escape sixteen bytes at a time and copied whole when
//! it has none (nearly always); the rare string that needs escaping, and the rare parts
//! (flags, problems), go through serde_json itself, so the output cannot differ.
//!
//! Every struct is destructured without `..`: a field added to the assessment types fails
//! to compile here instead of silently going missing from the output.

use oncoread_criteria::assessment::{
    CriterionAssessment, NewLesions, Progression, Response, Rule, SubjectAssessment,
    TimepointAssessment,
};
use serde_json::ser::{CompactFormatter, Formatter};
use std::io;

/// Appends the compact JSON of `subject` to `out`.
pub fn write_subject(out: &mut Vec<u8>, subject: &SubjectAssessment) -> io::Result<()> {
    let SubjectAssessment {
        subject_id,
        reader,
        assessments,
        flags,
        problems,
        accepted,
    } = subject;
    out.extend_from_slice(b"{\"subject_id\":");
    write_str(out, subject_id)?;
    if let Some(reader) = reader {
        out.extend_from_slice(b",\"reader\":");
        write_str(out, reader)?;
    }
    out.extend_from_slice(b",\"assessments\":[");
    for (n, assessment) in assessments.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_criterion(out, assessment)?;
    }
    out.push(b']');
    if !flags.is_empty() {
        out.extend_from_slice(b",\"flags\":");
        serde_json::to_writer(&mut *out, flags)?;
    }
    if !problems.is_empty() {
        out.extend_from_slice(b",\"problems\":");
        serde_json::to_writer(&mut *out, problems)?;
    }
    if let Some(accepted) = accepted {
        out.extend_from_slice(if *accepted {
            b",\"accepted\":true"
        } else {
            b",\"accepted\":false"
        });
    }
    out.push(b'}');
    Ok(())
}

fn write_criterion(out: &mut Vec<u8>, assessment: &CriterionAssessment) -> io::Result<()> {
    let CriterionAssessment {
        criterion,
        timepoints,
        best_overall_response,
        confirmed_best_overall_response,
        progression,
    } = assessment;
    out.extend_from_slice(b"{\"criterion\":");
    write_plain(out, criterion.name());
    out.extend_from_slice(b",\"timepoints\":[");
    for (n, timepoint) in timepoints.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_timepoint(out, timepoint)?;
    }
    out.extend_from_slice(b"],\"best_overall_response\":");
    write_response(out, *best_overall_response);
    out.extend_from_slice(b",\"confirmed_best_overall_response\":");
    write_response(out, *confirmed_best_overall_response);
    out.extend_from_slice(b",\"progression\":");
    match progression {
        None => out.extend_from_slice(b"null"),
        Some(Progression {
            timepoint_id,
            day,
            date,
        }) => {
            out.extend_from_slice(b"{\"timepoint_id\":");
            write_str(out, timepoint_id)?;
            out.extend_from_slice(b",\"day\":");
            write_i64(out, *day)?;
            if let Some(date) = date {
                out.extend_from_slice(b",\"date\":");
                write_str(out, date)?;
            }
            out.push(b'}');
        }
    }
    out.push(b'}');
    Ok(())
}

fn write_timepoint(out: &mut Vec<u8>, timepoint: &TimepointAssessment) -> io::Result<()> {
    let TimepointAssessment {
        timepoint_id,
        day,
        date,
        overall,
        target,
        non_target,
        new_lesions,
        target_sum_mm,
        burden_mm2,
        change_from_baseline_pct,
        nadir,
        change_from_nadir_pct,
        confirmed,
        rules,
    } = timepoint;
    out.extend_from_slice(b"{\"timepoint_id\":");
    write_str(out, timepoint_id)?;
    out.extend_from_slice(b",\"day\":");
    write_i64(out, *day)?;
    if let Some(date) = date {
        out.extend_from_slice(b",\"date\":");
        write_str(out, date)?;
    }
    out.extend_from_slice(b",\"overall\":");
    write_response(out, *overall);
    out.extend_from_slice(b",\"target\":");
    write_optional_response(out, *target);
    out.extend_from_slice(b",\"non_target\":");
    write_optional_response(out, *non_target);
    out.extend_from_slice(b",\"new_lesions\":");
    match new_lesions {
        None => out.extend_from_slice(b"null"),
        Some(NewLesions::None) => write_plain(out, "none"),
        Some(NewLesions::Present) => write_plain(out, "present"),
        Some(NewLesions::Equivocal) => write_plain(out, "equivocal"),
    }
    for (key, value) in [
        (&b",\"target_sum_mm\":"[..], target_sum_mm),
        (b",\"burden_mm2\":", burden_mm2),
        (b",\"change_from_baseline_pct\":", change_from_baseline_pct),
        (b",\"nadir\":", nadir),
        (b",\"change_from_nadir_pct\":", change_from_nadir_pct),
    ] {
        out.extend_from_slice(key);
        write_optional_f64(out, *value)?;
    }
    out.extend_from_slice(b",\"confirmed\":");
    out.extend_from_slice(match confirmed {
        None => b"null",
        Some(true) => b"true",
        Some(false) => b"false",
    });
    out.extend_from_slice(b",\"rules\":[");
    for (n, Rule { rule, detail }) in rules.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"rule\":");
        write_str(out, rule)?;
        out.extend_from_slice(b",\"detail\":");
        write_str(out, detail)?;
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    Ok(())
}

fn write_response(out: &mut Vec<u8>, response: Response) {
    write_plain(out, response.as_str());
}

fn write_optional_response(out: &mut Vec<u8>, response: Option<Response>) {
    match response {
        None => out.extend_from_slice(b"null"),
        Some(response) => write_response(out, response),
    }
}

fn write_i64(out: &mut Vec<u8>, value: i64) -> io::Result<()> {
    CompactFormatter.write_i64(out, value)
}

/// As serde_json writes an `Option<f64>`: `null` for none and for non-finite values.
fn write_optional_f64(out: &mut Vec<u8>, value: Option<f64>) -> io::Result<()> {
    match value {
        Some(value) if value.is_finite() => CompactFormatter.write_f64(out, value),
        _ => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// A string known to need no escaping (response and criterion names).
fn write_plain(out: &mut Vec<u8>, text: &str) {
    debug_assert!(!needs_escape(text.as_bytes()));
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
}

fn write_str(out: &mut Vec<u8>, text: &str) -> io::Result<()> {
    if needs_escape(text.as_bytes()) {
        serde_json::to_writer(&mut *out, text)?;
    } else {
        write_plain(out, text);
    }
    Ok(())
}

/// Whether JSON needs an escape for any byte: `"`, `\` or a control character below 0x20
/// (serde_json escapes exactly these). Sixteen bytes per step without early exits, so the
/// compiler can use vector instructions.
fn needs_escape(bytes: &[u8]) -> bool {
    let special = |b: u8| (b < 0x20) | (b == b'"') | (b == b'\\');
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |any, &b| any | special(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| special(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncoread_criteria::assessment::{Criterion, Flag};
    use oncoread_criteria::timeline::Problem;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn timepoint(rules: Vec<Rule>) -> TimepointAssessment {
        TimepointAssessment {
            timepoint_id: "W6".into(),
            day: 42,
            date: Some("2024-02-12".into()),
            overall: Response::PR,
            target: Some(Response::PR),
            non_target: None,
            new_lesions: Some(NewLesions::Equivocal),
            target_sum_mm: Some(35.5),
            burden_mm2: None,
            change_from_baseline_pct: Some(-33.33),
            nadir: Some(1e-7),
            change_from_nadir_pct: Some(f64::NAN),
            confirmed: Some(false),
            rules,
        }
    }

    /// Our bytes must equal serde_json's for the same value.
    fn assert_same_as_serde(subject: &SubjectAssessment) -> TestResult {
        let mut ours = Vec::new();
        write_subject(&mut ours, subject)?;
        let theirs = serde_json::to_vec(subject)?;
        assert_eq!(String::from_utf8(ours)?, String::from_utf8(theirs)?);
        Ok(())
    }

    #[test]
    fn the_same_bytes_as_serde_json_with_every_field_present() -> TestResult {
        let mut problem = Problem::new("measurability", "a \"quoted\"\ttab".into());
        problem.path = Some("/a/b.dcm".into());
        problem
            .extra
            .insert("lesion".into(), serde_json::json!({"id": "T1"}));
        let subject = SubjectAssessment {
            subject_id: "S-1 \u{e9}\u{7f}".into(),
            reader: Some("R\\1".into()),
            assessments: vec![
                CriterionAssessment {
                    criterion: Criterion::Recist11,
                    timepoints: vec![
                        timepoint(vec![
                            Rule::new("recist.target.pr", "sum 35.5 mm ≤ 0.7 × 53.25".into()),
                            Rule::new(
                                "x",
                                "line\nbreak \u{1} and a long text without any special byte at all"
                                    .into(),
                            ),
                        ]),
                        timepoint(Vec::new()),
                    ],
                    best_overall_response: Response::PR,
                    confirmed_best_overall_response: Response::NonCrNonPd,
                    progression: Some(Progression {
                        timepoint_id: "W12".into(),
                        day: -3,
                        date: None,
                    }),
                },
                CriterionAssessment {
                    criterion: Criterion::Irecist,
                    timepoints: Vec::new(),
                    best_overall_response: Response::IUPD,
                    confirmed_best_overall_response: Response::NE,
                    progression: None,
                },
            ],
            flags: vec![Flag {
                kind: "pseudoprogression".into(),
                message: "RECIST PD, then iPR".into(),
            }],
            problems: vec![problem],
            accepted: Some(true),
        };
        assert_same_as_serde(&subject)?;
        Ok(())
    }

    #[test]
    fn the_same_bytes_as_serde_json_with_optional_parts_absent() -> TestResult {
        let subject = SubjectAssessment {
            subject_id: String::new(),
            reader: None,
            assessments: Vec::new(),
            flags: Vec::new(),
            problems: Vec::new(),
            accepted: None,
        };
        assert_same_as_serde(&subject)?;
        Ok(())
    }

    #[test]
    fn escape_detection_at_every_position_of_a_chunk() -> TestResult {
        for special in [b'"', b'\\', 0x00, 0x1f] {
            for length in 1..40 {
                for at in 0..length {
                    let mut bytes = vec![b'a'; length];
                    bytes[at] = special;
                    assert!(needs_escape(&bytes), "{special} at {at} of {length}");
                }
            }
        }
        // DEL and non-ASCII are written as they are by serde_json.
        assert!(!needs_escape(
            "plain text ≥ 20 % \u{7f} ünïcödé, long enough".as_bytes()
        ));
        Ok(())
    }
}
