//! Rendering network events for IM clients.

use std::collections::BTreeMap;

use bytes::Bytes;
use natter_model::{Event, MessageKind, MessageTarget, Network, UserId};
use natter_proto::im::Reply;

use super::conversations::Conversations;
use super::ONLINE;

/// `event` as an IM line for `recipient`, or `None` when IM clients are not
/// shown it. Messages become `MESSAGE` (the sender included, which confirms
/// delivery), invitations `INVITATION`. Presence is not rendered here but
/// broadcast as a whole by [`online_users`].
pub fn render(
    event: &Event,
    net: &Network,
    recipient: UserId,
    convs: &mut Conversations,
) -> Option<Bytes> {
    let reply = match event {
        Event::Message {
            from,
            kind: MessageKind::Privmsg | MessageKind::Notice,
            target,
            text,
            ..
        } => {
            let conv = match target {
                MessageTarget::Channel { name, .. } => convs.for_channel(name),
                MessageTarget::User(to) => convs.direct(from.id, *to),
            };
            Reply::Message(conv, from.nick.clone(), text.clone())
        }
        Event::Invited {
            by,
            target,
            channel,
            ..
        } if *target == recipient => Reply::Invitation(convs.for_channel(channel), by.nick.clone()),
        _ => return None,
    };
    let _ = net;
    Some(Bytes::from(reply.to_line()))
}

/// Whether `event` changes what ONLINE_USERS shows.
pub fn changes_presence(event: &Event) -> bool {
    matches!(
        event,
        Event::UserIntroduced(_)
            | Event::NickChanged { .. }
            | Event::Quit { .. }
            | Event::Killed { .. }
            | Event::AwayChanged { .. }
    )
}

/// `ONLINE_USERS {"nick": "status"}` for every user on the network: the
/// status is `online`, or the user's away message.
pub fn online_users(net: &Network) -> Bytes {
    let users: BTreeMap<String, String> = net
        .users()
        .map(|u| {
            (
                u.nick.clone(),
                u.away.clone().unwrap_or_else(|| ONLINE.to_string()),
            )
        })
        .collect();
    Bytes::from(Reply::OnlineUsers(users).to_line())
}
