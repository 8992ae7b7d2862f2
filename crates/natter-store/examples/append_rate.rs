//! How many history messages per second [`Store::append_messages`] commits.
//!
//! Opens a fresh store (WAL, `synchronous = FULL`, the schema and indexes
//! natter uses) on a temporary file, then appends N messages in batches,
//! one transaction and so one commit (an fsync of the WAL) per batch, as
//! the server's history writer does (`BATCH` = 4096 there). Each batch size
//! gets its own new file; the sizes are run in turn, `--rounds` times
//! (a batch of 1, a commit per message, only appends the first 20,000).
//! Building the messages is not timed; everything else (SQLite, the index
//! updates, the commits) is. Messages carry 64 bytes of text (`--size`),
//! a msgid like the server's and go to 8 channels in turn (`--channels`;
//! with many, each message's index entry lands on a page of its own, as
//! in the rooms benchmark's 500). Besides the rates it prints the CPU the
//! process spent per message, user and system, in microseconds (from
//! /proc/self/stat, in clock ticks: use enough messages).
//!
//! ```text
//! cargo run --release -p natter-store --example append_rate -- \
//!     [--messages 500000] [--batches 1,64,512,4096] [--rounds 3] [--size 64] \
//!     [--channels 8] [--dir DIR]
//! ```
//!
//! `--dir` puts the files under DIR instead of the system's temporary
//! directory (the disk matters: every commit waits for its fsync).

use std::time::Instant;

use natter_store::{Store, StoredMessage};

fn main() {
    let mut messages = 500_000usize;
    let mut batches = vec![1usize, 64, 512, 4096];
    let mut rounds = 3usize;
    let mut size = 64usize;
    let mut channels = 8usize;
    let mut dir: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--messages" => messages = value.parse().expect("--messages N"),
            "--batches" => {
                batches = value
                    .split(',')
                    .map(|b| b.parse().expect("--batches 64,512"))
                    .collect()
            }
            "--rounds" => rounds = value.parse().expect("--rounds N"),
            "--size" => size = value.parse().expect("--size BYTES"),
            "--channels" => channels = value.parse().expect("--channels N"),
            "--dir" => dir = Some(value),
            _ => panic!("unknown flag {flag}"),
        }
    }
    let text = "x".repeat(size);
    let all: Vec<StoredMessage> = (0..messages)
        .map(|i| StoredMessage {
            target: format!("#bench{}", i % channels),
            shown: format!("#bench{}", i % channels),
            msgid: format!("187a3c0e5d2f9b40-{:x}", i + 1),
            at_ms: 1_800_000_000_000 + (i / 50) as i64,
            kind: "PRIVMSG".into(),
            source: format!("b{0}!b{0}@127.0.0.1", i % 4),
            account: None,
            text: text.clone(),
            tags: String::new(),
        })
        .collect();
    println!("{messages} messages of {size} bytes of text per run");
    println!("round  batch  commits  seconds  messages/s  commits/s  file MiB  user µs  sys µs");
    for round in 1..=rounds {
        for &batch in &batches {
            let n = if batch == 1 {
                messages.min(20_000)
            } else {
                messages
            };
            let tmp = match &dir {
                Some(d) => tempfile::tempdir_in(d),
                None => tempfile::tempdir(),
            }
            .expect("a temporary directory");
            let path = tmp.path().join("natter.db");
            let store = Store::open(&path).expect("the store opens");
            let cpu = cpu_ticks();
            let start = Instant::now();
            let mut commits = 0usize;
            for chunk in all[..n].chunks(batch) {
                store.append_messages(chunk).expect("append");
                commits += 1;
            }
            let secs = start.elapsed().as_secs_f64();
            let (user, sys) = cpu_ticks();
            let per_message = |ticks: u64| ticks as f64 * 1e6 / TICKS_PER_SECOND / n as f64;
            assert_eq!(store.message_count().expect("count"), n as u64);
            let bytes: u64 = std::fs::read_dir(tmp.path())
                .expect("the directory lists")
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum();
            println!(
                "{round:>5}  {batch:>5}  {commits:>7}  {secs:>7.2}  {:>10.0}  {:>9.0}  {:>8.1}  {:>7.2}  {:>6.2}",
                n as f64 / secs,
                commits as f64 / secs,
                bytes as f64 / (1024.0 * 1024.0),
                per_message(user - cpu.0),
                per_message(sys - cpu.1)
            );
        }
    }
}

/// Clock ticks per second in /proc (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// This process's user and system CPU so far, in clock ticks
/// (/proc/self/stat fields 14 and 15; zeros where there is no /proc).
fn cpu_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) may hold spaces: count from after it.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    match fields[..] {
        [user, sys] => (user, sys),
        _ => (0, 0),
    }
}
