//! One run per output folder at a time, and no debris from a run that was killed.
//!
//! The lock is an advisory exclusive lock (`flock`) on `.oncoread.lock` in the output
//! folder, held for the whole run: the kernel releases it when the process ends however it
//! ends, so a run killed with SIGKILL never leaves a stale lock. While holding it, the
//! run removes the temporary files (`.NAME.PID.tmp`) a killed run left behind: outputs
//! are written to those and renamed into place, so they are never a finished output.

use anyhow::{bail, Context, Result};
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

/// The lock file's name inside the output folder.
pub const LOCK_FILE: &str = ".oncoread.lock";

/// Held while the run writes into its output folder; dropping it releases the lock.
pub struct OutputLock {
    _file: File,
}

/// Creates `out` if needed, takes its lock and clears a killed run's temporary files.
///
/// # Errors
///
/// When another process holds the lock (the message names the folder), or when the
/// folder or the lock file cannot be created.
pub fn lock_output_folder(out: &Path) -> Result<OutputLock> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create the folder", out.display()))?;
    let path = out.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("{}: cannot create the lock file", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => bail!(
            "{}: another oncoread run is writing into this folder (it holds {}); \
             wait for it to finish or choose another --out",
            out.display(),
            path.display()
        ),
        Err(TryLockError::Error(error)) => {
            return Err(error).with_context(|| format!("{}: cannot lock", path.display()))
        }
    }
    for stale in stale_temporary_files(out)? {
        std::fs::remove_file(&stale)
            .with_context(|| format!("{}: cannot remove a killed run's file", stale.display()))?;
    }
    Ok(OutputLock { _file: file })
}

/// `.NAME.PID.tmp` files anywhere under `out`: what atomic writers leave when killed.
fn stale_temporary_files(out: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut folders = vec![out.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("{}: cannot list", folder.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("{}: cannot list", folder.display()))?;
            let kind = entry
                .file_type()
                .with_context(|| format!("{}: cannot stat", entry.path().display()))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if kind.is_dir() {
                folders.push(entry.path());
            } else if kind.is_file() && is_temporary_name(&name) {
                found.push(entry.path());
            }
        }
    }
    Ok(found)
}

/// `.report.html.12345.tmp`: a dot, a name, a process id, `.tmp`.
fn is_temporary_name(name: &str) -> bool {
    let Some(inner) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    inner.rsplit_once('.').is_some_and(|(file, pid)| {
        !file.is_empty() && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_recognised_and_outputs_are_not() {
        assert!(is_temporary_name(".report.html.4242.tmp"));
        assert!(is_temporary_name(".timeline.json.1.tmp"));
        assert!(!is_temporary_name("report.html"));
        assert!(!is_temporary_name(".oncoread.lock"));
        assert!(!is_temporary_name("notes.tmp"));
        assert!(!is_temporary_name(".notes.tmp"));
        assert!(!is_temporary_name(".a.b.tmp"));
    }
}
