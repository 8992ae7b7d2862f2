//! Who may fetch a shared file: its uploader, and those its grants name.
//!
//! A grant is a string kept with the file:
//! - `chan:<casefolded channel>`: the channel's members at the time of
//!   the fetch (an IM group conversation is a channel);
//! - `acct:<casefolded account>`: that account (the other party of a
//!   private conversation who was logged in);
//! - `nick:<casefolded nick>`: whoever holds that nick (a private
//!   conversation's other party without an account; a nick is no lasting
//!   identity, so this is the weakest grant).
//!
//! A file gets the grant of the conversation it is shared into, and
//! [`after_event`] adds one when its uploader posts its link into another
//! conversation (how IRC clients share what they uploaded with
//! `draft/FILEHOST`).

use natter_model::{Event, MessageTarget, Network, UserId};
use natter_proto::casemap::fold;

use crate::frontends::World;
use crate::world::Origin;

/// Who asks for a file: a session (a user of this network), an account
/// (an HTTP request with its credentials), or both.
#[derive(Debug, Clone, Default)]
pub struct Who {
    /// The asking user, for an in-band request.
    pub user: Option<UserId>,
    /// The asker's account.
    pub account: Option<String>,
}

/// The grant for channel `name`'s members.
pub fn grantee_channel(name: &str) -> String {
    format!("chan:{}", fold(name))
}

/// The grant for the other party of a private conversation: its account
/// if it is logged in, else its nick.
pub fn grantee_user(net: &Network, id: UserId) -> Option<String> {
    let user = net.user(id)?;
    Some(match &user.account {
        Some(account) => format!("acct:{}", fold(account)),
        None => format!("nick:{}", fold(&user.nick)),
    })
}

/// The grant for `target`, a message's destination.
pub fn grantee_of(net: &Network, target: &MessageTarget) -> Option<String> {
    match target {
        MessageTarget::Channel { name, .. } => Some(grantee_channel(name)),
        MessageTarget::User(id) => grantee_user(net, *id),
    }
}

/// Whether `who` may fetch a file uploaded by `uploader` with `grantees`,
/// as the network stands now.
pub fn may_fetch(net: &Network, who: &Who, uploader: &str, grantees: &[String]) -> bool {
    let account = who
        .account
        .clone()
        .or_else(|| who.user.and_then(|u| net.user(u)?.account.clone()))
        .map(|a| fold(&a));
    if account.as_deref() == Some(fold(uploader).as_str()) {
        return true;
    }
    let user = who.user.and_then(|u| net.user(u));
    grantees.iter().any(|g| {
        if let Some(channel) = g.strip_prefix("chan:") {
            let Some(chan) = net.channel(channel) else {
                return false;
            };
            if who.user.is_some_and(|u| chan.member(u).is_some()) {
                return true;
            }
            // An account's request: any of its users in the channel.
            account.as_ref().is_some_and(|a| {
                chan.members.keys().any(|m| {
                    net.user(*m)
                        .and_then(|u| u.account.as_deref())
                        .is_some_and(|ma| fold(ma) == *a)
                })
            })
        } else if let Some(a) = g.strip_prefix("acct:") {
            account.as_deref() == Some(a)
        } else if let Some(n) = g.strip_prefix("nick:") {
            user.is_some_and(|u| fold(&u.nick) == n)
        } else {
            false
        }
    })
}

/// The fan-out hook: when a local user posts the link of a file its
/// account uploaded into a channel or to a user, that conversation may
/// fetch the file from then on.
pub fn after_event(
    world: &mut World,
    event: &Event,
    origin: Origin,
    _me: Option<(UserId, &mut String)>,
) {
    let Event::Message {
        from, target, text, ..
    } = event
    else {
        return;
    };
    // On the fan-out path for every message: the cheap test first.
    if !matches!(origin, Origin::Local) || !text.contains("/files/") {
        return;
    }
    let Some(files) = world.files.clone() else {
        return;
    };
    let Some(base) = files.base_url() else {
        return;
    };
    let marker = format!("{base}/files/");
    if !text.contains(&marker) {
        return;
    }
    let Some(account) = world.net.user(from.id).and_then(|u| u.account.clone()) else {
        return;
    };
    let Some(grantee) = grantee_of(&world.net, target) else {
        return;
    };
    for (at, _) in text.match_indices(&marker) {
        let id: String = text[at + marker.len()..].chars().take(22).collect();
        if !super::is_id(&id) {
            continue;
        }
        let Some(entry) = files.entry(&id) else {
            continue;
        };
        if fold(&entry.record.uploader) == fold(&account) {
            files.grant(&id, grantee.clone());
        }
    }
}
