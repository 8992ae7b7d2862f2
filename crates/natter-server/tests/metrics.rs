//! The metrics listener end to end: a real server with `[listen] metrics`
//! on an ephemeral port, scraped over HTTP with a plain blocking client,
//! the text parsed with a Prometheus text-format parser; each test checks
//! figures move with what clients do.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::*;
use natter_server::Listener;
use prometheus_parse::{Scrape, Value};

/// A server with a metrics listener on an ephemeral port.
fn server(tweak: impl FnOnce(&mut natter_server::Config)) -> (TestServer, SocketAddr) {
    let server = TestServer::with_config(|c| {
        c.listen.metrics = vec!["127.0.0.1:0".parse().unwrap()];
        tweak(c);
    });
    let addr = server.addrs(Listener::Metrics)[0];
    (server, addr)
}

/// An HTTP response: status code, headers (names lower case), body.
struct Response {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

/// `METHOD path` over a fresh connection, with `extra` header lines.
fn http(addr: SocketAddr, method: &str, path: &str, extra: &str) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect to the metrics listener");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: natter\r\nConnection: close\r\n{extra}\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("a whole response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("headers end");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_string(),
    }
}

/// The figures of one scrape.
struct Figures(Scrape);

impl Figures {
    /// The value of `name` with exactly `labels`; panics when missing.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.find(name, labels)
            .unwrap_or_else(|| panic!("no {name}{labels:?} in the scrape"))
    }

    /// The value of `name` with exactly `labels`, if scraped.
    fn find(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.0
            .samples
            .iter()
            .filter(|s| s.metric == name)
            .filter(|s| {
                labels.len() == s.labels.len()
                    && labels.iter().all(|(k, v)| s.labels.get(k) == Some(v))
            })
            .find_map(|s| match s.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => Some(v),
                _ => None,
            })
    }
}

/// Scrapes `/metrics` and parses the text.
fn scrape(addr: SocketAddr) -> Figures {
    let r = http(addr, "GET", "/metrics", "");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.headers["content-type"].starts_with("text/plain; version=0.0.4"),
        "{:?}",
        r.headers
    );
    let lines = r.body.lines().map(|l| Ok(l.to_string()));
    Figures(Scrape::parse(lines).expect("Prometheus text format"))
}

