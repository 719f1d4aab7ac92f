//! The scan over a corrupt-file set generated here (fixed seed): real fixtures truncated
//! at pseudo-random offsets, corrupted element lengths (huge and too small), random bytes,
//! a text file named `.dcm`, an empty file — next to good files. No panic; every bad file
//! is a problem with a reason; every good file is indexed; files seen = instances +
//! problems.

use oncoread_pipeline::index::Index;
use oncoread_pipeline::scan::{scan, ScanOptions};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fixture(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/real")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oncoread-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small deterministic generator (64-bit LCG), so the corrupt set is the same each run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Offset of the first occurrence of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("pattern present in the fixture")
}

const GOOD: &[&str] = &[
    "ct/pydicom_CT_small.dcm",
    "ct/wg04_CT1_JPLL.dcm",
    "ct/cornerstone_CTImage_deflated_bad_group_length.dcm",
    "ct/pydicom-data_eCT_Supplemental_enhanced_multiframe.dcm",
    "mr/pydicom_MR_small_bigendian.dcm",
    "rt/pydicom_rtstruct.dcm",
    "other/pydicom_image_dfl_deflated.dcm",
    "seg/highdicom_seg_ct_binary.dcm",
    "sr/highdicom_tid1500_multiple_groups.dcm",
];

/// Sources for truncation: images (native, encapsulated, big endian, implicit, enhanced,
/// deflated), whose Pixel Data makes any cut detectable. (A non-image object cut exactly
/// between two top-level elements is a well-formed shorter object: no reader can tell.)
const TRUNCATED: &[&str] = &[
    "ct/pydicom_CT_small.dcm",
    "ct/wg04_CT1_JPLL.dcm",
    "ct/wg04_CT1_RLE.dcm",
    "mr/pydicom_MR_small_bigendian.dcm",
    "mr/pydicom_MR_small_implicit.dcm",
    "ct/pydicom-data_eCT_Supplemental_enhanced_multiframe.dcm",
    "seg/highdicom_seg_ct_binary.dcm",
    "mr/pydicom-data_MR-SIEMENS-DICOM-WithOverlays.dcm",
    "ct/cornerstone_CTImage_deflated_bad_group_length.dcm",
];

