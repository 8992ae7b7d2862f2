//! TLS on the IRC listener: the handshake with the generated certificate,
//! client certificate fingerprints (WHOIS RPL_WHOISCERTFP and
//! RPL_WHOISSECURE, NickServ CERT, SASL EXTERNAL), REHASH switching
//! certificates without dropping anyone, a plain-text client on the TLS
//! port, `sts`, and server links over TLS with pinned fingerprints.

mod common;

use std::net::SocketAddr;
use std::path::Path;

use common::links::{block, wait_servers};
use common::tls::{client_cert, tls_connect};
use common::*;
use natter_server::Listener;

/// A server with the IRC over TLS listener on an ephemeral port.
fn tls_server(tweak: impl FnOnce(&mut natter_server::Config)) -> (TestServer, SocketAddr) {
    let server = TestServer::with_config(|c| {
        c.listen.irc_tls = vec!["127.0.0.1:0".parse().unwrap()];
        c.opers.push(oper("root", "hunter2", "*@*"));
        tweak(c)
    });
    let addr = server.addrs(Listener::IrcTls)[0];
    (server, addr)
}

#[test]
fn clients_connect_over_tls_with_the_generated_certificate() {
    let (server, addr) = tls_server(|_| {});
    let expected = server.tls_fingerprint().expect("a certificate");
    // Generated into the data directory, and announced.
    assert!(server.dir.path().join("data/tls/cert.pem").is_file());
    assert!(server.dir.path().join("data/tls/key.pem").is_file());
    let (mut alice, seen) = tls_connect(addr, None);
    assert_eq!(seen, expected);
    alice.register("alice");
    let mut bob = server.client("bob");
    // TLS and plain clients are one network.
    join_all("#tls", &mut [&mut alice, &mut bob]);
    bob.send("PRIVMSG #tls :hello over plain text");
    assert_eq!(
        alice.expect("PRIVMSG").params,
        ["#tls", "hello over plain text"]
    );
    alice.send("PRIVMSG #tls :hello over TLS");
    assert_eq!(bob.expect("PRIVMSG").params, ["#tls", "hello over TLS"]);
    // WHOIS: alice is on a secure connection, bob is not.
    let whois = bob.ask("WHOIS alice");
    assert_eq!(
        params(one(&whois, "671")),
        ["bob", "alice", "is using a secure connection"]
    );
    assert!(with_command(&whois, "276").is_empty(), "{whois:?}");
    assert!(with_command(&alice.ask("WHOIS bob"), "671").is_empty());
}

#[test]
fn a_client_certificate_fingerprint_shows_in_whois_to_its_owner_and_operators() {
    let (server, addr) = tls_server(|_| {});
    let cert = client_cert("alice");
    let (mut alice, _) = tls_connect(addr, Some(&cert));
    alice.register("alice");
    let text = format!("has client certificate fingerprint {}", cert.fingerprint);
    let whois = alice.ask("WHOIS alice");
    assert_eq!(
        params(one(&whois, "276")),
        ["alice", "alice", text.as_str()]
    );
    // Another user does not see it; an operator does.
    let mut bob = server.client("bob");
    assert!(with_command(&bob.ask("WHOIS alice"), "276").is_empty());
    oper_up(&mut bob);
    let whois = bob.ask("WHOIS alice");
    assert_eq!(params(one(&whois, "276")), ["bob", "alice", text.as_str()]);
}

/// Registers account `name` with password `pw` from a plain connection.
fn register_account(server: &TestServer, name: &str, pw: &str) {
    let mut c = server.client(name);
    c.send(&format!("NS REGISTER {pw}"));
    c.expect("900");
    c.send("QUIT");
    until_closed(&mut c);
}

