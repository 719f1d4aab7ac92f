//! Writing a file atomically: a temporary sibling in the same folder, synced, then renamed
//! over the target, so a reader never sees half a report.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::ReportError;

pub fn write_file(target: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    // A device or named pipe (e.g. /dev/null) is written in place: a rename over it would
    // replace it with a plain file.
    let special = std::fs::metadata(target).is_ok_and(|m| !m.is_file() && !m.is_dir());
    if special {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(target)
            .map_err(|source| ReportError::Io {
                path: target.to_path_buf(),
                source,
            })?;
        return file.write_all(bytes).map_err(|source| ReportError::Io {
            path: target.to_path_buf(),
            source,
        });
    }
    let temp = temp_path(target);
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    let result = (|| {
        let mut file = std::fs::File::create(&temp).map_err(io_error(&temp))?;
        file.write_all(bytes).map_err(io_error(&temp))?;
        file.sync_all().map_err(io_error(&temp))?;
        std::fs::rename(&temp, target).map_err(io_error(target))
    })();
    if result.is_err() {
        // Best effort: the error that matters is the one returned.
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// `.name.<pid>.tmp` beside the target: the same folder, so the rename stays atomic; the
/// process id keeps two concurrent writers apart.
fn temp_path(target: &Path) -> PathBuf {
    let file_name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn writes_the_bytes_and_leaves_no_temporary_file() -> TestResult {
        let dir =
            std::env::temp_dir().join(format!("oncoread-report-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let target = dir.join("a.csv");
        write_file(&target, b"first")?;
        write_file(&target, b"second")?;
        assert_eq!(std::fs::read(&target)?, b"second");
        assert!(!temp_path(&target).exists());
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_path() -> TestResult {
        let target = std::env::temp_dir()
            .join(format!("oncoread-report-missing-{}", std::process::id()))
            .join("a.csv");
        let error = write_file(&target, b"x")
            .err()
            .ok_or("writing into a missing folder should fail")?
            .to_string();
        assert!(error.contains("oncoread-report-missing"), "{error}");
        Ok(())
    }
}
