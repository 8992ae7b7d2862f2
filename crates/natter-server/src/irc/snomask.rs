//! Server notices for operators: user mode `+s` (RFC 2812 3.1.5) with a
//! server notice mask that says which kinds a client wants, as InspIRCd and
//! Solanum do (`MODE nick +s +ck`, answered with RPL_SNOMASKIS).
//!
//! The kinds are those in [`KINDS`]. Connections and quits are noticed
//! from the fan-out ([`after`], called by `World::emit` for every event);
//! kills, OPER and REHASH by their handlers, server bans by their hook,
//! through [`notify`]. Only local
//! operators get them. The mask lives on the connection
//! ([`crate::irc::ConnState::snomask`]); the world keeps the set of
//! connections with `+s` so a notice costs nothing when no one listens.

use bytes::Bytes;
use natter_model::{Event, Frontend, UserId};
use natter_proto::numeric::RPL_SNOMASKIS;
use natter_proto::write_line_trailing;

use super::Ctx;
use crate::world::Origin;
use crate::World;

/// Every kind of server notice: its mask letter and what it reports.
pub const KINDS: &[(char, &str)] = &[
    ('a', "announcements: REHASH"),
    ('c', "client connections"),
    ('k', "KILLs and server bans (K-lines, D-lines)"),
    ('o', "OPER"),
    ('q', "client quits"),
];

/// A server notice mask: a set of [`KINDS`] letters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snomask(u32);

impl Snomask {
    /// Every kind: what OPER and a bare `MODE nick +s` give.
    pub fn all() -> Snomask {
        let mut mask = Snomask::default();
        for (letter, _) in KINDS {
            mask.set(*letter, true);
        }
        mask
    }

    fn bit(letter: char) -> Option<u32> {
        KINDS.iter().position(|(l, _)| *l == letter).map(|i| 1 << i)
    }

    /// Whether kind `letter` is in the mask.
    pub fn has(self, letter: char) -> bool {
        Self::bit(letter).is_some_and(|b| self.0 & b != 0)
    }

    /// Adds or removes kind `letter`; false for a letter not in [`KINDS`].
    pub fn set(&mut self, letter: char, on: bool) -> bool {
        let Some(bit) = Self::bit(letter) else {
            return false;
        };
        if on {
            self.0 |= bit;
        } else {
            self.0 &= !bit;
        }
        true
    }

    /// Applies a change such as `+ck-q` (a leading sign is optional and
    /// means `+`); `*` stands for every kind. Returns the letters it did
    /// not know, which change nothing.
    pub fn apply(&mut self, change: &str) -> Vec<char> {
        let mut add = true;
        let mut unknown = Vec::new();
        for c in change.chars() {
            match c {
                '+' | '-' => add = c == '+',
                '*' => {
                    for (letter, _) in KINDS {
                        self.set(*letter, add);
                    }
                }
                c if self.set(c, add) => {}
                c => unknown.push(c),
            }
        }
        unknown
    }

    /// Whether no kind is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The mask as RPL_SNOMASKIS shows it: `+ackoq`.
    pub fn render(self) -> String {
        let letters = KINDS.iter().map(|(l, _)| *l).filter(|l| self.has(*l));
        std::iter::once('+').chain(letters).collect()
    }
}

/// Applies a mask change (`+ck-q`, `*`) from `MODE nick +s <change>` to
/// the client's mask and answers with RPL_SNOMASKIS (unknown letters are
/// ignored, as InspIRCd does); returns the new mask.
pub fn change_mask(ctx: &mut Ctx<'_>, change: &str) -> Snomask {
    let Some(conn) = ctx.world.conns.get_mut(&ctx.client.id) else {
        return Snomask::default();
    };
    conn.front.snomask.apply(change);
    let mask = conn.front.snomask;
    if !mask.is_empty() {
        ctx.numeric(RPL_SNOMASKIS, &[&mask.render(), "Server notice mask"]);
    }
    mask
}

/// Records whether user `id` now has `+s`: a user with it is watched for
/// notices; one without it loses its mask.
pub fn settle(world: &mut World, id: UserId, server_notices: bool) {
    if server_notices {
        world.front.irc.snotice_watchers.insert(id);
    } else if world.front.irc.snotice_watchers.remove(&id) {
        if let Some(conn) = world.conns.get_mut(&id) {
            conn.front.snomask = Snomask::default();
        }
    }
}

/// Sends `*** Notice -- <text>` as a server NOTICE to every local operator
/// whose mask has `kind`.
pub fn notify(world: &World, kind: char, text: &str) {
    if world.front.irc.snotice_watchers.is_empty() {
        return;
    }
    let server = world.server_name();
    let text = format!("*** Notice -- {text}");
    for id in &world.front.irc.snotice_watchers {
        let (Some(conn), Some(user)) = (world.conns.get(id), world.net.user(*id)) else {
            continue;
        };
        if conn.front.snomask.has(kind) && user.modes.oper {
            let mut line = String::new();
            let text = super::fit_trailing(&text, server, "NOTICE", &[&user.nick]);
            write_line_trailing(&mut line, None, Some(server), "NOTICE", &[&user.nick, text]);
            conn.out.push(Bytes::from(line));
        }
    }
}

/// Server notices' hook on the fan-out ([`crate::frontends`]): [`after`].
pub fn after_event(world: &mut World, event: &Event, _: Origin, _: Option<(UserId, &mut String)>) {
    after(world, event);
}

/// The notices an event makes: `c` when a local client registers, `q` when
/// one leaves (Solanum's wording). Called for every event after it was
/// applied (a quitting user's connection is still known then).
pub fn after(world: &World, event: &Event) {
    if world.front.irc.snotice_watchers.is_empty() {
        return;
    }
    match event {
        Event::UserIntroduced(user) => {
            let Some(conn) = world.conns.get(&user.id) else {
                return;
            };
            let ip = conn.addr.ip().to_canonical();
            notify(
                world,
                'c',
                &format!(
                    "Client connecting: {} ({}@{}) [{ip}] {{{}}} [{}]",
                    user.nick,
                    user.user,
                    user.real_host,
                    match user.frontend {
                        Frontend::Irc => "IRC",
                        Frontend::Im => "IM",
                        Frontend::Service => "service",
                    },
                    user.realname
                ),
            );
        }
        Event::Quit { user, reason, .. } | Event::Killed { user, reason, .. } => {
            let Some(conn) = world.conns.get(&user.id) else {
                return;
            };
            let ip = conn.addr.ip().to_canonical();
            let (nick, username, host) = (&user.nick, &user.user, &user.host);
            notify(
                world,
                'q',
                &format!("Client exiting: {nick} ({username}@{host}) [{reason}] [{ip}]"),
            );
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_apply_changes_and_render_in_order() {
        let mut m = Snomask::default();
        assert!(m.is_empty());
        assert_eq!(m.apply("+qc"), Vec::<char>::new());
        assert_eq!(m.render(), "+cq");
        assert_eq!(m.apply("-q+kZ"), vec!['Z']);
        assert_eq!(m.render(), "+ck");
        assert_eq!(m.apply("ao"), Vec::<char>::new());
        assert_eq!(m, Snomask::all().tap_remove('q'));
        m.apply("-*");
        assert!(m.is_empty());
        m.apply("*");
        assert_eq!(m, Snomask::all());
    }

    impl Snomask {
        fn tap_remove(mut self, letter: char) -> Snomask {
            self.set(letter, false);
            self
        }
    }
}
