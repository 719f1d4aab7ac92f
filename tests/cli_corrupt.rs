//! The corrupt-input corpus: the sample trial copied to a temporary folder and damaged
//! there by byte edits written below (a small explicit-VR little-endian walker of this
//! test's own, not oncoread's reader or writer), then one `oncoread run` on the whole.
//!
//! What is damaged, and what each must give (hand-derived from the edits):
//! - truncated copies of an SR and a CT (preamble, meta, sequences, Pixel Data): each an
//!   `unreadable_file` problem;
//! - bytes flipped in headers (an element length, a VR, the `DICM` magic): `unreadable_file`
//!   naming the element where there is one;
//! - wrong VRs (Study Date as US, Study Instance UID as FD): `wrong_vr` naming the attribute;
//! - missing SOP Instance UID / Study Instance UID: `missing_attribute` naming it;
//! - an SR without its Content Sequence: `sr_no_measurements`;
//! - a second file with a CT's SOP Instance UID and other pixels:
//!   `duplicate_sop_instance_uid` naming both files; a byte-identical copy is silent;
//! - a second subject with SUBJ-002's Patient ID and another birth date:
//!   `patient_id_conflict` naming both files and both dates, and SUBJ-002 is not assessed;
//! - Study Date 20231399 on SUBJ-005's week-8 visit: `invalid_date`;
//! - SUBJ-006's week-16 CT series deleted: `referenced_image_missing` for its SRs, whose
//!   measurements are still used (SUBJ-006's assessment is unchanged).
//!
//! Every subject not damaged is assessed exactly as in a clean run of the same folder, and
//! `files = instances + file problems` with the files counted here.

mod common;

use common::{oncoread, temp_dir};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

// ------------------------------------------------------------------ a small DICOM walker

/// One element of an explicit VR little-endian file, as byte offsets into it.
#[derive(Debug, Clone)]
struct Element {
    tag: u32,
    vr: [u8; 2],
    /// Offset of the tag.
    start: usize,
    /// Offset of the value.
    value: usize,
    /// One past the last byte (after the delimiter for undefined lengths).
    end: usize,
    /// 0 at the top level (file meta and data set), 1 inside a sequence's items, ...
    depth: usize,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn tag_at(b: &[u8], at: usize) -> u32 {
    (u32::from(u16_at(b, at)) << 16) | u32::from(u16_at(b, at + 2))
}

/// PS3.5 7.1.2: these VRs have 2 reserved bytes and a 32-bit length.
fn has_long_length(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"SV"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"UV"
    )
}

const UNDEFINED: u32 = 0xFFFF_FFFF;
const ITEM: u32 = 0xFFFE_E000;
const ITEM_END: u32 = 0xFFFE_E00D;
const SEQUENCE_END: u32 = 0xFFFE_E0DD;

/// Walks elements from `at` to `end` (or to a delimiter, whose end it returns), pushing
/// every element, nested ones included, onto `out`.
fn walk(b: &[u8], mut at: usize, end: usize, depth: usize, out: &mut Vec<Element>) -> usize {
    while at + 8 <= end {
        let tag = tag_at(b, at);
        if tag == ITEM_END || tag == SEQUENCE_END {
            return at + 8;
        }
        let vr = [b[at + 4], b[at + 5]];
        let (value, len) = if has_long_length(vr) {
            (at + 12, u32_at(b, at + 8))
        } else {
            (at + 8, u32::from(u16_at(b, at + 6)))
        };
        let index = out.len();
        out.push(Element {
            tag,
            vr,
            start: at,
            value,
            end: 0,
            depth,
        });
        let element_end = if vr == *b"SQ" {
            let items_end = if len == UNDEFINED {
                end
            } else {
                value + len as usize
            };
            let mut item = value;
            loop {
                if item + 8 > items_end {
                    break item;
                }
                let item_tag = tag_at(b, item);
                let item_len = u32_at(b, item + 4);
                if item_tag == SEQUENCE_END {
                    break item + 8;
                }
                assert_eq!(item_tag, ITEM, "item expected at byte {item}");
                item = if item_len == UNDEFINED {
                    walk(b, item + 8, items_end, depth + 1, out)
                } else {
                    let item_end = item + 8 + item_len as usize;
                    walk(b, item + 8, item_end, depth + 1, out);
                    item_end
                };
            }
        } else {
            assert_ne!(len, UNDEFINED, "the sample has no encapsulated data");
            value + len as usize
        };
        out[index].end = element_end;
        at = element_end;
    }
    at
}

