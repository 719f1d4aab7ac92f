//! The index cache: one SQLite database (default `.oncoread/index.sqlite`) with one row per
//! file seen by a scan — the instance's [`HeaderRecord`] columns, or the reason the file is
//! a problem — keyed by path, with the size and modification time it had when read.
//!
//! Consistency guarantee: the database is in WAL mode and each scan writes through one
//! [`IndexWriter`], i.e. one `BEGIN IMMEDIATE` transaction committed at the end. A reader
//! (another connection or process) sees the index as it was before the scan or as it is
//! after it, never in between; an interrupted scan leaves the previous index intact. Two
//! scans of one index run one after the other (the second waits for the first's lock, up
//! to [`BUSY_TIMEOUT`]).
//!
//! Durability: `synchronous = NORMAL` and checkpoints only when the log passes
//! [`CHECKPOINT_PAGES`] (the `.sqlite-wal` and `.sqlite-shm` files beside the index are
//! part of it). A power loss can roll the index back to an earlier scan's state, never
//! leave it half-written; the next scan re-reads what it lost.
//!
//! The index is a cache: an index written with an older schema is emptied and rebuilt by
//! the next scan; one written by a newer oncoread is refused.

use oncoread_dicom::header::HeaderRecord;
use rusqlite::config::DbConfig;
use rusqlite::types::ToSql;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row};
use serde::Serialize;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Version of the table layout below; bump it when columns change.
pub const SCHEMA_VERSION: i64 = 3;
/// The write-ahead log is copied into the database (a checkpoint: two fsyncs, ~0.1–0.2 s
/// for a 20,000-file scan on this project's machines) only once it holds this many pages
/// (64 MiB of 4 KiB pages), not after every scan. The index is a cache: a power loss
/// before a checkpoint can roll it back to an older consistent state, which the next scan
/// repairs by reading the files again; it never corrupts it (WAL frames are checksummed).
pub const CHECKPOINT_PAGES: u64 = 16_384;
/// How long a scan waits for another scan's write lock on the same index.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// SR Storage SOP classes (PS3.4 B.5; Key Object Selection is not a report and is left out).
pub const SR_SOP_CLASSES: &[&str] = &[
    "1.2.840.10008.5.1.4.1.1.88.11", // Basic Text SR
    "1.2.840.10008.5.1.4.1.1.88.22", // Enhanced SR
    "1.2.840.10008.5.1.4.1.1.88.33", // Comprehensive SR
    "1.2.840.10008.5.1.4.1.1.88.34", // Comprehensive 3D SR
    "1.2.840.10008.5.1.4.1.1.88.35", // Extensible SR
    "1.2.840.10008.5.1.4.1.1.88.40", // Procedure Log
    "1.2.840.10008.5.1.4.1.1.88.50", // Mammography CAD SR
    "1.2.840.10008.5.1.4.1.1.88.65", // Chest CAD SR
    "1.2.840.10008.5.1.4.1.1.88.67", // X-Ray Radiation Dose SR
    "1.2.840.10008.5.1.4.1.1.88.68", // Radiopharmaceutical Radiation Dose SR
    "1.2.840.10008.5.1.4.1.1.88.69", // Colon CAD SR
    "1.2.840.10008.5.1.4.1.1.88.70", // Implantation Plan SR
    "1.2.840.10008.5.1.4.1.1.88.71", // Acquisition Context SR
    "1.2.840.10008.5.1.4.1.1.88.72", // Simplified Adult Echo SR
    "1.2.840.10008.5.1.4.1.1.88.73", // Patient Radiation Dose SR
    "1.2.840.10008.5.1.4.1.1.88.74", // Planned Imaging Agent Administration SR
    "1.2.840.10008.5.1.4.1.1.88.75", // Performed Imaging Agent Administration SR
    "1.2.840.10008.5.1.4.1.1.88.76", // Enhanced X-Ray Radiation Dose SR
];

/// The index location when none is named: `.oncoread/index.sqlite` in the current folder.
pub fn default_index_path() -> PathBuf {
    Path::new(".oncoread").join("index.sqlite")
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    // `cause`, not `source`: the message shows it already, and a `source` would make
    // anyhow's error chain print it twice.
    #[error("index {path}: {cause}")]
    Sqlite {
        path: String,
        cause: rusqlite::Error,
    },
    #[error("index {path}: cannot create its folder: {cause}")]
    Folder { path: String, cause: std::io::Error },
    #[error("index {path}: not an oncoread index of schema {SCHEMA_VERSION} (`oncoread scan` builds it)")]
    NotAnIndex { path: String },
    #[error("index {path}: written by a newer oncoread (schema {found}, this one reads {SCHEMA_VERSION})")]
    NewerSchema { path: String, found: i64 },
}

