//! A one-line progress display on standard error while a long stage runs; silent when
//! standard error is not a terminal (logs of nightly jobs stay clean).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the line is redrawn.
const REDRAW: Duration = Duration::from_millis(150);

pub struct Progress {
    stop: Arc<AtomicBool>,
    drawer: Option<JoinHandle<()>>,
}

impl Progress {
    /// Shows `label` with the elapsed time and, when `counts` gives `(stage, done, total)`,
    /// that stage's name and counts, until [`Progress::finish`].
    pub fn start(
        label: &'static str,
        counts: impl Fn() -> Option<(&'static str, u64, u64)> + Send + 'static,
    ) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return Progress { stop, drawer: None };
        }
        let stopped = Arc::clone(&stop);
        let drawer = std::thread::spawn(move || {
            let started = Instant::now();
            while !stopped.load(Ordering::Relaxed) {
                let elapsed = started.elapsed().as_secs_f64();
                let line = match counts() {
                    Some((stage, done, total)) if total > 0 => {
                        let width = 30;
                        let filled = (done.min(total) * width / total) as usize;
                        format!(
                            "{stage:<8} [{}{}] {done}/{total}  {elapsed:.1} s",
                            "#".repeat(filled),
                            " ".repeat(width as usize - filled)
                        )
                    }
                    _ => format!("{label:<8} {elapsed:.1} s"),
                };
                let mut err = std::io::stderr().lock();
                // Errors writing a progress line are not worth failing the run for.
                let _ = write!(err, "\r\x1b[2K{line}");
                let _ = err.flush();
                drop(err);
                std::thread::sleep(REDRAW);
            }
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        });
        Progress {
            stop,
            drawer: Some(drawer),
        }
    }

    /// A display with the elapsed time only.
    pub fn spinner(label: &'static str) -> Progress {
        Progress::start(label, || None)
    }

    /// Clears the line.
    pub fn finish(mut self) {
        self.stop_drawing();
    }

    fn stop_drawing(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(drawer) = self.drawer.take() {
            let _ = drawer.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop_drawing();
    }
}
