//! Folder walk: every regular file under the given paths, with size and modification
//! time, in a deterministic order (depth first, names sorted byte-wise).
//!
//! Symbolic links are followed (an archive assembled with links is common); a directory
//! reached twice through links (a loop or a duplicate) is walked once. A directory that
//! cannot be read, or an entry that is not a regular file, becomes a [`WalkProblem`] so
//! that nothing found is silently dropped.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
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
    #[error("{}: {source}", path.display())]
    Root {
        path: PathBuf,
        #[source]
        source: std::io::Error,
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

/// Walks `roots` (files or folders). A root that does not exist or cannot be read is an
/// error (bad usage); everything below a root is a file or a problem. Files named by
/// several roots are listed once.
pub fn walk(roots: &[PathBuf]) -> Result<Walk, WalkError> {
    let mut walker = Walker::default();
    for root in roots {
        let metadata = fs::metadata(root).map_err(|source| WalkError::Root {
            path: root.clone(),
            source,
        })?;
        let root = normalise_root(root);
        if metadata.is_dir() {
            walker.directory(&root, &metadata);
        } else {
            walker.entry(root, &metadata);
        }
    }
    let mut walk = walker.walk;
    // Overlapping roots list a file twice: keep the first.
    if roots.len() > 1 {
        let mut seen = HashSet::new();
        walk.entries.retain(|e| seen.insert(e.path.clone()));
        let mut seen = HashSet::new();
        walk.problems.retain(|p| seen.insert(p.path.clone()));
    }
    Ok(walk)
}

/// `dir/` and `dir` name the same folder: drop trailing separators so that the indexed
/// paths (and the "under this root" test for removals) do not depend on them.
pub fn normalise_root(root: &Path) -> PathBuf {
    root.components().collect()
}

#[derive(Default)]
struct Walker {
    walk: Walk,
    /// Directories entered, by (device, inode), so link loops end.
    visited: HashSet<(u64, u64)>,
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

impl Walker {
    fn problem(&mut self, path: PathBuf, reason: String) {
        self.walk.problems.push(WalkProblem { path, reason });
    }

    fn entry(&mut self, path: PathBuf, metadata: &fs::Metadata) {
        if metadata.is_file() {
            self.walk.entries.push(WalkEntry {
                path,
                size: metadata.len(),
                mtime_ns: mtime_ns(metadata),
            });
        } else {
            self.problem(path, "not a regular file (device, socket or pipe)".into());
        }
    }

    fn directory(&mut self, dir: &Path, metadata: &fs::Metadata) {
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
        for (_, child) in children {
            let path = child.path();
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

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("oncoread-walk-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn sorted_recursive_and_loop_safe() {
        let dir = temp_dir("loop");
        fs::create_dir_all(dir.join("b/inner")).unwrap();
        fs::create_dir_all(dir.join("a")).unwrap();
        fs::write(dir.join("b/inner/2.dcm"), b"x").unwrap();
        fs::write(dir.join("b/1.dcm"), b"xy").unwrap();
        fs::write(dir.join("a/z"), b"").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&dir, dir.join("b/inner/loop")).unwrap();
        let walk = walk(&[dir.clone()]).unwrap();
        let names: Vec<_> = walk
            .entries
            .iter()
            .map(|e| e.path.strip_prefix(&dir).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            names,
            [PathBuf::from("a/z"), "b/1.dcm".into(), "b/inner/2.dcm".into()]
        );
        assert_eq!(walk.entries[1].size, 2);
        assert!(walk.problems.is_empty(), "{:?}", walk.problems);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_root_is_an_error_and_trailing_slash_is_ignored() {
        assert!(walk(&[PathBuf::from("/definitely/not/here")]).is_err());
        let dir = temp_dir("slash");
        fs::write(dir.join("f"), b"1").unwrap();
        let with_slash = PathBuf::from(format!("{}/", dir.display()));
        let walk = walk(&[with_slash, dir.clone()]).unwrap();
        assert_eq!(walk.entries.len(), 1);
        assert_eq!(walk.entries[0].path, dir.join("f"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