#[test]
fn corrupt_files_are_problems_and_good_files_are_indexed() {
    let dir = temp_dir("corrupt");
    let data = dir.join("data");
    std::fs::create_dir_all(data.join("good")).unwrap();
    std::fs::create_dir_all(data.join("bad")).unwrap();
    let mut good = BTreeSet::new();
    let mut bad = BTreeSet::new();
    let write = |set: &mut BTreeSet<String>, name: String, bytes: &[u8]| {
        let path = data.join(name);
        std::fs::write(&path, bytes).unwrap();
        set.insert(path.to_string_lossy().into_owned());
    };

    for (i, name) in GOOD.iter().enumerate() {
        write(&mut good, format!("good/{i:02}.dcm"), &fixture(name));
    }

    let mut rng = Lcg(0x5EED_0DC0);
    for (i, name) in TRUNCATED.iter().enumerate() {
        let bytes = fixture(name);
        let mut cuts = BTreeSet::new();
        // Cuts in the header (where parsing happens) and anywhere in the file.
        cuts.insert(1 + rng.below(2048.min(bytes.len() as u64 - 1)) as usize);
        cuts.insert(1 + rng.below(2048.min(bytes.len() as u64 - 1)) as usize);
        cuts.insert(1 + rng.below(bytes.len() as u64 - 1) as usize);
        cuts.insert(bytes.len() - 1);
        for cut in cuts {
            write(&mut bad, format!("bad/cut{i:02}_{cut}.dcm"), &bytes[..cut]);
        }
    }

    // Patient Name (explicit VR, 16-bit length) claiming 65,535 bytes: past the end.
    let mut huge = fixture("ct/pydicom_CT_small.dcm");
    let at = find(&huge, &[0x10, 0x00, 0x10, 0x00, b'P', b'N']);
    huge[at + 6..at + 8].copy_from_slice(&0xFFFFu16.to_le_bytes());
    write(&mut bad, "bad/huge_length_explicit.dcm".into(), &huge);

    // Implicit VR: an element claiming ~4 GiB.
    let mut huge = fixture("rt/pydicom_rtstruct.dcm");
    let at = find(&huge, &[0x10, 0x00, 0x10, 0x00]);
    huge[at + 4..at + 8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    write(&mut bad, "bad/huge_length_implicit.dcm".into(), &huge);

    // A length too small: the parser lands in the middle of a value.
    let mut short = fixture("ct/pydicom_CT_small.dcm");
    let at = find(&short, &[0x08, 0x00, 0x60, 0x00, b'C', b'S']);
    short[at + 6..at + 8].copy_from_slice(&1u16.to_le_bytes());
    write(&mut bad, "bad/short_length.dcm".into(), &short);

    // A sequence of undefined length that never ends.
    let sr = fixture("sr/highdicom_tid1500_multiple_groups.dcm");
    write(
        &mut bad,
        "bad/sr_cut_in_content.dcm".into(),
        &sr[..sr.len() * 3 / 4],
    );

    // A corrupt deflate stream: bytes after the meta scrambled.
    let mut deflated = fixture("other/pydicom_image_dfl_deflated.dcm");
    let meta_end = find(&deflated, b"1.2.840.10008.1.2.1.99") + 64;
    for (k, byte) in deflated[meta_end..meta_end + 64].iter_mut().enumerate() {
        *byte ^= 0xA5 ^ (k as u8);
    }
    write(&mut bad, "bad/deflate_corrupt.dcm".into(), &deflated);

    let mut noise = vec![0u8; 4096];
    for byte in noise.iter_mut() {
        *byte = rng.next() as u8;
    }
    write(&mut bad, "bad/noise.dcm".into(), &noise);
    write(
        &mut bad,
        "bad/readme.dcm".into(),
        b"This is a text file with a .dcm name.\n",
    );
    write(&mut bad, "bad/empty.dcm".into(), b"");

    let mut index = Index::open(&dir.join("index.sqlite")).unwrap();
    let summary = scan(
        std::slice::from_ref(&data),
        &mut index,
        &ScanOptions::default(),
    )
    .unwrap();

    assert_eq!(summary.files_seen, (good.len() + bad.len()) as u64);
    assert_eq!(summary.files_seen, summary.instances + summary.problems);
    let problems = index.problems().unwrap();
    let problem_paths: BTreeSet<String> = problems.iter().map(|p| p.path.clone()).collect();
    let indexed: BTreeSet<String> = index
        .records()
        .unwrap()
        .into_iter()
        .map(|r| r.path)
        .collect();
    let missed: Vec<_> = bad.difference(&problem_paths).collect();
    assert!(missed.is_empty(), "bad files indexed as good: {missed:?}");
    assert_eq!(indexed, good, "problems: {problems:#?}");
    for problem in &problems {
        assert!(!problem.reason.is_empty());
    }
    // The reasons name the failure.
    let reason = |name: &str| {
        let path = data.join(name).to_string_lossy().into_owned();
        problems
            .iter()
            .find(|p| p.path == path)
            .unwrap()
            .reason
            .clone()
    };
    assert!(reason("bad/empty.dcm").contains("empty"));
    assert!(reason("bad/readme.dcm").starts_with("not DICOM"));
    assert!(reason("bad/huge_length_explicit.dcm").contains("truncated"));
    assert!(reason("bad/huge_length_implicit.dcm").contains("truncated"));
    assert!(reason("bad/deflate_corrupt.dcm").contains("deflate"));
    std::fs::remove_dir_all(&dir).unwrap();
}