/// A sample file: its bytes and its elements (the sample is explicit VR little endian
/// with a 128-byte preamble).
struct Dicom {
    bytes: Vec<u8>,
    elements: Vec<Element>,
}

impl Dicom {
    fn read(path: &Path) -> Dicom {
        Dicom::parse(std::fs::read(path).unwrap())
    }

    fn parse(bytes: Vec<u8>) -> Dicom {
        assert_eq!(&bytes[128..132], b"DICM");
        let mut elements = Vec::new();
        walk(&bytes, 132, bytes.len(), 0, &mut elements);
        Dicom { bytes, elements }
    }

    /// The top-level element `tag`.
    fn top(&self, tag: u32) -> Element {
        self.elements
            .iter()
            .find(|e| e.depth == 0 && e.tag == tag)
            .unwrap_or_else(|| panic!("({:04X},{:04X}) in the sample", tag >> 16, tag & 0xFFFF))
            .clone()
    }

    fn text(&self, tag: u32) -> String {
        let e = self.top(tag);
        String::from_utf8_lossy(&self.bytes[e.value..e.end])
            .trim_end_matches(['\0', ' '])
            .to_string()
    }

    /// The bytes with top-level element `tag` removed (the meta's group length kept right).
    fn without(&self, tag: u32) -> Vec<u8> {
        let e = self.top(tag);
        let mut out = self.bytes[..e.start].to_vec();
        out.extend_from_slice(&self.bytes[e.end..]);
        if tag >> 16 == 0x0002 {
            let group_length = self.top(0x0002_0000);
            let old = u32_at(&out, group_length.value);
            let new = old - (e.end - e.start) as u32;
            out[group_length.value..group_length.value + 4].copy_from_slice(&new.to_le_bytes());
        }
        out
    }

    /// The bytes with top-level element `tag`'s value replaced by one of the same length.
    fn with_value(&self, tag: u32, value: &[u8]) -> Vec<u8> {
        let e = self.top(tag);
        assert_eq!(e.end - e.value, value.len(), "same length only");
        let mut out = self.bytes.clone();
        out[e.value..e.end].copy_from_slice(value);
        out
    }

    /// The bytes with top-level element `tag` re-labelled with another VR of the same
    /// length field size.
    fn with_vr(&self, tag: u32, vr: &[u8; 2]) -> Vec<u8> {
        let e = self.top(tag);
        assert_eq!(has_long_length(e.vr), has_long_length(*vr));
        let mut out = self.bytes.clone();
        out[e.start + 4..e.start + 6].copy_from_slice(vr);
        out
    }
}

/// A UID of the same length that differs in its last digits.
fn other_uid(uid: &str) -> String {
    let keep = uid.len() - 3;
    let tail = if &uid[keep..] == "999" { "998" } else { "999" };
    format!("{}{tail}", &uid[..keep])
}

/// A value padded to even length as DICOM requires (UIDs with NUL, text with space).
fn padded(value: &str, pad: u8) -> Vec<u8> {
    let mut bytes = value.as_bytes().to_vec();
    if bytes.len() % 2 == 1 {
        bytes.push(pad);
    }
    bytes
}

