//! Writing outputs atomically (temp file + rename), or to standard output for `-`.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Writes through `write` to `target` (`-` is standard output). A file is written to a
/// temporary sibling first and renamed into place, so readers never see half a file.
pub fn write_atomically(
    target: &str,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    if target == "-" {
        let stdout = std::io::stdout();
        let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
        write(&mut out)?;
        out.flush().context("writing to standard output")?;
        return Ok(());
    }
    let mut file = AtomicFile::create(target)?;
    write(file.writer())?;
    file.commit()
}

/// A file written to a temporary sibling and renamed into place, synced, by
/// [`AtomicFile::commit`]. Dropped without a commit, the temporary file is removed.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    out: BufWriter<File>,
    syncer: Option<Syncer>,
}

/// Whether `target` exists and is neither a regular file nor a folder: a device such as
/// `/dev/null`, or a named pipe. Those are written in place: renaming a temporary file
/// over them would replace the device with a plain file.
pub fn is_special_file(target: &str) -> bool {
    std::fs::metadata(target)
        .map(|m| !m.is_file() && !m.is_dir())
        .unwrap_or(false)
}

impl AtomicFile {
    /// Creates the temporary file (and the target's folders). A device or named pipe is
    /// opened and written in place instead (see [`is_special_file`]).
    pub fn create(target: &str) -> Result<Self> {
        let path = Path::new(target);
        if is_special_file(target) {
            let file = File::options()
                .write(true)
                .open(path)
                .with_context(|| format!("opening {target}"))?;
            return Ok(AtomicFile {
                target: path.to_path_buf(),
                temp: PathBuf::new(),
                out: BufWriter::with_capacity(1 << 20, file),
                syncer: None,
            });
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating the folder {}", parent.display()))?;
        }
        let file_name = path
            .file_name()
            .with_context(|| format!("{target}: not a file path"))?
            .to_string_lossy();
        let temp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
        // Readable too: the streaming assessment may read back what it wrote.
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)
            .with_context(|| format!("creating {}", temp.display()))?;
        Ok(AtomicFile {
            target: path.to_path_buf(),
            temp,
            out: BufWriter::with_capacity(1 << 20, file),
            syncer: None,
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.out
    }

    /// Syncs what has been written so far every quarter second from a helper thread, so
    /// the disk works while the caller computes instead of all at once in [`commit`]
    /// (for a large file written over seconds; the helper mostly waits on the disk).
    ///
    /// [`commit`]: AtomicFile::commit
    pub fn sync_in_background(&mut self) -> Result<()> {
        if self.syncer.is_none() {
            let file = self
                .writer()
                .get_ref()
                .try_clone()
                .context("syncing in the background")?;
            self.syncer = Some(Syncer::start(file, Duration::from_millis(250)));
        }
        Ok(())
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> Result<()> {
        if let Some(syncer) = self.syncer.take() {
            syncer.stop();
        }
        self.out
            .flush()
            .with_context(|| format!("writing {}", self.temp.display()))?;
        let file = self.out.get_ref();
        if self.temp.as_os_str().is_empty() {
            return Ok(()); // written in place (a device or a named pipe)
        }
        file.sync_all()
            .with_context(|| format!("syncing {}", self.temp.display()))?;
        std::fs::rename(&self.temp, &self.target)
            .with_context(|| format!("renaming into {}", self.target.display()))?;
        self.temp = PathBuf::new();
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(syncer) = self.syncer.take() {
            syncer.stop();
        }
        // Uncommitted: remove the temporary file (still open here, which Unix allows; the
        // descriptor closes right after).
        if !self.temp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// A helper thread calling `sync_data` on a file at an interval until stopped.
struct Syncer {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Syncer {
    fn start(file: File, every: Duration) -> Syncer {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                // Errors surface in the final sync_all of commit.
                let _ = file.sync_data();
            }
        });
        Syncer { stop, thread }
    }

    fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}
