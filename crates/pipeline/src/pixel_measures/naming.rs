//! Which lesion a free-text name means, and which name marks the liver reference.
//!
//! A GSPS text ("TL1 40.0 x 30.0 mm") or an RTSTRUCT ROI name ("TL1") names a lesion by
//! its leading token. It names a lesion of the timepoint when, ignoring case, the token is
//! the lesion's id, its label, its label's first word, or its label's abbreviation: the
//! initials of the label's words (split at spaces, hyphens and underscores) up to its first
//! number, followed by that number ("Target lesion 1" → "TL1", "Non-target lesion 2" →
//! "NTL2"). The whole name equal to the label also matches ("Target lesion 1").

use oncoread_criteria::timeline::{Lesion, Timeline};
use serde_json::Value;

/// The leading token of a name: its first word, without trailing punctuation.
pub fn leading_token(name: &str) -> Option<&str> {
    let word = name.split_whitespace().next()?;
    let word = word.trim_end_matches([':', ',', ';', '.']);
    (!word.is_empty()).then_some(word)
}

/// "Target lesion 1" → "TL1"; `None` when the label has no number to end on.
fn abbreviation(label: &str) -> Option<String> {
    let mut short = String::new();
    for word in label.split([' ', '-', '_']).filter(|w| !w.is_empty()) {
        if word.bytes().all(|b| b.is_ascii_digit()) {
            short.push_str(word);
            return Some(short);
        }
        short.extend(word.chars().next());
    }
    None
}

/// Does `name` (a GSPS text or ROI name) name `lesion`?
pub fn names_lesion(name: &str, lesion: &Lesion) -> bool {
    let Some(token) = leading_token(name) else {
        return false;
    };
    let same = |other: &str| other.eq_ignore_ascii_case(token);
    if same(&lesion.lesion_id) {
        return true;
    }
    let Some(label) = lesion.label.as_deref() else {
        return false;
    };
    same(label)
        || label.trim().eq_ignore_ascii_case(name.trim())
        || leading_token(label).is_some_and(same)
        || abbreviation(label).is_some_and(|a| same(&a))
}

/// An ROI or segment naming the PERCIST liver reference: its name holds both "liver" and
/// "ref", ignoring case ("Liver reference", "REF_LIVER", "liver_ref_sphere").
pub fn is_liver_reference(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("liver") && name.contains("ref")
}

/// The (subject, timepoint) indices whose study is `study_instance_uid`.
pub fn timepoints_of_study(timeline: &Timeline, study_instance_uid: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    for (s, subject) in timeline.subjects.iter().enumerate() {
        for (t, timepoint) in subject.timepoints.iter().enumerate() {
            let study = timepoint
                .source
                .as_ref()
                .and_then(|source| source.get("study_instance_uid"))
                .and_then(Value::as_str);
            if study == Some(study_instance_uid) {
                found.push((s, t));
            }
        }
    }
    found
}

/// The lesions of those timepoints that `name` names, as (subject, timepoint, lesion).
pub fn lesions_named(
    timeline: &Timeline,
    at: &[(usize, usize)],
    name: &str,
) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    for &(s, t) in at {
        let Some(timepoint) = timeline
            .subjects
            .get(s)
            .and_then(|subject| subject.timepoints.get(t))
        else {
            continue;
        };
        for (l, lesion) in timepoint.lesions.iter().enumerate() {
            if names_lesion(name, lesion) {
                found.push((s, t, l));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    fn lesion(id: &str, label: Option<&str>) -> TestResult<Lesion> {
        let mut lesion: Lesion =
            serde_json::from_value(serde_json::json!({"lesion_id": id, "role": "target"}))
                .map_err(|error| format!("a lesion: {error}"))?;
        lesion.label = label.map(str::to_string);
        Ok(lesion)
    }

    #[test]
    fn a_leading_token_names_a_lesion_by_id_label_or_abbreviation() -> TestResult {
        let tl1 = lesion("2.25.1", Some("Target lesion 1"))?;
        assert!(names_lesion("TL1 40.0 x 30.0 mm", &tl1));
        assert!(names_lesion("tl1", &tl1));
        assert!(names_lesion("Target lesion 1", &tl1));
        assert!(!names_lesion("TL10 12 mm", &tl1));
        assert!(!names_lesion("TL2", &tl1));
        let node = lesion("2.25.3", Some("Target lesion 3 (lymph node)"))?;
        assert!(names_lesion("TL3: 25 mm", &node));
        let ntl = lesion("2.25.4", Some("Non-target lesion 1"))?;
        assert!(names_lesion("NTL1", &ntl));
        assert!(!names_lesion("TL1", &ntl));
        assert!(names_lesion("L7 big", &lesion("L7", None)?));
        assert!(!names_lesion("", &lesion("L7", None)?));
        Ok(())
    }

    #[test]
    fn liver_reference_names() -> TestResult {
        assert!(is_liver_reference("Liver reference"));
        assert!(is_liver_reference("REF_LIVER"));
        assert!(!is_liver_reference("Liver"));
        assert!(!is_liver_reference("TL1"));
        Ok(())
    }
}
