//! A short smoke run of `natter bench` against a real natter, and of the
//! linked-network scenarios against real linked natter servers: the
//! generator must measure and report (JSON with every figure), account for
//! every message, and stop by itself. No timing is asserted: speed is
//! measured by the benchmarks in docs/performance.md and bench/linking.py,
//! never by tests.

mod common;
use common::*;

use std::net::SocketAddr;
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

/// Rooms of 4 channels × 3 members, 40 channel and 10 private messages
/// over 1 s, against `addr`, with `extra` arguments.
fn small_rooms(addr: &str, json: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "rooms",
        "--addr",
        addr,
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
    ];
    args.extend_from_slice(extra);
    bench(&args, json)
}

/// A fan-out of 8 members, 2 of them sending 100 messages in all over
/// 1 s, against `addr` (the server's PID `pid`), with `extra` arguments.
fn small_fanout(addr: &str, pid: &str, json: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "fanout",
        "--addr",
        addr,
        "--server-pid",
        pid,
        "--members",
        "8",
        "--senders",
        "2",
        "--rate",
        "100",
        "--duration",
        "1",
    ];
    args.extend_from_slice(extra);
    bench(&args, json)
}

#[test]
fn fanout_and_connect_smoke_runs_report_everything() {
    let dir = tempfile::tempdir().unwrap();
    let (server, addr) = start_server(dir.path());
    let pid = server.child.id().to_string();
    let json = dir.path().join("fanout.json");
    let r = small_fanout(&addr, &pid, &json, &["--label", "natter"]);
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
    // The same CPU by thread name: the server's event loop and its history
    // writer (on by default), parts of the total.
    let threads = r["server_threads"].as_object().expect("server_threads");
    assert!(
        threads.keys().any(|name| name.starts_with("natter-loop-")),
        "{r}"
    );
    assert!(threads.contains_key("natter-history"), "{r}");
    let parts: f64 = threads
        .values()
        .map(|t| t["user_s"].as_f64().unwrap() + t["sys_s"].as_f64().unwrap())
        .sum();
    // Parts of the total: each thread's time is read a moment after the
    // process's and rounded down to 10 ms ticks on its own, so allow a tick
    // per thread name and two for the moments between the readings.
    let slack = 0.01 * (threads.len() as f64 + 2.0);
    assert!(parts > 0.0, "{r}");
    assert!(parts <= r["server_cpu_s"].as_f64().unwrap() + slack, "{r}");

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

/// The relay (`natter bench relay`), the benchmarks' floor, carries a
/// fan-out and private messages whole, and the server CPU is reported split
/// into user and system time.
#[test]
fn relay_floor_carries_fanout_and_private_messages() {
    let mut relay = natter()
        .args(["bench", "relay", "--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the relay");
    let lines = lines_of(relay.stderr.take().unwrap());
    let first = lines
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the relay names its address");
    let addr = first
        .strip_prefix("natter bench relay: listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    let pid = relay.id().to_string();
    let dir = tempfile::tempdir().unwrap();
    let r = small_fanout(&addr, &pid, &dir.path().join("fanout.json"), &[]);
    assert_eq!(r["deliveries_expected"], 700, "{r}");
    assert_eq!(r["deliveries"], 700, "{r}");
    assert_eq!(r["errors"], 0, "{r}");
    let (user, sys) = (r["server_user_s"].as_f64(), r["server_sys_s"].as_f64());
    let (user, sys) = (user.expect("user time"), sys.expect("system time"));
    let total = r["server_cpu_s"].as_f64().unwrap();
    assert!((user + sys - total).abs() < 1e-9, "{r}");
    let r = small_rooms(&addr, &dir.path().join("rooms.json"), &[]);
    // 40 channel messages to 2 others each, 10 private messages to one.
    assert_eq!(r["deliveries_expected"], 90, "{r}");
    assert_eq!(r["deliveries"], 90, "{r}");
    let _ = relay.kill();
    let _ = relay.wait();
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
    let r = small_rooms(&addr, &json, &["--prefix", "ro"]);
    assert_eq!(r["registered"], 12, "4 channels of 3: {r}");
    // 40 channel messages to 2 others each, 10 private messages to 1.
    assert_eq!(r["deliveries_expected"], 90);
    assert_eq!(r["deliveries"], 90);
    assert_eq!(r["lost"], 0);
}

#[test]
fn tls_fanout_and_handshakes_smoke_runs_report_everything() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(dir.path());
    let tls = server.tls_listening().to_string();
    let pid = server.child.id().to_string();
    // natter's self-signed certificate: --tls accepts it.
    let json = dir.path().join("fanout-tls.json");
    let r = small_fanout(&tls, &pid, &json, &["--tls", "--prefix", "tf"]);
    assert_eq!(r["registered"], 8, "{r}");
    assert_eq!(r["deliveries_expected"], 700);
    assert_eq!(r["deliveries"], 700);
    assert_eq!(r["lost"], 0);
    assert_eq!(r["errors"], 0);
    assert!(r["server_cpu_s"].is_number(), "{r}");
    let negotiated = r["tls"].as_str().unwrap_or_default();
    assert!(negotiated.starts_with("TLSv1_3 "), "{r}");

    // Handshakes, over TLS and (the baseline) plain; each a full one.
    let json = dir.path().join("handshakes.json");
    let r = bench(
        &[
            "handshakes",
            "--tls",
            "--addr",
            &tls,
            "--server-pid",
            &pid,
            "--concurrency",
            "4",
            "--duration",
            "1",
        ],
        &json,
    );
    assert_eq!(r["scenario"], "handshakes");
    assert!(r["cycles"].as_u64().unwrap() > 0, "{r}");
    assert!(r["per_second"].as_f64().unwrap() > 0.0, "{r}");
    assert_eq!(r["errors"], 0, "{r}");
    assert_eq!(r["params"]["tls"], 1, "{r}");
    assert!(r["tls"].as_str().is_some(), "{r}");
    assert!(r["latency_p99_ms"].as_f64().unwrap() > 0.0, "{r}");

    let json = dir.path().join("handshakes-register.json");
    let r = bench(
        &[
            "handshakes",
            "--tls",
            "--tls-group",
            "x25519",
            "--addr",
            &tls,
            "--concurrency",
            "2",
            "--duration",
            "1",
            "--register",
            "--prefix",
            "hr",
        ],
        &json,
    );
    assert_eq!(r["registered"], r["cycles"], "{r}");
    assert!(r["tls"].as_str().unwrap().ends_with(" X25519"), "{r}");
    assert_eq!(r["errors"], 0, "{r}");

    // Without --tls: plain TCP connections, the baseline.
    let json = dir.path().join("handshakes-plain.json");
    let r = bench(
        &[
            "handshakes",
            "--addr",
            &server.irc.to_string(),
            "--concurrency",
            "2",
            "--duration",
            "1",
        ],
        &json,
    );
    assert_eq!(r["params"]["tls"], 0, "{r}");
    assert!(r.get("tls").is_none(), "{r}");
    assert_eq!(r["errors"], 0, "{r}");
}

#[test]
fn websocket_fanout_and_handshakes_smoke_runs_report_everything() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_server(dir.path());
    server.tls_listening();
    let http = server.web_listening().to_string();
    let pid = server.child.id().to_string();
    let json = dir.path().join("fanout-ws.json");
    let r = small_fanout(&http, &pid, &json, &["--ws", "--prefix", "wf"]);
    assert_eq!(r["transport"], "ws", "{r}");
    assert_eq!(r["registered"], 8, "{r}");
    assert_eq!(r["deliveries_expected"], 700);
    assert_eq!(r["deliveries"], 700);
    assert_eq!(r["lost"], 0);
    assert_eq!(r["errors"], 0);

    // Connect, upgrade, register to 001, QUIT, and the close.
    let json = dir.path().join("handshakes-ws.json");
    let r = bench(
        &[
            "handshakes",
            "--ws",
            "--addr",
            &http,
            "--concurrency",
            "2",
            "--duration",
            "1",
            "--register",
            "--prefix",
            "wh",
        ],
        &json,
    );
    assert!(r["cycles"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["registered"], r["cycles"], "{r}");
    assert_eq!(r["errors"], 0, "{r}");
}

#[test]
fn bench_help_describes_it_without_pointing_at_itself() {
    let out = natter().args(["bench", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(!help.contains("natter bench --help"), "{help}");
    for scenario in [
        "connect",
        "fanout",
        "rooms",
        "churn",
        "handshakes",
        "burst",
        "rejoin",
        "hops",
    ] {
        assert!(help.contains(scenario), "{scenario}: {help}");
    }
    assert!(help.contains("SCENARIO --help"), "{help}");
}

// ---- linked servers ----

const LINK_PW: &str = "link-secret";
const OPER: &str = "root:hunter2";

/// An argon2id hash of `password` with cheap parameters.
fn cheap_hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"natter-bench-salt").unwrap();
    argon
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

/// How a server treats a peer: waits for it, connects to it with
/// autoconnect, or knows its address for CONNECT only.
enum Peer {
    Accept,
    Auto(SocketAddr),
    Manual(SocketAddr),
}

/// A natter server `<name>.test` (data under `dir`/`name`) with a link
/// listener, operator root/hunter2 and a [[link]] block per peer; its IRC
/// and link addresses.
fn node(dir: &Path, name: &str, peers: &[(&str, Peer)]) -> (Serve, SocketAddr) {
    let dir = dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut toml = format!(
        "[server]\nname = \"{name}.test\"\nthreads = 1\n\n\
         [listen]\nlink = [\"127.0.0.1:0\"]\n\n\
         [[oper]]\nname = \"root\"\npassword = \"{}\"\nhost = \"*@*\"\n",
        cheap_hash("hunter2")
    );
    for (peer, how) in peers {
        toml += &format!(
            "\n[[link]]\nname = \"{peer}.test\"\nsend_password = \"{LINK_PW}\"\n\
             receive_password = \"{}\"\n",
            cheap_hash(LINK_PW)
        );
        match how {
            Peer::Accept => {}
            Peer::Auto(a) => toml += &format!("address = \"{a}\"\nautoconnect = true\n"),
            Peer::Manual(a) => toml += &format!("address = \"{a}\"\nautoconnect = false\n"),
        }
    }
    let server = Serve::with_config(&dir, &toml);
    server.listening("IM");
    let link = server.listening("link");
    (server, link)
}

/// Registers a probe on the server at `irc`, sends `command`, and returns
/// the reply lines up to the one with numeric `end`.
fn query(irc: SocketAddr, command: &str, end: &str) -> Vec<String> {
    use std::io::{BufRead, BufReader, Write};
    let mut c = std::net::TcpStream::connect(irc).unwrap();
    c.set_read_timeout(Some(TIMEOUT)).unwrap();
    // A fresh nick each time: a probe's QUIT may still be on its way to
    // the other servers.
    static PROBES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let probe = PROBES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    c.write_all(format!("NICK probe{probe}\r\nUSER probe 0 * :probe\r\n{command}\r\n").as_bytes())
        .unwrap();
    let mut out = Vec::new();
    for line in BufReader::new(c.try_clone().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.split(' ').nth(1) == Some(end);
        out.push(line);
        if done {
            break;
        }
    }
    let _ = c.write_all(b"QUIT\r\n");
    out
}

/// How many servers the server at `irc` lists in LINKS.
fn links_count(irc: SocketAddr) -> usize {
    query(irc, "LINKS", "365")
        .iter()
        .filter(|l| l.split(' ').nth(1) == Some("364"))
        .count()
}

/// The users of the whole network as the server at `irc` counts them
/// (RPL_GLOBALUSERS after LUSERS), the asking probe included.
fn global_users(irc: SocketAddr) -> u64 {
    let lines = query(irc, "LUSERS", "266");
    let last = lines.last().expect("RPL_GLOBALUSERS");
    last.split(' ').nth(3).unwrap().parse().unwrap()
}

/// Servers `a` and `b` (under `dir`), b autoconnecting to a, once linked.
fn linked_pair(dir: &Path) -> (Serve, Serve) {
    let (a, a_link) = node(dir, "a", &[("b", Peer::Accept)]);
    let (b, _) = node(dir, "b", &[("a", Peer::Auto(a_link))]);
    wait_linked(&[a.irc, b.irc]);
    (a, b)
}

/// Waits until every server in `ircs` lists all of them.
fn wait_linked(ircs: &[SocketAddr]) {
    let deadline = std::time::Instant::now() + TIMEOUT;
    for irc in ircs {
        while links_count(*irc) != ircs.len() {
            assert!(std::time::Instant::now() < deadline, "never linked");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

#[test]
fn hops_and_spread_fanout_smoke_runs_cross_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = linked_pair(dir.path());
    let (from, to) = (a.irc.to_string(), b.irc.to_string());
    let json = dir.path().join("hops.json");
    let r = bench(
        &[
            "hops", "--from", &from, "--to", &to, "--rate", "100", "--count", "50",
        ],
        &json,
    );
    assert_eq!(r["scenario"], "hops");
    assert_eq!(r["params"]["hops"], 1, "{r}");
    assert_eq!(r["messages_sent"], 50);
    assert_eq!(r["deliveries"], 50);
    assert_eq!(r["lost"], 0);
    assert!(r["latency_p99_ms"].is_number(), "{r}");

    // One channel with its members on both servers.
    let json = dir.path().join("fanout.json");
    let pids = [a.child.id().to_string(), b.child.id().to_string()];
    let r = bench(
        &[
            "fanout",
            "--addr",
            &from,
            "--addr",
            &to,
            "--server-pid",
            &pids[0],
            "--server-pid",
            &pids[1],
            "--members",
            "6",
            "--senders",
            "2",
            "--rate",
            "50",
            "--duration",
            "1",
            "--prefix",
            "sf",
        ],
        &json,
    );
    assert_eq!(r["params"]["servers"], 2, "{r}");
    assert_eq!(r["registered"], 6);
    assert_eq!(r["deliveries_expected"], 250);
    assert_eq!(r["deliveries"], 250);
    assert!(r["server_cpu_s"].is_number(), "{r}");
}

/// `connect --procs 2 --hold` spreads its clients over two worker
/// processes and two linked servers, PINGs every one, holds them while a
/// fan-out runs beside them, and lets them go when its input closes.
#[test]
fn connect_over_processes_holds_its_clients_beside_a_fanout() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = linked_pair(dir.path());
    let (addr_a, addr_b) = (a.irc.to_string(), b.irc.to_string());
    let json = dir.path().join("connect.json");
    let mut held = natter()
        .args(["bench", "connect", "--addr", &addr_a, "--addr", &addr_b])
        .args(["--server-pid", &a.child.id().to_string()])
        .args(["--server-pid", &b.child.id().to_string()])
        .args(["--clients", "41", "--ping-sample", "41", "--idle", "0"])
        .args(["--procs", "2", "--hold", "--prefix", "h", "--json"])
        .arg(&json)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(held.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(
        line.trim_end(),
        "natter bench: holding 41 clients until standard input closes"
    );
    // Both servers count every held client (and the probe asking), once
    // the link has carried the last registrations.
    wait_users(a.irc, 42);
    wait_users(b.irc, 42);

    let r = small_fanout(
        &addr_a,
        &a.child.id().to_string(),
        &dir.path().join("f.json"),
        &["--addr", &addr_b, "--prefix", "f"],
    );
    assert_eq!(r["registered"], 8);
    assert_eq!(r["lost"], 0, "{r}");

    drop(held.stdin.take());
    assert!(wait_exit(&mut held).success());
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(r["params"]["procs"], 2, "{r}");
    assert_eq!(r["registered"], 41);
    assert_eq!(r["ping_sampled"], 41);
    assert_eq!(r["ping_ok"], 41);
    assert_eq!(r["held_to_end"], 41, "{r}");
    assert_eq!(r["errors"], 0);
    assert!(r["rss_per_client_kib"].is_number(), "{r}");
    // The workers QUIT their clients when they were let go.
    wait_users(b.irc, 1);
}

/// Waits until the server at `irc` counts `n` users in the network.
fn wait_users(irc: SocketAddr, n: u64) {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let users = global_users(irc);
        if users == n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{irc} counts {users} users, not {n}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn burst_smoke_run_connects_measures_and_splits_again() {
    let dir = tempfile::tempdir().unwrap();
    let (a, a_link) = node(dir.path(), "a", &[("b", Peer::Accept)]);
    let (b, _) = node(dir.path(), "b", &[("a", Peer::Manual(a_link))]);
    let json = dir.path().join("burst.json");
    let r = bench(
        &[
            "burst",
            "--addr",
            &a.irc.to_string(),
            "--observe",
            &b.irc.to_string(),
            "--oper",
            OPER,
            "--users",
            "20",
            "--channels",
            "4",
            "--rounds",
            "2",
        ],
        &json,
    );
    assert_eq!(r["scenario"], "burst");
    assert_eq!(r["network_servers"], 2, "{r}");
    // The users, an observer on each side and the operator.
    assert_eq!(r["network_users"], 23, "{r}");
    assert_eq!(r["network_channels"], 4, "{r}");
    assert_eq!(r["converged_ms"].as_array().unwrap().len(), 2, "{r}");
    assert_eq!(r["link_up_ms"].as_array().unwrap().len(), 2, "{r}");
    assert!(r["converged_p50_ms"].is_number(), "{r}");
    // Split again after the last round, as the run found them.
    assert_eq!(links_count(b.irc), 1);
}

#[test]
fn rejoin_smoke_runs_by_autoconnect_and_by_connect() {
    let dir = tempfile::tempdir().unwrap();
    // A chain x1 - x2 - x3; x2 splits from x3, which autoconnects back.
    let (x1, x1_link) = node(dir.path(), "x1", &[("x2", Peer::Accept)]);
    let (x2, x2_link) = node(
        dir.path(),
        "x2",
        &[("x1", Peer::Auto(x1_link)), ("x3", Peer::Accept)],
    );
    let (x3, _) = node(dir.path(), "x3", &[("x2", Peer::Auto(x2_link))]);
    wait_linked(&[x1.irc, x2.irc, x3.irc]);
    let json = dir.path().join("rejoin.json");
    let r = bench(
        &[
            "rejoin",
            "--addr",
            &x2.irc.to_string(),
            "--addr",
            &x1.irc.to_string(),
            "--addr",
            &x3.irc.to_string(),
            "--oper",
            OPER,
            "--squit",
            "x3.test",
            "--users",
            "9",
            "--channels",
            "3",
            "--rounds",
            "1",
        ],
        &json,
    );
    assert_eq!(r["scenario"], "rejoin");
    assert_eq!(r["network_servers"], 3, "{r}");
    // The users, an observer per server and the operator.
    assert_eq!(r["network_users"], 13, "{r}");
    assert_eq!(r["network_channels"], 3, "{r}");
    assert_eq!(r["converged_ms"].as_array().unwrap().len(), 1, "{r}");

    // x1 knows x2's address: the operator CONNECTs as soon as it is split.
    let json = dir.path().join("rejoin-connect.json");
    let r = bench(
        &[
            "rejoin",
            "--addr",
            &x2.irc.to_string(),
            "--addr",
            &x1.irc.to_string(),
            "--oper",
            OPER,
            "--squit",
            "x1.test",
            "--reconnect",
            "connect",
            "--users",
            "4",
            "--channels",
            "2",
            "--rounds",
            "1",
            "--prefix",
            "rc",
        ],
        &json,
    );
    assert_eq!(r["params"]["connect"], 1, "{r}");
    assert_eq!(r["network_servers"], 3, "{r}");
    assert_eq!(r["converged_ms"].as_array().unwrap().len(), 1, "{r}");
}
