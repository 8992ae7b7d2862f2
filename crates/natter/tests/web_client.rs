//! The web client (`web/`) end to end: runs its browser tests
//! (`node --test web/tests/`, playwright-core driving Debian's Chromium)
//! against this build's `natter serve`, which each test starts on
//! ephemeral ports. Two browser users and an IRC client over TCP chat in a
//! channel and in private; scroll-back loads older history; hostile text
//! stays text; the page reconnects after a server restart; a dropped
//! picture is shared and shows inline for another user.
//!
//! It needs node, `web/node_modules` (`npm ci` in `web/`) and Chromium
//! (`/usr/bin/chromium`, or `CHROMIUM_PATH`). Without them it says why and
//! passes, except under CI (`CI` set), where it fails: `.ci/run` installs
//! them.

use std::path::{Path, PathBuf};
use std::process::Command;

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

/// What is missing to run the browser tests, if anything.
fn missing(web: &Path) -> Option<String> {
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        _ => return Some("node is not installed".into()),
    }
    if !web.join("node_modules/playwright-core").is_dir() {
        return Some(format!(
            "{} has no node_modules/playwright-core (run `npm ci` there)",
            web.display()
        ));
    }
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!(
            "no Chromium at {chromium} (apt-get install chromium)"
        ));
    }
    None
}

#[test]
fn web_client_in_a_browser() {
    let web = web_dir();
    if let Some(why) = missing(&web) {
        if std::env::var_os("CI").is_some() {
            panic!("the web client tests must run under CI, but {why}");
        }
        eprintln!("skipping the web client tests: {why}");
        return;
    }
    let out = Command::new("node")
        .args(["--test", "--test-concurrency=1", "tests/"])
        .current_dir(&web)
        .env("NATTER_BIN", env!("CARGO_BIN_EXE_natter"))
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the web client tests failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    // The runner's summary (# tests, # pass, ...), for the test log.
    for line in stdout.lines().filter(|l| l.starts_with("# ")) {
        eprintln!("web client tests: {}", &line[2..]);
    }
}
