//! Server links: natter as one server of a spanning tree (RFC 2813), with
//! other natter servers and with ngIRCd.
//!
//! A link is a TCP connection to a neighbour server. Both sides send PASS
//! and SERVER ([`session`]), then a burst of everything they know
//! ([`burst`]): the servers behind them, every user, every `#` channel.
//! From then on every change travels as a line: a change made here goes
//! out through [`forward`], which [`World::emit_from`] calls for every
//! event; a line from a neighbour becomes an event in [`inbound`] and goes
//! through the same `emit_from`, so local clients, IM clients and the other
//! links see it exactly as they see a local change.
//!
//! What may touch what: this module imports the model, the world and the
//! wire grammar (`natter_proto::link`); the fan-out (`crate::frontends`) calls only [`forward`];
//! the IRC front end reads [`LinkEntry`] for LINKS, MAP and STATS l and
//! asks [`session`] to CONNECT or to split (SQUIT).
//!
//! Routing: a message to a `#` channel goes to every natter neighbour (so
//! every natter server's history of it is the same) and to the plain
//! neighbours that lead to one of its members; a message to a user along
//! the one link on the path to its server; `&` channels never leave this
//! server. Everything else goes to every link but the one it came from.

pub mod burst;
pub mod inbound;
pub mod render;
pub mod session;

use std::sync::Arc;

use natter_model::{Event, MessageTarget, ServerId, UserId};

use crate::outbound::Outbound;
use crate::world::Origin;
use crate::World;

/// A working link, as the world keeps it (keyed by the neighbour's id).
#[derive(Debug)]
pub struct LinkEntry {
    /// Its outbound queue (bounded by `limits.link_sendq`).
    pub out: Arc<Outbound>,
    /// Whether the neighbour is natter, with the extensions it announced.
    pub natter: Option<Extensions>,
    /// The neighbour's server tokens (RFC 2813 §4.1.2): token -> server.
    pub tokens: std::collections::HashMap<u32, ServerId>,
    /// CHANINFO lines of a plain peer's burst for channels it has not
    /// sent the NJOIN of yet, by folded channel name (ngIRCd sends
    /// CHANINFO first); see [`inbound::ChanInfo`].
    pub chaninfo: std::collections::HashMap<String, inbound::ChanInfo>,
    /// When the link was established (Unix seconds).
    pub since: u64,
    /// Lines and bytes (line ends included) received on it (STATS l).
    pub received: (u64, u64),
    /// The last measured round trip of a PING, in milliseconds.
    pub lag_ms: Option<u64>,
    /// The netjoin batch of the neighbour's burst, open until the PING
    /// that ends it.
    pub netjoin: Option<crate::world::OpenBatch>,
}

/// What the link front end keeps in the world (the assembled world's
/// `front.link`).
#[derive(Debug, Default)]
pub struct State {
    /// Working links, by the neighbour at their far end.
    pub links: std::collections::HashMap<ServerId, LinkEntry>,
    /// `[[link]]` block names with an autoconnect loop running.
    pub autoconnecting: std::collections::HashSet<String>,
}

/// What a natter neighbour announced in its PASS (capabilities).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extensions {
    /// `TAGS`: IRCv3 message tags travel with messages.
    pub tags: bool,
    /// `TS`: nick and channel timestamps travel in `ts` tags.
    pub ts: bool,
}

/// The links `event` must go to, given where it came from.
fn targets(world: &World, event: &Event, origin: Origin) -> Vec<ServerId> {
    if origin == Origin::Split {
        return Vec::new();
    }
    let not_origin = |l: &ServerId| Origin::Link(*l) != origin;
    let via_of_user = |id: UserId| -> Option<ServerId> {
        let user = world.net.user(id)?;
        world.net.server(user.server)?.via
    };
    let local_channel = |name: &str| name.starts_with('&');
    match event {
        Event::Message {
            target: MessageTarget::User(to),
            ..
        }
        | Event::Invited { target: to, .. } => {
            via_of_user(*to).into_iter().filter(not_origin).collect()
        }
        Event::Message {
            target: MessageTarget::Channel { name, .. },
            ..
        }
        | Event::Knocked { channel: name, .. } => {
            if local_channel(name) {
                return Vec::new();
            }
            let Some(chan) = world.net.channel(name) else {
                return Vec::new();
            };
            // Every natter neighbour gets a `#` channel's messages, members
            // behind it or not, so each server's history of the channel is
            // the same; a plain peer only where members are.
            let all_links = &world.front.link.links;
            let mut links: Vec<ServerId> = match event {
                Event::Message { .. } => all_links
                    .iter()
                    .filter(|(id, l)| l.natter.is_some() && not_origin(id))
                    .map(|(id, _)| *id)
                    .collect(),
                _ => Vec::new(),
            };
            // Only plain peers are chosen by members: without one, no need
            // to walk the channel (the fan-out path of every message).
            if matches!(event, Event::Message { .. })
                && all_links.values().all(|l| l.natter.is_some())
            {
                return links;
            }
            for id in chan.members.keys() {
                if let Some(via) = via_of_user(*id) {
                    if !links.contains(&via) && not_origin(&via) {
                        links.push(via);
                    }
                }
            }
            links
        }
        Event::Joined { channel, .. }
        | Event::Parted { channel, .. }
        | Event::Kicked { channel, .. }
        | Event::TopicChanged { channel, .. }
        | Event::ChannelModeChanged { channel, .. }
            if local_channel(channel) =>
        {
            Vec::new()
        }
        _ => world
            .front
            .link
            .links
            .keys()
            .copied()
            .filter(not_origin)
            .collect(),
    }
}

