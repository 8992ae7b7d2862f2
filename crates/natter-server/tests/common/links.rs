//! Linked test networks: link blocks, nodes with a link listener, and
//! waits for servers and users to appear.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use natter_server::config::LinkBlock;

use super::*;

pub const PW: &str = "link-secret";

/// A link block for `peer`: connect to `address` (with autoconnect) when
/// given, else wait for it.
pub fn block(peer: &str, address: Option<SocketAddr>) -> LinkBlock {
    LinkBlock {
        name: peer.into(),
        address: address.map(|a| a.to_string()),
        send_password: PW.into(),
        receive_password: cheap_hash(PW),
        autoconnect: address.is_some(),
        tls: false,
        fingerprint: None,
    }
}

/// A natter server named `name` with a link listener (on `link_port`, 0
/// for any) and links to `peers` (connecting to those with an address).
pub fn node(name: &str, link_port: u16, peers: &[(&str, Option<SocketAddr>)]) -> TestServer {
    TestServer::with_config(|c| {
        c.server.name = name.into();
        c.server.description = format!("server {name}");
        c.listen.link = vec![SocketAddr::from(([127, 0, 0, 1], link_port))];
        c.opers.push(oper("root", "hunter2", "*@*"));
        for (peer, address) in peers {
            c.links.push(block(peer, *address));
        }
    })
}

/// A server named `name` that links to `peer` only on CONNECT.
pub fn on_demand(name: &str, peer: &str, to: &TestServer) -> TestServer {
    TestServer::with_config(|c| {
        c.server.name = name.into();
        c.opers.push(oper("root", "hunter2", "*@*"));
        c.links.push(LinkBlock {
            autoconnect: false,
            tls: false,
            fingerprint: None,
            ..block(peer, to.link_addr)
        });
    })
}

/// Waits until `c`'s server lists exactly `servers` in LINKS (what else
/// `c` receives meanwhile is dropped).
pub fn wait_servers(c: &mut Client, servers: usize) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let links = c.ask("LINKS");
        let n = links.iter().filter(|m| m.command == "364").count();
        if n == servers {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "[{}] LINKS never showed {servers} servers: {links:#?}",
            c.nick
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until `nick` is a user on `c`'s server (WHOIS answers).
pub fn wait_user(c: &mut Client, nick: &str) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if c.ask(&format!("WHOIS {nick}"))
            .iter()
            .any(|m| m.command == "311")
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "[{}] {nick} never appeared",
            c.nick
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
