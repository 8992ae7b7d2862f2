//! What the IRC front end keeps in the world beside the network state:
//! per connection ([`ConnState`], in [`crate::world::ConnEntry::front`]:
//! its capabilities and their negotiation, its snomask, the reply being
//! labeled, SASL, and its MONITOR and SILENCE lists)
//! and server-wide ([`State`], in the assembled world's `front.irc`).
//! Only the IRC front end's modules read or change these.

use std::collections::HashMap;

use natter_model::UserSet;

use super::caps::CapSet;
use super::read_marker::ReadMarkers;
use super::snomask::Snomask;
use crate::config::Config;

/// What the world keeps of one local IRC connection. Every connection has
/// one (in its [`crate::world::ConnEntry`], which must stay within 128
/// bytes): what few clients use is boxed in [`Lists`].
#[derive(Debug, Default)]
pub struct ConnState {
    /// Capabilities it negotiated (IRCv3 CAP); the renderer reads them.
    pub caps: CapSet,
    /// Which server notices it gets while its user has `+s`.
    pub snomask: Snomask,
    /// CAP LS version (302 enables values and cap-notify).
    pub cap_version: u32,
    /// Whether a CAP LS/REQ holds registration until CAP END.
    pub cap_negotiating: bool,
    /// Counter for this client's batch reference tags.
    pub batches: u64,
    /// The `label` tag of the command being answered (IRCv3
    /// labeled-response), when the client negotiated the capability.
    pub label: Option<Box<str>>,
    /// The SASL exchange in progress (AUTHENTICATE); boxed, as it is rare.
    pub sasl: Option<Box<super::sasl::Session>>,
    /// Its MONITOR and SILENCE lists and last KNOCK, once it used one.
    pub lists: Option<Box<Lists>>,
}

/// What a connection keeps once it used MONITOR, SILENCE or KNOCK.
#[derive(Debug, Default)]
pub struct Lists {
    /// Folded nicks this client MONITORs (mirrors [`State::monitors`]):
    /// at most `[limits] monitor`, each once.
    pub monitoring: Vec<String>,
    /// SILENCE: masks (`nick!user@host`) whose messages and invitations
    /// this client does not want; checked on delivery.
    pub silence: Vec<String>,
    /// Unix time (seconds) of its last KNOCK, for the per-client delay.
    pub last_knock: u64,
}

impl ConnState {
    /// A fresh batch reference number for this client (`lr1`, `ch2`, ...).
    pub fn next_batch(&mut self) -> u64 {
        self.batches += 1;
        self.batches
    }

    /// Its lists, to change (made on first use).
    pub fn lists(&mut self) -> &mut Lists {
        self.lists.get_or_insert_default()
    }

    /// The folded nicks it MONITORs.
    pub fn monitoring(&self) -> &[String] {
        self.lists.as_deref().map_or(&[], |l| &l.monitoring)
    }

    /// Its SILENCE masks.
    pub fn silence(&self) -> &[String] {
        self.lists.as_deref().map_or(&[], |l| &l.silence)
    }

    /// Unix time (seconds) of its last KNOCK (0: none).
    pub fn last_knock(&self) -> u64 {
        self.lists.as_deref().map_or(0, |l| l.last_knock)
    }
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
        for nick in conn.lists.map(|l| l.monitoring).unwrap_or_default() {
            if let Some(watchers) = self.monitors.get_mut(&nick) {
                watchers.remove(&id);
                if watchers.is_empty() {
                    self.monitors.remove(&nick);
                }
            }
        }
    }
}
