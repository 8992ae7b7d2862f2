//! IM presence: what IM clients are told when who is online changes, and
//! the IM front end's hooks on the fan-out ([`after_event`],
//! [`end_of_link_batch`]).
//!
//! A client gets the whole ONLINE_USERS list on every change (the
//! lecture's protocol), or, after `PRESENCE ["changes"]` (an extension),
//! PRESENCE_CHANGED with only the users whose status changed; everyone
//! also gets the whole list periodically. A change made here is told at
//! once; changes that come through a server link are gathered and told
//! once per batch of lines the link delivers (once at the end of a
//! neighbour's burst), so a burst of thousands of users costs each client
//! one message, not one per user.
//!
//! Lists are bounded in time too: at most [`LISTS_PER_TICK`] go out for
//! changes between two ticks of the front ends' clock (a second); past
//! that, a change is told by the list the next tick sends, with the state
//! as it is then. The client whose own request made the change still gets
//! its list at once. Without the bound, N IM clients connecting together
//! would be sent N lists of up to N users each: a thousand of them were
//! sent 5.3 GB.

use std::collections::BTreeMap;

use bytes::Bytes;
use natter_model::{Event, UserId};
use natter_proto::im::Reply;

use crate::world::Origin;
use crate::World;

/// The IM front end's hook after every event: conversations follow their
/// channels, and presence changes are told (at once, or at the end of the
/// link's batch).
pub fn after_event(
    world: &mut World,
    event: &Event,
    origin: Origin,
    me: Option<(UserId, &mut String)>,
) {
    world.front.im.conversations.after(event, &world.net);
    if world.front.im.users.is_empty() {
        return;
    }
    let Some(changes) = super::render::presence_changes(event, &world.net) else {
        return;
    };
    match origin {
        Origin::Link(_) | Origin::Split => {
            world.front.im.presence_pending.extend(changes);
            world.front.im.presence_dirty = true;
        }
        Origin::Local => tell(world, changes, me),
    }
}

/// At the end of a batch of lines from a link: tells IM clients about the
/// presence changes it brought.
pub fn end_of_link_batch(world: &mut World) {
    if std::mem::take(&mut world.front.im.presence_dirty) {
        let changes = std::mem::take(&mut world.front.im.presence_pending);
        tell(world, changes, None);
    }
}

/// Tells every registered IM client about `changes`: the changes to those
/// that asked for them, the whole list to the others while the tick's
/// budget lasts (to `me` always; see the module's documentation). `me`'s
/// copy goes to its pending output when given, to stay in order with its
/// replies.
fn tell(
    world: &mut World,
    changes: BTreeMap<String, Option<String>>,
    me: Option<(UserId, &mut String)>,
) {
    let budget = world.front.im.lists_since_tick < LISTS_PER_TICK;
    let me_id = me.as_ref().map(|(id, _)| *id);
    let (mut listed, mut skipped) = (false, false);
    {
        let world = &*world;
        let mut list: Option<Bytes> = None;
        let changed = Bytes::from(Reply::PresenceChanged(changes).to_line());
        send(world, me, |id| {
            if world.front.im.presence_changes.contains(&id) {
                Some(changed.clone())
            } else if budget || me_id == Some(id) {
                listed |= me_id != Some(id);
                let list = list.get_or_insert_with(|| super::render::online_users(&world.net));
                Some(list.clone())
            } else {
                skipped = true;
                None
            }
        });
    }
    let im = &mut world.front.im;
    if listed {
        im.lists_since_tick += 1;
    }
    im.list_owed |= skipped;
}

/// Most ONLINE_USERS lists sent for changes between two ticks; see the
/// module's documentation.
pub const LISTS_PER_TICK: u32 = 20;

/// Starts the interval of the periodic ONLINE_USERS at `now` (start-up).
pub fn started(world: &mut World, now: std::time::Instant) {
    let every = std::time::Duration::from_secs(world.config.im.online_users_interval.max(1));
    world.front.im.presence_due = Some(now + every);
}

/// The periodic ONLINE_USERS (called every second, [`crate::world::FrontEnds::tick`]):
/// sent every `[im] online_users_interval` seconds, read again each time
/// so that REHASH can change it.
///
/// A list owed to clients since the budget of [`LISTS_PER_TICK`] ran out
/// goes to those that get lists.
pub fn tick(world: &mut World, now: std::time::Instant) {
    let im = &mut world.front.im;
    im.lists_since_tick = 0;
    let owed = std::mem::take(&mut im.list_owed);
    if im.users.is_empty() {
        return;
    }
    let every = std::time::Duration::from_secs(world.config.im.online_users_interval.max(1));
    let due = *im.presence_due.get_or_insert(now + every);
    if now >= due {
        im.presence_due = Some(now + every);
        broadcast(world, None);
    } else if owed {
        let mut list: Option<Bytes> = None;
        let changes = &world.front.im.presence_changes;
        send(world, None, |id| {
            if changes.contains(&id) {
                return None;
            }
            let list = list.get_or_insert_with(|| super::render::online_users(&world.net));
            Some(list.clone())
        });
    }
}

/// Sends the whole ONLINE_USERS list to every registered IM client (the
/// periodic update, and the answer to PRESENCE).
pub fn broadcast(world: &World, me: Option<(UserId, &mut String)>) {
    let list = super::render::online_users(&world.net);
    send(world, me, |_| Some(list.clone()));
}

/// Sends `line_for(id)`, if any, to every registered IM client whose user
/// is still on the network (one that just quit is listed until its
/// connection is gone, but gets no presence).
fn send(
    world: &World,
    mut me: Option<(UserId, &mut String)>,
    mut line_for: impl FnMut(UserId) -> Option<Bytes>,
) {
    for &id in world
        .front
        .im
        .users
        .iter()
        .filter(|id| world.net.user(**id).is_some())
    {
        let Some(line) = line_for(id) else {
            continue;
        };
        match &mut me {
            Some((me_id, buf)) if *me_id == id => {
                buf.push_str(std::str::from_utf8(&line).unwrap_or_default())
            }
            _ => {
                if let Some(conn) = world.conns.get(&id) {
                    conn.out.push(line);
                }
            }
        }
    }
}
