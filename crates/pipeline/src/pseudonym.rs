//! Pseudonymization of a timeline (`oncoread run --pseudonymize`, `[privacy]`): patient
//! names, patient ids and subject ids become keyed pseudonyms, birth dates are removed (or
//! shifted), and with `shift_dates` every date of a subject moves by one per-subject offset.
//!
//! It rewrites the timeline once, after extraction and before the assessment, so every
//! output made from it (timeline.json, the reports, the DICOM SRs, key images, problems)
//! carries pseudonyms by construction. The key comes from an environment variable and is
//! never stored: HMAC-SHA-256 (RFC 2104) keyed with it makes the same original give the
//! same pseudonym in every run and every shard, and nobody without the key can recompute
//! or reverse it.
//!
//! Free text (file paths, problem messages, lesion labels) is rewritten by replacing each
//! original identifier that stands as a whole token (not inside a longer word or number)
//! with its pseudonym; strings made only of digits and dots (UIDs) are left alone unless
//! they equal an identifier, so a short numeric id never corrupts a UID.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use oncoread_criteria::dates::{format_iso_date, parse_iso_date};
use oncoread_criteria::timeline::{Source, Timeline};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The environment variable holding the key when `[privacy] key_env` names none.
pub const DEFAULT_KEY_ENV: &str = "ONCOREAD_PSEUDONYM_KEY";

/// Pseudonyms are this prefix and [`PSEUDONYM_CHARS`] base32 characters (60 bits).
const PSEUDONYM_PREFIX: &str = "P-";
const PSEUDONYM_CHARS: usize = 12;
/// Name components shorter than this are not replaced in free text on their own (a
/// two-letter name would rewrite every word it happens to equal); whole names always are.
const MIN_NAME_COMPONENT_CHARS: usize = 3;
/// Dates move back by 1 to this many days, the same for every date of a subject.
const MAX_SHIFT_DAYS: u64 = 365;

