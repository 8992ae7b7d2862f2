//! IM presence: ONLINE_USERS to every registered IM client on every
//! presence change (the lecture's protocol) and periodically, and the IM
//! front end's hooks on the fan-out ([`after_event`], [`end_of_link_batch`]).
//!
//! A change made here is told at once; changes that come through a server
//! link are told once per batch of lines the link delivers, so a burst of
//! thousands of users sends a few lists, not one per user.

use natter_model::{Event, UserId};

use crate::world::{Origin, World};

/// The IM front end's hook after every event: conversations follow their
/// channels, and presence changes are told (at once, or at the end of the
/// link's batch).
pub fn after_event(
    world: &mut World,
    event: &Event,
    origin: Origin,
    me: Option<(UserId, &mut String)>,
) {
    world.conversations.after(event, &world.net);
    if super::render::changes_presence(event) {
        match origin {
            Origin::Link(_) | Origin::Split => world.presence_dirty = true,
            Origin::Local => broadcast(world, me),
        }
    }
}

/// At the end of a batch of lines from a link: tells IM clients about the
/// presence changes it brought.
pub fn end_of_link_batch(world: &mut World) {
    if std::mem::take(&mut world.presence_dirty) {
        broadcast(world, None);
    }
}

/// Sends ONLINE_USERS to every registered IM client (IM protocol: on
/// every presence change, and periodically). `me`'s copy goes to its
/// pending output when given, to stay in order with its replies.
pub fn broadcast(world: &World, mut me: Option<(UserId, &mut String)>) {
    if world.im_users.is_empty() {
        return;
    }
    let line = super::render::online_users(&world.net);
    // A user who just quit is still listed until its connection is
    // gone, but is no longer on the network: it gets no presence.
    for id in world
        .im_users
        .iter()
        .filter(|id| world.net.user(**id).is_some())
    {
        match &mut me {
            Some((me_id, buf)) if me_id == id => {
                buf.push_str(std::str::from_utf8(&line).unwrap_or_default())
            }
            _ => {
                if let Some(conn) = world.conns.get(id) {
                    conn.out.push(line.clone());
                }
            }
        }
    }
}