#[test]
fn a_certificate_added_with_nickserv_cert_logs_in_with_sasl_external() {
    let (server, addr) = tls_server(|_| {});
    register_account(&server, "carol", "correct-horse");
    let cert = client_cert("carol");

    // Without the certificate on the account, EXTERNAL fails.
    let (mut c, _) = tls_connect(addr, Some(&cert));
    c.send("CAP LS 302");
    let ls = c.expect("CAP");
    assert!(
        ls.params[2].contains("sasl=PLAIN,SCRAM-SHA-256,EXTERNAL"),
        "{ls:?}"
    );
    c.send("CAP REQ sasl");
    c.expect("CAP");
    c.send("AUTHENTICATE EXTERNAL");
    assert_eq!(c.expect("AUTHENTICATE").params, ["+"]);
    c.send("AUTHENTICATE +");
    assert_eq!(c.expect_any(&["904", "903", "900"]).command, "904");

    // Logged in with the password, CERT ADD binds the certificate in use.
    c.send("CAP END");
    c.register("carol");
    c.send("NS IDENTIFY correct-horse");
    c.expect("900");
    c.expect("NOTICE");
    c.send("NS CERT ADD");
    let added = c.expect("NOTICE");
    assert_eq!(
        added.params[1],
        format!("Added certificate {} to carol", cert.fingerprint)
    );
    c.send("NS CERT LIST");
    c.expect("NOTICE");
    assert_eq!(c.expect("NOTICE").params[1], cert.fingerprint);
    c.send("QUIT");
    until_closed(&mut c);

    // Next time, SASL EXTERNAL logs in before registration completes.
    let (mut c, _) = tls_connect(addr, Some(&cert));
    c.send("CAP REQ sasl");
    c.expect("CAP");
    c.send("AUTHENTICATE EXTERNAL");
    c.recv();
    c.send("AUTHENTICATE +");
    let logged = c.expect("900");
    assert_eq!(logged.params[2], "carol");
    c.expect("903");
    c.send("CAP END");
    c.register("carol");
    assert_eq!(params(one(&c.ask("WHOIS carol"), "330"))[2], "carol");

    // A bare NickServ IDENTIFY does the same, and a stranger's
    // certificate (or none) logs in to nothing.
    let (mut d, _) = tls_connect(addr, Some(&cert));
    d.register("dave");
    d.send("NS IDENTIFY");
    assert_eq!(d.expect("900").params[2], "carol");
    let (mut e, _) = tls_connect(addr, Some(&client_cert("eve")));
    e.send("CAP REQ sasl");
    e.expect("CAP");
    e.send("AUTHENTICATE EXTERNAL");
    e.recv();
    e.send("AUTHENTICATE +");
    assert_eq!(e.expect_any(&["904", "900"]).command, "904");
    let mut plain = server.connect();
    plain.send("CAP REQ sasl");
    plain.expect("CAP");
    plain.send("AUTHENTICATE EXTERNAL");
    plain.recv();
    plain.send("AUTHENTICATE +");
    assert_eq!(plain.expect_any(&["904", "900"]).command, "904");
}

#[test]
fn a_certificate_belongs_to_one_account() {
    let (server, addr) = tls_server(|_| {});
    register_account(&server, "frank", "pw-frank-1");
    register_account(&server, "grace", "pw-grace-1");
    let cert = client_cert("shared");
    let (mut f, _) = tls_connect(addr, Some(&cert));
    f.register("frank");
    f.send("NS IDENTIFY pw-frank-1");
    f.expect("900");
    f.expect("NOTICE");
    f.send("NS CERT ADD");
    assert!(f.expect("NOTICE").params[1].starts_with("Added certificate"));
    let (mut g, _) = tls_connect(addr, Some(&cert));
    g.register("grace");
    g.send("NS IDENTIFY grace pw-grace-1");
    g.expect("900");
    g.expect("NOTICE");
    g.send("NS CERT ADD");
    assert_eq!(
        g.expect("NOTICE").params[1],
        "That certificate belongs to another account"
    );
    // DEL frees it.
    f.send(&format!("NS CERT DEL {}", cert.fingerprint));
    assert!(f.expect("NOTICE").params[1].starts_with("Removed certificate"));
    g.send(&format!("NS CERT ADD {}", cert.fingerprint.to_uppercase()));
    assert!(g.expect("NOTICE").params[1].starts_with("Added certificate"));
}