/// The `[privacy]` table of `pipeline.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Privacy {
    /// Replace identifiers with pseudonyms (`--pseudonymize` turns it on).
    pub pseudonymize: bool,
    /// The name of the environment variable that holds the key (never the key itself).
    pub key_env: String,
    /// Shift every date of a subject by the subject's offset (else dates stay, and birth
    /// dates are removed).
    pub shift_dates: bool,
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy {
            pseudonymize: false,
            key_env: DEFAULT_KEY_ENV.to_string(),
            shift_dates: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PseudonymError {
    #[error("pseudonymization is on but the environment variable {name} is not set or empty: set it to the pseudonym key")]
    MissingKey { name: String },
    #[error("pseudonymizing the timeline: {0}")]
    Rewrite(#[from] serde_json::Error),
}

/// HMAC-SHA-256 (RFC 2104 with SHA-256, 64-byte blocks).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block_key.map(|k| k ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// The keyed rewriting of one run.
pub struct Pseudonymizer {
    key: Vec<u8>,
    shift_dates: bool,
}

/// A pseudonymized timeline and where its rewritten image paths really are.
#[derive(Debug)]
pub struct Pseudonymized {
    pub timeline: Timeline,
    /// Rewritten `image_path` → the original file, for the key images, which must still
    /// read the pixels from the archive.
    pub image_files: BTreeMap<String, String>,
}

impl Pseudonymizer {
    pub fn new(key: &[u8], shift_dates: bool) -> Pseudonymizer {
        Pseudonymizer {
            key: key.to_vec(),
            shift_dates,
        }
    }

    /// `None` when pseudonymization is off; the key read from `privacy.key_env` otherwise.
    pub fn from_env(privacy: &Privacy) -> Result<Option<Pseudonymizer>, PseudonymError> {
        if !privacy.pseudonymize {
            return Ok(None);
        }
        match std::env::var_os(&privacy.key_env) {
            Some(key) if !key.is_empty() => Ok(Some(Pseudonymizer::new(
                key.as_encoded_bytes(),
                privacy.shift_dates,
            ))),
            _ => Err(PseudonymError::MissingKey {
                name: privacy.key_env.clone(),
            }),
        }
    }

    /// `P-` and the first 60 bits of HMAC(key, original) in RFC 4648 base32.
    pub fn pseudonym(&self, original: &str) -> String {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let bits = first_u64(&hmac_sha256(&self.key, original.as_bytes()));
        let mut pseudonym = String::from(PSEUDONYM_PREFIX);
        for position in 0..PSEUDONYM_CHARS {
            let index = (bits >> (59 - 5 * position)) & 31;
            pseudonym.push(char::from(ALPHABET[index as usize]));
        }
        pseudonym
    }

    /// The subject's date offset in days, −365 to −1: HMAC(key, "date-shift:" + subject id).
    pub fn day_offset(&self, subject_id: &str) -> i64 {
        let message = format!("date-shift:{subject_id}");
        let bits = first_u64(&hmac_sha256(&self.key, message.as_bytes()));
        -((bits % MAX_SHIFT_DAYS) as i64 + 1)
    }

    /// The timeline with every identifier replaced (and dates shifted when asked).
    pub fn apply(&self, timeline: &Timeline) -> Result<Pseudonymized, PseudonymError> {
        let identifiers = self.identifiers(timeline);
        let mut timeline = timeline.clone();
        for subject in &mut timeline.subjects {
            let offset = self
                .shift_dates
                .then(|| self.day_offset(&subject.subject_id));
            if let (Some(offset), Some(context)) = (offset, subject.context.as_mut()) {
                for date in [
                    &mut context.therapy_start_date,
                    &mut context.immunotherapy_start_date,
                    &mut context.radiotherapy_end_date,
                ] {
                    shift_optional_date(date, offset);
                }
            }
            for timepoint in &mut subject.timepoints {
                if let Some(offset) = offset {
                    shift_optional_date(&mut timepoint.date, offset);
                }
                let lesion_sources = timepoint.lesions.iter_mut().map(|l| &mut l.source);
                for source in std::iter::once(&mut timepoint.source)
                    .chain(lesion_sources)
                    .flatten()
                {
                    rewrite_source_dates(source, offset);
                }
            }
        }
        // Everything else, identifiers in free text included, in one pass over every
        // string: nothing in the timeline escapes it.
        let mut document = serde_json::to_value(&timeline)?;
        let mut image_files = BTreeMap::new();
        rewrite_strings(&mut document, None, &identifiers, &mut image_files);
        Ok(Pseudonymized {
            timeline: serde_json::from_value(document)?,
            image_files,
        })
    }

    /// Every original identifier of the timeline and its replacement: subject ids, patient
    /// ids and names (whole names and their longer components), from every source.
    fn identifiers(&self, timeline: &Timeline) -> Identifiers {
        // Sets: each source repeats its patient's name and ids, each is hashed once.
        let mut names = BTreeSet::new();
        let mut ids = BTreeSet::new();
        for subject in &timeline.subjects {
            ids.insert(subject.subject_id.clone());
            for timepoint in &subject.timepoints {
                let lesion_sources = timepoint.lesions.iter().map(|l| &l.source);
                for source in std::iter::once(&timepoint.source)
                    .chain(lesion_sources)
                    .flatten()
                {
                    for key in ID_KEYS {
                        // Multi-valued (Other Patient IDs): each value, and the whole.
                        if let Some(text) = source_text(source, key) {
                            ids.extend(text.split('\\').map(str::to_string));
                            ids.insert(text);
                        }
                    }
                    names.extend(source_text(source, "patient_name"));
                }
            }
        }
        // A name component (`SYNTH` of `SYNTH^SUBJ-001`) may be shared by several names: it
        // gets its own pseudonym, never one of the names'.
        let components: Vec<String> = names
            .iter()
            .flat_map(|name| name.split(['^', '=', ' ']))
            .filter(|component| component.chars().count() >= MIN_NAME_COMPONENT_CHARS)
            .map(str::to_string)
            .collect();
        let originals: BTreeSet<&String> = names
            .iter()
            .chain(&ids)
            .chain(&components)
            .filter(|original| !original.is_empty())
            .collect();
        let replacements = originals
            .into_iter()
            .map(|original| (original.clone(), self.pseudonym(original)))
            .collect();
        Identifiers::new(replacements)
    }
}

/// Source keys whose values identify the patient (besides `patient_name`).
const ID_KEYS: [&str; 3] = [
    "patient_id",
    "clinical_trial_subject_id",
    "other_patient_ids",
];

fn first_u64(digest: &[u8; 32]) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

fn source_text(source: &Source, key: &str) -> Option<String> {
    source.get(key).and_then(Value::as_str).map(str::to_string)
}

fn shift_optional_date(date: &mut Option<String>, offset: i64) {
    if let Some(text) = date {
        if let Some(shifted) = shift_date(text, offset) {
            *text = shifted;
        }
    }
}

/// `YYYY-MM-DD` or DICOM `YYYYMMDD` moved by `offset` days, in the same form; `None` when
/// the text is neither (left as it is: it is not a date this module knows how to move).
fn shift_date(text: &str, offset: i64) -> Option<String> {
    if let Some(days) = parse_iso_date(text) {
        return Some(format_iso_date(days + offset));
    }
    let digits = text.as_bytes();
    if digits.len() != 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let iso = format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..]);
    let days = parse_iso_date(&iso)?;
    Some(format_iso_date(days + offset).replace('-', ""))
}

