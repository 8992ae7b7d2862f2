//! Users from a link: introductions (NICK with seven parameters), nick
//! changes, nick collisions (RFC 2813 §5.2) and away.

use super::*;

impl Inbound<'_> {
    /// NICK in its introduction form: a new user behind the neighbour.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn introduce(
        &mut self,
        source: Option<&str>,
        nick: String,
        username: String,
        host: String,
        token: u32,
        umodes: String,
        realname: String,
    ) {
        let Some(From::Server(_)) = self.source(source, "NICK") else {
            return;
        };
        let server = self
            .world
            .front
            .link
            .links
            .get(&self.peer)
            .and_then(|l| l.tokens.get(&token).copied())
            .filter(|s| self.behind(*s));
        let Some(server) = server else {
            tracing::warn!(peer = %self.peer_name(), nick, token, "NICK for an unknown server token, dropped");
            return;
        };
        if !is_valid_nick(&nick, 64) {
            tracing::warn!(peer = %self.peer_name(), nick, "NICK with an invalid nickname, dropped");
            return;
        }
        let ts = self.ts();
        let mut nick = nick;
        if let Some(existing) = self.world.net.user_by_nick(&nick) {
            let existing = existing.id;
            match self.collide(existing, &nick, server, ts) {
                Some(renamed) => nick = renamed,
                None => return,
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut user = User::new(
            Identity {
                id,
                nick,
                user: username,
                host,
                realname,
                server,
                frontend: Frontend::Irc,
            },
            now(),
        );
        if let Some(ts) = ts {
            user.nick_ts = ts;
        }
        // A natter peer names the real address behind a cloak (`x`); a
        // plain peer's users keep the host it sent (ngIRCd's `x` is its
        // own cloak, not ours).
        let natter = self.is_natter();
        if let Some(real) = self.tag("realhost").filter(|_| natter) {
            if !real.is_empty() && !real.contains([' ', '!', '@']) {
                user.real_host = real.to_string();
            }
        }
        for c in umodes
            .chars()
            .filter(|c| crate::link::user_mode_crosses(*c, natter))
        {
            user.modes.set(c, true);
        }
        let away = umodes.contains('a');
        self.emit(Event::UserIntroduced(Box::new(user)));
        if away {
            self.away(id, Some("Away".into()));
        }
    }

    /// A nick collision between `existing` and a newcomer on `server` with
    /// nick timestamp `ts` (RFC 2813 §5.2). Returns the nick the newcomer
    /// gets, or `None` when it must not be introduced.
    pub(super) fn collide(
        &mut self,
        existing: UserId,
        nick: &str,
        server: ServerId,
        ts: Option<u64>,
    ) -> Option<String> {
        let net = &self.world.net;
        let old = net.user(existing).expect("exists");
        let (Some(ts), true) = (ts, self.natter_peer()) else {
            // No timestamps: both go (RFC 2813 §5.2), here and on the peer.
            tracing::warn!(nick, peer = %self.peer_name(), "nick collision without timestamps: both killed");
            let me = self.world.server_name().to_string();
            let kill = LinkMessage::Kill {
                source: Some(me.clone()),
                nick: nick.to_string(),
                comment: "Nick collision".into(),
            };
            if let Some(link) = self.world.front.link.links.get(&self.peer) {
                link.out.push(bytes::Bytes::from(kill.to_line()));
            }
            let user = old.snapshot();
            self.world.emit_from(
                &Event::Killed {
                    by: Source::Server(LOCAL_SERVER),
                    user,
                    reason: format!("Killed ({me} (Nick collision))"),
                    comment: "Nick collision".into(),
                    at: now(),
                },
                Origin::Link(self.peer),
                None,
            );
            return None;
        };
        // The older nick keeps it; on a tie, the user of the server whose
        // name sorts first. Every server decides the same way.
        let old_key = (
            old.nick_ts,
            net.server_name(old.server).to_ascii_lowercase(),
        );
        let new_key = (ts, net.server_name(server).to_ascii_lowercase());
        if new_key < old_key {
            let renamed = collision_nick(&old.nick, &old_key.1, old.nick_ts);
            tracing::info!(
                nick,
                renamed,
                "nick collision: the existing user is newer and renamed"
            );
            let user = old.snapshot();
            // Every server that sees both users renames the loser the same
            // way. The loser's own server also tells the network: a server
            // that never saw the collision (the winner left before the
            // loser's NICK reached it) still has the old nick, and would
            // keep a ghost. Where the rename is known, the NICK's source
            // names the winner in the wrong direction and is dropped.
            let origin = if old.server == LOCAL_SERVER {
                Origin::Local
            } else {
                Origin::Split
            };
            self.world.emit_from(
                &Event::NickChanged {
                    user,
                    new_nick: renamed,
                    at: old_key.0,
                },
                origin,
                None,
            );
            Some(nick.to_string())
        } else {
            let renamed = collision_nick(nick, &new_key.1, ts);
            tracing::info!(
                nick,
                renamed,
                "nick collision: the newcomer is newer and renamed"
            );
            Some(renamed)
        }
    }

    /// Whether the neighbour is natter (with whatever extensions).
    pub(super) fn is_natter(&self) -> bool {
        self.world
            .front
            .link
            .links
            .get(&self.peer)
            .is_some_and(|l| l.natter.is_some())
    }

    pub(super) fn natter_peer(&self) -> bool {
        self.world
            .front
            .link
            .links
            .get(&self.peer)
            .is_some_and(|l| l.natter.is_some_and(|n| n.ts))
    }

    /// `:<old> NICK <new>`.
    pub(super) fn nick_change(&mut self, source: Option<&str>, nick: String) {
        let Some(id) = self.user_source(source, "NICK") else {
            return;
        };
        if !is_valid_nick(&nick, 64) {
            return;
        }
        let ts = self.ts();
        let user = self.world.net.user(id).expect("resolved");
        let (snapshot, server) = (user.snapshot(), user.server);
        let mut nick = nick;
        if let Some(other) = self.world.net.user_by_nick(&nick).filter(|u| u.id != id) {
            let other = other.id;
            match self.collide(other, &nick, server, ts) {
                Some(renamed) => nick = renamed,
                None => {
                    // The changing user is killed on both sides too.
                    self.emit(Event::Quit {
                        user: snapshot,
                        reason: "Killed (Nick collision)".into(),
                        at: now(),
                    });
                    return;
                }
            }
        }
        self.emit(Event::NickChanged {
            user: snapshot,
            new_nick: nick,
            at: ts.unwrap_or_else(now),
        });
    }

    pub(super) fn away(&mut self, id: UserId, message: Option<String>) {
        let user = self.world.net.user(id).expect("resolved");
        if user.away == message {
            return;
        }
        let user = user.snapshot();
        self.emit(Event::AwayChanged { user, message });
    }

    /// QUIT: the user leaves the network.
    pub(super) fn quit(&mut self, source: Option<&str>, reason: Option<String>) {
        let Some(id) = self.user_source(source, "QUIT") else {
            return;
        };
        let user = self.world.net.user(id).expect("resolved").snapshot();
        self.emit(Event::Quit {
            user,
            reason: reason.unwrap_or_default(),
            at: now(),
        });
    }

    /// KILL: `nick` is removed from the network with `comment`.
    pub(super) fn kill(&mut self, source: Option<&str>, nick: &str, comment: String) {
        let Some(from) = self.source(source, "KILL") else {
            return;
        };
        let Some(target) = self.world.net.user_by_nick(nick) else {
            return;
        };
        let user = target.snapshot();
        let by = self.event_source(from);
        let killer = self.world.net.source_name(&by);
        self.emit(Event::Killed {
            by,
            user,
            reason: format!("Killed ({killer} ({comment}))"),
            comment,
            at: now(),
        });
    }

    /// AWAY: the user is away with `message`, or back without one.
    pub(super) fn away_from(&mut self, source: Option<&str>, message: Option<String>) {
        let Some(id) = self.user_source(source, "AWAY") else {
            return;
        };
        let message = message.filter(|m| !m.is_empty());
        self.away(id, message);
    }
}

/// The nick a collision's loser gets: its nick (shortened) and a short
/// hash of its nick, server and timestamp, the same on every server
/// (FNV-1a, stable across builds).
pub fn collision_nick(nick: &str, server: &str, ts: u64) -> String {
    let mut hash: u64 = 0xcbf29ce484222325;
    for b in nick
        .to_ascii_lowercase()
        .bytes()
        .chain(server.bytes())
        .chain(ts.to_le_bytes())
    {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    let short: String = nick.chars().take(20).collect();
    format!("{short}-{:05x}", hash & 0xfffff)
}
