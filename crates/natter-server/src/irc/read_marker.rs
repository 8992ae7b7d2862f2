//! MARKREAD (IRCv3 read-marker, work in progress, capability
//! `draft/read-marker`: <https://ircv3.net/specs/extensions/read-marker>):
//! a user's clients tell each other, through the server, up to which
//! message (by its server-time `time`) each buffer has been read.
//!
//! Markers are kept per owner and then by casefolded target. A logged-in
//! user's owner is its account (`acct:<name>`): those markers are saved in
//! the store and outlive connections and restarts. Without an account a
//! nick (`nick:<name>`) is no lasting identity, and the spec forbids
//! showing one user's markers to another ("Security Considerations"), so
//! such markers follow the nick's changes and are forgotten when it quits.

use std::collections::HashMap;

use natter_model::Event;
use natter_proto::validate::{is_valid_channel, is_valid_nick};
use natter_proto::{casemap, Message};

use super::caps::Cap;
use super::registration::middle;
use super::Ctx;
use crate::world::Origin;
use crate::World;

/// Most read markers one owner keeps (in memory and in the store); past
/// it, the oldest goes. More buffers than any client shows.
pub const MAX_MARKERS: usize = 1000;

/// Read markers of every user: owner key (`acct:` or `nick:` and the
/// casefolded name: the account when logged in, else the nick) -> casefolded
/// target -> timestamp (`YYYY-MM-DDThh:mm:ss.sssZ`, the server-time form,
/// so later timestamps compare greater as strings).
#[derive(Debug, Default)]
pub struct ReadMarkers {
    by_owner: HashMap<String, HashMap<String, String>>,
}

impl ReadMarkers {
    /// The stored timestamp of `owner` for `target` (both casefolded).
    pub fn get(&self, owner: &str, target: &str) -> Option<&str> {
        self.by_owner
            .get(owner)
            .and_then(|m| m.get(target))
            .map(String::as_str)
    }

    /// Moves `owner`'s marker for `target` (both casefolded) forward to
    /// `timestamp` (a valid one, see [`valid_timestamp`]); an older or equal
    /// timestamp leaves it as it is ("MUST only ever increase"). Returns the
    /// stored timestamp and whether it changed.
    ///
    /// An owner keeps at most [`MAX_MARKERS`]: a marker for a new target
    /// past that replaces the one with the oldest timestamp.
    pub fn advance(&mut self, owner: &str, target: &str, timestamp: &str) -> (&str, bool) {
        let markers = self.by_owner.entry(owner.to_string()).or_default();
        if markers.len() >= MAX_MARKERS && !markers.contains_key(target) {
            let oldest = markers
                .iter()
                .min_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(t, _)| t.clone());
            if let Some(oldest) = oldest {
                markers.remove(&oldest);
            }
        }
        let stored = markers.entry(target.to_string()).or_default();
        let changed = timestamp > stored.as_str();
        if changed {
            *stored = timestamp.to_string();
        }
        (stored, changed)
    }

    /// Keeps the markers in step with their owners after `event` was
    /// applied: a nick change moves them to the new nick, a quit forgets
    /// them.
    pub fn after(&mut self, event: &Event) {
        if self.by_owner.is_empty() {
            return;
        }
        match event {
            Event::NickChanged { user, new_nick, .. } => {
                let old = format!("nick:{}", casemap::fold(&user.nick));
                let new = format!("nick:{}", casemap::fold(new_nick));
                if old != new {
                    if let Some(markers) = self.by_owner.remove(&old) {
                        self.by_owner.insert(new, markers);
                    }
                }
            }
            Event::Quit { user, .. } | Event::Killed { user, .. } => {
                self.by_owner
                    .remove(&format!("nick:{}", casemap::fold(&user.nick)));
            }
            _ => {}
        }
    }
}

/// The owner key of `ctx`'s user's markers: `acct:<account>` when logged
/// in, else `nick:<nick>` (both casefolded).
fn owner(ctx: &Ctx<'_>) -> String {
    let me = ctx.me();
    crate::history::party(&ctx.world.net, me.id, &me.nick)
}

/// Loads the stored markers of accounts (at start).
pub fn load(markers: &mut ReadMarkers, stored: Vec<(String, String, String)>) {
    for (account, target, timestamp) in stored {
        markers.advance(&format!("acct:{account}"), &target, &timestamp);
    }
}

/// Read markers' hook on the fan-out ([`crate::frontends`]): markers
/// follow their owner's nick changes and go when it leaves
/// ([`ReadMarkers::after`]).
pub fn after_event(
    world: &mut World,
    event: &Event,
    _: Origin,
    _: Option<(natter_model::UserId, &mut String)>,
) {
    world.front.irc.read_markers.after(event);
}

/// Whether `ts` has the form `YYYY-MM-DDThh:mm:ss.sssZ` (server-time; the
/// only form MARKREAD takes) and is a real UTC time.
pub fn valid_timestamp(ts: &str) -> bool {
    let b = ts.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
        && humantime::parse_rfc3339(ts).is_ok()
}

