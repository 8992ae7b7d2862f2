//! Registered channels: what ChanServ keeps of a channel beside the
//! network state (founder, access list, its topic lock), the snapshot the
//! store saves, and the restore at start.
//!
//! A registered channel exists while empty (`Channel::registered` in the
//! model), gives operator and voice status on join by its access list, and
//! keeps its topic, modes and list modes across restarts: every change to
//! them is saved by the history writer thread, in order with messages.
//!
//! What may touch what: neutral (no front end); IRC's ChanServ changes the
//! registry, JOIN in either front end asks [`op_on_join`].

use std::collections::{BTreeMap, HashMap};

use natter_model::channel::{Channel, ListEntry, Topic};
use natter_model::Network;
use natter_proto::casemap::fold;
use natter_store::ChannelRecord;

/// A place on a channel's access list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Voice on join.
    Voice,
    /// Operator on join; may use ChanServ OP and VOICE.
    Op,
    /// Registered it; may also change the access list, SET and DROP.
    Founder,
}

impl Level {
    /// The level's name as stored and shown (`voice`, `op`, `founder`).
    pub fn name(self) -> &'static str {
        match self {
            Level::Voice => "voice",
            Level::Op => "op",
            Level::Founder => "founder",
        }
    }

    /// The level called `name` (case-insensitive).
    pub fn parse(name: &str) -> Option<Level> {
        match name.to_ascii_lowercase().as_str() {
            "voice" => Some(Level::Voice),
            "op" => Some(Level::Op),
            "founder" => Some(Level::Founder),
            _ => None,
        }
    }
}

/// What ChanServ keeps of one registered channel.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The name as registered.
    pub name: String,
    /// The founder's account.
    pub founder: String,
    /// When it was registered, Unix seconds.
    pub registered_at: i64,
    /// ChanServ's topic lock: only access-list operators change the topic.
    pub topic_lock: bool,
    /// Casefolded account -> level.
    pub access: BTreeMap<String, Level>,
}

/// Every registered channel, by casefolded name.
#[derive(Debug, Default)]
pub struct Registry {
    by_name: HashMap<String, Registration>,
}

impl Registry {
    /// The registration of `channel`, if registered.
    pub fn get(&self, channel: &str) -> Option<&Registration> {
        self.by_name.get(&fold(channel))
    }

    /// The registration of `channel`, to change it.
    pub fn get_mut(&mut self, channel: &str) -> Option<&mut Registration> {
        self.by_name.get_mut(&fold(channel))
    }

    /// Records a registration (committed to the store).
    pub fn insert(&mut self, registration: Registration) {
        self.by_name.insert(fold(&registration.name), registration);
    }

    /// Forgets `channel` (its registration dropped from the store).
    pub fn remove(&mut self, channel: &str) -> Option<Registration> {
        self.by_name.remove(&fold(channel))
    }

    /// The level `account` has on `channel`, if any.
    pub fn level(&self, channel: &str, account: Option<&str>) -> Option<Level> {
        let reg = self.get(channel)?;
        reg.access.get(&fold(account?)).copied()
    }
}

/// Whether a user joining `channel` becomes an operator with the JOIN
/// itself: the first to create an unregistered channel does. In a
/// registered channel nobody does (so nobody takes it over by joining
/// first); ChanServ then gives status by the access list, as a MODE every
/// member sees.
pub fn op_on_join(net: &Network, registry: &Registry, channel: &str) -> bool {
    registry.get(channel).is_none() && net.channel(channel).is_none()
}

/// The store's record of registered channel `reg` as the network has it
/// now (topic, modes, lists) with its access list.
pub fn record(net: &Network, reg: &Registration) -> ChannelRecord {
    let mut r = ChannelRecord {
        folded: fold(&reg.name),
        name: reg.name.clone(),
        founder: reg.founder.clone(),
        registered_at: reg.registered_at,
        topic_lock: reg.topic_lock,
        access: reg
            .access
            .iter()
            .map(|(a, l)| (a.clone(), l.name().to_string()))
            .collect(),
        ..Default::default()
    };
    if let Some(chan) = net.channel(&reg.name) {
        r.topic = chan
            .topic
            .as_ref()
            .map(|t| (t.text.clone(), t.setter.clone(), t.set_at as i64));
        let (flags, _) = chan.modes.render(true);
        r.modes = flags
            .trim_start_matches('+')
            .chars()
            .filter(|c| !matches!(c, 'k' | 'l'))
            .collect();
        r.key = chan.modes.key.clone();
        r.limit = chan.modes.limit.map(|l| l as i64);
        for (list, entries) in [
            ('b', &chan.bans),
            ('e', &chan.excepts),
            ('I', &chan.invexes),
        ] {
            for e in entries {
                r.lists
                    .push((list, e.mask.clone(), e.setter.clone(), e.set_at as i64));
            }
        }
    }
    r
}

/// The registration and the (empty) channel a stored record describes.
pub fn restore(record: ChannelRecord) -> (Registration, Channel) {
    let mut chan = Channel::new(&record.name, record.registered_at.max(0) as u64);
    chan.registered = true;
    chan.modes.no_external = false;
    chan.modes.topic_lock = false;
    for c in record.modes.chars() {
        chan.modes.set_flag(c, true);
    }
    chan.modes.key = record.key.clone();
    chan.modes.limit = record.limit.map(|l| l.max(0) as usize);
    chan.topic = record.topic.as_ref().map(|(text, setter, at)| Topic {
        text: text.clone(),
        setter: setter.clone(),
        set_at: (*at).max(0) as u64,
    });
    for (list, mask, setter, at) in &record.lists {
        let entry = ListEntry {
            mask: mask.clone(),
            setter: setter.clone(),
            set_at: (*at).max(0) as u64,
        };
        match list {
            'b' => chan.bans.push(entry),
            'e' => chan.excepts.push(entry),
            _ => chan.invexes.push(entry),
        }
    }
    let registration = Registration {
        name: record.name,
        founder: record.founder,
        registered_at: record.registered_at,
        topic_lock: record.topic_lock,
        access: record
            .access
            .into_iter()
            .filter_map(|(a, l)| Some((a, Level::parse(&l)?)))
            .collect(),
    };
    (registration, chan)
}

/// Saves the state of `channel` if it is registered, on the writer thread.
pub fn save(world: &crate::World, channel: &str) {
    let Some(reg) = world.channel_registry.get(channel) else {
        return;
    };
    let record = record(&world.net, reg);
    world.history.write(move |store| {
        if let Err(e) = store.save_channel_state(&record) {
            tracing::error!(error = %e, channel = record.name, "saving a registered channel failed");
        }
    });
}
