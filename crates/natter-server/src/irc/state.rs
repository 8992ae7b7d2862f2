//! What the IRC front end keeps in the world beside the network state:
//! per connection ([`ConnState`], in [`crate::world::ConnEntry::front`])
//! and server-wide ([`State`], in the assembled world's `front.irc`).
//! Only the IRC front end's modules read or change these.

use std::collections::HashMap;

use natter_model::UserSet;

use super::caps::CapSet;
use super::read_marker::ReadMarkers;
use super::snomask::Snomask;
use crate::config::Config;

/// What the world keeps of one local IRC connection.
#[derive(Debug, Default)]
pub struct ConnState {
    /// Capabilities it negotiated (IRCv3 CAP); the renderer reads them.
    pub caps: CapSet,
    /// Folded nicks this client MONITORs (mirrors [`State::monitors`]):
    /// at most `[limits] monitor`, each once. A Vec, not a set: every
    /// connection keeps one, and an empty set is twice the size.
    pub monitoring: Vec<String>,
    /// Which server notices it gets while its user has `+s`.
    pub snomask: Snomask,
    /// SILENCE: masks (`nick!user@host`) whose messages and invitations
    /// this client does not want; checked on delivery.
    pub silence: Vec<String>,
    /// Unix time (seconds) of its last KNOCK, for the per-client delay.
    pub last_knock: u64,
}

/// What the IRC front end keeps server-wide.
#[derive(Debug)]
pub struct State {
    /// ISUPPORT tokens (RPL_ISUPPORT), computed from the config.
    pub isupport: Vec<String>,
    /// MONITOR lists: folded nick -> local users watching it.
    pub monitors: HashMap<String, UserSet>,
    /// IRCv3 read-marker: every user's last-read timestamps (MARKREAD).
    pub read_markers: ReadMarkers,
    /// Local users with `+s`, who may get server notices.
    pub snotice_watchers: UserSet,
    /// How often each command of [`super::COMMANDS`] was used, by index
    /// (STATS m).
    pub command_counts: Vec<u64>,
    /// KNOCK: folded channel name -> Unix time of its last knock, for the
    /// per-channel delay (entries older than the delay are dropped).
    pub knocks: HashMap<String, u64>,
    /// Nick enforcement: local users holding a registered nick without its
    /// account -> (that nick folded, Unix time they are renamed at).
    pub nick_deadlines: HashMap<natter_model::UserId, (String, u64)>,
    /// The number of the next guest nick (`Guest<N>`).
    pub next_guest: u64,
}

impl State {
    /// The state of a server starting under `config`.
    pub fn new(config: &Config) -> State {
        State {
            isupport: super::render::isupport_tokens(config),
            monitors: HashMap::new(),
            read_markers: ReadMarkers::default(),
            snotice_watchers: UserSet::default(),
            command_counts: vec![0; super::COMMANDS.len()],
            knocks: HashMap::new(),
            nick_deadlines: HashMap::new(),
            next_guest: 1,
        }
    }

    /// Forgets local connection `id` that ended, whose state was `conn`.
    pub fn conn_removed(&mut self, id: natter_model::UserId, conn: ConnState) {
        self.snotice_watchers.remove(&id);
        self.nick_deadlines.remove(&id);
        for nick in conn.monitoring {
            if let Some(watchers) = self.monitors.get_mut(&nick) {
                watchers.remove(&id);
                if watchers.is_empty() {
                    self.monitors.remove(&nick);
                }
            }
        }
    }
}