/// Writes a fresh self-signed certificate and key to `dir`; its fingerprint.
fn write_cert(dir: &Path) -> String {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.join("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
    natter_server::tls::fingerprint(made.cert.der())
}

#[test]
fn rehash_switches_certificates_without_dropping_tls_clients() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_cert(dir.path());
    let config = dir.path().join("natter.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\ndata_dir = '{}'\n\n[listen]\nirc = [\"127.0.0.1:0\"]\nim = []\n\
             irc_tls = [\"127.0.0.1:0\"]\nhttp = []\nmetrics = []\n\n\
             [tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n\n\
             [[oper]]\nname = \"root\"\npassword = \"{}\"\n",
            // Absolute: a relative data_dir is relative to the working
            // directory, not to the file.
            dir.path().join("data").display(),
            cheap_hash("hunter2")
        ),
    )
    .unwrap();
    let server = TestServer::with_config(|c| {
        *c = natter_server::Config::load(&config).expect("the config loads");
    });
    let addr = server.addrs(Listener::IrcTls)[0];
    assert_eq!(server.tls_fingerprint().as_deref(), Some(first.as_str()));
    let (mut alice, seen) = tls_connect(addr, None);
    assert_eq!(seen, first);
    alice.register("alice");
    oper_up(&mut alice);

    let second = write_cert(dir.path());
    assert_ne!(first, second);
    let reply = alice.ask("REHASH");
    assert_eq!(one(&reply, "382").params[1], config.display().to_string());
    // New connections get the new certificate...
    let (mut bob, seen) = tls_connect(addr, None);
    assert_eq!(seen, second);
    bob.register("bob");
    // ...and alice's session goes on.
    join_all("#rehash", &mut [&mut alice, &mut bob]);
    bob.send("PRIVMSG #rehash :still here?");
    assert_eq!(alice.expect("PRIVMSG").params, ["#rehash", "still here?"]);
    alice.send("PRIVMSG #rehash :yes");
    assert_eq!(bob.expect("PRIVMSG").params, ["#rehash", "yes"]);

    // A key that does not load is refused, and the certificate in use stays.
    std::fs::write(dir.path().join("key.pem"), "not a key").unwrap();
    let reply = alice.ask("REHASH");
    let err = reply
        .iter()
        .find(|m| m.command == "NOTICE" || m.command.starts_with('4'))
        .unwrap_or_else(|| panic!("REHASH reports the bad key: {reply:?}"));
    assert!(format!("{err:?}").contains("key.pem"), "{err:?}");
    let (_carol, seen) = tls_connect(addr, None);
    assert_eq!(seen, second);
}

#[test]
fn a_plain_text_client_on_the_tls_port_is_closed_not_left_hanging() {
    let (_server, addr) = tls_server(|_| {});
    let mut c = Client::connect(addr);
    c.send("NICK plain");
    c.send("USER plain 0 * :Plain");
    // The server answers with at most a TLS alert, then closes; the read
    // ends well before the client's timeout.
    let started = std::time::Instant::now();
    let mut raw = Vec::new();
    let _ = std::io::Read::read_to_end(&mut TcpStreamReader(&mut c), &mut raw);
    assert!(
        started.elapsed() < TIMEOUT,
        "the server left the client hanging"
    );
    assert!(!String::from_utf8_lossy(&raw).contains("001"), "{raw:?}");
}

/// Reads a [`Client`]'s raw bytes until the server closes.
struct TcpStreamReader<'a>(&'a mut Client);

impl std::io::Read for TcpStreamReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.recv_line() {
            None => Ok(0),
            Some(line) => {
                let n = line.len().min(buf.len());
                buf[..n].copy_from_slice(&line.as_bytes()[..n]);
                Ok(n.max(1))
            }
        }
    }
}

#[test]
fn sts_is_advertised_when_configured() {
    let (server, addr) = tls_server(|c| {
        c.tls.sts_port = Some(6697);
        c.tls.sts_duration = 2_592_000;
    });
    let mut plain = server.connect();
    plain.send("CAP LS 302");
    let ls = plain.expect("CAP");
    assert!(
        ls.params[2].split(' ').any(|c| c == "sts=port=6697"),
        "{ls:?}"
    );
    let (mut secure, _) = tls_connect(addr, None);
    secure.send("CAP LS 302");
    let ls = secure.expect("CAP");
    assert!(
        ls.params[2].split(' ').any(|c| c == "sts=duration=2592000"),
        "{ls:?}"
    );
    // It is a policy, not something to enable.
    plain.send("CAP REQ sts");
    assert_eq!(plain.expect("CAP").params[1], "NAK");
    // Without the setting there is none.
    let (other, _) = tls_server(|_| {});
    let mut c = other.connect();
    c.send("CAP LS 302");
    assert!(!c.expect("CAP").params[2].contains("sts"));
}