/// The dates of a source (`study_date`, `patient_birth_date`, any `*_date`): shifted by
/// `offset`, or without an offset, the birth date removed and the others kept. A birth
/// date that is not a date is removed either way.
fn rewrite_source_dates(source: &mut Source, offset: Option<i64>) {
    let Some(offset) = offset else {
        source.remove("patient_birth_date");
        return;
    };
    let mut unreadable_birth_date = false;
    for (key, value) in source.iter_mut() {
        if !key.ends_with("_date") {
            continue;
        }
        let shifted = value.as_str().and_then(|text| shift_date(text, offset));
        match shifted {
            Some(shifted) => *value = Value::String(shifted),
            None if key == "patient_birth_date" => unreadable_birth_date = true,
            None => {}
        }
    }
    if unreadable_birth_date {
        source.remove("patient_birth_date");
    }
}

/// Original identifiers and their pseudonyms, for whole-token replacement in text.
struct Identifiers {
    replacements: HashMap<String, String>,
    /// The longest identifier, in bytes.
    longest: usize,
    /// The leading alphanumeric run of each identifier (`SUBJ` of `SUBJ-001`): a position
    /// whose run is none of these starts no identifier, which spares most lookups.
    first_tokens: HashSet<String>,
    /// Some identifier starts with a symbol (then every position must be tried).
    some_start_with_symbol: bool,
}

impl Identifiers {
    fn new(replacements: HashMap<String, String>) -> Identifiers {
        let longest = replacements.keys().map(String::len).max().unwrap_or(0);
        let first_tokens = replacements
            .keys()
            .map(|id| id.chars().take_while(|c| c.is_alphanumeric()).collect())
            .collect();
        let some_start_with_symbol = replacements
            .keys()
            .any(|id| id.chars().next().is_some_and(|c| !c.is_alphanumeric()));
        Identifiers {
            replacements,
            longest,
            first_tokens,
            some_start_with_symbol,
        }
    }

    /// `text` with every identifier standing as a whole token replaced (the longest match
    /// at each position); `None` when nothing was replaced.
    fn rewrite(&self, text: &str) -> Option<String> {
        if let Some(pseudonym) = self.replacements.get(text) {
            return Some(pseudonym.clone());
        }
        if self.replacements.is_empty() || text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        // Most strings hold no token that starts an identifier: done without the search.
        if !self.some_start_with_symbol
            && !text
                .split(|c: char| !c.is_alphanumeric())
                .any(|run| self.first_tokens.contains(run))
        {
            return None;
        }
        let boundaries: Vec<usize> = (0..=text.len())
            .filter(|&i| is_token_boundary(text, i))
            .collect();
        let mut rewritten = String::with_capacity(text.len());
        let mut copied = 0; // text[..copied] is in `rewritten` already
        let mut changed = false;
        for (n, &start) in boundaries.iter().enumerate() {
            let Some(&next) = boundaries.get(n + 1) else {
                break;
            };
            if start < copied {
                continue;
            }
            let first_token = text.get(start..next)?;
            let may_start_here = if first_token.starts_with(char::is_alphanumeric) {
                self.first_tokens.contains(first_token)
            } else {
                self.some_start_with_symbol
            };
            if !may_start_here {
                continue;
            }
            let ends = &boundaries[n + 1..];
            let within = ends.partition_point(|&end| end - start <= self.longest);
            let found = ends[..within].iter().rev().find_map(|&end| {
                let pseudonym = self.replacements.get(text.get(start..end)?)?;
                Some((end, pseudonym))
            });
            if let Some((end, pseudonym)) = found {
                rewritten.push_str(text.get(copied..start)?);
                rewritten.push_str(pseudonym);
                copied = end;
                changed = true;
            }
        }
        rewritten.push_str(text.get(copied..)?);
        changed.then_some(rewritten)
    }
}

