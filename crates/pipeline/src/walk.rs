//! Folder walk: every regular file under the given paths, with size and modification
//! time, in a deterministic order (depth first, names sorted byte-wise).
//!
//! Symbolic links are followed (an archive assembled with links is common); a directory
//! reached twice through links (a loop or a duplicate) is walked once. A directory that
//! cannot be read, or an entry that is not a regular file, becomes a [`WalkProblem`] so
//! that nothing found is silently dropped.

use std::collections::HashSet;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

/// One regular file found by the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkEntry {
    pub path: PathBuf,
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch (negative before it).
    pub mtime_ns: i64,
}

/// An entry the walk found but could not list or that is not a regular file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkProblem {
    pub path: PathBuf,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Walk {
    pub entries: Vec<WalkEntry>,
    pub problems: Vec<WalkProblem>,
}

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("{}: {cause}", path.display())]
    Root {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// Nanoseconds since the Unix epoch of a file's modification time (0 when unknown).
pub fn mtime_ns(metadata: &fs::Metadata) -> i64 {
    let Ok(modified) = metadata.modified() else {
        return 0;
    };
    match modified.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_nanos()).unwrap_or(i64::MAX),
    }
}

/// `dir/`, `./dir` and `dir` name the same folder: drop trailing separators, doubled
/// separators and `.` components, so that the indexed paths (and the "under this root"
/// test for removals) do not depend on them. `.` alone stays `.`; its files are indexed
/// without a `./` prefix. Absolute and relative spellings stay different keys.
pub fn normalise_root(root: &Path) -> PathBuf {
    let path: PathBuf = root
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if path.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        path
    }
}

/// The path of `name` in folder `dir` as indexed (no `./` prefix for the current folder).
fn child_path(dir: &Path, name: &std::ffi::OsStr) -> PathBuf {
    if dir == Path::new(".") {
        PathBuf::from(name)
    } else {
        dir.join(name)
    }
}

/// How many files a batch of [`walk_batches`] holds at most.
pub const BATCH: usize = 64;

/// The roots to walk: normalised, checked to exist (else [`WalkError`], bad usage), and
/// without roots that lie under another root (they would list files twice).
pub fn prepare_roots(roots: &[PathBuf]) -> Result<Vec<(PathBuf, fs::Metadata)>, WalkError> {
    let mut prepared: Vec<(PathBuf, fs::Metadata)> = Vec::new();
    for root in roots {
        let metadata = fs::metadata(root).map_err(|cause| WalkError::Root {
            path: root.clone(),
            cause,
        })?;
        prepared.push((normalise_root(root), metadata));
    }
    let paths: Vec<PathBuf> = prepared.iter().map(|(p, _)| p.clone()).collect();
    let mut kept = Vec::new();
    for (i, (root, metadata)) in prepared.into_iter().enumerate() {
        // Inside another root, or the same as an earlier one.
        let covered = paths
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && root.starts_with(other) && (other != &root || j < i));
        if !covered {
            kept.push((root, metadata));
        }
    }
    Ok(kept)
}

/// Walks `roots` (files or folders) and collects everything. A root that does not exist
/// or cannot be read is an error (bad usage); everything below a root is a file or a
/// problem.
pub fn walk(roots: &[PathBuf]) -> Result<Walk, WalkError> {
    let mut all = Walk::default();
    walk_batches(roots, |batch| {
        all.entries.extend(batch.entries);
        all.problems.extend(batch.problems);
        true
    })?;
    Ok(all)
}

/// Walks `roots`, handing over the findings in batches of at most [`BATCH`] files, in walk
/// order, as they are found (so that reading can start before the walk ends). `on_batch`
/// returns `false` to stop the walk early.
pub fn walk_batches(
    roots: &[PathBuf],
    on_batch: impl FnMut(Walk) -> bool,
) -> Result<(), WalkError> {
    let roots = prepare_roots(roots)?;
    let mut walker = Walker {
        batch: Walk::default(),
        visited: HashSet::new(),
        on_batch,
        stopped: false,
    };
    for (root, metadata) in roots {
        if metadata.is_dir() {
            walker.directory(&root, &metadata);
        } else {
            walker.entry(root, &metadata);
        }
    }
    walker.flush();
    Ok(())
}

struct Walker<F> {
    batch: Walk,
    /// Directories entered, by (device, inode), so link loops end.
    visited: HashSet<(u64, u64)>,
    on_batch: F,
    stopped: bool,
}

