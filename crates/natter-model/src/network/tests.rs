//! Unit tests of the parent module.

use super::*;
use crate::event::{Event, MessageKind, MessageTarget, ModeArg, ModeChange, Source};
use crate::user::{Frontend, Identity, UserRef};

fn user(id: UserId, nick: &str) -> Event {
    Event::UserIntroduced(Box::new(User::new(
        Identity {
            id,
            nick: nick.into(),
            user: "~u".into(),
            host: "127.0.0.1".into(),
            realname: "R".into(),
            server: LOCAL_SERVER,
            frontend: Frontend::Irc,
        },
        0,
    )))
}

/// User `id` as events name it (names do not matter here).
fn r(id: UserId) -> UserRef {
    UserRef {
        id,
        nick: String::new(),
        user: String::new(),
        host: String::new(),
    }
}

fn join(id: UserId, chan: &str) -> Event {
    Event::Joined {
        user: r(id),
        channel: chan.into(),
        at: 1,
        // In these tests user 1 creates the channels it is in.
        op: id == 1,
    }
}

#[test]
fn first_joiner_is_op_and_channel_dies_with_last_part() {
    let mut n = Network::default();
    n.apply(&user(1, "a"));
    n.apply(&user(2, "b"));
    assert_eq!(n.apply(&join(1, "#Chan")), vec![1]);
    let mut to = n.apply(&join(2, "#chan"));
    to.sort();
    assert_eq!(to, vec![1, 2]);
    let c = n.channel("#CHAN").unwrap();
    assert_eq!(c.name, "#Chan");
    assert!(c.is_op(1) && !c.is_op(2));
    n.apply(&Event::Parted {
        user: r(1),
        channel: "#chan".into(),
        reason: None,
    });
    assert!(n.channel("#chan").is_some());
    n.apply(&Event::Parted {
        user: r(2),
        channel: "#chan".into(),
        reason: None,
    });
    assert!(n.channel("#chan").is_none());
    assert_eq!(n.channel_count(), 0);
}

#[test]
fn nicks_are_casemapped_and_reserved() {
    let mut n = Network::default();
    n.reserve_nick(7, "Foo[1]").unwrap();
    assert_eq!(n.reserve_nick(8, "foo{1}"), Err(NickInUse));
    n.release_nick(7);
    n.reserve_nick(8, "foo{1}").unwrap();
    n.apply(&user(8, "foo{1}"));
    assert_eq!(n.user_by_nick("FOO[1]").unwrap().id, 8);
}

#[test]
fn quit_reaches_peers_once_and_cleans_up() {
    let mut n = Network::default();
    for (id, nick) in [(1, "a"), (2, "b"), (3, "c")] {
        n.apply(&user(id, nick));
    }
    for c in ["#x", "#y"] {
        n.apply(&join(1, c));
        n.apply(&join(2, c));
    }
    n.apply(&join(3, "#z"));
    let to = n.apply(&Event::Quit {
        user: r(1),
        reason: "bye".into(),
        at: 5,
    });
    assert_eq!(to, vec![2]);
    assert!(n.user_by_nick("a").is_none());
    assert_eq!(n.whowas("A").next().unwrap().nick, "a");
    assert!(n.channel("#x").unwrap().members.len() == 1);
}

#[test]
fn users_belong_to_servers_and_carry_nick_timestamps() {
    let mut n = Network::default();
    assert_eq!(n.local_server().name.as_ref(), "natter.local");
    assert_eq!(n.servers().count(), 1);
    n.apply(&user(1, "a"));
    n.apply(&user(2, "b"));
    assert_eq!((n.local_user_count(), n.max_local_users_seen()), (2, 2));
    assert_eq!(n.server_name(n.user(1).unwrap().server), "natter.local");
    assert_eq!(n.user(1).unwrap().nick_ts, 0);
    let nick = |new: &str, at| Event::NickChanged {
        user: r(1),
        new_nick: new.into(),
        at,
    };
    // A new nick is younger; a change of case keeps its age.
    n.apply(&nick("alpha", 10));
    assert_eq!(n.user(1).unwrap().nick_ts, 10);
    n.apply(&nick("ALPHA", 20));
    assert_eq!(n.user(1).unwrap().nick_ts, 10);
    n.apply(&Event::Quit {
        user: r(2),
        reason: "bye".into(),
        at: 30,
    });
    assert_eq!((n.local_user_count(), n.max_local_users_seen()), (1, 2));
    assert_eq!(&*n.whowas("b").next().unwrap().server, "natter.local");
}

