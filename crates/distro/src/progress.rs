//! Progress reporting on stderr: an `indicatif` bar on a terminal, a few plain lines
//! otherwise, nothing when not asked for.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

const BAR_TEMPLATE: &str =
    "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}";
const SPINNER_TEMPLATE: &str = "{spinner} {msg} {binary_bytes} {binary_bytes_per_sec}";

/// Reports the progress of one byte-counted step (a download or an extraction).
pub(crate) enum Progress {
    /// Report nothing.
    Hidden,
    /// An interactive bar or spinner.
    Bar(ProgressBar),
    /// Plain lines: at the start, at every 25%, at the end.
    Lines {
        label: String,
        total: Option<u64>,
        done: u64,
        next_quarter: u64,
        started: Instant,
    },
}

impl Progress {
    /// Starts reporting `label` (e.g. "downloading pyspark-4.3.0.tar.gz") over `total` bytes
    /// when known. `enabled = false` reports nothing.
    pub(crate) fn start(enabled: bool, label: &str, total: Option<u64>) -> Self {
        if !enabled {
            return Self::Hidden;
        }
        if std::io::stderr().is_terminal() {
            let bar = match total {
                Some(t) => ProgressBar::new(t).with_style(
                    ProgressStyle::with_template(BAR_TEMPLATE)
                        .map(|s| s.progress_chars("=> "))
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                ),
                None => ProgressBar::new_spinner().with_style(
                    ProgressStyle::with_template(SPINNER_TEMPLATE)
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                ),
            };
            bar.set_message(label.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            return Self::Bar(bar);
        }
        match total {
            Some(t) => eprintln!("{label} ({})", human_bytes(t)),
            None => eprintln!("{label} ..."),
        }
        Self::Lines {
            label: label.to_string(),
            total,
            done: 0,
            next_quarter: 1,
            started: Instant::now(),
        }
    }

    /// Records `n` more bytes done.
    pub(crate) fn inc(&mut self, n: u64) {
        match self {
            Self::Hidden => {}
            Self::Bar(bar) => bar.inc(n),
            Self::Lines {
                label,
                total,
                done,
                next_quarter,
                ..
            } => {
                *done += n;
                if let Some(t) = *total {
                    while *next_quarter < 4 && t > 0 && *done * 4 >= t * *next_quarter {
                        eprintln!(
                            "{label}: {}% ({} of {})",
                            *next_quarter * 25,
                            human_bytes(*done),
                            human_bytes(t)
                        );
                        *next_quarter += 1;
                    }
                }
            }
        }
    }

    /// Ends the report with `message` (e.g. "downloaded pyspark-4.3.0.tar.gz").
    pub(crate) fn finish(self, message: &str) {
        match self {
            Self::Hidden => {}
            Self::Bar(bar) => {
                bar.finish_and_clear();
                eprintln!("{message}");
            }
            Self::Lines { done, started, .. } => {
                let secs = started.elapsed().as_secs_f64();
                eprintln!("{message} ({} in {secs:.1} s)", human_bytes(done));
            }
        }
    }

    /// Ends the report without a message (on failure).
    pub(crate) fn abandon(self) {
        if let Self::Bar(bar) = self {
            bar.abandon();
        }
    }
}

/// `1234567` → `1.2 MiB` (binary units, as the interactive bar shows them).
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_sizes() {
        let cases = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (455_910_862, "434.8 MiB"),
            (3 << 30, "3.0 GiB"),
        ];
        for (n, want) in cases {
            assert_eq!(human_bytes(n), want, "{n}");
        }
    }
}
