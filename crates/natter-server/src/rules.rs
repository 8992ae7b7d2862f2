//! The rules a user's action obeys whichever front end it came through:
//! who may join a channel, who may send to one or to a user, and how much
//! of a message's text a relayed line has room for.
//!
//! Each check returns a typed refusal, and the front end renders it as its
//! own error: a numeric on IRC (ERR_TOOMANYJOINS, ERR_CANNOTSENDTOCHAN…),
//! an `ERROR` on IM. IRC and IM then cannot disagree on what is allowed,
//! nor on the order the rules are tried in.
//!
//! Neutral: uses the model, `[limits]` and the flood buckets, and names no
//! front end. Called by `irc/` and `im/` only.

use natter_model::{Channel, JoinRefusal, MessageKind, Network, SendRefusal, User, UserRef};

use crate::config::Limits;
use crate::flood::ChangeRates;
use crate::text::truncate;

/// Longest IRC line, CR LF included (RFC 1459 2.3; Modern IRC "Message
/// Format"): every message is relayed to IRC users as one.
pub const MAX_LINE: usize = 512;

/// Why a user may not send a private message to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateDenied {
    /// The target has user mode `+R` and the sender is logged in to no
    /// account (IRC: ERR_NEEDREGGEDNICK, 477).
    NeedsAccount,
}

/// Whether `sender` may send a private message to `target`: a `+R`
/// target takes them only from users logged in to an account, from
/// operators, and from itself.
pub fn check_private_send(sender: &User, target: &User) -> Result<(), PrivateDenied> {
    let exempt = sender.account.is_some() || sender.modes.oper || sender.id == target.id;
    if target.modes.registered_only && !exempt {
        return Err(PrivateDenied::NeedsAccount);
    }
    Ok(())
}

/// What [`check_join`] allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// The user may join.
    Allowed,
    /// The user is in the channel already: nothing to do.
    AlreadyIn,
}

/// Why a user may not join a channel, in the order the rules are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinDenied {
    /// JOIN/PART cycling: the `[flood]` join bucket is empty; whole
    /// seconds to wait, at least 1 (IRC: ERR_TOOMANYJOINS, 500).
    Rate(u64),
    /// In `[limits] channels_per_user` channels already (CHANLIMIT;
    /// IRC: ERR_TOOMANYCHANNELS, 405).
    TooManyChannels,
    /// The channel's own modes refuse: +b, +i, +k or +l (IRC: 474, 473,
    /// 475, 471).
    Channel(JoinRefusal),
}

/// Whether `user` may join channel `name` (which need not exist yet)
/// with `key`. Takes a join from `rates` (the connection's change buckets;
/// `None` for an exempt client) even when the user then turns out to be
/// in the channel, as a JOIN line is what is limited; operators are never
/// refused for the rate.
pub fn check_join(
    net: &Network,
    limits: &Limits,
    rates: Option<&mut ChangeRates>,
    user: &User,
    name: &str,
    key: Option<&str>,
) -> Result<Join, JoinDenied> {
    if let Some(Err(wait)) = rates.map(|r| r.join()) {
        if !user.modes.oper {
            return Err(JoinDenied::Rate(wait));
        }
    }
    let chan = net.channel(name);
    if chan.is_some_and(|c| c.member(user.id).is_some()) {
        return Ok(Join::AlreadyIn);
    }
    if user.channels.len() >= limits.channels_per_user {
        return Err(JoinDenied::TooManyChannels);
    }
    match chan.and_then(|c| c.join_refusal(user, key)) {
        Some(refusal) => Err(JoinDenied::Channel(refusal)),
        None => Ok(Join::Allowed),
    }
}

/// Why a user may not send to a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendDenied {
    /// The channel's modes refuse the sender: +n, +m, a ban or a mute
    /// (IRC: ERR_CANNOTSENDTOCHAN, 404, with [`SendRefusal::text`]).
    Refused(SendRefusal),
    /// +C and the text is a CTCP other than ACTION (IRC: 404 too).
    Ctcp,
}

/// Whether `user` may send `text` to `chan`: its modes first, then +C.
pub fn check_channel_send(chan: &Channel, user: &User, text: &str) -> Result<(), SendDenied> {
    if let Some(refusal) = chan.send_refusal(user) {
        return Err(SendDenied::Refused(refusal));
    }
    if chan.blocks_ctcp(text) {
        return Err(SendDenied::Ctcp);
    }
    Ok(())
}

/// `text` cut on a character boundary so that the relayed line
/// `:nick!user@host COMMAND target :text` CR LF fits in [`MAX_LINE`]: the
/// source the server prepends makes it longer than what the sender wrote.
/// `target_len` is the length in bytes of the target as shown (a channel's
/// name with any status prefix, or the recipient's nick).
pub fn fit_message<'t>(
    from: &UserRef,
    kind: MessageKind,
    target_len: usize,
    text: &'t str,
) -> &'t str {
    let room = room_for_trailing(from.mask_len(), kind.command(), target_len + 1);
    truncate(text, room)
}

/// `text` cut on a character boundary so that the line
/// `:source COMMAND middles... :text` CR LF fits in [`MAX_LINE`]: for any
/// line whose last parameter comes from a user (a PART or QUIT reason, a
/// topic, a KICK comment).
pub fn fit_trailing<'t>(text: &'t str, source: &str, command: &str, middles: &[&str]) -> &'t str {
    let middles_len = middles.iter().map(|m| m.len() + 1).sum();
    truncate(text, room_for_trailing(source.len(), command, middles_len))
}

/// Bytes left for the trailing parameter of
/// `:source COMMAND middles :trailing` CR LF in [`MAX_LINE`], with a source
/// of `source_len` bytes and middle parameters taking `middles_len` bytes
/// with the space before each.
fn room_for_trailing(source_len: usize, command: &str, middles_len: usize) -> usize {
    // ':' source ' ' command middles ' :' trailing CR LF
    let overhead = 1 + source_len + 1 + command.len() + middles_len + 2 + 2;
    MAX_LINE.saturating_sub(overhead)
}