#[test]
fn servers_link_over_tls_by_pinned_fingerprints() {
    // Each server's certificate is made first, so the other can pin it.
    let dir = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a_dir).unwrap();
    std::fs::create_dir_all(&b_dir).unwrap();
    let (a_fp, b_fp) = (write_cert(&a_dir), write_cert(&b_dir));
    let with_cert = |c: &mut natter_server::Config, d: &Path| {
        c.tls.cert = Some(d.join("cert.pem"));
        c.tls.key = Some(d.join("key.pem"));
    };
    let a = TestServer::with_config(|c| {
        c.server.name = "a.test".into();
        c.listen.link_tls = vec!["127.0.0.1:0".parse().unwrap()];
        with_cert(c, &a_dir);
        let mut b = block("b.test", None);
        b.fingerprint = Some(natter_server::tls::colons(&b_fp));
        c.links.push(b);
    });
    let a_link = a.addrs(Listener::LinkTls)[0];
    let b = TestServer::with_config(|c| {
        c.server.name = "b.test".into();
        with_cert(c, &b_dir);
        let mut to_a = block("a.test", Some(a_link));
        to_a.tls = true;
        // As people copy it from the start-up line: with colons.
        to_a.fingerprint = Some(natter_server::tls::colons(&a_fp));
        c.links.push(to_a);
    });
    let mut ann = a.client("ann");
    let mut bea = b.client("bea");
    wait_servers(&mut ann, 2);
    wait_servers(&mut bea, 2);
    join_all("#link", &mut [&mut ann]);
    bea.send("JOIN #link");
    bea.expect("366");
    ann.expect("JOIN");
    bea.send("PRIVMSG #link :across TLS");
    let got = ann.expect("PRIVMSG");
    assert_eq!(
        got.source.as_deref().map(|s| s.split('!').next().unwrap()),
        Some("bea")
    );
    assert_eq!(got.params, ["#link", "across TLS"]);

    // A server whose pinned fingerprint does not match never links.
    let wrong = TestServer::with_config(|c| {
        c.server.name = "c.test".into();
        let mut to_a = block("a.test", Some(a_link));
        to_a.tls = true;
        to_a.fingerprint = Some(b_fp.clone());
        c.links.push(to_a);
    });
    let mut cat = wrong.client("cat");
    std::thread::sleep(std::time::Duration::from_millis(500));
    wait_servers(&mut cat, 1);
    wait_servers(&mut ann, 2);
}

#[test]
fn the_im_protocol_runs_over_tls_too() {
    let server = TestServer::with_config(|c| {
        c.listen.im_tls = vec!["127.0.0.1:0".parse().unwrap()];
    });
    let (mut ann, _) = tls_connect(server.addrs(Listener::ImTls)[0], None);
    ann.send("REGISTER [\"ann\", \"online\"]");
    let users = ann.recv_line().expect("ONLINE_USERS");
    assert!(users.starts_with("ONLINE_USERS "), "{users}");
    assert!(users.contains("\"ann\""), "{users}");
    // An IRC user sees her, on a secure connection.
    let mut bob = server.client("bob");
    let whois = bob.ask("WHOIS ann");
    assert_eq!(params(one(&whois, "671"))[1], "ann");
}

#[test]
fn lines_sent_just_before_a_tls_close_are_handled() {
    let (server, addr) = tls_server(|_| {});
    let mut bob = server.client("bob");
    join_all("#bye", &mut [&mut bob]);
    // The last line and close_notify leave in one TCP write, so the server
    // reads both at once.
    let (stream, _) = common::tls::tls_stream(addr, None);
    let mut carol = stream;
    use std::io::Write;
    carol
        .write_all(b"NICK carol\r\nUSER c 0 * :c\r\nJOIN #bye\r\nPRIVMSG #bye :last words\r\nQUIT :bye for now\r\n")
        .unwrap();
    carol.conn.send_close_notify();
    carol.conn.complete_io(&mut carol.sock).unwrap();
    // Closed at once, unread session tickets and all (the kernel may then
    // answer the server with a reset).
    drop(carol);
    bob.expect("JOIN");
    assert_eq!(bob.expect("PRIVMSG").params, ["#bye", "last words"]);
    assert_eq!(bob.expect("QUIT").params, ["Quit: bye for now"]);
}