/// What the index knows of a file: enough to decide whether a re-scan must read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileState {
    pub size: u64,
    pub mtime_ns: i64,
    pub is_problem: bool,
}

/// What the index knows of every file, by path (see [`Index::known_files`]).
pub type KnownFiles = HashMap<String, FileState, BuildHasherDefault<PathHasher>>;

/// A fast hash for the known-files map: a re-scan hashes every path twice, and SipHash's
/// protection against crafted keys is not needed for the user's own file names.
#[derive(Default, Clone, Copy)]
pub struct PathHasher(u64);

impl PathHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for PathHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            self.add(u64::from_le_bytes(w));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The kinds of file problems (the `kind` of the run's problem list).
pub mod problem_kind {
    /// Not readable as DICOM: empty, not DICOM, truncated, malformed, I/O error.
    pub const UNREADABLE_FILE: &str = "unreadable_file";
    /// An attribute the pipeline needs is encoded with a VR that cannot hold it.
    pub const WRONG_VR: &str = "wrong_vr";
    /// An attribute every instance must have (SOP Instance UID, Study Instance UID…) is
    /// absent or empty.
    pub const MISSING_ATTRIBUTE: &str = "missing_attribute";
}

/// A file that could not be indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    /// The problem kind of the run's problem list (`unreadable_file`, `wrong_vr`,
    /// `missing_attribute`).
    pub kind: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct IndexCounts {
    pub instances: u64,
    pub problems: u64,
}

/// The instance columns, in [`HeaderRecord`] order after `path` and `file_size` (which are
/// the `path` and `size` columns).
const RECORD_COLUMNS: &[&str] = &[
    "transfer_syntax_uid",
    "sop_class_uid",
    "sop_instance_uid",
    "study_instance_uid",
    "series_instance_uid",
    "patient_id",
    "patient_name",
    "clinical_trial_subject_id",
    "clinical_trial_time_point_id",
    "clinical_trial_protocol_id",
    "modality",
    "study_date",
    "study_time",
    "series_date",
    "series_time",
    "acquisition_date",
    "acquisition_time",
    "content_date",
    "content_time",
    "series_number",
    "instance_number",
    "frame_of_reference_uid",
    "pixel_spacing_row",
    "pixel_spacing_column",
    "slice_thickness",
    "spacing_between_slices",
    "rows",
    "columns",
    "number_of_frames",
    "position_x",
    "position_y",
    "position_z",
    "orientation_row_x",
    "orientation_row_y",
    "orientation_row_z",
    "orientation_column_x",
    "orientation_column_y",
    "orientation_column_z",
    // Schema 3. New columns go last: `record_from_row` reads them by position.
    "patient_birth_date",
];

fn column_type(column: &str) -> &'static str {
    match column {
        "series_number" | "instance_number" | "rows" | "columns" | "number_of_frames" => "INTEGER",
        c if c.starts_with("pixel_spacing")
            || c.starts_with("position")
            || c.starts_with("orientation")
            || c == "slice_thickness"
            || c == "spacing_between_slices" =>
        {
            "REAL"
        }
        _ => "TEXT",
    }
}

fn create_schema_sql() -> String {
    let columns: Vec<String> = RECORD_COLUMNS
        .iter()
        .map(|c| format!("    {c} {}", column_type(c)))
        .collect();
    format!(
        "CREATE TABLE schema_version (version INTEGER NOT NULL);
         INSERT INTO schema_version (version) VALUES ({SCHEMA_VERSION});
         CREATE TABLE files (
             path TEXT PRIMARY KEY NOT NULL,
             size INTEGER NOT NULL,
             mtime_ns INTEGER NOT NULL,
             -- NULL for an indexed instance; the reason for a problem file
             problem TEXT,
             -- the kind of a problem file (schema 3)
             problem_kind TEXT,
         {}
         );
         CREATE INDEX files_by_sop_instance ON files (sop_instance_uid);
         -- DICOMweb sources: the studies fetched completely, with their instance count
         -- then (a study whose count changes is fetched again).
         CREATE TABLE dicomweb_studies (
             source TEXT NOT NULL,
             study_instance_uid TEXT NOT NULL,
             instances INTEGER NOT NULL,
             PRIMARY KEY (source, study_instance_uid)
         );",
        columns.join(",\n")
    )
}