const SOP_INSTANCE_UID: u32 = 0x0008_0018;
const MEDIA_STORAGE_SOP_INSTANCE_UID: u32 = 0x0002_0003;
const STUDY_DATE: u32 = 0x0008_0020;
const PATIENT_NAME: u32 = 0x0010_0010;
const PATIENT_BIRTH_DATE: u32 = 0x0010_0030;
const CLINICAL_TRIAL_SUBJECT_ID: u32 = 0x0012_0040;
const STUDY_INSTANCE_UID: u32 = 0x0020_000D;
const SERIES_INSTANCE_UID: u32 = 0x0020_000E;
const CONTENT_SEQUENCE: u32 = 0x0040_A730;
const PIXEL_DATA: u32 = 0x7FE0_0010;

// ------------------------------------------------------------------ the run

fn copy_tree(from: &Path, to: &Path) -> usize {
    std::fs::create_dir_all(to).unwrap();
    let mut files = 0;
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            files += copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            files += 1;
        }
    }
    files
}

fn count_files(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                count_files(&e.path())
            } else {
                1
            }
        })
        .sum()
}

struct RunOutput {
    run: Value,
    problems: Vec<Value>,
    /// (subject, reader) → its assessments.
    subjects: BTreeMap<(String, String), Value>,
    /// (subject, reader) → its assessment problems.
    subject_problems: BTreeMap<(String, String), Value>,
}

fn run(archive: &Path, work: &Path) -> RunOutput {
    let out = work.join("out");
    let output = oncoread(&[
        "run",
        "--input",
        archive.to_str().unwrap(),
        "--index",
        work.join("index.sqlite").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--reproducible",
    ]);
    assert!(
        output.status.success(),
        "oncoread run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(out.join(name)).unwrap()).unwrap()
    };
    let timeline = read("timeline.json");
    let assessment = read("assessment.json");
    let mut subjects = BTreeMap::new();
    let mut subject_problems = BTreeMap::new();
    for s in assessment["subjects"].as_array().unwrap() {
        let key = (
            s["subject_id"].as_str().unwrap().to_string(),
            s["reader"].as_str().unwrap_or_default().to_string(),
        );
        subjects.insert(key.clone(), s["assessments"].clone());
        subject_problems.insert(key, s["problems"].clone());
    }
    RunOutput {
        run: read("run.json"),
        problems: timeline["problems"].as_array().unwrap().clone(),
        subjects,
        subject_problems,
    }
}

/// What the test expects of one damaged file.
struct Expect {
    path: PathBuf,
    kind: &'static str,
    /// Each must appear in the problem's message.
    mentions: Vec<String>,
}

fn expect(path: &Path, kind: &'static str, mentions: &[&str]) -> Expect {
    Expect {
        path: path.to_path_buf(),
        kind,
        mentions: mentions.iter().map(|m| m.to_string()).collect(),
    }
}