#[cfg(unix)]
fn identity(metadata: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn identity(_metadata: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

impl<F: FnMut(Walk) -> bool> Walker<F> {
    fn flush(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        let empty = batch.entries.is_empty() && batch.problems.is_empty();
        if !self.stopped && !empty {
            self.stopped = !(self.on_batch)(batch);
        }
    }

    fn push(&mut self, entry: Option<WalkEntry>, problem: Option<WalkProblem>) {
        self.batch.entries.extend(entry);
        self.batch.problems.extend(problem);
        if self.batch.entries.len() + self.batch.problems.len() >= BATCH {
            self.flush();
        }
    }

    fn problem(&mut self, path: PathBuf, reason: String) {
        self.push(None, Some(WalkProblem { path, reason }));
    }

    fn entry(&mut self, path: PathBuf, metadata: &fs::Metadata) {
        if metadata.is_file() {
            let entry = WalkEntry {
                path,
                size: metadata.len(),
                mtime_ns: mtime_ns(metadata),
            };
            self.push(Some(entry), None);
        } else {
            self.problem(path, "not a regular file (device, socket or pipe)".into());
        }
    }

    fn directory(&mut self, dir: &Path, metadata: &fs::Metadata) {
        if self.stopped {
            return;
        }
        if let Some(id) = identity(metadata) {
            if !self.visited.insert(id) {
                return; // reached again through a link
            }
        }
        let reader = match fs::read_dir(dir) {
            Ok(reader) => reader,
            Err(e) => return self.problem(dir.to_path_buf(), format!("cannot list: {e}")),
        };
        let mut children = Vec::new();
        for entry in reader {
            match entry {
                Ok(entry) => children.push((entry.file_name(), entry)),
                Err(e) => return self.problem(dir.to_path_buf(), format!("cannot list: {e}")),
            }
        }
        children.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (name, child) in children {
            if self.stopped {
                return;
            }
            let path = child_path(dir, &name);
            let file_type = match child.file_type() {
                Ok(t) => t,
                Err(e) => {
                    self.problem(path, format!("cannot stat: {e}"));
                    continue;
                }
            };
            // Plain files and folders: one stat (or none for folders on most systems).
            let metadata = if file_type.is_symlink() {
                fs::metadata(&path)
            } else {
                child.metadata()
            };
            let metadata = match metadata {
                Ok(m) => m,
                Err(e) => {
                    self.problem(path, format!("cannot stat: {e}"));
                    continue;
                }
            };
            if metadata.is_dir() {
                self.directory(&path, &metadata);
            } else {
                self.entry(path, &metadata);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn temp_dir(name: &str) -> std::io::Result<PathBuf> {
        let dir = std::env::temp_dir().join(format!("oncoread-walk-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    #[test]
    fn sorted_recursive_and_loop_safe() -> TestResult {
        let dir = temp_dir("loop")?;
        fs::create_dir_all(dir.join("b/inner"))?;
        fs::create_dir_all(dir.join("a"))?;
        fs::write(dir.join("b/inner/2.dcm"), b"x")?;
        fs::write(dir.join("b/1.dcm"), b"xy")?;
        fs::write(dir.join("a/z"), b"")?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(&dir, dir.join("b/inner/loop"))?;
        let walk = walk(std::slice::from_ref(&dir))?;
        let names: Vec<_> = walk
            .entries
            .iter()
            .map(|e| e.path.strip_prefix(&dir).map(Path::to_path_buf))
            .collect::<Result<_, _>>()?;
        assert_eq!(
            names,
            [
                PathBuf::from("a/z"),
                "b/1.dcm".into(),
                "b/inner/2.dcm".into()
            ]
        );
        assert_eq!(walk.entries[1].size, 2);
        assert!(walk.problems.is_empty(), "{:?}", walk.problems);
        fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn roots_are_normalised() -> TestResult {
        for (given, expected) in [
            ("a/b/", "a/b"),
            ("./a//b", "a/b"),
            (".", "."),
            ("./", "."),
            ("/x/./y", "/x/y"),
        ] {
            assert_eq!(normalise_root(Path::new(given)), PathBuf::from(expected));
        }
        assert_eq!(
            child_path(Path::new("."), "f.dcm".as_ref()),
            PathBuf::from("f.dcm")
        );
        Ok(())
    }

    #[test]
    fn missing_root_is_an_error_and_trailing_slash_is_ignored() -> TestResult {
        assert!(walk(&[PathBuf::from("/definitely/not/here")]).is_err());
        let dir = temp_dir("slash")?;
        fs::write(dir.join("f"), b"1")?;
        let with_slash = PathBuf::from(format!("{}/", dir.display()));
        let walk = walk(&[with_slash, dir.clone()])?;
        assert_eq!(walk.entries.len(), 1);
        assert_eq!(walk.entries[0].path, dir.join("f"));
        fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
