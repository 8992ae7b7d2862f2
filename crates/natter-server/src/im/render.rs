//! Rendering network events for IM clients.

use std::collections::BTreeMap;

use bytes::Bytes;
use natter_model::{Event, MessageKind, MessageTarget, Network, UserId};
use natter_proto::im::Reply;

use super::conversations::Conversations;
use super::ONLINE;

/// The IM sink of the fan-out for one event: IM clients all see one form
/// of an event (or none), rendered on first need.
#[derive(Default)]
pub struct Form(Option<Option<Bytes>>);

impl Form {
    /// The line IM client `recipient` is shown for `event`, if any.
    pub fn line(
        &mut self,
        event: &Event,
        net: &Network,
        recipient: UserId,
        convs: &mut Conversations,
    ) -> Option<Bytes> {
        if let Some(form) = &self.0 {
            return form.clone();
        }
        let form = render(event, net, recipient, convs);
        // An invitation is for its target alone.
        if !matches!(event, Event::Invited { .. }) {
            self.0 = Some(form.clone());
        }
        form
    }
}

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
                MessageTarget::Channel { name, .. } => convs.for_channel(name, net, None),
                MessageTarget::User(to) => convs.direct(from.id, *to),
            };
            Reply::Message(conv, from.nick.clone(), text.clone())
        }
        Event::Invited {
            by,
            target,
            channel,
            ..
        } if *target == recipient => Reply::Invitation(
            convs.for_channel(channel, net, Some(by.id)),
            by.nick.clone(),
        ),
        _ => return None,
    };
    Some(Bytes::from(reply.to_line()))
}

/// What `event` (already applied to `net`) changes in what ONLINE_USERS
/// shows: username -> new status, `None` for a user gone; `None` for an
/// event that changes no presence.
pub fn presence_changes(event: &Event, net: &Network) -> Option<BTreeMap<String, Option<String>>> {
    let status = |id| net.user(id).map(status_of);
    Some(match event {
        Event::UserIntroduced(u) if u.frontend == natter_model::Frontend::Service => return None,
        Event::UserIntroduced(u) => [(u.nick.clone(), Some(status_of(u)))].into(),
        Event::NickChanged { user, new_nick, .. } => [
            (user.nick.clone(), None),
            (new_nick.clone(), status(user.id)),
        ]
        .into(),
        Event::Quit { user, .. } | Event::Killed { user, .. } => [(user.nick.clone(), None)].into(),
        Event::AwayChanged { user, .. } => [(user.nick.clone(), status(user.id))].into(),
        _ => return None,
    })
}

/// A user's IM status: `online`, or its away message.
fn status_of(u: &natter_model::User) -> String {
    u.away.clone().unwrap_or_else(|| ONLINE.to_string())
}

/// `ONLINE_USERS {"nick": "status"}` for every user on the network but
/// the services (IRC's NickServ is no IM peer): the status is `online`, or
/// the user's away message.
pub fn online_users(net: &Network) -> Bytes {
    let users: BTreeMap<String, String> = net
        .users()
        .filter(|u| u.frontend != natter_model::Frontend::Service)
        .map(|u| (u.nick.clone(), status_of(u)))
        .collect();
    Bytes::from(Reply::OnlineUsers(users).to_line())
}
