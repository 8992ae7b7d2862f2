//! The registry of IM conversations and their IDs.
//!
//! A conversation is either a channel on the network (a *group*: created by
//! an IM `INVITE` as `#conv-<id>`, or an IRC channel an IM user was invited
//! to) or a *direct* conversation between two users, which is how an IRC
//! user's private message reaches an IM user. IDs are positive and never
//! reused while the server runs.

use std::collections::{BTreeMap, HashMap, HashSet};

use natter_model::{Event, Network, UserId, UserRef};
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
    /// For each user, the conversations its leaving the network may end:
    /// its direct ones, the groups it created, and the groups whose channel
    /// it joined. It may still name conversations that ended (they are
    /// skipped). With it, a JOIN, PART or QUIT looks at the conversations
    /// of its channel or user, not at every conversation.
    ties: HashMap<UserId, HashSet<ConvId>>,
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

    fn tie(&mut self, user: UserId, id: ConvId) {
        self.ties.entry(user).or_default().insert(id);
    }

    fn untie(&mut self, user: UserId, id: ConvId) {
        if let Some(ties) = self.ties.get_mut(&user) {
            ties.remove(&id);
            if ties.is_empty() {
                self.ties.remove(&user);
            }
        }
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
            self.tie(creator, id);
            return (id, channel);
        }
    }

    /// How many group conversations `creator` made that have not started
    /// (nobody joined yet).
    pub fn pending_of(&self, creator: UserId) -> usize {
        let Some(ties) = self.ties.get(&creator) else {
            return 0;
        };
        ties.iter()
            .filter(|id| {
                matches!(self.by_id.get(id), Some(Conversation::Group { creator: Some(by), started: false, .. }) if *by == creator)
            })
            .count()
    }

    /// Whether `channel` is the channel of a conversation (created by an
    /// IM INVITE, or an IRC channel an IM user was invited to).
    pub fn owns(&self, channel: &str) -> bool {
        self.by_channel.contains_key(&fold(channel))
    }

    /// The ID of the conversation on `channel`, registering it the first
    /// time it is asked for: an existing channel of `net` as a started
    /// conversation, or a channel nobody has joined yet that `inviter`
    /// invited someone to (an IM INVITE on another server) as a pending
    /// one, which ends when the inviter goes, as on the inviter's server.
    /// A channel that is neither (gone before an invitation to it was
    /// shown) gets a fresh ID that names no conversation: nothing would
    /// ever end it.
    pub fn for_channel(&mut self, channel: &str, net: &Network, inviter: Option<UserId>) -> ConvId {
        if let Some(&id) = self.by_channel.get(&fold(channel)) {
            return id;
        }
        let id = self.allocate();
        let (creator, started) = match (net.channel(channel), inviter) {
            (Some(chan), _) => {
                for &member in chan.members.keys() {
                    self.tie(member, id);
                }
                (None, true)
            }
            (None, Some(by)) => {
                self.tie(by, id);
                (Some(by), false)
            }
            (None, None) => return id,
        };
        self.by_channel.insert(fold(channel), id);
        self.by_id.insert(
            id,
            Conversation::Group {
                channel: channel.to_string(),
                creator,
                started,
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
        self.tie(key.0, id);
        self.tie(key.1, id);
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
                self.untie(a, id);
                self.untie(b, id);
            }
            Some(Conversation::Group {
                channel, creator, ..
            }) => {
                self.by_channel.remove(&fold(&channel));
                if let Some(creator) = creator {
                    self.untie(creator, id);
                }
            }
            None => {}
        }
    }

    /// Brings the registry in line with the network after `event`: a
    /// group starts when its channel is joined and ends with its channel
    /// (the last member parts, is kicked or quits, or it is unregistered
    /// while empty); a user who quits takes their direct conversations and
    /// unstarted invitations with them.
    pub fn after(&mut self, event: &Event, net: &Network) {
        if self.by_id.is_empty() {
            return;
        }
        match event {
            Event::Joined { user, channel, .. } => {
                let Some(&id) = self.by_channel.get(&fold(channel)) else {
                    return;
                };
                // A join the model did not take (a user it does not know,
                // in a link race) ties no one: no quit would untie it.
                let joined = net
                    .channel(channel)
                    .is_some_and(|c| c.member(user.id).is_some());
                if joined {
                    if let Some(Conversation::Group { started, .. }) = self.by_id.get_mut(&id) {
                        *started = true;
                    }
                    self.tie(user.id, id);
                }
            }
            Event::Parted {
                user: UserRef { id: user, .. },
                channel,
                ..
            }
            | Event::Kicked {
                target: user,
                channel,
                ..
            } => {
                if let Some(&id) = self.by_channel.get(&fold(channel)) {
                    self.untie(*user, id);
                    self.end_if_gone(id, None, net);
                }
            }
            Event::ChannelRegistered { channel, .. } => {
                if let Some(&id) = self.by_channel.get(&fold(channel)) {
                    self.end_if_gone(id, None, net);
                }
            }
            Event::Quit { user, .. } | Event::Killed { user, .. } => {
                for id in self.ties.remove(&user.id).unwrap_or_default() {
                    self.end_if_gone(id, Some(user.id), net);
                }
            }
            _ => {}
        }
    }

    /// Ends conversation `id` if it no longer has a reason to be: a group
    /// whose channel is gone (once started, or when `quitter` created it),
    /// or a direct conversation of `quitter`.
    fn end_if_gone(&mut self, id: ConvId, quitter: Option<UserId>, net: &Network) {
        let ended = match self.by_id.get(&id) {
            Some(Conversation::Group {
                channel,
                creator,
                started,
            }) => {
                net.channel(channel).is_none()
                    && (*started || quitter.is_some_and(|q| *creator == Some(q)))
            }
            Some(Conversation::Direct(a, b)) => quitter.is_some_and(|q| q == *a || q == *b),
            None => false,
        };
        if ended {
            self.remove(id);
        }
    }
}