/// Whether user mode `c` crosses a link, to or from a peer (`natter`: a
/// natter peer, else a plain RFC 2813 one such as ngIRCd). `s` never
/// does: server notices are each server's own. `x` (natter's cloak) and
/// `R` (natter's registered-only messages) cross only between natter
/// servers: ngIRCd has its own `x` (its cloak) and `R` (registered with
/// services).
pub(crate) fn user_mode_crosses(c: char, natter: bool) -> bool {
    match c {
        's' => false,
        'x' | 'R' => natter,
        c => natter_model::UserModes::LETTERS.contains(c),
    }
}

/// Whether channel mode `c` crosses a link, to or from a peer (`natter`
/// as for [`user_mode_crosses`]). Between natter servers every mode does.
/// A plain peer gets those ngIRCd gives the same meaning (CHANMODES
/// `beI,k,l,imMnOPQRstVz` in ngIRCd 26): not `C` (it has none), `U`
/// (natter's own) nor `M`, which in ngIRCd lets only users registered
/// with services speak, voiced or not, and would silence natter's users
/// there; what a plain peer sends of those is ignored.
pub(crate) fn channel_mode_crosses(c: char, natter: bool) -> bool {
    natter || !matches!(c, 'C' | 'U' | 'M')
}

/// `modes` as a MODE line to a peer shows them (`natter` as for
/// [`user_mode_crosses`]): the flag string with only the modes that
/// cross ([`channel_mode_crosses`]), and the arguments (the key, shown,
/// and the limit, which always cross). Just `+` when none do.
pub(crate) fn modes_for_peer(
    modes: &natter_model::ChannelModes,
    natter: bool,
) -> (String, Vec<String>) {
    let (mut flags, args) = modes.render(true);
    flags.retain(|c| c == '+' || channel_mode_crosses(c, natter));
    (flags, args)
}

/// The link sink of the fan-out: passes `event` (already applied) on to
/// every link that needs it, rendered once per kind of peer (natter with
/// its extensions, or plain RFC 2813).
pub fn forward(world: &World, event: &Event, origin: Origin) {
    if world.front.link.links.is_empty() {
        return;
    }
    let targets = targets(world, event, origin);
    let mut forms: Vec<(Option<Extensions>, Option<bytes::Bytes>)> = Vec::new();
    for id in targets {
        let Some(link) = world.front.link.links.get(&id) else {
            continue;
        };
        let line = match forms.iter().find(|(k, _)| *k == link.natter) {
            Some((_, line)) => line.clone(),
            None => {
                let line = render::render(world, event, link.natter).map(bytes::Bytes::from);
                forms.push((link.natter, line.clone()));
                line
            }
        };
        if let Some(line) = line {
            link.out.push(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{channel_mode_crosses, user_mode_crosses};

    /// ngIRCd reads `R` as "registered with services" and `x` as its own
    /// cloak: natter's meanings of both stay between natter servers, and
    /// server notices (`s`) stay on their server.
    #[test]
    fn which_user_modes_cross_to_which_peer() {
        let crossing = |natter| {
            natter_model::UserModes::LETTERS
                .chars()
                .filter(|c| user_mode_crosses(*c, natter))
                .collect::<String>()
        };
        assert_eq!(crossing(true), "BRiowx");
        assert_eq!(crossing(false), "Biow");
        assert!(
            !user_mode_crosses('a', true),
            "away is not a user mode here"
        );
    }

    /// ngIRCd has no `C` nor `U`, and its `M` means something else.
    #[test]
    fn which_channel_modes_cross_to_which_peer() {
        let crossing = |natter| {
            "CMRUbeIiklmnost"
                .chars()
                .filter(|c| channel_mode_crosses(*c, natter))
                .collect::<String>()
        };
        assert_eq!(crossing(true), "CMRUbeIiklmnost");
        assert_eq!(crossing(false), "RbeIiklmnost");
    }
}