fn select_records_sql(filter: &str) -> String {
    format!(
        "SELECT path, size, {} FROM files WHERE problem IS NULL{filter} ORDER BY path",
        RECORD_COLUMNS.join(", ")
    )
}

fn upsert_record_sql() -> String {
    let placeholders: Vec<String> = (1..=RECORD_COLUMNS.len() + 3)
        .map(|i| format!("?{i}"))
        .collect();
    format!(
        "INSERT OR REPLACE INTO files (path, size, mtime_ns, problem, {}) VALUES ({}, NULL, {})",
        RECORD_COLUMNS.join(", "),
        placeholders[..3].join(", "),
        placeholders[3..].join(", ")
    )
}

const UPSERT_PROBLEM_SQL: &str = "INSERT OR REPLACE INTO files (path, size, mtime_ns, problem_kind, problem) VALUES (?1, ?2, ?3, ?4, ?5)";

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<HeaderRecord> {
    let size: i64 = row.get(1)?;
    // Columns from 2 on follow RECORD_COLUMNS.
    let c = |i: usize| i + 2;
    let pair = |a: Option<f64>, b: Option<f64>| Some([a?, b?]);
    let position: [Option<f64>; 3] = [row.get(c(29))?, row.get(c(30))?, row.get(c(31))?];
    let mut orientation = [None; 6];
    for (k, slot) in orientation.iter_mut().enumerate() {
        *slot = row.get(c(32 + k))?;
    }
    Ok(HeaderRecord {
        path: row.get(0)?,
        file_size: u64::try_from(size).unwrap_or(0),
        transfer_syntax_uid: row.get(c(0))?,
        sop_class_uid: row.get(c(1))?,
        sop_instance_uid: row.get(c(2))?,
        study_instance_uid: row.get(c(3))?,
        series_instance_uid: row.get(c(4))?,
        patient_id: row.get(c(5))?,
        patient_name: row.get(c(6))?,
        patient_birth_date: row.get(c(38))?,
        clinical_trial_subject_id: row.get(c(7))?,
        clinical_trial_time_point_id: row.get(c(8))?,
        clinical_trial_protocol_id: row.get(c(9))?,
        modality: row.get(c(10))?,
        study_date: row.get(c(11))?,
        study_time: row.get(c(12))?,
        series_date: row.get(c(13))?,
        series_time: row.get(c(14))?,
        acquisition_date: row.get(c(15))?,
        acquisition_time: row.get(c(16))?,
        content_date: row.get(c(17))?,
        content_time: row.get(c(18))?,
        series_number: row.get(c(19))?,
        instance_number: row.get(c(20))?,
        frame_of_reference_uid: row.get(c(21))?,
        pixel_spacing: pair(row.get(c(22))?, row.get(c(23))?),
        slice_thickness: row.get(c(24))?,
        spacing_between_slices: row.get(c(25))?,
        rows: row.get(c(26))?,
        columns: row.get(c(27))?,
        number_of_frames: row.get(c(28))?,
        image_position_patient: (|| Some([position[0]?, position[1]?, position[2]?]))(),
        image_orientation_patient: (|| {
            Some([
                orientation[0]?,
                orientation[1]?,
                orientation[2]?,
                orientation[3]?,
                orientation[4]?,
                orientation[5]?,
            ])
        })(),
    })
}

/// An open index. Reading methods need `&self`; a scan writes through [`Index::begin_write`].
pub struct Index {
    conn: Connection,
    path: PathBuf,
}

