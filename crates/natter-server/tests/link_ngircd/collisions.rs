//! Nick collisions, cloaks as ngIRCd sees them, and servers behind a split.

use super::*;

/// A nick collision when the link is made: `zed` on both servers. ngIRCd
/// sends no nick timestamps, so both users are killed, as RFC 2813 §5.2
/// says, on both servers, and neither leaves a ghost behind.
#[test]
fn a_nick_collision_with_ngircd_kills_both_users() {
    let Some(bin) = ngircd_or_skip() else { return };
    let ng = Ngircd::start(&bin, Dial::NatterConnects);
    let natter = server_with_root(|c| link_to_ngircd(c, Some(ng.port), false));
    let mut zed_here = natter.client("zed");
    let mut zed_there = ng.client("zed");
    let mut alice = natter.client("alice");
    oper_up(&mut alice);
    let mut bob = ng.client("bob");

    let mark = ng.mark();
    alice.send(&format!("CONNECT {NGIRCD}"));
    ng.wait_synced(mark);
    let here = until_closed(&mut zed_here);
    assert!(
        here.iter().any(|m| m.command == "ERROR"),
        "natter's zed: {here:#?}"
    );
    let there = until_closed(&mut zed_there);
    assert!(
        there.iter().any(|m| m.command == "ERROR"),
        "ngIRCd's zed: {there:#?}"
    );
    // Whatever either side still had to say about zed has crossed.
    relay(&mut alice, &mut bob);
    relay(&mut bob, &mut alice);
    for c in [&mut alice, &mut bob] {
        let got = c.ask("WHOIS zed");
        assert_eq!(cmds(&got)[0], "401", "[{}] {got:#?}", c.nick);
    }
    // The link survived the collision: bob and alice still talk.
    bob.send("PRIVMSG alice :still here");
    assert_eq!(
        relay(&mut bob, &mut alice),
        ms(&[":bob!~bob@127.0.0.1 PRIVMSG alice :still here"])
    );
}

/// ngIRCd gets natter's cloaks as the hosts of natter's users (it has no
/// way to learn the real address), and no `x` mode; a later `MODE -x` on
/// natter does not reach it (RFC 2813 has no host change), so ngIRCd keeps
/// showing the cloak.
#[test]
fn ngircd_sees_natters_cloaks() {
    let Some(bin) = ngircd_or_skip() else { return };
    let natter = TestServer::with_config(|c| {
        c.privacy.cloak = true;
        link_to_ngircd(c, None, false);
    });
    let mut alice = natter.client("alice");
    let cloak = {
        let r = alice.ask("WHOIS alice");
        params(one(&r, "311"))[3].to_string()
    };
    assert!(cloak.ends_with(".IP"), "{cloak}");
    let ng = Ngircd::start(&bin, Dial::NgircdConnects(natter.link_addr.unwrap()));
    ng.wait_synced(0);
    let mut bob = ng.client("bob");
    common::links::wait_user(&mut alice, "bob");
    alice.send("PRIVMSG bob :hi");
    assert_eq!(
        relay(&mut alice, &mut bob),
        ms(&[&format!(":alice!~alice@{cloak} PRIVMSG bob :hi")])
    );
    let r = bob.ask("WHOIS alice");
    assert_eq!(params(one(&r, "311"))[3], cloak, "{r:#?}");
    assert!(!format!("{r:?}").contains("127.0.0.1"), "{r:#?}");
    alice.ask("MODE alice -x");
    alice.send("PRIVMSG bob :still cloaked there");
    assert_eq!(
        relay(&mut alice, &mut bob),
        ms(&[&format!(
            ":alice!~alice@{cloak} PRIVMSG bob :still cloaked there"
        )])
    );
}

/// A natter server `b.test` behind natter, linked to it, with a link
/// listener on `link_port` (0: any), for
/// [`servers_behind_a_split_leave_ngircd_one_squit_each`].
fn natter_behind(front: &TestServer, link_port: u16) -> TestServer {
    TestServer::with_config(|c| {
        c.server.name = "b.test".into();
        c.listen.link = vec![SocketAddr::from(([127, 0, 0, 1], link_port))];
        for (name, address) in [(SERVER, front.link_addr), ("c.test", None)] {
            c.links.push(LinkBlock {
                name: name.into(),
                address: address.map(|a| a.to_string()),
                send_password: "b-pw".into(),
                receive_password: cheap_hash("b-pw"),
                autoconnect: address.is_some(),
                tls: false,
                fingerprint: None,
            });
        }
    })
}

#[test]
fn servers_behind_a_split_leave_ngircd_one_squit_each() {
    let Some(bin) = ngircd_or_skip() else { return };
    let ng = Ngircd::start(&bin, Dial::NatterConnects);
    let front = TestServer::with_config(|c| {
        link_to_ngircd(c, Some(ng.port), true);
        c.links.push(LinkBlock {
            name: "b.test".into(),
            address: None,
            send_password: "b-pw".into(),
            receive_password: cheap_hash("b-pw"),
            autoconnect: false,
            tls: false,
            fingerprint: None,
        });
    });
    // ngIRCd - natter - b - c: c lies behind b.
    let mark = ng.mark();
    let mut b = natter_behind(&front, 0);
    let b_port = b.link_addr.unwrap().port();
    let _c = TestServer::with_config(|c| {
        c.server.name = "c.test".into();
        c.links.push(LinkBlock {
            name: "b.test".into(),
            address: b.link_addr.map(|a| a.to_string()),
            send_password: "b-pw".into(),
            receive_password: cheap_hash("b-pw"),
            autoconnect: true,
            tls: false,
            fingerprint: None,
        });
    });
    ng.log.wait(mark, "Server \"c.test\" registered", TIMEOUT);
    // b goes: c leaves with it. ngIRCd must forget both, or it refuses
    // their next introduction ("already registered") and drops the link.
    let mark = ng.mark();
    b.stop();
    ng.log.wait(mark, "Server \"c.test\" unregistered", TIMEOUT);
    let mark = ng.mark();
    let _b = natter_behind(&front, b_port);
    ng.log
        .wait(mark, "Server \"c.test\" registered", TIMEOUT * 2);
    let mut natter_user = front.client("alice");
    let mut ng_user = ng.client("bob");
    // alice's NICK must have reached ngIRCd before bob writes to her.
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !ng_user
        .ask("WHOIS alice")
        .iter()
        .any(|m| m.command == "311")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "ngIRCd never saw alice"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    ng_user.send("PRIVMSG alice :the link to natter is still up");
    let got = relay(&mut ng_user, &mut natter_user);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].params[1], "the link to natter is still up");
}
