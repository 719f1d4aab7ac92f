//! Names taken from DICOM values never leave the output folder (issue 9, path safety).
//!
//! A copy of the sample trial whose SRs give hostile subject identifiers — a path that
//! climbs out (`../../escaped`), an absolute path, a NUL byte, an identifier of 300
//! characters, and two whose bytes are not valid in their character set (Latin-1 bytes
//! with no Specific Character Set, an invalid UTF-8 sequence under ISO_IR 192) — goes
//! through `oncoread run` with every output format that makes file names from those
//! values (`dicom-sr`, `key-images`). Every file written must sit under the
//! output folder, with name components free of NUL, `/`, `..` and control characters and
//! no longer than 255 bytes (the common file-system limit), and nothing may appear beside
//! the output folder.

mod common;

use common::{oncoread, repo, temp_dir};
use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::open_file;
use std::path::{Component, Path, PathBuf};

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Gives every SR of `subject_folder` the Clinical Trial Subject ID `hostile` (the subject
/// identity extract prefers over Patient ID).
fn rename_subject(subject_folder: &Path, hostile: &str) {
    let reports = files_under(subject_folder).into_iter().filter(|p| {
        p.parent()
            .and_then(|d| d.file_name())
            .is_some_and(|n| n == "SR")
    });
    for sr in reports {
        let mut file = open_file(&sr).unwrap();
        file.put(DataElement::new(
            tags::CLINICAL_TRIAL_SUBJECT_ID,
            VR::LO,
            hostile,
        ));
        file.write_to_file(&sr).unwrap();
    }
}

/// Gives every SR of `subject_folder` the Clinical Trial Subject ID `raw` as bytes, as
/// written, under `charset` (`None`: no Specific Character Set, the default repertoire).
fn rename_subject_raw(subject_folder: &Path, raw: &[u8], charset: Option<&str>) {
    let reports = files_under(subject_folder).into_iter().filter(|p| {
        p.parent()
            .and_then(|d| d.file_name())
            .is_some_and(|n| n == "SR")
    });
    for sr in reports {
        let mut file = open_file(&sr).unwrap();
        match charset {
            Some(charset) => {
                file.put(DataElement::new(
                    tags::SPECIFIC_CHARACTER_SET,
                    VR::CS,
                    charset,
                ));
            }
            None => {
                file.remove_element(tags::SPECIFIC_CHARACTER_SET);
            }
        }
        // Bytes, so that the writer copies them as they are instead of encoding text.
        let mut value = raw.to_vec();
        if value.len() % 2 == 1 {
            value.push(b' ');
        }
        file.put(DataElement::new(
            tags::CLINICAL_TRIAL_SUBJECT_ID,
            VR::LO,
            PrimitiveValue::U8(value.into()),
        ));
        file.write_to_file(&sr).unwrap();
    }
}

#[test]
fn hostile_subject_ids_give_safe_names_inside_the_output_folder() {
    let dir = temp_dir("path-safety");
    let trial = dir.join("trial");
    copy_tree(&repo().join("fixtures/sample"), &trial);
    let long = "L".repeat(300);
    let hostile = [
        ("SUBJ-001", "../../escaped"),
        ("SUBJ-002", "/tmp/absolute"),
        ("SUBJ-003", "nul\u{0}byte"),
        ("SUBJ-004", long.as_str()),
    ];
    for (folder, id) in hostile {
        rename_subject(&trial.join(folder), id);
    }
    // 0xE9 0xFF: "éÿ" in ISO 8859-1, which readers (pydicom, dcmtk) apply to bytes
    // outside the default repertoire when no character set is declared.
    rename_subject_raw(&trial.join("SUBJ-005"), b"latin1-\xE9\xFF", None);
    // 0xC3 0x28 0xFF under UTF-8: 0xC3 starts a two-byte sequence that "(" breaks, 0xFF
    // is never valid; each maximal invalid subpart becomes one U+FFFD (Unicode 3.9,
    // "U+FFFD substitution of maximal subparts"; pydicom decodes it the same way).
    rename_subject_raw(
        &trial.join("SUBJ-006"),
        b"utf8-\xC3\x28\xFF",
        Some("ISO_IR 192"),
    );
    let decoded = ["latin1-\u{E9}\u{FF}", "utf8-\u{FFFD}(\u{FFFD}"];
    let out = dir.join("work/out");
    let config = dir.join("pipeline.toml");
    std::fs::write(
        &config,
        format!(
            "[[input]]\npath = {:?}\n[run]\nindex = {:?}\n[output]\ndir = {:?}\n\
             formats = [\"json\", \"csv\", \"html\", \"dicom-sr\", \"key-images\"]\n\
             reproducible = true\n[criteria]\nenabled = [\"recist1.1\"]\n",
            trial.to_str().unwrap(),
            dir.join("index.sqlite").to_str().unwrap(),
            out.to_str().unwrap()
        ),
    )
    .unwrap();
    let output = oncoread(&["run", "--config", config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    // The hostile subjects were read as such (so their names were really used).
    let timeline: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("timeline.json")).unwrap()).unwrap();
    let ids: Vec<&str> = timeline["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subject_id"].as_str().unwrap())
        .collect();
    for (_, id) in hostile {
        // DICOM pads and trims values; the id arrives without trailing padding.
        assert!(ids.contains(&id), "{id:?} not among {ids:?}");
    }
    // The bytes not valid in their character set: decoded, or replaced, the same way
    // everywhere (never as octal escapes such as `\303`, whose backslash is DICOM's
    // value separator).
    for id in decoded {
        assert!(ids.contains(&id), "{id:?} not among {ids:?}");
    }
    assert!(!ids.iter().any(|id| id.contains('\\')), "{ids:?}");
    let sr_index = std::fs::read_to_string(out.join("dicom-sr/index.csv")).unwrap();
    let indexed: std::collections::BTreeSet<&str> = sr_index
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .collect();
    for id in decoded {
        assert!(indexed.contains(id), "{id:?} not among {indexed:?}");
    }

    let written = files_under(&out);
    let srs = written
        .iter()
        .filter(|p| p.starts_with(out.join("dicom-sr")));
    let images = written
        .iter()
        .filter(|p| p.starts_with(out.join("key-images")));
    // 39 SRs + index.csv; 68 key images (README figures for the sample).
    assert_eq!(srs.count(), 40);
    assert_eq!(images.count(), 68);
    for path in &written {
        let relative = path.strip_prefix(&out).unwrap();
        for component in relative.components() {
            let Component::Normal(name) = component else {
                panic!("{}: a component that is not a plain name", path.display());
            };
            let name = name.to_str().expect("UTF-8 names");
            assert!(
                name.len() <= 255,
                "{}: {} bytes",
                path.display(),
                name.len()
            );
            assert!(name != ".." && name != ".", "{}", path.display());
            assert!(
                !name
                    .chars()
                    .any(|c| c.is_control() || c == '/' || c == '\\'),
                "{}",
                path.display()
            );
        }
    }
    // Nothing beside the output folder, nothing at the absolute path the id named.
    let beside: Vec<_> = std::fs::read_dir(dir.join("work"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, ["out"]);
    assert!(!dir.join("escaped").exists());
    assert!(!Path::new("/tmp/absolute").exists());
}
