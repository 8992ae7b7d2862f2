//! Telling a conversation about a file shared into it: a PRIVMSG from the
//! uploader that names the file and links to it, through the one event
//! path, so IRC and IM clients, links and history all see the same
//! message.

use natter_model::{Event, MessageKind, MessageTarget, UserId};
use natter_proto::casemap::fold;
use natter_store::FileRecord;

use super::Files;
use crate::frontends::World;

/// The conversations `grantees` name that user `from` can post to: the
/// channels it is in and the other parties of private conversations who
/// are online.
fn targets(world: &World, from: UserId, grantees: &[String]) -> Vec<MessageTarget> {
    let net = &world.net;
    let mut out = Vec::new();
    for g in grantees {
        if let Some(channel) = g.strip_prefix("chan:") {
            if let Some(chan) = net.channel(channel).filter(|c| c.member(from).is_some()) {
                out.push(MessageTarget::Channel {
                    name: chan.name.clone(),
                    status: None,
                });
            }
        } else if let Some(account) = g.strip_prefix("acct:") {
            let user = net
                .users()
                .find(|u| u.id != from && u.account.as_deref().is_some_and(|a| fold(a) == account));
            if let Some(u) = user {
                out.push(MessageTarget::User(u.id));
            }
        } else if let Some(nick) = g.strip_prefix("nick:") {
            if let Some(u) = net.user_by_nick(nick).filter(|u| u.id != from) {
                out.push(MessageTarget::User(u.id));
            }
        }
    }
    out
}

/// Posts [`Files::announcement`] of `record` from user `from` into each
/// conversation of `grantees` it can post to. `me_buf` is `from`'s
/// pending output when it is the acting client (its copy stays in order
/// with its replies).
pub fn announce(
    world: &mut World,
    from: UserId,
    files: &Files,
    record: &FileRecord,
    grantees: &[String],
    mut me_buf: Option<&mut String>,
) {
    let Some(user) = world.net.user(from).map(|u| u.snapshot()) else {
        return;
    };
    let text = files.announcement(record);
    for target in targets(world, from, grantees) {
        let event = Event::Message {
            from: user.clone(),
            kind: MessageKind::Privmsg,
            target,
            text: text.clone(),
            tags: String::new(),
            msgid: world.next_msgid(),
            at_ms: crate::world::now_ms(),
        };
        let me = me_buf.as_deref_mut().map(|buf| (from, buf));
        world.emit(&event, me);
    }
}

/// [`announce`] from a local user logged in to `account` (for an upload
/// that came over HTTP): the first such user that is in one of the
/// conversations; none, no message.
pub fn announce_as_account(
    world: &mut World,
    account: &str,
    files: &Files,
    record: &FileRecord,
    grantees: &[String],
) {
    let key = fold(account);
    let from = world
        .net
        .users()
        .filter(|u| world.conns.contains_key(&u.id))
        .filter(|u| u.account.as_deref().is_some_and(|a| fold(a) == key))
        .map(|u| u.id)
        .find(|id| !targets(world, *id, grantees).is_empty());
    if let Some(from) = from {
        announce(world, from, files, record, grantees, None);
    }
}