/// A position where a token may start or end: the ends of the text, and every character
/// boundary with a non-alphanumeric character on at least one side.
fn is_token_boundary(text: &str, i: usize) -> bool {
    if !text.is_char_boundary(i) {
        return false;
    }
    let before = text[..i].chars().next_back();
    let after = text[i..].chars().next();
    match (before, after) {
        (Some(b), Some(a)) => !b.is_alphanumeric() || !a.is_alphanumeric(),
        _ => true,
    }
}

/// Rewrites every string of `value` (object keys stay: they are field names); records
/// each rewritten `image_path` with its original.
fn rewrite_strings(
    value: &mut Value,
    key: Option<&str>,
    identifiers: &Identifiers,
    image_files: &mut BTreeMap<String, String>,
) {
    match value {
        Value::String(text) => {
            if let Some(rewritten) = identifiers.rewrite(text) {
                if key == Some("image_path") {
                    image_files.insert(rewritten.clone(), text.clone());
                }
                *text = rewritten;
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite_strings(item, key, identifiers, image_files);
            }
        }
        Value::Object(fields) => {
            for (name, item) in fields.iter_mut() {
                rewrite_strings(item, Some(name), identifiers, image_files);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231_test_cases_1_2_and_6() -> TestResult {
        // RFC 4231 §4.2: key = 0x0b × 20, data = "Hi There".
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // §4.3: key = "Jefe".
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // §4.7: a 131-byte key (longer than the block, hashed first).
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        Ok(())
    }

    #[test]
    fn pseudonyms_are_p_and_twelve_base32_characters_stable_per_key() -> TestResult {
        let one = Pseudonymizer::new(b"key one", false);
        let two = Pseudonymizer::new(b"key two", false);
        let pseudonym = one.pseudonym("SUBJ-001");
        assert_eq!(pseudonym.len(), 14);
        assert!(pseudonym.starts_with("P-"));
        assert!(pseudonym[2..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        assert_eq!(pseudonym, one.pseudonym("SUBJ-001"));
        assert_ne!(pseudonym, two.pseudonym("SUBJ-001"));
        assert_ne!(pseudonym, one.pseudonym("SUBJ-002"));
        Ok(())
    }

    #[test]
    fn dates_move_in_their_own_form_across_month_and_leap_day() -> TestResult {
        assert_eq!(shift_date("2024-03-01", -1).as_deref(), Some("2024-02-29"));
        assert_eq!(shift_date("20240301", -366).as_deref(), Some("20230301"));
        assert_eq!(shift_date("2024", -1), None);
        assert_eq!(shift_date("20241340", -1), None);
        Ok(())
    }

    #[test]
    fn identifiers_are_replaced_as_whole_tokens_only() -> TestResult {
        let identifiers = Identifiers::new(HashMap::from([
            ("SUBJ-1".to_string(), "P-A".to_string()),
            ("SUBJ-12".to_string(), "P-B".to_string()),
            ("12".to_string(), "P-C".to_string()),
        ]));
        let rewrite = |text: &str| identifiers.rewrite(text);
        assert_eq!(
            rewrite("/data/SUBJ-1/SR/x.dcm").as_deref(),
            Some("/data/P-A/SR/x.dcm")
        );
        // The longest identifier at a position wins; a prefix of a longer token is no match.
        assert_eq!(
            rewrite("SUBJ-12 and SUBJ-123").as_deref(),
            Some("P-B and SUBJ-123")
        );
        // Numbers inside words or UIDs are not tokens of their own.
        assert_eq!(rewrite("A12 x12"), None);
        assert_eq!(rewrite("1.2.12.3"), None);
        assert_eq!(rewrite("12").as_deref(), Some("P-C"));
        assert_eq!(rewrite("id 12.").as_deref(), Some("id P-C."));
        Ok(())
    }

    #[test]
    fn a_subject_keeps_its_intervals_and_loses_its_identifiers() -> TestResult {
        let timeline: Timeline = serde_json::from_value(json!({
            "schema": "oncoread.timeline/1",
            "subjects": [{
                "subject_id": "SUBJ-7",
                "context": {"therapy_start_date": "2024-01-05"},
                "timepoints": [
                    {"timepoint_id": "BL", "date": "2024-01-10",
                     "source": {"patient_id": "MRN-55", "patient_name": "Doe^Jane",
                                "other_patient_ids": "OLD-1\\OLD-2",
                                "patient_birth_date": "19700101", "study_date": "20240110"},
                     "lesions": [{"lesion_id": "1.2.3", "role": "target", "long_axis_mm": 20.0,
                                  "source": {"path": "/in/SUBJ-7/Doe_Jane/OLD-2/sr.dcm",
                                             "measurement_lines": [{"image_path": "/in/MRN-55/ct.dcm"}]}}]},
                    {"timepoint_id": "W8", "date": "2024-03-06"}
                ]
            }],
            "problems": [{"kind": "k", "message": "SUBJ-7: odd", "path": "/in/SUBJ-7/x"}]
        }))?;
        let keyed = Pseudonymizer::new(b"secret", true);
        let result = keyed.apply(&timeline)?;
        let text = serde_json::to_string(&result.timeline)?;
        for original in [
            "SUBJ-7", "MRN-55", "Doe", "Jane", "19700101", "OLD-1", "OLD-2",
        ] {
            assert!(!text.contains(original), "{original} in {text}");
        }
        let subject = &result.timeline.subjects[0];
        assert_eq!(subject.subject_id, keyed.pseudonym("SUBJ-7"));
        let offset = keyed.day_offset("SUBJ-7");
        assert!((-365..=-1).contains(&offset));
        let day = |d: &Option<String>| {
            d.as_deref()
                .and_then(parse_iso_date)
                .ok_or(format!("{d:?} is no ISO date"))
        };
        // 2024-01-10 → 2024-03-06 is 56 days, before and after.
        assert_eq!(
            day(&subject.timepoints[1].date)? - day(&subject.timepoints[0].date)?,
            56
        );
        assert_eq!(
            day(&subject.timepoints[0].date)?,
            parse_iso_date("2024-01-10").ok_or("2024-01-10 is an ISO date")? + offset
        );
        let context = subject.context.as_ref().ok_or("the subject's context")?;
        assert_eq!(
            day(&subject.timepoints[0].date)? - day(&context.therapy_start_date)?,
            5
        );
        let source = subject.timepoints[0]
            .source
            .as_ref()
            .ok_or("the baseline's source")?;
        assert_eq!(source["patient_id"], json!(keyed.pseudonym("MRN-55")));
        assert_eq!(source["patient_name"], json!(keyed.pseudonym("Doe^Jane")));
        // The real image stays reachable under its rewritten path.
        let rewritten = format!("/in/{}/ct.dcm", keyed.pseudonym("MRN-55"));
        assert_eq!(
            result.image_files.get(&rewritten).map(String::as_str),
            Some("/in/MRN-55/ct.dcm")
        );
        assert_eq!(
            result.timeline.problems[0].message,
            format!("{}: odd", keyed.pseudonym("SUBJ-7"))
        );
        Ok(())
    }

    #[test]
    fn without_date_shift_dates_stay_and_the_birth_date_goes() -> TestResult {
        let timeline: Timeline = serde_json::from_value(json!({
            "schema": "oncoread.timeline/1",
            "subjects": [{"subject_id": "S", "timepoints": [{"date": "2024-01-10",
                "source": {"patient_birth_date": "19700101", "study_date": "20240110"}}]}]
        }))?;
        let result = Pseudonymizer::new(b"k", false).apply(&timeline)?;
        let timepoint = &result.timeline.subjects[0].timepoints[0];
        assert_eq!(timepoint.date.as_deref(), Some("2024-01-10"));
        let source = timepoint.source.as_ref().ok_or("the time point's source")?;
        assert_eq!(source.get("study_date"), Some(&json!("20240110")));
        assert_eq!(source.get("patient_birth_date"), None);
        Ok(())
    }
}
