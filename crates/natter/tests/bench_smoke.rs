//! A short smoke run of `natter bench` against a real natter: the generator
//! must measure and report (JSON with every figure), account for every
//! message, and stop by itself. No timing is asserted: speed is measured by
//! the benchmarks in docs/performance.md, never by tests.

mod common;
use common::*;

use std::path::Path;

/// A `natter serve` on ephemeral ports with its data under `dir`, and its
/// IRC address.
fn start_server(dir: &Path) -> (Serve, String) {
    let server = Serve::with_data_dir(&dir.join("data"), &[]);
    let addr = server.irc.to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    (server, addr)
}

/// Runs `natter bench <args> --json <json>` and returns the JSON report.
fn bench(args: &[&str], json: &Path) -> serde_json::Value {
    let out = natter()
        .arg("bench")
        .args(args)
        .arg("--json")
        .arg(json)
        .output()
        .expect("run natter bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("natter bench "), "{stdout}");
    serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap()
}

#[test]
fn fanout_and_connect_smoke_runs_report_everything() {
    let dir = tempfile::tempdir().unwrap();
    let (server, addr) = start_server(dir.path());
    let pid = server.child.id().to_string();
    let json = dir.path().join("fanout.json");
    let r = bench(
        &[
            "fanout",
            "--addr",
            &addr,
            "--server-pid",
            &pid,
            "--members",
            "8",
            "--senders",
            "2",
            "--rate",
            "100",
            "--duration",
            "1",
            "--label",
            "natter",
        ],
        &json,
    );
    assert_eq!(r["scenario"], "fanout");
    assert_eq!(r["label"], "natter");
    assert_eq!(r["registered"], 8, "every member registered: {r}");
    assert_eq!(r["messages_sent"], 100);
    // Every message reached the 7 other members.
    assert_eq!(r["deliveries_expected"], 700);
    assert_eq!(r["deliveries"], 700);
    assert_eq!(r["lost"], 0);
    assert_eq!(r["errors"], 0);
    for key in [
        "deliveries_per_second",
        "latency_p50_ms",
        "latency_p99_ms",
        "latency_max_ms",
        "bench_cpu_s",
        "server_cpu_s",
    ] {
        assert!(r[key].is_number(), "{key} missing in {r}");
    }
    assert!(r["latency_p50_ms"].as_f64().unwrap() <= r["latency_p99_ms"].as_f64().unwrap());

    let json = dir.path().join("connect.json");
    let r = bench(
        &[
            "connect",
            "--addr",
            &addr,
            "--server-pid",
            &pid,
            "--clients",
            "50",
            "--ping-sample",
            "10",
            "--idle",
            "0",
        ],
        &json,
    );
    assert_eq!(r["registered"], 50);
    assert_eq!(r["ping_sampled"], 10);
    assert_eq!(r["ping_ok"], 10);
    assert!(r["rss_per_client_kib"].is_number(), "{r}");
}

#[test]
fn churn_and_rooms_smoke_runs_report_everything() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr) = start_server(dir.path());
    let json = dir.path().join("churn.json");
    let r = bench(
        &[
            "churn",
            "--addr",
            &addr,
            "--workers",
            "4",
            "--duration",
            "1",
            "--prefix",
            "ch",
        ],
        &json,
    );
    assert_eq!(r["scenario"], "churn");
    // Each complete cycle registered once; a cycle cut off by the end of
    // the run may have registered without completing.
    let cycles = r["cycles"].as_u64().unwrap();
    let registered = r["registered"].as_u64().unwrap();
    assert!(cycles > 0, "{r}");
    assert!((cycles..=cycles + 4).contains(&registered), "{r}");
    assert_eq!(r["errors"], 0);

    let json = dir.path().join("rooms.json");
    let r = bench(
        &[
            "rooms",
            "--addr",
            &addr,
            "--channels",
            "4",
            "--members",
            "3",
            "--rate",
            "40",
            "--private-rate",
            "10",
            "--duration",
            "1",
            "--prefix",
            "ro",
        ],
        &json,
    );
    assert_eq!(r["registered"], 12, "4 channels of 3: {r}");
    // 40 channel messages to 2 others each, 10 private messages to 1.
    assert_eq!(r["deliveries_expected"], 90);
    assert_eq!(r["deliveries"], 90);
    assert_eq!(r["lost"], 0);
}

#[test]
fn bench_help_describes_it_without_pointing_at_itself() {
    let out = natter().args(["bench", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(!help.contains("natter bench --help"), "{help}");
    for scenario in ["connect", "fanout", "rooms", "churn"] {
        assert!(help.contains(scenario), "{scenario}: {help}");
    }
    assert!(help.contains("SCENARIO --help"), "{help}");
}