/// `MARKREAD <target> [timestamp=YYYY-MM-DDThh:mm:ss.sssZ]`.
///
/// With a timestamp (client set command) the user's marker for `target`
/// moves forward to it (clamped to now, never backwards) and the reply is
/// `MARKREAD <target> timestamp=<stored>`, the stored value even when the
/// given one was older. Without one (client get command) the reply is the
/// stored value or `MARKREAD <target> *`. Missing target: `FAIL MARKREAD
/// NEED_MORE_PARAMS`; a target that is neither a channel nor a nick name,
/// or a timestamp not of that form (`*` included): `FAIL MARKREAD
/// INVALID_PARAMS <param>`.
pub fn markread(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(target) = msg.param(0).filter(|t| !t.is_empty()) else {
        return ctx.server_line(
            "FAIL",
            &["MARKREAD", "NEED_MORE_PARAMS", "Missing parameters"],
        );
    };
    let limits = &ctx.world.config.limits;
    if !is_valid_channel(target, limits.channellen) && !is_valid_nick(target, limits.nicklen) {
        return invalid_params(ctx, target);
    }
    let owner = owner(ctx);
    let key = casemap::fold(target);
    let Some(param) = msg.param(1) else {
        let shown = shown(ctx.world.front.irc.read_markers.get(&owner, &key));
        return ctx.server_line("MARKREAD", &[target, &shown]);
    };
    let Some(timestamp) = param
        .strip_prefix("timestamp=")
        .filter(|t| valid_timestamp(t))
    else {
        return invalid_params(ctx, param);
    };
    // A marker in the future would hold back every real one after it
    // (spec, "Implementation Considerations": clamp to the current time).
    let now = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
    let timestamp = timestamp.min(now.as_str());
    let (stored, changed) = ctx
        .world
        .front
        .irc
        .read_markers
        .advance(&owner, &key, timestamp);
    let stored = stored.to_string();
    if let (true, Some(account)) = (changed, owner.strip_prefix("acct:")) {
        let (account, key, ts) = (account.to_string(), key.clone(), stored.clone());
        ctx.world.history.write(move |store| {
            if let Err(e) = store.set_read_marker(&account, &key, &ts, MAX_MARKERS) {
                tracing::error!(error = %e, "saving a read marker failed");
            }
        });
    }
    let shown = shown(Some(&stored));
    // The reply to the setter is also the spec's notice to "all the clients
    // of the user" when the marker changed: a natter user has one
    // connection. (With several, the others with the capability would get
    // it too, when `_changed`.)
    ctx.server_line("MARKREAD", &[target, &shown]);
}

/// After the client's own JOIN of `channel` (read-marker "Command flows":
/// before the RPL_ENDOFNAMES that follows the JOIN), its marker for the
/// channel: `MARKREAD <channel> timestamp=...` or `MARKREAD <channel> *`.
/// Only for clients with `draft/read-marker`.
pub(super) fn on_join(ctx: &mut Ctx<'_>, channel: &str) {
    if !ctx.caps().has(Cap::ReadMarker) {
        return;
    }
    let Some(name) = ctx.world.net.channel(channel).map(|c| c.name.clone()) else {
        return;
    };
    let owner = owner(ctx);
    let shown = shown(
        ctx.world
            .front
            .irc
            .read_markers
            .get(&owner, &casemap::fold(&name)),
    );
    ctx.server_line("MARKREAD", &[&name, &shown]);
}

/// The MARKREAD timestamp parameter for a stored value: `timestamp=...`,
/// or `*` when there is none.
fn shown(stored: Option<&str>) -> String {
    match stored {
        Some(ts) if !ts.is_empty() => format!("timestamp={ts}"),
        _ => "*".to_string(),
    }
}

/// `FAIL MARKREAD INVALID_PARAMS <param> :Invalid parameters`.
fn invalid_params(ctx: &mut Ctx<'_>, param: &str) {
    let param = middle(param).to_string();
    ctx.server_line(
        "FAIL",
        &["MARKREAD", "INVALID_PARAMS", &param, "Invalid parameters"],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_must_have_the_server_time_form() {
        assert!(valid_timestamp("2019-01-04T14:33:26.123Z"));
        for bad in [
            "",
            "*",
            "not-a-timestamp",
            "2019-01-04T14:33:26Z",
            "2019-01-04T14:33:26.12Z",
            "2019-01-04T14:33:26.1234Z",
            "2019-01-04 14:33:26.123Z",
            "2019-01-04T14:33:26.123+00:00",
            "2019-13-04T14:33:26.123Z",
            "2019-02-30T14:33:26.123Z",
            "2019-01-04T25:33:26.123Z",
        ] {
            assert!(!valid_timestamp(bad), "{bad:?}");
        }
    }

    #[test]
    fn markers_only_move_forward_follow_nicks_and_go_with_the_user() {
        let mut m = ReadMarkers::default();
        let t1 = "2019-01-04T14:33:26.123Z";
        let t2 = "2019-06-01T12:00:00.000Z";
        assert_eq!(m.advance("nick:alice", "#c", t2), (t2, true));
        assert_eq!(m.advance("nick:alice", "#c", t1), (t2, false));
        assert_eq!(m.advance("nick:alice", "#c", t2), (t2, false));
        assert_eq!(m.advance("acct:alice", "#c", t1), (t1, true));
        assert_eq!(m.get("nick:alice", "#c"), Some(t2));
        assert_eq!(m.get("nick:alice", "#d"), None);
        assert_eq!(m.get("nick:bob", "#c"), None);
        let user = |nick: &str| natter_model::UserRef {
            id: 1,
            nick: nick.into(),
            user: "~a".into(),
            host: "h".into(),
        };
        m.after(&Event::NickChanged {
            user: user("Alice"),
            new_nick: "al".into(),
            at: 0,
        });
        assert_eq!(m.get("nick:alice", "#c"), None);
        assert_eq!(m.get("nick:al", "#c"), Some(t2));
        m.after(&Event::Quit {
            user: user("AL"),
            reason: String::new(),
            at: 0,
        });
        assert_eq!(m.get("nick:al", "#c"), None);
        // An account's markers stay.
        assert_eq!(m.get("acct:alice", "#c"), Some(t1));
    }
}
