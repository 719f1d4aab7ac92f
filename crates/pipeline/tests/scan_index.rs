//! The index cache across scans: a re-scan of an unchanged tree reads no file; a touched
//! or added file is read again; a deleted file leaves the index; a reader on another
//! connection during a scan sees the index before or after the scan, never in between;
//! an abandoned write leaves the index as it was.

use oncoread_pipeline::index::Index;
use oncoread_pipeline::scan::{scan, ScanOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, SystemTime};

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/real")
        .join(relative)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oncoread-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `count` copies of small real files (an SR and an MR) under `dir/name_*.dcm`.
fn populate(dir: &Path, name: &str, count: usize) {
    let sources = [
        std::fs::read(fixture("sr/highdicom_tid1500_planar_roi_circle.dcm")).unwrap(),
        std::fs::read(fixture("mr/pydicom_MR_small.dcm")).unwrap(),
    ];
    for i in 0..count {
        std::fs::write(dir.join(format!("{name}_{i:04}.dcm")), &sources[i % 2]).unwrap();
    }
}

#[test]
fn rescan_reads_only_what_changed() {
    let dir = temp_dir("rescan");
    let data = dir.join("data");
    std::fs::create_dir_all(data.join("sub")).unwrap();
    populate(&data, "a", 4);
    populate(&data.join("sub"), "b", 2);
    std::fs::write(data.join("notes.txt"), "not DICOM").unwrap();
    let roots = [data.clone()];
    let mut index = Index::open(&dir.join("index.sqlite")).unwrap();
    let options = ScanOptions::default();

    let first = scan(&roots, &mut index, &options).unwrap();
    assert_eq!((first.files_seen, first.read, first.unchanged), (7, 7, 0));
    assert_eq!((first.instances, first.problems), (6, 1));

    let again = scan(&roots, &mut index, &options).unwrap();
    assert_eq!((again.files_seen, again.read, again.unchanged), (7, 0, 7));
    assert_eq!((again.instances, again.problems, again.removed), (6, 1, 0));

    // A new modification time: read again (same content, same size).
    let touched = data.join("a_0001.dcm");
    let file = std::fs::File::options().write(true).open(&touched).unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(60))
        .unwrap();
    drop(file);
    // A new file, and a deleted one.
    populate(&data.join("sub"), "c", 1);
    std::fs::remove_file(data.join("sub/b_0000.dcm")).unwrap();

    let third = scan(&roots, &mut index, &options).unwrap();
    assert_eq!(third.files_seen, 7);
    assert_eq!(third.read, 2, "the touched file and the new one");
    assert_eq!(third.unchanged, 5);
    assert_eq!(third.removed, 1);
    assert_eq!(third.files_seen, third.instances + third.problems);
    let paths: Vec<String> = index
        .records()
        .unwrap()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(paths.len(), 6);
    assert!(!paths.iter().any(|p| p.ends_with("b_0000.dcm")));
    assert!(paths.iter().any(|p| p.ends_with("c_0000.dcm")));

    // Scanning a sub-folder does not drop what lies outside it.
    let sub = scan(&[data.join("sub")], &mut index, &options).unwrap();
    assert_eq!((sub.files_seen, sub.unchanged, sub.removed), (2, 2, 0));
    assert_eq!(index.counts().unwrap().instances, 6);

    // Another process opening the index later (for reading only) sees the last scan,
    // whether or not its log has been checkpointed.
    drop(index);
    let reader = Index::open_read_only(&dir.join("index.sqlite")).unwrap();
    assert_eq!(reader.counts().unwrap().instances, 6);
    drop(reader);
    let index = Index::open(&dir.join("index.sqlite")).unwrap();

    // Queries for the next stages.
    assert_eq!(index.sr_records().unwrap().len(), 3);
    let sr = &index.sr_records().unwrap()[0];
    let uid = sr.sop_instance_uid.as_deref().unwrap();
    assert_eq!(index.records_by_sop_instance_uid(uid).unwrap().len(), 3);
    assert_eq!(index.problems().unwrap().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn readers_see_before_or_after_never_between() {
    let dir = temp_dir("concurrent");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    populate(&data, "a", 200);
    let index_path = dir.join("index.sqlite");
    let mut index = Index::open(&index_path).unwrap();
    let roots = [data.clone()];
    let before = scan(&roots, &mut index, &ScanOptions::default()).unwrap();
    assert_eq!(before.instances, 200);
    populate(&data, "b", 600);

    let done = AtomicBool::new(false);
    let reader_ready = Barrier::new(2);
    let seen = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let reader = Index::open_read_only(&index_path).unwrap();
            let mut seen = vec![reader.counts().unwrap().instances];
            reader_ready.wait();
            while !done.load(Ordering::Relaxed) {
                seen.push(reader.counts().unwrap().instances);
            }
            seen.push(reader.counts().unwrap().instances);
            seen
        });
        reader_ready.wait();
        let after = scan(&roots, &mut index, &ScanOptions::default()).unwrap();
        done.store(true, Ordering::Relaxed);
        assert_eq!(after.instances, 800);
        reader.join().unwrap()
    });
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|&n| n == 200 || n == 800),
        "a reader saw a half-written index: {:?}",
        seen.iter()
            .filter(|&&n| n != 200 && n != 800)
            .collect::<Vec<_>>()
    );
    assert_eq!(seen[0], 200);
    assert_eq!(*seen.last().unwrap(), 800);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_abandoned_write_changes_nothing() {
    let dir = temp_dir("abandoned");
    let mut index = Index::open(&dir.join("index.sqlite")).unwrap();
    {
        let mut writer = index.begin_write().unwrap();
        writer
            .upsert_problem("x.dcm", 1, 2, "unreadable_file", "test")
            .unwrap();
        // dropped without commit
    }
    assert_eq!(index.counts().unwrap().problems, 0);
    let mut writer = index.begin_write().unwrap();
    writer
        .upsert_problem("x.dcm", 1, 2, "unreadable_file", "test")
        .unwrap();
    writer.commit().unwrap();
    assert_eq!(index.counts().unwrap().problems, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_root_is_an_error_before_the_index_changes() {
    let dir = temp_dir("missing-root");
    let mut index = Index::open(&dir.join("index.sqlite")).unwrap();
    let error = scan(
        &[dir.join("does-not-exist")],
        &mut index,
        &ScanOptions::default(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("does-not-exist"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}