#[test]
fn status_messages_reach_only_ranked_members() {
    let mut n = Network::default();
    for (id, nick) in [(1, "a"), (2, "b"), (3, "c")] {
        n.apply(&user(id, nick));
        n.apply(&join(id, "#x"));
    }
    let to = n.apply(&Event::Message {
        from: r(2),
        kind: MessageKind::Privmsg,
        target: MessageTarget::Channel {
            name: "#x".into(),
            status: Some('@'),
        },
        text: "hi".into(),
        tags: String::new(),
        msgid: "m1".into(),
        at_ms: 1000,
    });
    // The op, and the sender (whose front end decides about echoing).
    assert_eq!(to, vec![1, 2]);
}

#[test]
fn channel_modes_apply() {
    let mut n = Network::default();
    n.apply(&user(1, "a"));
    n.apply(&user(2, "b"));
    n.apply(&join(1, "#x"));
    n.apply(&join(2, "#x"));
    let ch = |mode, add, arg: Option<&str>| ModeChange {
        add,
        mode,
        arg: arg.map(|a| match a {
            "B" => ModeArg::Member(2, "B".into()),
            a => ModeArg::Text(a.into()),
        }),
    };
    n.apply(&Event::ChannelModeChanged {
        by: Source::User(n.user(1).unwrap().snapshot()),
        channel: "#x".into(),
        changes: vec![
            ch('o', true, Some("B")),
            ch('k', true, Some("key")),
            ch('l', true, Some("5")),
            ch('b', true, Some("*!*@bad")),
            ch('n', false, None),
        ],
        at: 9,
    });
    let c = n.channel("#x").unwrap();
    assert!(c.is_op(2));
    assert_eq!(c.modes.key.as_deref(), Some("key"));
    assert_eq!(c.modes.limit, Some(5));
    assert_eq!(c.bans[0].setter, "a");
    assert_eq!(
        c.modes.render(true),
        ("+klt".to_string(), vec!["key".to_string(), "5".to_string()])
    );
}

fn invite(target: UserId, chan: &str) -> Event {
    Event::Invited {
        by: r(1),
        target,
        target_nick: String::new(),
        channel: chan.into(),
    }
}

#[test]
fn invitations_are_bounded_and_cleared_when_the_user_quits() {
    let mut n = Network::default();
    n.apply(&user(1, "op"));
    n.apply(&user(2, "guest"));
    let names: Vec<String> = (0..crate::user::MAX_INVITES + 5)
        .map(|i| format!("#i{i}"))
        .collect();
    for name in &names {
        n.apply(&join(1, name));
        n.apply(&invite(2, name));
    }
    // The five oldest invitations went, from the user and the channels.
    assert_eq!(
        n.user(2)
            .unwrap()
            .invited_to
            .as_ref()
            .map_or(0, |i| i.len()),
        crate::user::MAX_INVITES
    );
    assert!(!n.channel("#i4").unwrap().invited.contains(&2));
    assert!(n.channel("#i5").unwrap().invited.contains(&2));
    // Joining uses an invitation up.
    n.apply(&join(2, "#i5"));
    let invites = n.user(2).unwrap().invited_to.as_ref().unwrap();
    assert!(!invites.contains(&"#i5".to_string()));
    // Quitting clears the rest from every channel.
    n.apply(&Event::Quit {
        user: r(2),
        reason: String::new(),
        at: 2,
    });
    assert!(names
        .iter()
        .all(|name| !n.channel(name).unwrap().invited.contains(&2)));
}
