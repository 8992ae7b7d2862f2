//! The fuzz targets' inputs on stable Rust, in the normal test suite:
//! every committed seed (`fuzz/seeds/<target>/`) and every past crash
//! input (`fuzz/regressions/<target>/`) goes through the same check as in
//! its fuzz target (`natter_server::fuzzing`), so they are exercised
//! without nightly or cargo-fuzz. See docs/robustness.md.

use std::path::{Path, PathBuf};

use natter_server::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files in `dir`, sorted; none if it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_seed_and_past_crash_passes_its_targets_check() {
    for (target, check) in TARGETS {
        let seeds = files(&fuzz_dir().join("seeds").join(target));
        assert!(!seeds.is_empty(), "no seeds for the fuzz target {target}");
        let regressions = files(&fuzz_dir().join("regressions").join(target));
        for file in seeds.iter().chain(&regressions) {
            let data = std::fs::read(file).expect("a readable input");
            let run = std::panic::catch_unwind(|| check(&data));
            assert!(run.is_ok(), "{target}: {} fails", file.display());
        }
    }
}

#[test]
fn every_target_has_a_fuzz_target_binary() {
    for (target, _) in TARGETS {
        let file = fuzz_dir().join("fuzz_targets").join(format!("{target}.rs"));
        let source =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            source.contains(&format!("natter_server::fuzzing::{target}(")),
            "{} does not call its check",
            file.display()
        );
    }
}