#[test]
fn every_damaged_file_is_reported_exactly_and_every_good_subject_is_assessed_as_when_clean() {
    let dir = temp_dir("corrupt-corpus");
    let archive = dir.join("archive");
    let sample_files = copy_tree(&common::repo().join("fixtures/sample"), &archive);
    let clean = run(&archive, &dir.join("clean"));
    assert_eq!(clean.run["counts"]["files"], sample_files as u64);

    // Damaged copies go to a folder that sorts after the subjects' folders ("z" > "S"),
    // so the originals stay first wherever the path order decides.
    let bad = archive.join("zz-corrupt");
    std::fs::create_dir_all(&bad).unwrap();
    let mut expected: Vec<Expect> = Vec::new();
    // Files that must each be a file-level problem (not indexed).
    let mut file_problems = 1; // truth.timeline.json of the sample is not DICOM
    let write = |name: &str, bytes: &[u8]| -> PathBuf {
        let path = bad.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };

    let sr_path = archive.join("SUBJ-001/00-BL/SR/reader1.dcm");
    let ct_path = archive.join("SUBJ-001/00-BL/CT/CT0001.dcm");
    let sr = Dicom::read(&sr_path);
    let ct = Dicom::read(&ct_path);

    // 1. Truncations: inside the preamble, inside the meta, inside element values and
    //    headers, inside the Content Sequence at several depths, inside Pixel Data.
    let inside = |e: &Element| (e.start + e.end) / 2;
    let nested: Vec<&Element> = sr.elements.iter().filter(|e| e.depth >= 2).collect();
    let content = sr.top(CONTENT_SEQUENCE);
    let sr_cuts = [
        0,
        60,
        129,
        inside(&sr.top(MEDIA_STORAGE_SOP_INSTANCE_UID)),
        sr.top(STUDY_DATE).start + 3,
        inside(&sr.top(PATIENT_NAME)),
        content.start + 10,
        inside(&content),
        inside(nested[0]),
        inside(nested[nested.len() / 2]),
        inside(nested[nested.len() - 1]),
        content.end - 4,
    ];
    let pixels = ct.top(PIXEL_DATA);
    let ct_cuts = [
        100,
        140,
        inside(&ct.top(SOP_INSTANCE_UID)),
        ct.top(STUDY_INSTANCE_UID).start + 5,
        inside(&ct.top(SERIES_INSTANCE_UID)),
        pixels.start + 6,
        pixels.value + 1,
        inside(&pixels),
        pixels.end - 2,
        pixels.end - 1,
    ];
    for (what, source, cuts) in [("sr", &sr, &sr_cuts[..]), ("ct", &ct, &ct_cuts[..])] {
        for &cut in cuts {
            let path = write(&format!("{what}-cut-{cut:05}.dcm"), &source.bytes[..cut]);
            file_problems += 1;
            let mention = match cut {
                0 => "empty",
                // Before the DICM magic: no sign of DICOM at all.
                1..=131 => "not DICOM",
                _ => "truncated at byte",
            };
            expected.push(expect(&path, "unreadable_file", &[mention]));
        }
    }

    // 2. Flipped bytes in headers.
    let name = ct.top(PATIENT_NAME);
    let mut flipped = ct.bytes.clone();
    flipped[name.start + 7] ^= 0xFF; // the high byte of a 16-bit length: far past the end
    let path = write("ct-flipped-length.dcm", &flipped);
    expected.push(expect(&path, "unreadable_file", &["(0010,0010)"]));
    let mut flipped = sr.bytes.clone();
    let series = sr.top(SERIES_INSTANCE_UID);
    flipped[series.start + 4] ^= 0xFF; // "UI" → not a VR
    flipped[series.start + 5] ^= 0xFF;
    let path = write("sr-flipped-vr.dcm", &flipped);
    expected.push(expect(&path, "unreadable_file", &["(0020,000E)"]));
    let mut flipped = ct.bytes.clone();
    for byte in &mut flipped[128..132] {
        *byte ^= 0xFF; // "DICM" gone: a preamble of zeros and noise is no data set
    }
    let path = write("ct-flipped-magic.dcm", &flipped);
    expected.push(expect(&path, "unreadable_file", &["not DICOM"]));
    file_problems += 3;

    // 3. Wrong VRs: a date as US (two binary numbers), a UID as FD (a binary double).
    let path = write("ct-study-date-as-US.dcm", &ct.with_vr(STUDY_DATE, b"US"));
    expected.push(expect(
        &path,
        "wrong_vr",
        &["Study Date", "(0008,0020)", "US"],
    ));
    let path = write(
        "sr-study-uid-as-FD.dcm",
        &sr.with_vr(STUDY_INSTANCE_UID, b"FD"),
    );
    expected.push(expect(
        &path,
        "wrong_vr",
        &["Study Instance UID", "(0020,000D)", "FD"],
    ));
    file_problems += 2;

    // 4. Missing mandatory attributes.
    let no_sop = Dicom::parse(ct.without(SOP_INSTANCE_UID)).without(MEDIA_STORAGE_SOP_INSTANCE_UID);
    let path = write("ct-no-sop-instance-uid.dcm", &no_sop);
    expected.push(expect(
        &path,
        "missing_attribute",
        &["SOP Instance UID (0008,0018)"],
    ));
    let path = write("ct-no-study-uid.dcm", &ct.without(STUDY_INSTANCE_UID));
    expected.push(expect(
        &path,
        "missing_attribute",
        &["Study Instance UID (0020,000D)"],
    ));
    file_problems += 2;

    // 5. One SOP Instance UID, two contents: the copy (later in path order) is not used.
    let mut other_pixels = ct.bytes.clone();
    other_pixels[pixels.value + 10] ^= 0x01;
    let path = write("ct-same-uid-other-pixels.dcm", &other_pixels);
    expected.push(expect(
        &path,
        "duplicate_sop_instance_uid",
        &[&ct.text(SOP_INSTANCE_UID), ct_path.to_str().unwrap()],
    ));
    // A byte-identical copy (a re-sent file) is no problem.
    let identical_copy = write("ct-identical-copy.dcm", &ct.bytes);

    // 6. A second subject with SUBJ-002's Patient ID and another birth date.
    let victim_path = archive.join("SUBJ-002/00-BL/CT/CT0001.dcm");
    let victim = Dicom::read(&victim_path);
    let victim_birth = victim.text(PATIENT_BIRTH_DATE);
    let intruder_birth = if victim_birth == "19500101" {
        "19500102"
    } else {
        "19500101"
    };
    let intruder = Dicom::parse(victim.with_value(PATIENT_BIRTH_DATE, intruder_birth.as_bytes()));
    assert_eq!(victim.text(CLINICAL_TRIAL_SUBJECT_ID), "SUBJ-002");
    let intruder = Dicom::parse(intruder.with_value(CLINICAL_TRIAL_SUBJECT_ID, b"SUBJ-902"));
    let new_uid = padded(&other_uid(&victim.text(SOP_INSTANCE_UID)), 0);
    let intruder = Dicom::parse(intruder.with_value(SOP_INSTANCE_UID, &new_uid));
    let intruder = intruder.with_value(MEDIA_STORAGE_SOP_INSTANCE_UID, &new_uid);
    let path = write("second-patient-same-id.dcm", &intruder);
    expected.push(expect(
        &path,
        "patient_id_conflict",
        &[
            "Patient ID (0010,0020)",
            "SUBJ-002",
            intruder_birth,
            &victim_birth,
            victim_path.to_str().unwrap(),
        ],
    ));

    // 7. Study Date 20231399 on SUBJ-005's week-8 visit (its images and its report).
    let visit = archive.join("SUBJ-005/01-W8");
    let mut visit_files = Vec::new();
    for folder in ["CT", "SR"] {
        for entry in std::fs::read_dir(visit.join(folder)).unwrap() {
            visit_files.push(entry.unwrap().path());
        }
    }
    visit_files.sort();
    for path in &visit_files {
        let file = Dicom::read(path);
        std::fs::write(path, file.with_value(STUDY_DATE, b"20231399")).unwrap();
        if path.parent().unwrap().ends_with("SR") {
            expected.push(expect(
                path,
                "invalid_date",
                &["Study Date (0008,0020)", "20231399"],
            ));
        }
    }

    // 8. An SR without its Content Sequence (SUBJ-005's baseline, reader's report).
    let emptied = archive.join("SUBJ-005/00-BL/SR/reader1.dcm");
    let report = Dicom::read(&emptied);
    std::fs::write(&emptied, report.without(CONTENT_SEQUENCE)).unwrap();
    expected.push(expect(
        &emptied,
        "sr_no_measurements",
        &["Content Sequence (0040,A730)"],
    ));

    // 9. SUBJ-006's week-16 images deleted: its reports point at images not there.
    let gone = archive.join("SUBJ-006/02-W16/CT");
    let gone_uids: Vec<String> = std::fs::read_dir(&gone)
        .unwrap()
        .map(|e| Dicom::read(&e.unwrap().path()).text(SOP_INSTANCE_UID))
        .collect();
    std::fs::remove_dir_all(&gone).unwrap();
    for entry in std::fs::read_dir(archive.join("SUBJ-006/02-W16/SR")).unwrap() {
        let path = entry.unwrap().path();
        let referenced: Vec<String> = {
            let report = Dicom::read(&path);
            report
                .elements
                .iter()
                .filter(|e| e.tag == 0x0008_1155)
                .map(|e| {
                    String::from_utf8_lossy(&report.bytes[e.value..e.end])
                        .trim_end_matches(['\0', ' '])
                        .to_string()
                })
                .filter(|uid| gone_uids.contains(uid))
                .collect()
        };
        assert!(
            !referenced.is_empty(),
            "{} measures week 16",
            path.display()
        );
        let mut mentions = vec!["Referenced SOP Instance UID (0008,1155)"];
        mentions.extend(referenced.iter().map(String::as_str));
        expected.push(expect(&path, "referenced_image_missing", &mentions));
    }

    // The damaged run.
    let damaged = run(&archive, &dir.join("damaged"));

    // Files in = records + problems, with the files counted here.
    let files = count_files(&archive);
    let counts = &damaged.run["counts"];
    assert_eq!(counts["files"], files, "{counts}");
    assert_eq!(
        counts["instances"].as_u64().unwrap() + counts["file_problems"].as_u64().unwrap(),
        files
    );
    assert_eq!(counts["file_problems"], file_problems as u64, "{counts}");

    // Each damaged file: its exact problem, naming the file and the field.
    for want in &expected {
        let path = want.path.to_str().unwrap();
        let found: Vec<&Value> = damaged
            .problems
            .iter()
            .filter(|p| p["path"] == path && p["kind"] == want.kind)
            .collect();
        assert!(
            !found.is_empty(),
            "no {} problem for {path}; its problems: {:#?}",
            want.kind,
            damaged
                .problems
                .iter()
                .filter(|p| p["path"] == path)
                .collect::<Vec<_>>()
        );
        for mention in &want.mentions {
            assert!(
                found
                    .iter()
                    .any(|p| p["message"].as_str().unwrap().contains(mention.as_str())),
                "{} problem of {path} does not mention {mention:?}: {found:#?}",
                want.kind
            );
        }
    }
    // The identical copy is silent, and the original of the duplicate is the one used.
    let identical = identical_copy.to_str().unwrap();
    assert!(
        !damaged.problems.iter().any(|p| p["path"] == identical),
        "a byte-identical copy is no problem"
    );
    assert!(!damaged
        .problems
        .iter()
        .any(|p| p["path"] == ct_path.to_str().unwrap()));

    // Two patients behind SUBJ-002's Patient ID: none of its reads is assessed.
    assert!(
        !damaged.subjects.keys().any(|(s, _)| s == "SUBJ-002"),
        "SUBJ-002 must not be assessed with another patient's files"
    );
    assert!(clean.subjects.keys().any(|(s, _)| s == "SUBJ-002"));

    // SUBJ-005 (baseline report emptied, week 8 undated) cannot be dated from its
    // baseline: it is listed not assessed, with the reason, and the run goes on.
    let subj5 = ("SUBJ-005".to_string(), "Okafor^Daniel".to_string());
    let subj5_problems = damaged.subject_problems[&subj5].as_array().unwrap();
    assert!(
        subj5_problems
            .iter()
            .any(|p| p["kind"] == "subject_not_assessable"
                && p["message"].as_str().unwrap().contains("SUBJ-005")),
        "{subj5_problems:#?}"
    );

    // Every subject with no damaged file, and SUBJ-006 whose measurements stand without
    // their images, is assessed exactly as in the clean run.
    let untouched = ["SUBJ-001", "SUBJ-003", "SUBJ-004", "SUBJ-006"];
    for ((subject, reader), assessments) in &clean.subjects {
        if untouched.contains(&subject.as_str()) {
            let key = (subject.clone(), reader.clone());
            assert_eq!(
                damaged.subjects.get(&key),
                Some(assessments),
                "{subject} read by {reader} changed"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