/// Scrapes until `ok` holds (a figure set after something asynchronous).
fn scrape_until(addr: SocketAddr, what: &str, ok: impl Fn(&Figures) -> bool) -> Figures {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let figures = scrape(addr);
        if ok(&figures) {
            return figures;
        }
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

const IRC_TCP: &[(&str, &str)] = &[("frontend", "irc"), ("transport", "tcp")];

fn lines_in(command: &str) -> [(&'static str, &str); 2] {
    [("frontend", "irc"), ("command", command)]
}

#[test]
fn connections_users_and_channels_follow_the_clients() {
    let (server, addr) = server(|_| {});
    let before = scrape(addr);
    assert_eq!(before.get("natter_connections", IRC_TCP), 0.0);
    assert_eq!(before.get("natter_users", &[("scope", "local")]), 0.0);
    assert_eq!(before.get("natter_channels", &[]), 0.0);
    assert_eq!(before.get("natter_servers", &[]), 1.0);

    let mut a = server.client("alice");
    let mut b = server.client("bob");
    let _unregistered = server.connect();
    join_all("#one", &mut [&mut a, &mut b]);
    a.send("JOIN #two");
    a.sync();
    let now = scrape(addr);
    assert_eq!(now.get("natter_connections", IRC_TCP), 3.0);
    assert_eq!(
        now.get("natter_connections_accepted_total", IRC_TCP)
            - before.get("natter_connections_accepted_total", IRC_TCP),
        3.0
    );
    assert_eq!(
        now.get(
            "natter_connections",
            &[("frontend", "irc"), ("transport", "tls")]
        ),
        0.0
    );
    assert_eq!(now.get("natter_users", &[("scope", "local")]), 2.0);
    assert_eq!(now.get("natter_users", &[("scope", "network")]), 2.0);
    assert_eq!(now.get("natter_channels", &[]), 2.0);

    let mut im = Im::register(&server, "carol", "online");
    im.sync();
    let with_im = scrape(addr);
    let im_tcp = &[("frontend", "im"), ("transport", "tcp")];
    assert_eq!(with_im.get("natter_connections", im_tcp), 1.0);
    assert_eq!(with_im.get("natter_users", &[("scope", "local")]), 3.0);
    assert_eq!(
        with_im.get(
            "natter_lines_in_total",
            &[("frontend", "im"), ("command", "REGISTER")]
        ),
        1.0
    );

    drop(b);
    let after = scrape_until(addr, "bob's connection is gone", |f| {
        f.get("natter_connections", IRC_TCP) == 2.0
    });
    assert_eq!(after.get("natter_users", &[("scope", "local")]), 2.0);
    assert_eq!(
        after.get("natter_channels", &[]),
        2.0,
        "alice is still in both"
    );
}

#[test]
fn lines_in_deliveries_and_the_world_lock_histogram_count_messages() {
    let (server, addr) = server(|_| {});
    let mut a = server.client("alice");
    let mut b = server.client("bob");
    let mut c = server.client("carol");
    join_all("#m", &mut [&mut a, &mut b, &mut c]);
    let before = scrape(addr);
    let hold = "natter_world_lock_hold_seconds_count";

    for i in 0..5 {
        a.send(&format!("PRIVMSG #m :hello {i}"));
    }
    a.send("FROBNICATE");
    a.sync();
    b.sync();
    c.sync();
    let after = scrape(addr);
    let grew =
        |name: &str, labels: &[(&str, &str)]| after.get(name, labels) - before.get(name, labels);

    assert_eq!(grew("natter_lines_in_total", &lines_in("PRIVMSG")), 5.0);
    assert_eq!(grew("natter_lines_in_total", &lines_in("other")), 1.0);
    // Five messages to a channel of three: two recipients each (alice
    // has no echo-message).
    assert_eq!(
        grew("natter_deliveries_total", &[("command", "PRIVMSG")]),
        10.0
    );
    assert_eq!(grew("natter_deliveries_total", &[("command", "JOIN")]), 0.0);
    // Six lines from alice and one PING each from the three syncs.
    assert!(grew(hold, &[]) >= 9.0, "{}", grew(hold, &[]));
    assert!(grew("natter_written_bytes_total", &[]) > 0.0);
    assert!(grew("natter_lines_queued_total", &[]) >= 10.0);
    // The buckets are cumulative up to +Inf, which holds every line.
    let buckets = after
        .0
        .samples
        .iter()
        .find(|s| s.metric == "natter_world_lock_hold_seconds")
        .map(|s| match &s.value {
            Value::Histogram(b) => b.clone(),
            v => panic!("not a histogram: {v:?}"),
        })
        .expect("the world-lock histogram");
    assert_eq!(buckets.first().unwrap().less_than, 0.000_001);
    assert_eq!(buckets.len(), 17, "1 µs to 100 ms and +Inf: {buckets:?}");
    assert_eq!(buckets[15].less_than, 0.1);
    assert_eq!(buckets[16].less_than, f64::INFINITY);
    assert_eq!(buckets.last().unwrap().count, after.get(hold, &[]));
}

#[test]
fn history_commits_are_timed() {
    let (server, addr) = server(|_| {});
    let mut a = server.client("alice");
    a.send("JOIN #h");
    a.sync();
    let count = "natter_history_commit_latency_seconds_count";
    let before = scrape(addr).get(count, &[]);
    for i in 0..3 {
        a.send(&format!("PRIVMSG #h :kept {i}"));
    }
    a.sync();
    // One scrape is not a snapshot: the queue gauge is read when the
    // scrape starts, the histogram as it is written out, so a commit in
    // between shows up in the count with the queue not yet emptied.
    scrape_until(addr, "three commits timed, none queued", |f| {
        f.get(count, &[]) == before + 3.0 && f.get("natter_history_queue", &[]) == 0.0
    });
}

#[test]
fn disconnects_are_counted_by_reason() {
    let (server, addr) = server(|c| {
        c.timeouts.registration = 1;
        c.opers.push(oper("root", "hunter2", "*@*"));
    });
    let reason = |r| [("reason", r)];
    let before = scrape(addr);
    for class in [
        "quit",
        "ping_timeout",
        "registration_timeout",
        "sendq",
        "kill",
        "flood",
        "error",
    ] {
        assert_eq!(before.get("natter_disconnects_total", &reason(class)), 0.0);
    }

    let mut quitter = server.client("quitter");
    quitter.send("QUIT :bye");
    quitter.read_until_closed();
    let mut slow = server.connect();
    slow.read_until_closed();
    drop(server.client("dropper"));
    let mut op = server.client("op");
    oper_up(&mut op);
    let mut victim = server.client("victim");
    op.send("KILL victim :enough");
    victim.read_until_closed();
    let after = scrape_until(addr, "four disconnects", |f| {
        ["quit", "registration_timeout", "error", "kill"]
            .iter()
            .all(|r| f.get("natter_disconnects_total", &reason(r)) == 1.0)
    });
    for class in ["ping_timeout", "sendq", "flood", "shutdown"] {
        assert_eq!(after.get("natter_disconnects_total", &reason(class)), 0.0);
    }
}

#[test]
fn links_show_up_and_lag() {
    use common::links::*;
    let b = node("b.test", 0, &[("a.test", None)]);
    let a = TestServer::with_config(|c| {
        c.server.name = "a.test".into();
        c.listen.metrics = vec!["127.0.0.1:0".parse().unwrap()];
        c.timeouts.link_ping = 1;
        c.links.push(block("b.test", b.link_addr));
        c.links.push(block("ghost.test", None));
    });
    let addr = a.addrs(Listener::Metrics)[0];
    let b_up = [("peer", "b.test")];
    let figures = scrape_until(addr, "the link to b.test measured", |f| {
        f.find("natter_link_lag_seconds", &b_up).is_some()
    });
    assert_eq!(figures.get("natter_link_up", &b_up), 1.0);
    assert!(figures.get("natter_link_lag_seconds", &b_up) < 1.0);
    assert_eq!(
        figures.get("natter_link_up", &[("peer", "ghost.test")]),
        0.0
    );
    assert_eq!(
        figures.find("natter_link_lag_seconds", &[("peer", "ghost.test")]),
        None
    );
    assert_eq!(figures.get("natter_servers", &[]), 2.0);
}

#[test]
fn only_metrics_is_served() {
    let (_server, addr) = server(|_| {});
    let missing = http(addr, "GET", "/", "");
    assert_eq!(missing.status, 404);
    assert_eq!(http(addr, "GET", "/metrics/x", "").status, 404);
    let post = http(addr, "POST", "/metrics", "Content-Length: 0\r\n");
    assert_eq!(post.status, 405);
    assert_eq!(post.headers["allow"], "GET, HEAD");
}

#[test]
fn openmetrics_when_the_scraper_asks() {
    let (_server, addr) = server(|_| {});
    let accept =
        "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n";
    let r = http(addr, "GET", "/metrics", accept);
    assert_eq!(r.status, 200);
    assert!(
        r.headers["content-type"].starts_with("application/openmetrics-text"),
        "{:?}",
        r.headers
    );
    assert!(r.body.ends_with("# EOF\n"), "{}", r.body);
    assert!(r
        .body
        .contains("# UNIT natter_world_lock_hold_seconds seconds"));
    assert!(r
        .body
        .contains("natter_disconnects_total{reason=\"flood\"} 0"));
}

#[test]
fn a_client_that_stops_reading_is_counted_as_sendq() {
    let (server, addr) = server(|c| c.limits.sendq = 16 * 1024);
    let mut sender = server.client("sender");
    let mut stalled = server.client("stalled");
    join_all("#busy", &mut [&mut sender, &mut stalled]);
    // `stalled` reads nothing from here on; its kernel buffers fill, then
    // its SendQ overflows and the sender sees it quit.
    let body = "x".repeat(400);
    let mut cut_off = false;
    for _ in 0..1000 {
        for i in 0..100 {
            sender.send(&format!("PRIVMSG #busy :{i} {body}"));
        }
        if sender.sync().iter().any(|m| m.command == "QUIT") {
            cut_off = true;
            break;
        }
    }
    assert!(cut_off, "the stalled client was never cut off");
    let after = scrape_until(addr, "the SendQ disconnect", |f| {
        f.get("natter_disconnects_total", &[("reason", "sendq")]) == 1.0
    });
    assert_eq!(
        after.get("natter_disconnects_total", &[("reason", "error")]),
        0.0
    );
    drop(stalled);
}