impl Index {
    /// Opens the index at `path`, creating it (and its folder) when missing.
    pub fn open(path: &Path) -> Result<Index, IndexError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|cause| IndexError::Folder {
                path: path.display().to_string(),
                cause,
            })?;
        }
        let index = Index {
            conn: Connection::open(path).map_err(|e| sqlite_error(path, e))?,
            path: path.to_path_buf(),
        };
        index.configure().map_err(|e| index.error(e))?;
        index.ensure_schema()?;
        Ok(index)
    }

    /// Opens an existing index for reading only (another stage, or a report tool).
    pub fn open_read_only(path: &Path) -> Result<Index, IndexError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let index = Index {
            conn: Connection::open_with_flags(path, flags).map_err(|e| sqlite_error(path, e))?,
            path: path.to_path_buf(),
        };
        index
            .conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| index.error(e))?;
        match index.schema_version()? {
            Some(SCHEMA_VERSION) => Ok(index),
            Some(found) if found > SCHEMA_VERSION => Err(IndexError::NewerSchema {
                path: path.display().to_string(),
                found,
            }),
            _ => Err(IndexError::NotAnIndex {
                path: path.display().to_string(),
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, source: rusqlite::Error) -> IndexError {
        sqlite_error(&self.path, source)
    }

    fn configure(&self) -> rusqlite::Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL: readers never block on the scan and see only committed states. NORMAL:
        // commits are atomic and the file never corrupt; durable at checkpoints.
        self.conn
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        // Checkpoint rarely (see CHECKPOINT_PAGES), not at every close.
        self.conn.execute_batch(&format!(
            "PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -2000;
             PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES};
             PRAGMA journal_size_limit = {};",
            CHECKPOINT_PAGES * 4096
        ))?;
        self.conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
        Ok(())
    }

    fn schema_version(&self) -> Result<Option<i64>, IndexError> {
        let has_table: bool = self
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
                [],
                |row| row.get::<_, i64>(0).map(|n| n > 0),
            )
            .map_err(|e| self.error(e))?;
        if !has_table {
            return Ok(None);
        }
        self.conn
            .query_row("SELECT max(version) FROM schema_version", [], |row| {
                row.get(0)
            })
            .map_err(|e| self.error(e))
    }

    fn ensure_schema(&self) -> Result<(), IndexError> {
        match self.schema_version()? {
            Some(SCHEMA_VERSION) => Ok(()),
            Some(found) if found > SCHEMA_VERSION => Err(IndexError::NewerSchema {
                path: self.path.display().to_string(),
                found,
            }),
            _ => {
                // Missing or older: the index is a cache, rebuild it.
                let sql = format!(
                    "BEGIN IMMEDIATE;
                     DROP TABLE IF EXISTS files;
                     DROP TABLE IF EXISTS dicomweb_studies;
                     DROP TABLE IF EXISTS schema_version;
                     {}
                     COMMIT;",
                    create_schema_sql()
                );
                self.conn.execute_batch(&sql).map_err(|e| self.error(e))
            }
        }
    }

    /// The state of `path` if the index has it with this size and modification time.
    pub fn lookup_unchanged(
        &self,
        path: &str,
        size: u64,
        mtime_ns: i64,
    ) -> Result<Option<FileState>, IndexError> {
        let state = self
            .conn
            .prepare_cached("SELECT size, mtime_ns, problem IS NOT NULL FROM files WHERE path = ?1")
            .and_then(|mut statement| {
                statement
                    .query_row([path], |row| {
                        Ok(FileState {
                            size: row.get::<_, i64>(0)? as u64,
                            mtime_ns: row.get(1)?,
                            is_problem: row.get(2)?,
                        })
                    })
                    .optional()
            })
            .map_err(|e| self.error(e))?;
        Ok(state.filter(|s| s.size == size && s.mtime_ns == mtime_ns))
    }

    /// Every file the index has, with its state: what a scan compares the walk with.
    pub fn known_files(&self) -> Result<KnownFiles, IndexError> {
        known_files(&self.conn).map_err(|e| self.error(e))
    }

    /// The studies of a DICOMweb source fetched completely, with their instance counts.
    pub fn synced_studies(&self, source: &str) -> Result<HashMap<String, i64>, IndexError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT study_instance_uid, instances FROM dicomweb_studies WHERE source = ?1",
            )
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([source], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }

    /// Starts the single write transaction of a scan (waits for another scan's lock).
    pub fn begin_write(&mut self) -> Result<IndexWriter<'_>, IndexError> {
        let conn = &self.conn;
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.error(e))?;
        let prepared = (|| {
            Ok::<_, rusqlite::Error>((
                conn.prepare(&upsert_record_sql())?,
                conn.prepare(UPSERT_PROBLEM_SQL)?,
                conn.prepare("DELETE FROM files WHERE path = ?1")?,
            ))
        })();
        match prepared {
            Ok((upsert_record, upsert_problem, remove)) => Ok(IndexWriter {
                conn,
                upsert_record,
                upsert_problem,
                remove,
                path: self.path.clone(),
                open: true,
            }),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(self.error(e))
            }
        }
    }

    fn query_records(
        &self,
        filter: &str,
        params: &[&dyn ToSql],
    ) -> Result<Vec<HeaderRecord>, IndexError> {
        let mut statement = self
            .conn
            .prepare_cached(&select_records_sql(filter))
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(params, record_from_row)
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }

    /// All instance records, sorted by path.
    pub fn records(&self) -> Result<Vec<HeaderRecord>, IndexError> {
        self.query_records("", &[])
    }

    /// The instances with this SOP Instance UID, sorted by path (two files can share one:
    /// copies, or re-sent objects).
    pub fn records_by_sop_instance_uid(&self, uid: &str) -> Result<Vec<HeaderRecord>, IndexError> {
        self.query_records(" AND sop_instance_uid = ?1", &[&uid])
    }

    /// Structured reports: Modality SR or one of [`SR_SOP_CLASSES`], sorted by path.
    pub fn sr_records(&self) -> Result<Vec<HeaderRecord>, IndexError> {
        let classes: Vec<String> = SR_SOP_CLASSES.iter().map(|c| format!("'{c}'")).collect();
        let filter = format!(
            " AND (modality = 'SR' OR sop_class_uid IN ({}))",
            classes.join(", ")
        );
        self.query_records(&filter, &[])
    }

    /// Every problem file and its reason, sorted by path.
    pub fn problems(&self) -> Result<Vec<Problem>, IndexError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT path, problem_kind, problem FROM files WHERE problem IS NOT NULL ORDER BY path",
            )
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([], |row| {
                Ok(Problem {
                    path: row.get(0)?,
                    kind: row
                        .get::<_, Option<String>>(1)?
                        .unwrap_or_else(|| problem_kind::UNREADABLE_FILE.to_string()),
                    reason: row.get(2)?,
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }

    /// How many instances and problems the index holds (one consistent snapshot).
    pub fn counts(&self) -> Result<IndexCounts, IndexError> {
        self.conn
            .query_row(
                "SELECT count(*) - count(problem), count(problem) FROM files",
                [],
                |row| {
                    Ok(IndexCounts {
                        instances: row.get::<_, i64>(0)? as u64,
                        problems: row.get::<_, i64>(1)? as u64,
                    })
                },
            )
            .map_err(|e| self.error(e))
    }
}

fn sqlite_error(path: &Path, cause: rusqlite::Error) -> IndexError {
    IndexError::Sqlite {
        path: path.display().to_string(),
        cause,
    }
}

fn known_files(conn: &Connection) -> rusqlite::Result<KnownFiles> {
    let mut statement =
        conn.prepare_cached("SELECT path, size, mtime_ns, problem IS NOT NULL FROM files")?;
    let mut rows = statement.query([])?;
    let mut known = KnownFiles::default();
    while let Some(row) = rows.next()? {
        known.insert(
            row.get(0)?,
            FileState {
                size: row.get::<_, i64>(1)? as u64,
                mtime_ns: row.get(2)?,
                is_problem: row.get(3)?,
            },
        );
    }
    Ok(known)
}

/// The write transaction of one scan, with its statements prepared once (a scan writes
/// tens of thousands of rows). Dropping it without [`IndexWriter::commit`] rolls
/// everything back.
pub struct IndexWriter<'a> {
    conn: &'a Connection,
    upsert_record: rusqlite::Statement<'a>,
    upsert_problem: rusqlite::Statement<'a>,
    remove: rusqlite::Statement<'a>,
    path: PathBuf,
    open: bool,
}

impl Drop for IndexWriter<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl IndexWriter<'_> {
    fn error(&self, source: rusqlite::Error) -> IndexError {
        sqlite_error(&self.path, source)
    }

    /// Every file the index has, read inside this transaction.
    pub fn known_files(&self) -> Result<KnownFiles, IndexError> {
        known_files(self.conn).map_err(|e| self.error(e))
    }

    /// Records an instance (replacing whatever the path had). `size` and `mtime_ns` are
    /// the walk's, compared by the next scan.
    pub fn upsert_record(
        &mut self,
        record: &HeaderRecord,
        size: u64,
        mtime_ns: i64,
    ) -> Result<(), IndexError> {
        let r = record;
        let spacing = r.pixel_spacing.map_or([None; 2], |s| s.map(Some));
        let position = r.image_position_patient.map_or([None; 3], |p| p.map(Some));
        let orientation = r
            .image_orientation_patient
            .map_or([None; 6], |o| o.map(Some));
        let size = size as i64;
        let values: [&dyn ToSql; 42] = [
            &r.path,
            &size,
            &mtime_ns,
            &r.transfer_syntax_uid,
            &r.sop_class_uid,
            &r.sop_instance_uid,
            &r.study_instance_uid,
            &r.series_instance_uid,
            &r.patient_id,
            &r.patient_name,
            &r.clinical_trial_subject_id,
            &r.clinical_trial_time_point_id,
            &r.clinical_trial_protocol_id,
            &r.modality,
            &r.study_date,
            &r.study_time,
            &r.series_date,
            &r.series_time,
            &r.acquisition_date,
            &r.acquisition_time,
            &r.content_date,
            &r.content_time,
            &r.series_number,
            &r.instance_number,
            &r.frame_of_reference_uid,
            &spacing[0],
            &spacing[1],
            &r.slice_thickness,
            &r.spacing_between_slices,
            &r.rows,
            &r.columns,
            &r.number_of_frames,
            &position[0],
            &position[1],
            &position[2],
            &orientation[0],
            &orientation[1],
            &orientation[2],
            &orientation[3],
            &orientation[4],
            &orientation[5],
            &r.patient_birth_date,
        ];
        match self.upsert_record.execute(&values[..]) {
            Ok(_) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Records a problem file with its kind and reason (replacing whatever the path had).
    pub fn upsert_problem(
        &mut self,
        path: &str,
        size: u64,
        mtime_ns: i64,
        kind: &str,
        reason: &str,
    ) -> Result<(), IndexError> {
        match self
            .upsert_problem
            .execute(params![path, size as i64, mtime_ns, kind, reason])
        {
            Ok(_) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Removes the row of a file that disappeared; `true` if there was one.
    pub fn remove(&mut self, path: &str) -> Result<bool, IndexError> {
        match self.remove.execute([path]) {
            Ok(n) => Ok(n > 0),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Marks a study of a DICOMweb source as fetched completely with `instances` instances.
    pub fn set_study_synced(
        &mut self,
        source: &str,
        study_instance_uid: &str,
        instances: i64,
    ) -> Result<(), IndexError> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO dicomweb_studies (source, study_instance_uid, instances)
                 VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![source, study_instance_uid, instances]))
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// Makes the scan's writes visible to readers, all at once.
    pub fn commit(mut self) -> Result<(), IndexError> {
        self.open = false;
        self.conn
            .execute_batch("COMMIT")
            .map_err(|e| sqlite_error(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn record_round_trips_through_the_index() -> TestResult {
        let dir = std::env::temp_dir().join(format!("oncoread-index-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("sub/index.sqlite");
        let mut index = Index::open(&path)?;
        let record = HeaderRecord {
            path: "a/b.dcm".into(),
            file_size: 1234,
            transfer_syntax_uid: Some("1.2.840.10008.1.2".into()),
            sop_class_uid: Some(SR_SOP_CLASSES[2].into()),
            sop_instance_uid: Some("1.2.3".into()),
            patient_name: Some("Müller^Ä".into()),
            patient_birth_date: Some("19600229".into()),
            series_number: Some(-3),
            pixel_spacing: Some([0.1, 0.30000000000000004]),
            rows: Some(65535),
            number_of_frames: Some(7),
            image_position_patient: Some([1.0, -2.5, 1e-300]),
            image_orientation_patient: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            ..Default::default()
        };
        let mut writer = index.begin_write()?;
        writer.upsert_record(&record, 1234, 99)?;
        writer.upsert_problem("c.txt", 5, 100, "unreadable_file", "not DICOM")?;
        writer.commit()?;

        assert_eq!(index.records()?, vec![record.clone()]);
        assert_eq!(index.sr_records()?.len(), 1);
        assert_eq!(index.records_by_sop_instance_uid("1.2.3")?.len(), 1);
        assert!(index.records_by_sop_instance_uid("9")?.is_empty());
        assert_eq!(
            index.problems()?,
            vec![Problem {
                path: "c.txt".into(),
                kind: "unreadable_file".into(),
                reason: "not DICOM".into()
            }]
        );
        assert_eq!(
            index.lookup_unchanged("a/b.dcm", 1234, 99)?,
            Some(FileState {
                size: 1234,
                mtime_ns: 99,
                is_problem: false
            })
        );
        assert_eq!(index.lookup_unchanged("a/b.dcm", 1234, 98)?, None);
        assert_eq!(
            index.counts()?,
            IndexCounts {
                instances: 1,
                problems: 1
            }
        );
        drop(index);
        let reader = Index::open_read_only(&path)?;
        assert_eq!(reader.records()?, vec![record]);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
