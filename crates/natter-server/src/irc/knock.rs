//! `KNOCK <channel> [<reason>]`: asks the operators of a channel one cannot
//! join (`+i`, `+k`, or `+l` and full) for an invitation (Modern IRC
//! RPL_KNOCK and friends; InspIRCd and Solanum behave the same way).
//!
//! The channel's operators get RPL_KNOCK; the knocker RPL_KNOCKDLVR, or
//! ERR_NOSUCHCHANNEL, ERR_KNOCKONCHAN (already a member), ERR_CHANOPEN
//! (nothing keeps it out), ERR_CANNOTSENDTOCHAN (banned), or
//! ERR_TOOMANYKNOCK (a channel is knocked on at most once a
//! [`CHANNEL_DELAY`], a client knocks at most once a [`CLIENT_DELAY`]).

use natter_model::{Event, JoinRefusal};
use natter_proto::casemap;
use natter_proto::numeric::*;
use natter_proto::Message;

use super::registration::middle;
use super::Ctx;
use crate::world::now;

/// Seconds between two KNOCKs on one channel (Solanum's
/// `knock_delay_channel`).
pub const CHANNEL_DELAY: u64 = 60;

/// Seconds between two KNOCKs from one client (Solanum's `knock_delay`
/// is 5 minutes; a shorter wait suits a small network).
pub const CLIENT_DELAY: u64 = 30;

/// `KNOCK <channel> [<reason>]`.
pub fn knock(ctx: &mut Ctx<'_>, msg: &Message) {
    let name = &msg.params[0];
    // irssi sends `/knock #chan let me in` without a ':', as separate
    // words: they are one reason.
    let words = msg.params[1..].join(" ");
    let reason = match words.trim() {
        "" => "has asked for an invite",
        words => words,
    };
    let me = ctx.me();
    let Some(chan) = ctx.world.net.channel(name) else {
        return ctx.numeric(ERR_NOSUCHCHANNEL, &[middle(name), "No such channel"]);
    };
    let channel = chan.name.clone();
    if chan.member(me.id).is_some() {
        return ctx.numeric(
            ERR_KNOCKONCHAN,
            &[&channel, "You are already on that channel"],
        );
    }
    match chan.join_refusal(me, None) {
        None => {
            return ctx.numeric(
                ERR_CHANOPEN,
                &[&channel, "Channel is open, you can join it"],
            )
        }
        Some(JoinRefusal::Banned) => {
            return ctx.numeric(
                ERR_CANNOTSENDTOCHAN,
                &[&channel, "Cannot knock on channel (+b: you are banned)"],
            )
        }
        Some(
            JoinRefusal::InviteOnly
            | JoinRefusal::NeedsAccount
            | JoinRefusal::BadKey
            | JoinRefusal::Full,
        ) => {}
    }
    let (id, user) = (me.id, me.snapshot());
    let now = now();
    let folded = casemap::fold(&channel);
    let last_by_me = ctx.world.conns.get(&id).map_or(0, |c| c.front.last_knock());
    if now.saturating_sub(last_by_me) < CLIENT_DELAY {
        return ctx.numeric(ERR_TOOMANYKNOCK, &[&channel, "Too many KNOCKs (user)"]);
    }
    ctx.world
        .front
        .irc
        .knocks
        .retain(|_, at| now.saturating_sub(*at) < CHANNEL_DELAY);
    if ctx.world.front.irc.knocks.contains_key(&folded) {
        return ctx.numeric(ERR_TOOMANYKNOCK, &[&channel, "Too many KNOCKs (channel)"]);
    }
    ctx.world.front.irc.knocks.insert(folded, now);
    if let Some(conn) = ctx.world.conns.get_mut(&id) {
        conn.front.lists().last_knock = now;
    }
    let text = super::fit_trailing(reason, &user.mask(), "PRIVMSG", &[&channel]).to_string();
    ctx.emit(Event::Knocked {
        user,
        channel: channel.clone(),
        text,
    });
    ctx.numeric(RPL_KNOCKDLVR, &[&channel, "Your KNOCK has been delivered"]);
}
