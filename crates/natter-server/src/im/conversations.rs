//! The registry of IM conversations and their IDs.
//!
//! A conversation is either a channel on the network (a *group*: created by
//! an IM `INVITE` as `#conv-<id>`, or an IRC channel an IM user was invited
//! to) or a *direct* conversation between two users, which is how an IRC
//! user's private message reaches an IM user. IDs are positive and never
//! reused while the server runs.

use std::collections::{BTreeMap, HashMap};

use natter_model::{Event, Network, UserId};
use natter_proto::casemap::fold;
use natter_proto::im::ConvId;

/// One conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conversation {
    /// Backed by a channel.
    Group {
        /// The channel's name.
        channel: String,
        /// The user whose INVITE created it (pending until someone joins).
        creator: Option<UserId>,
        /// Whether the channel has existed (someone joined); a started
        /// conversation ends when its channel does.
        started: bool,
    },
    /// Private messages between two users (lower id first).
    Direct(UserId, UserId),
}

/// All conversations.
#[derive(Debug, Default)]
pub struct Conversations {
    next: ConvId,
    by_id: BTreeMap<ConvId, Conversation>,
    by_channel: HashMap<String, ConvId>,
    by_pair: HashMap<(UserId, UserId), ConvId>,
}

impl Conversations {
    /// Whether there are none (lets hot paths skip work).
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    fn allocate(&mut self) -> ConvId {
        self.next += 1;
        self.next
    }

    /// Creates a group conversation for an IM INVITE by `creator`, on a
    /// fresh channel `#conv-<id>` (skipping IDs whose name is taken). A
    /// server that links to others (`linked`) names it
    /// `#conv-<server>-<id>` with the first label of its own name: two
    /// servers apart during a netsplit cannot then pick the same channel
    /// for two conversations, which would merge when the link returns.
    pub fn create_group(
        &mut self,
        net: &Network,
        creator: UserId,
        linked: bool,
    ) -> (ConvId, String) {
        let prefix = if linked {
            let me = &net.local_server().name;
            let label: String = me
                .split('.')
                .next()
                .unwrap_or(me)
                .chars()
                .take(20)
                .collect();
            format!("#conv-{label}-")
        } else {
            "#conv-".to_string()
        };
        loop {
            let id = self.allocate();
            let channel = format!("{prefix}{id}");
            if net.channel(&channel).is_some() || self.by_channel.contains_key(&fold(&channel)) {
                continue;
            }
            self.by_channel.insert(fold(&channel), id);
            self.by_id.insert(
                id,
                Conversation::Group {
                    channel: channel.clone(),
                    creator: Some(creator),
                    started: false,
                },
            );
            return (id, channel);
        }
    }

    /// How many group conversations `creator` made that have not started
    /// (nobody joined yet).
    pub fn pending_of(&self, creator: UserId) -> usize {
        self.by_id
            .values()
            .filter(|c| {
                matches!(c, Conversation::Group { creator: Some(by), started: false, .. } if *by == creator)
            })
            .count()
    }

    /// Whether `channel` is the channel of a conversation (created by an
    /// IM INVITE, or an IRC channel an IM user was invited to).
    pub fn owns(&self, channel: &str) -> bool {
        self.by_channel.contains_key(&fold(channel))
    }

    /// The ID of the conversation on `channel`, registering an existing
    /// channel as a conversation the first time it is asked for.
    pub fn for_channel(&mut self, channel: &str) -> ConvId {
        if let Some(&id) = self.by_channel.get(&fold(channel)) {
            return id;
        }
        let id = self.allocate();
        self.by_channel.insert(fold(channel), id);
        self.by_id.insert(
            id,
            Conversation::Group {
                channel: channel.to_string(),
                creator: None,
                started: true,
            },
        );
        id
    }

    /// The direct conversation between `a` and `b`, created if needed.
    pub fn direct(&mut self, a: UserId, b: UserId) -> ConvId {
        let key = (a.min(b), a.max(b));
        if let Some(&id) = self.by_pair.get(&key) {
            return id;
        }
        let id = self.allocate();
        self.by_pair.insert(key, id);
        self.by_id.insert(id, Conversation::Direct(key.0, key.1));
        id
    }

    /// A conversation by ID.
    pub fn get(&self, id: ConvId) -> Option<&Conversation> {
        self.by_id.get(&id)
    }

    /// Every conversation, by ID.
    pub fn iter(&self) -> impl Iterator<Item = (&ConvId, &Conversation)> {
        self.by_id.iter()
    }

    /// Forgets a direct conversation (its IM member LEAVEs it).
    pub fn remove(&mut self, id: ConvId) {
        match self.by_id.remove(&id) {
            Some(Conversation::Direct(a, b)) => {
                self.by_pair.remove(&(a, b));
            }
            Some(Conversation::Group { channel, .. }) => {
                self.by_channel.remove(&fold(&channel));
            }
            None => {}
        }
    }

    /// Brings the registry in line with the network after `event`: a
    /// started group ends with its channel; a user who quits takes their
    /// direct conversations and unjoined invitations with them.
    pub fn after(&mut self, event: &Event, net: &Network) {
        if self.by_id.is_empty() {
            return;
        }
        let quitter = match event {
            Event::Quit { user, .. } | Event::Killed { user, .. } => Some(user.id),
            Event::Parted { .. } | Event::Kicked { .. } | Event::Joined { .. } => None,
            _ => return,
        };
        let mut ended = Vec::new();
        for (id, conv) in self.by_id.iter_mut() {
            match conv {
                Conversation::Group {
                    channel,
                    creator,
                    started,
                } => {
                    if net.channel(channel).is_some() {
                        *started = true;
                    } else if *started || (quitter.is_some() && *creator == quitter) {
                        ended.push(*id);
                    }
                }
                Conversation::Direct(a, b) => {
                    if quitter.is_some_and(|q| q == *a || q == *b) {
                        ended.push(*id);
                    }
                }
            }
        }
        for id in ended {
            self.remove(id);
        }
    }
}
