//! End-to-end tests of `oncoread synth`: the archive extracts back to its truth, the same
//! seed gives the same bytes, the committed sample regenerates byte-identically, and a
//! peer reader (pydicom 3) reads the CT slices and SRs as synth says it wrote them.
//!
//! "Gives back the truth" means: `oncoread extract` on the archive yields a timeline whose
//! `subjects` equal `truth.timeline.json`'s `subjects` exactly — subject ids, readers,
//! timepoint ids and dates, and per lesion: id (tracking UID), label, role, organ, nodal
//! flag, long and short axis, status — once every `source` map (provenance: extraction
//! writes file paths and UIDs there, the truth writes the synthetic trajectory) is removed.
//! Extraction's `problems` must be exactly one: `truth.timeline.json` itself, which is not
//! DICOM.

mod common;

use common::{oncoread, repo, temp_dir};

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `oncoread synth --out <dir> <args>`; panics with stderr on failure.
fn synth(out: &Path, args: &[&str]) {
    let mut all = vec!["synth", "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = oncoread(&all);
    assert!(
        output.status.success(),
        "synth failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn extract(input: &Path, work: &Path) -> Value {
    let index = work.join("index.sqlite");
    let out = work.join("timeline.json");
    let output = oncoread(&[
        "extract",
        input.to_str().unwrap(),
        "--index",
        index.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "extract failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
}

fn without_sources(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| k.as_str() != "source")
                .map(|(k, v)| (k.clone(), without_sources(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_sources).collect()),
        other => other.clone(),
    }
}

/// Every file under `dir`, by relative path, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Compares the extracted timeline with the truth as the module documentation says.
fn assert_round_trip(archive: &Path, work: &Path) -> Value {
    let extracted = extract(archive, work);
    let truth: Value =
        serde_json::from_slice(&std::fs::read(archive.join("truth.timeline.json")).unwrap())
            .unwrap();
    assert_eq!(truth["schema"], "oncoread.timeline/1");
    let schema: Value = serde_json::from_slice(
        &std::fs::read(repo().join("schemas/timeline.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&truth)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "the truth breaks the schema: {errors:?}");
    let got = without_sources(&extracted["subjects"]);
    let want = without_sources(&truth["subjects"]);
    if got != want {
        let (g, w) = (got.as_array().unwrap(), want.as_array().unwrap());
        assert_eq!(g.len(), w.len(), "number of subject/reader entries");
        for (a, b) in g.iter().zip(w) {
            assert_eq!(a, b, "first differing subject");
        }
    }
    let problems = extracted["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0]["kind"], "unreadable_file");
    assert!(problems[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("truth.timeline.json"));
    extracted
}

fn subject<'a>(timeline: &'a Value, id: &str) -> Vec<&'a Value> {
    timeline["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["subject_id"] == id)
        .collect()
}

fn lesions_by_label<'a>(timepoint: &'a Value, label: &str) -> Option<&'a Value> {
    timepoint["lesions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == label)
}

fn mm(lesion: &Value, axis: &str) -> f64 {
    lesion[axis].as_f64().unwrap()
}

#[test]
fn a_fresh_trial_extracts_back_to_its_truth_and_shows_each_trajectory() {
    let dir = temp_dir("synth-round-trip");
    let archive = dir.join("trial");
    synth(
        &archive,
        &[
            "--subjects",
            "7",
            "--timepoints",
            "4",
            "--seed",
            "42",
            "--slices",
            "6",
            "--matrix",
            "48",
        ],
    );
    let timeline = assert_round_trip(&archive, &dir);

    // By hand from the documented plan: subjects 1..7 (index 0..6); second readers on
    // index 1 and 5 → 9 subject/reader entries.
    assert_eq!(timeline["subjects"].as_array().unwrap().len(), 9);
    // Index 3 (SUBJ-004, stable disease) misses its third visit: 3 of 4 timepoints.
    let s4 = subject(&timeline, "SUBJ-004");
    let ids: Vec<&str> = s4[0]["timepoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["timepoint_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], "BL");

    // SUBJ-002, pseudo-progressor, read twice: for both readers the first follow-up has
    // a new lesion and larger targets, the last follow-up smaller targets than baseline.
    let s2 = subject(&timeline, "SUBJ-002");
    assert_eq!(s2.len(), 2);
    assert_ne!(s2[0]["reader"], s2[1]["reader"]);
    for reading in &s2 {
        let tps = reading["timepoints"].as_array().unwrap();
        let sum = |t: &Value| {
            mm(lesions_by_label(t, "T1").unwrap(), "long_axis_mm")
                + mm(lesions_by_label(t, "T2").unwrap(), "long_axis_mm")
        };
        let new = lesions_by_label(&tps[1], "N1").expect("a new lesion at the first follow-up");
        assert_eq!(new["role"], "new");
        assert!(lesions_by_label(&tps[0], "N1").is_none());
        assert!(sum(&tps[1]) >= 1.2 * sum(&tps[0]));
        assert!(sum(&tps[3]) < sum(&tps[0]));
        // The tracking UID follows the lesion across visits.
        let t1: Vec<&Value> = tps
            .iter()
            .map(|t| &lesions_by_label(t, "T1").unwrap()["lesion_id"])
            .collect();
        assert!(t1.iter().all(|id| *id == t1[0]));
    }

    // SUBJ-003, true progressor: +20 % on the sum at the second follow-up, a new lesion.
    let s3 = subject(&timeline, "SUBJ-003");
    let tps = s3[0]["timepoints"].as_array().unwrap();
    let sum = |t: &Value| {
        mm(lesions_by_label(t, "T1").unwrap(), "long_axis_mm")
            + mm(lesions_by_label(t, "T2").unwrap(), "long_axis_mm")
    };
    assert!(sum(&tps[2]) >= 1.2 * sum(&tps[0]));
    assert_eq!(lesions_by_label(&tps[2], "N1").unwrap()["role"], "new");

    // SUBJ-005, nodal disease: only lymph nodes, ≥ 15 mm short axis at baseline, all
    // below 10 mm at the last visit.
    let s5 = subject(&timeline, "SUBJ-005");
    let tps = s5[0]["timepoints"].as_array().unwrap();
    for lesion in tps[0]["lesions"].as_array().unwrap() {
        assert_eq!(
            (&lesion["nodal"], &lesion["organ"], &lesion["role"]),
            (
                &Value::Bool(true),
                &Value::from("lymph node"),
                &Value::from("target")
            )
        );
        assert!(mm(lesion, "short_axis_mm") >= 15.0);
    }
    for lesion in tps[3]["lesions"].as_array().unwrap() {
        assert!(mm(lesion, "short_axis_mm") < 10.0, "{lesion}");
    }

    // SUBJ-006, non-target progression: NT1 is a measured non-target that grows by half.
    for reading in subject(&timeline, "SUBJ-006") {
        let tps = reading["timepoints"].as_array().unwrap();
        let first = lesions_by_label(&tps[0], "NT1").unwrap();
        let last = lesions_by_label(&tps[3], "NT1").unwrap();
        assert_eq!(first["role"], "non_target");
        assert!(mm(last, "long_axis_mm") >= 1.5 * mm(first, "long_axis_mm"));
    }

    // SUBJ-001, responder: unmeasured non-target is "present"; targets shrink ≥ 30 %.
    let s1 = subject(&timeline, "SUBJ-001");
    let tps = s1[0]["timepoints"].as_array().unwrap();
    assert_eq!(
        lesions_by_label(&tps[0], "NT1").unwrap()["status"],
        "present"
    );
    assert!(sum(&tps[3]) <= 0.7 * sum(&tps[0]));
}

#[test]
fn the_same_seed_gives_the_same_bytes_whatever_the_thread_count() {
    let dir = temp_dir("synth-determinism");
    let args = [
        "--subjects",
        "5",
        "--timepoints",
        "3",
        "--seed",
        "7",
        "--slices",
        "4",
        "--matrix",
        "32",
    ];
    synth(&dir.join("a"), &args);
    // One worker thread instead of one per core.
    let mut all = vec!["synth", "--out"];
    let b = dir.join("b");
    all.push(b.to_str().unwrap());
    all.extend_from_slice(&args);
    let output = Command::new(env!("CARGO_BIN_EXE_oncoread"))
        .args(&all)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    assert!(output.status.success());
    let (a, b) = (files(&dir.join("a")), files(&b));
    assert!(a.len() > 50, "{} files", a.len());
    assert!(a == b, "two runs with seed 7 differ");

    let mut other = args;
    other[5] = "8";
    synth(&dir.join("c"), &other);
    let c = files(&dir.join("c"));
    assert_eq!(a.len(), c.len());
    assert!(a != c, "seeds 7 and 8 gave the same bytes");
}

#[test]
fn a_non_empty_output_folder_is_refused() {
    let dir = temp_dir("synth-not-empty");
    std::fs::write(dir.join("keep.txt"), b"user data").unwrap();
    let output = oncoread(&["synth", "--out", dir.to_str().unwrap(), "--subjects", "1"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not empty"), "{stderr}");
    assert_eq!(std::fs::read(dir.join("keep.txt")).unwrap(), b"user data");
}

/// The synth arguments of `scripts/make-sample` (after `--out fixtures/sample`).
fn sample_arguments() -> Vec<String> {
    let script = std::fs::read_to_string(repo().join("scripts/make-sample")).unwrap();
    let line = script
        .lines()
        .find(|l| l.contains("synth --out fixtures/sample"))
        .expect("scripts/make-sample runs synth into fixtures/sample");
    let (_, rest) = line.split_once("--out fixtures/sample").unwrap();
    rest.split_whitespace().map(str::to_string).collect()
}

#[test]
fn the_committed_sample_regenerates_byte_identically_and_extracts_to_its_truth() {
    let dir = temp_dir("synth-sample");
    let fresh = dir.join("sample");
    let args = sample_arguments();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    synth(&fresh, &args);
    let (committed, regenerated) = (files(&repo().join("fixtures/sample")), files(&fresh));
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        regenerated.keys().collect::<Vec<_>>(),
        "file lists differ: run scripts/make-sample"
    );
    for (path, bytes) in &committed {
        assert!(
            regenerated[path] == *bytes,
            "{} differs: run scripts/make-sample",
            path.display()
        );
    }
    // 6 subjects × 5 visits − 1 missed = 29 visits; 8 slices each → 232 CT; one SR per
    // visit + the second readers of SUBJ-002 and SUBJ-006 (5 visits each) → 39 SR; + truth.
    assert_eq!(committed.len(), 232 + 39 + 1);
    assert_round_trip(&repo().join("fixtures/sample"), &dir);
}

fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("ONCOREAD_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = repo().join("target/test-venv/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// pydicom's view of the sample: every file is Part 10 with a correct meta group length
/// and Explicit VR Little Endian; CT geometry, pixel data and trial attributes are what
/// synth documents; every SR line is as long as its recorded value and lies on the
/// lesion drawn in the referenced slice.
const PEER_CHECK: &str = r#"
import array, json, math, pathlib, struct, sys
import pydicom
# Pixel data are decoded here from the element pydicom parsed (numpy, which pixel_array
# needs, is not part of the test setup): 16-bit little-endian words, signed or not.
assert sys.byteorder == "little"
def hounsfield(ds):
    words = array.array("h" if ds.PixelRepresentation == 1 else "H", ds.PixelData)
    assert len(words) == ds.Rows * ds.Columns, len(words)
    slope, intercept = float(ds.RescaleSlope), float(ds.RescaleIntercept)
    return [[words[r * ds.Columns + c] * slope + intercept for c in range(ds.Columns)]
            for r in range(ds.Rows)]
root = pathlib.Path(sys.argv[1]); matrix = int(sys.argv[2]); slices = int(sys.argv[3])
spacing = 360.0 / matrix
counts = {"ct": 0, "sr": 0, "lines": 0, "lesion_pixels": 0, "series": 0}
cts, srs, hu_of = {}, [], {}
for path in sorted(root.rglob("*.dcm")):
    raw = path.read_bytes()
    assert raw[128:132] == b"DICM", path
    assert raw[132:138] == b"\x02\x00\x00\x00UL", path
    group_length = struct.unpack("<I", raw[140:144])[0]
    # Walk the meta group element by element: it must end exactly at the declared length.
    pos, end = 144, 144 + group_length
    while pos < end:
        group = struct.unpack("<H", raw[pos:pos + 2])[0]
        assert group == 2, (path, pos)
        vr = raw[pos + 4:pos + 6]
        if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT"):
            pos += 12 + struct.unpack("<I", raw[pos + 8:pos + 12])[0]
        else:
            pos += 8 + struct.unpack("<H", raw[pos + 6:pos + 8])[0]
    assert pos == end, (path, pos, end)
    assert struct.unpack("<H", raw[end:end + 2])[0] != 2, path
    ds = pydicom.dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1", path
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID, path
    assert ds.file_meta.MediaStorageSOPClassUID == ds.SOPClassUID, path
    assert ds.ClinicalTrialSubjectID == ds.PatientID and ds.ClinicalTrialProtocolID == "SYN-2026", path
    assert ds.ClinicalTrialSponsorName and ds.ClinicalTrialTimePointID, path
    if ds.Modality == "CT":
        cts[ds.SOPInstanceUID] = ds
    else:
        assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.22", path
        srs.append(ds)
series = {}
for ds in cts.values():
    series.setdefault(ds.SeriesInstanceUID, []).append(ds)
for uid, members in series.items():
    members.sort(key=lambda d: int(d.InstanceNumber))
    assert len(members) == slices, uid
    for a, b in zip(members, members[1:]):
        dz = float(a.ImagePositionPatient[2]) - float(b.ImagePositionPatient[2])
        assert abs(dz - float(a.SliceThickness)) < 1e-6, uid
    for ds in members:
        assert ds.StudyDate == ds.SeriesDate == ds.AcquisitionDate
        assert [float(v) for v in ds.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
        assert [float(v) for v in ds.PixelSpacing] == [spacing, spacing]
        assert abs(float(ds.ImagePositionPatient[0]) - (-180 + spacing / 2)) < 1e-6
        assert ds.Rows == ds.Columns == matrix and ds.BitsAllocated == 16
        assert ds.PixelRepresentation == (1 if float(ds.RescaleIntercept) == 0 else 0)
        hu = hounsfield(ds)
        values = [v for row in hu for v in row]
        assert -1010 <= hu[0][0] <= -990, hu[0][0]          # air ± 10 HU noise
        assert max(values) <= 710 and min(values) >= -1010  # nothing denser than bone
        hu_of[ds.SOPInstanceUID] = hu
    counts["series"] += 1
counts["ct"] = len(cts)
def concept(item):
    seq = item.get("ConceptNameCodeSequence")
    return (seq[0].CodeValue, seq[0].CodingSchemeDesignator) if seq else None
for sr in srs:
    counts["sr"] += 1
    assert concept(sr) == ("126000", "DCM")
    names = [str(i.PersonName) for i in sr.ContentSequence if concept(i) == ("121008", "DCM")]
    assert names == [str(sr.VerifyingObserverSequence[0].VerifyingObserverName)], names
    measurements = [i for i in sr.ContentSequence if concept(i) == ("126010", "DCM")][0]
    for group in measurements.ContentSequence:
        rows = {concept(r): r for r in group.ContentSequence}
        label = rows[("112039", "DCM")].TextValue
        assert rows[("112040", "DCM")].UID.startswith("2.25.")
        for num in group.ContentSequence:
            if num.ValueType != "NUM":
                continue
            value = float(num.MeasuredValueSequence[0].NumericValue)
            assert num.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue == "mm"
            scoord = num.ContentSequence[0]
            assert scoord.RelationshipType == "INFERRED FROM" and scoord.GraphicType == "POLYLINE"
            c0, r0, c1, r1 = [float(v) for v in scoord.GraphicData]
            image = scoord.ContentSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID
            ct = cts[image]
            row_spacing, col_spacing = [float(v) for v in ct.PixelSpacing]
            length = math.hypot((c1 - c0) * col_spacing, (r1 - r0) * row_spacing)
            assert abs(length - value) < 0.01, (label, length, value)
            counts["lines"] += 1
            # The line's midpoint is the lesion centre: a lesion pixel for a large lesion
            # (lung nodules 35 HU, others 110 HU, ± 10 HU noise).
            if value >= 15 and concept(num) == ("103340004", "SCT"):
                site = rows[("363698007", "SCT")].ConceptCodeSequence[0].CodeValue
                expected = 35 if site == "39607008" else 110
                col, row = int((c0 + c1) / 2), int((r0 + r1) / 2)
                hu = hu_of[image][row][col]
                assert abs(hu - expected) <= 10, (label, hu, expected)
                counts["lesion_pixels"] += 1
print(json.dumps(counts))
"#;

#[test]
fn pydicom_reads_the_sample_as_synth_wrote_it() {
    let python = python();
    let probe = Command::new(&python)
        .args([
            "-c",
            "import pydicom; assert pydicom.__version__.startswith('3.')",
        ])
        .output();
    match probe {
        Ok(out) if out.status.success() => {}
        _ => panic!(
            "pydicom 3 cannot be imported by {}: run scripts/test (it installs pydicom into \
             target/test-venv) or set ONCOREAD_PYTHON to a Python that has it",
            python.display()
        ),
    }
    let args = sample_arguments();
    let value_of = |flag: &str| {
        let i = args.iter().position(|a| a == flag).unwrap();
        args[i + 1].clone()
    };
    let output = Command::new(&python)
        .args(["-c", PEER_CHECK])
        .arg(repo().join("fixtures/sample"))
        .arg(value_of("--matrix"))
        .arg(value_of("--slices"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "pydicom check failed: {stderr}");
    let counts: Value = serde_json::from_slice(&output.stdout).unwrap();
    // Counted by hand (see the sample test): 29 series of 8 slices, 39 reports.
    assert_eq!(counts["series"], 29);
    assert_eq!(counts["ct"], 232);
    assert_eq!(counts["sr"], 39);
    assert!(counts["lines"].as_u64().unwrap() > 100, "{counts}");
    assert!(counts["lesion_pixels"].as_u64().unwrap() > 20, "{counts}");
}

/// The sample, extracted and assessed, shows what each trajectory was built to show.
#[test]
fn the_sample_assesses_to_the_trajectories_it_was_built_to_show() {
    let dir = temp_dir("synth-assess");
    extract(&repo().join("fixtures/sample"), &dir);
    let assessment_path = dir.join("assessment.json");
    let output = oncoread(&[
        "assess",
        dir.join("timeline.json").to_str().unwrap(),
        "-o",
        assessment_path.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let assessment: Value =
        serde_json::from_slice(&std::fs::read(&assessment_path).unwrap()).unwrap();
    let recist = |subject: &Value| -> (Vec<String>, String) {
        let criterion = subject["assessments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["criterion"] == "recist1.1")
            .unwrap();
        let rows = criterion["timepoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["overall"].as_str().unwrap().to_string())
            .collect();
        (
            rows,
            criterion["best_overall_response"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    };
    for subject in assessment["subjects"].as_array().unwrap() {
        let (rows, best) = recist(subject);
        let flags = subject["flags"].to_string();
        match subject["subject_id"].as_str().unwrap() {
            "SUBJ-001" => assert_eq!(best, "PR", "responder: {rows:?}"),
            "SUBJ-002" => {
                assert_eq!(rows[1], "PD", "pseudo-progressor flares: {rows:?}");
                assert!(flags.contains("pseudoprogression"), "{flags}");
            }
            "SUBJ-003" => assert!(rows.contains(&"PD".to_string()), "progressor: {rows:?}"),
            "SUBJ-004" => assert_eq!(best, "SD", "stable: {rows:?}"),
            "SUBJ-005" => assert_eq!(best, "CR", "nodal CR: {rows:?}"),
            // Non-target progression is not in the SRs (no status row): stable targets.
            "SUBJ-006" => assert_eq!(best, "SD", "{rows:?}"),
            other => panic!("unexpected subject {other}"),
        }
    }
}
