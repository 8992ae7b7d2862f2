//! The IM front end end to end over TCP (docs/im-protocol.md; the lectures'
//! IM server protocol with JSON in place of pickles): the worked session of
//! the document, IM and IRC users in one conversation (both directions, in
//! order), IRC private messages as direct conversations, WHOIS and INVITE
//! across the two protocols, presence (ONLINE_USERS on every change and
//! periodically, PRESENCE_CHANGED, statuses cut to AWAYLEN), every ERROR
//! and that the connection survives it, conversation IDs never reused, the
//! shape of CONVERSATIONS, and how connections end (GOODBYE, timeouts,
//! shutdown, KILL). One file per topic; the IM side is driven by the
//! blocking [`Im`] client of the common module.

#[path = "../common/mod.rs"]
mod common;
mod conversations;
mod endings;
mod errors;
mod presence;
mod session;

use common::*;

use std::collections::BTreeMap;

use natter_proto::im::{ConvId, Reply};
use natter_proto::Message;

/// The longest line the server accepts, without its terminator.
const MAX_LINE: usize = 8191 + 512;

/// A server whose periodic ONLINE_USERS is far off, so that only the
/// presence changes a test makes show up (the periodic test sets its own).
fn start() -> TestServer {
    TestServer::with_config(|c| c.im.online_users_interval = 3600)
}

/// The IRC prefix of IM user `name` (user name `im`).
fn im_prefix(name: &str) -> String {
    format!("{name}!im@{HOST}")
}

/// A MESSAGE reply.
fn message(id: ConvId, from: &str, text: &str) -> Reply {
    Reply::Message(id, from.into(), text.into())
}

/// An ERROR reply.
fn error(text: &str) -> Reply {
    Reply::Error(text.into())
}

/// The users of an ONLINE_USERS map, for comparison.
fn users(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(u, s)| (u.to_string(), s.to_string()))
        .collect()
}

/// `{id: [members]}`, for comparison with LIST_CONVERSATIONS.
fn convs(list: &[(ConvId, &[&str])]) -> BTreeMap<ConvId, Vec<String>> {
    list.iter()
        .map(|(id, m)| (*id, m.iter().map(|s| s.to_string()).collect()))
        .collect()
}
