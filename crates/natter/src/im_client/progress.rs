//! What `natter im` prints: every line goes through [`line()`] (the `say!`
//! macro), so that while a transfer shows its progress bar at the bottom of
//! a terminal, chat lines are printed above it rather than through it.
//!
//! At a terminal the bar is an `indicatif` bar drawn on standard output.
//! Elsewhere (a pipe, a file) there is no bar: a transfer prints its first
//! and last lines and, if it is slow, a plain progress line now and then.

use std::io::{self, IsTerminal};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar on the screen, if any (one transfer runs at a time).
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// How often a plain progress line is printed when there is no bar.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// The longest label shown, in characters.
const LABEL_CHARS: usize = 32;

fn bar() -> MutexGuard<'static, Option<ProgressBar>> {
    BAR.lock().unwrap_or_else(|e| e.into_inner())
}

/// Prints `text` and a newline on standard output, above the progress bar
/// if one is shown.
pub(super) fn line(text: &str) {
    let bar = bar();
    match bar.as_ref() {
        Some(b) => b.suspend(|| println!("{text}")),
        None => println!("{text}"),
    }
}

/// Takes the bar off the screen, for a message on the way out.
pub(super) fn clear() {
    if let Some(b) = bar().take() {
        b.finish_and_clear();
    }
}

/// The progress of one transfer (or of hashing a file): a bar at a
/// terminal, occasional plain lines elsewhere. The bar goes away when this
/// is dropped.
pub(super) struct Progress {
    label: String,
    total: u64,
    bar: Option<ProgressBar>,
    /// When a plain line was last printed (or the transfer started).
    said: Instant,
}

impl Progress {
    /// Starts showing `label` (e.g. `getting report.pdf`) at `pos` of
    /// `total` bytes.
    pub(super) fn new(label: &str, total: u64, pos: u64) -> Progress {
        let label = shorten(label);
        let bar = io::stdout().is_terminal().then(|| {
            let style = ProgressStyle::with_template(
                "{prefix} [{wide_bar}] {percent:>3}% {binary_bytes}/{binary_total_bytes} \
                 {binary_bytes_per_sec} {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stdout())
                .with_style(style)
                .with_prefix(label.clone())
                .with_position(pos);
            *self::bar() = Some(bar.clone());
            // The rate counts from here, not from 0: the bytes a resumed
            // transfer already had were not moved now.
            bar.tick();
            bar.reset_eta();
            bar
        });
        Progress {
            label,
            total,
            bar,
            said: Instant::now(),
        }
    }

    /// Moves to `pos` bytes.
    pub(super) fn set(&mut self, pos: u64) {
        match &self.bar {
            Some(bar) => bar.set_position(pos),
            None if self.said.elapsed() >= PLAIN_EVERY => {
                self.said = Instant::now();
                line(&format!(
                    "… {}: {}% ({} of {} bytes)",
                    self.label,
                    percent(pos, self.total),
                    pos,
                    self.total
                ));
            }
            None => {}
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(ours) = self.bar.take() {
            // Cleared under the lock, so that no line is printed between.
            let mut shown = bar();
            *shown = None;
            ours.finish_and_clear();
        }
    }
}

/// `pos` as a whole percentage of `total` (rounded down; 100 when `total`
/// is 0).
pub(super) fn percent(pos: u64, total: u64) -> u64 {
    if total == 0 {
        100
    } else {
        (u128::from(pos.min(total)) * 100 / u128::from(total)) as u64
    }
}

/// `label` cut to [`LABEL_CHARS`] characters, with `…` where it was cut.
fn shorten(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return label.to_string();
    }
    let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
    s.push('…');
    s
}
