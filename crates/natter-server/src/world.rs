//! The world: the network model plus what the server needs to deliver to
//! its local connections. One lock guards it; handlers run under that lock,
//! never across an await or I/O (pushing to an [`Outbound`] never blocks).
//!
//! [`World::emit_from`] is the one path for every change: apply, deliver
//! to local clients (rendered once per form by the IRC and IM renderers),
//! pass on to server links, then run the front ends' [`Hooks`] (MONITOR,
//! read markers, server notices, IM conversations and presence), which the
//! server registers at start: the world does not call them by name. It
//! still names the renderers and keeps some front-end state (capabilities,
//! read markers, conversations) in its fields.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use natter_model::{Event, Frontend, Network, Server, ServerId, UserId, UserMap, UserRef, UserSet};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use natter_proto::write_line;

use crate::im;
use crate::irc::caps::{Cap, CapSet};
use crate::irc::read_marker::ReadMarkers;
use crate::irc::render;
use crate::outbound::Outbound;

/// A local connection as the world sees it.
#[derive(Debug)]
pub struct ConnEntry {
    /// Its outbound queue.
    pub out: Arc<Outbound>,
    /// Its protocol.
    pub frontend: Frontend,
    /// Capabilities it negotiated (IRCv3 CAP); renderers read them.
    pub caps: CapSet,
    /// Folded nicks this client MONITORs (mirrors [`World::monitors`]).
    pub monitoring: HashSet<String>,
    /// Whether it finished registration (and so is a user in `net`).
    pub registered: bool,
    /// The peer address.
    pub addr: SocketAddr,
    /// Which server notices it gets while its user has `+s`.
    pub snomask: crate::irc::snomask::Snomask,
    /// SILENCE: masks (`nick!user@host`) whose messages and invitations
    /// this client does not want; checked on delivery.
    pub silence: Vec<String>,
    /// Unix time (seconds) of its last KNOCK, for the per-client delay.
    pub last_knock: u64,
}

impl ConnEntry {
    /// A connection just accepted from `addr`, with its queue `out`.
    pub fn new(out: Arc<Outbound>, frontend: Frontend, addr: SocketAddr) -> ConnEntry {
        ConnEntry {
            out,
            frontend,
            caps: CapSet::default(),
            monitoring: HashSet::new(),
            registered: false,
            addr,
            snomask: Default::default(),
            silence: Vec::new(),
            last_knock: 0,
        }
    }
}

/// An IRCv3 batch of a netsplit's quits or a netjoin's joins
/// (<https://ircv3.net/specs/extensions/batch/netsplit>), open while those
/// events are emitted: clients with `batch` get `BATCH +<id> <kind>
/// <server> <server>` before the first of them, each tagged `batch=<id>`,
/// and `BATCH -<id>` when it closes.
#[derive(Debug)]
pub struct OpenBatch {
    /// The reference tag, the same for every client.
    pub id: String,
    /// `netsplit` or `netjoin`.
    pub kind: &'static str,
    /// The two servers on either side of the link.
    pub servers: [String; 2],
    /// The clients its start was sent to.
    pub opened: UserSet,
}

impl OpenBatch {
    /// Whether `event` belongs in it: quits in a netsplit, joins in a
    /// netjoin.
    fn covers(&self, event: &Event) -> bool {
        matches!(
            (self.kind, event),
            ("netsplit", Event::Quit { .. }) | ("netjoin", Event::Joined { .. })
        )
    }
}

/// A hook of the fan-out: runs after every event was applied, delivered
/// and passed on, for what a front end keeps beside the network state
/// (MONITOR, read markers, IM conversations and presence, server notices).
/// `me` is the acting client's pending output, for lines that must stay in
/// order with its replies.
pub type AfterEvent = fn(&mut World, &Event, Origin, Option<(UserId, &mut String)>);

/// The hooks the front ends hang off the fan-out, given to [`World::new`]
/// by whoever assembles the server: the world calls them without knowing
/// the front ends.
#[derive(Debug, Default, Clone)]
pub struct Hooks {
    /// After every event.
    pub after_event: Vec<AfterEvent>,
    /// After a batch of lines from a server link.
    pub end_of_link_batch: Vec<fn(&mut World)>,
}

/// Where an event comes from, which decides the server links it is passed
/// on to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A client of this server (or the server itself): every link that
    /// needs it.
    Local,
    /// The link to this neighbour: every other link that needs it.
    Link(ServerId),
    /// This server's own view of a netsplit (the quits of the users behind
    /// a broken link): no link, each server makes its own.
    Split,
}

/// Server-wide state guarded by one lock.
#[derive(Debug)]
pub struct World {
    /// Users and channels.
    pub net: Network,
    /// Local connections by id.
    pub conns: UserMap<ConnEntry>,
    /// The configuration in force (replaced by REHASH).
    pub config: Arc<Config>,
    /// MOTD lines (replaced by REHASH).
    pub motd: Arc<Vec<String>>,
    /// Unix time (seconds) the server started.
    pub started: u64,
    /// ISUPPORT tokens, computed from the config.
    pub isupport: Vec<String>,
    /// Cancelled to shut the whole server down (DIE, SIGTERM).
    pub shutdown: CancellationToken,
    /// IM conversations and their IDs.
    pub conversations: crate::im::conversations::Conversations,
    /// Registered local IM users, for presence broadcasts.
    pub im_users: UserSet,
    /// MONITOR lists: folded nick -> local users watching it.
    pub monitors: HashMap<String, UserSet>,
    /// IRCv3 read-marker: every user's last-read timestamps (MARKREAD).
    pub read_markers: ReadMarkers,
    /// Local users with `+s`, who may get server notices.
    pub snotice_watchers: UserSet,
    /// How often each command of [`crate::irc::COMMANDS`] was used, by
    /// index (STATS m).
    pub command_counts: Vec<u64>,
    /// KNOCK: folded channel name -> Unix time of its last knock, for the
    /// per-channel delay (entries older than the delay are dropped).
    pub knocks: HashMap<String, u64>,
    /// Server links, by the neighbour at their far end.
    pub links: HashMap<ServerId, crate::link::LinkEntry>,
    /// `[[link]]` block names with an autoconnect loop running.
    pub autoconnecting: HashSet<String>,
    /// The netsplit or netjoin batch open for the events being emitted.
    pub batch: Option<OpenBatch>,
    /// Presence changed through a link or a split and IM clients have not
    /// been told yet (at the end of the link's batch of lines).
    pub presence_dirty: bool,
    /// Those changes: username -> new status, `None` for gone.
    pub presence_pending: std::collections::BTreeMap<String, Option<String>>,
    /// IM clients told about presence as changes (`PRESENCE ["changes"]`).
    pub presence_changes: UserSet,
    /// The front ends' hooks.
    hooks: Hooks,
    batch_counter: u64,
    started_nanos: u128,
    msgid_counter: u64,
}

impl World {
    /// A world with no one in it.
    pub fn new(
        config: Arc<Config>,
        motd: Vec<String>,
        shutdown: CancellationToken,
        hooks: Hooks,
    ) -> World {
        let isupport = render::isupport_tokens(&config);
        World {
            net: Network::new(
                Server::local(&config.server.name, &config.server.description),
                config.limits.whowas,
            ),
            conns: UserMap::default(),
            motd: Arc::new(motd),
            started: now(),
            isupport,
            config,
            shutdown,
            monitors: HashMap::new(),
            read_markers: ReadMarkers::default(),
            snotice_watchers: UserSet::default(),
            command_counts: vec![0; crate::irc::COMMANDS.len()],
            knocks: HashMap::new(),
            links: HashMap::new(),
            autoconnecting: HashSet::new(),
            batch: None,
            presence_dirty: false,
            presence_pending: Default::default(),
            presence_changes: UserSet::default(),
            hooks,
            batch_counter: 0,
            conversations: Default::default(),
            im_users: UserSet::default(),
            started_nanos: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
            msgid_counter: 0,
        }
    }

    /// This server's name.
    pub fn server_name(&self) -> &str {
        &self.config.server.name
    }

    /// Installs a new configuration and MOTD (REHASH).
    pub fn reconfigure(&mut self, config: Arc<Config>, motd: Vec<String>) {
        self.isupport = render::isupport_tokens(&config);
        self.net.set_local_description(&config.server.description);
        self.motd = Arc::new(motd);
        self.config = config;
    }

    /// The one path for changes made here: [`World::emit_from`] with
    /// [`Origin::Local`].
    pub fn emit(&mut self, event: &Event, me: Option<(UserId, &mut String)>) {
        self.emit_from(event, Origin::Local, me);
    }

    /// The one path for every change, local or from a server link: applies
    /// `event` to the network, delivers it to every local recipient
    /// (rendered once per distinct form and shared among recipients of that
    /// form), passes it on to the server links that need it (never back to
    /// the one it came from), then runs the hooks. Lines for `me` go to
    /// `me_buf` instead of its queue, so they stay in order with its direct
    /// replies.
    pub fn emit_from(&mut self, event: &Event, origin: Origin, me: Option<(UserId, &mut String)>) {
        let mut recipients = self.net.apply(event);
        crate::link::forward(self, event, origin);
        if let Event::Killed {
            by, user, reason, ..
        } = event
        {
            crate::irc::operators::close_killed(self, by, user, reason);
        }
        crate::irc::monitor::add_extended_watchers(self, event, &mut recipients);
        let (me_id, mut me_buf) = match me {
            Some((id, buf)) => (Some(id), Some(buf)),
            None => (None, None),
        };
        self.deliver(event, &recipients, me_id, me_buf.as_deref_mut());
        if let Event::Joined { user, .. } = event {
            self.away_on_join(user, &recipients);
        }
        for i in 0..self.hooks.after_event.len() {
            let hook = self.hooks.after_event[i];
            let me = me_id.zip(me_buf.as_deref_mut());
            hook(self, event, origin, me);
        }
    }

    /// Runs the hooks for the end of a batch of lines from a server link
    /// (IM presence, which is told once per batch, not once per user).
    pub fn end_of_link_batch(&mut self) {
        for i in 0..self.hooks.end_of_link_batch.len() {
            (self.hooks.end_of_link_batch[i])(self);
        }
    }

    /// Shows `event` (already applied, or a restatement of current state
    /// such as away-notify's AWAY on JOIN) to `recipients`: each front end
    /// decides visibility, each distinct form is rendered once and its bytes
    /// shared. `me`'s line goes to `me_buf` when given.
    pub fn deliver(
        &mut self,
        event: &Event,
        recipients: &[UserId],
        me_id: Option<UserId>,
        mut me_buf: Option<&mut String>,
    ) {
        let batch = self.batch.as_ref().filter(|b| b.covers(event));
        let mut stamp = render::Stamp::default();
        stamp.batch = batch.map(|b| b.id.clone());
        // Distinct forms are few (a handful of capability combinations), so
        // a linear scan beats hashing.
        let mut forms: Vec<(CapSet, Bytes)> = Vec::new();
        // IM clients all see one form (or none) of an event.
        let mut im_form: Option<Option<Bytes>> = None;
        for &id in recipients {
            let Some(conn) = self.conns.get(&id) else {
                continue;
            };
            if !conn.silence.is_empty() && crate::irc::silence::blocks(&conn.silence, event) {
                continue;
            }
            let line = match conn.frontend {
                Frontend::Irc => {
                    if !render::visible(event, id, conn.caps) {
                        continue;
                    }
                    let mut key = render::form_key(event, conn.caps);
                    if let (Some(id_tag), true) = (&stamp.batch, conn.caps.has(Cap::Batch)) {
                        key.set(Cap::Batch, true);
                        let batch = self.batch.as_mut().expect("open");
                        if batch.opened.insert(id) {
                            let mut start = String::new();
                            let [a, b] = &batch.servers;
                            write_line(
                                &mut start,
                                None,
                                Some(&self.config.server.name),
                                "BATCH",
                                &[&format!("+{id_tag}"), batch.kind, a, b],
                            );
                            conn.out.push(Bytes::from(start));
                        }
                    }
                    match forms.iter().find(|(k, _)| *k == key) {
                        Some((_, line)) => line.clone(),
                        None => {
                            let line = render::render(event, &self.net, key, &stamp);
                            forms.push((key, line.clone()));
                            line
                        }
                    }
                }
                Frontend::Im => {
                    let form = match &im_form {
                        Some(form) => form.clone(),
                        None => {
                            let form =
                                im::render::render(event, &self.net, id, &mut self.conversations);
                            // An invitation is for its target alone.
                            if !matches!(event, Event::Invited { .. }) {
                                im_form = Some(form.clone());
                            }
                            form
                        }
                    };
                    match form {
                        Some(line) => line,
                        None => continue,
                    }
                }
            };
            match (&mut me_buf, me_id == Some(id)) {
                (Some(buf), true) => buf.push_str(std::str::from_utf8(&line).unwrap_or_default()),
                _ => {
                    conn.out.push(line);
                }
            }
        }
    }

    /// IRCv3 away-notify: clients are sent AWAY "when a user joins and has
    /// an away message set" as well as when it changes. After `id` (with
    /// `user`) joined, tells the channel's other members (the JOIN's
    /// `recipients`), right after their JOIN line; each client's
    /// capabilities decide through the same rendering as any event.
    fn away_on_join(&mut self, user: &UserRef, recipients: &[UserId]) {
        let Some(message) = self.net.user(user.id).and_then(|u| u.away.clone()) else {
            return;
        };
        let others: Vec<UserId> = recipients
            .iter()
            .copied()
            .filter(|m| *m != user.id)
            .collect();
        let away = Event::AwayChanged {
            user: user.clone(),
            message: Some(message),
        };
        self.deliver(&away, &others, None, None);
    }

    /// A new netsplit or netjoin batch between servers `a` and `b`, to
    /// open (in [`World::batch`]) while its events are emitted.
    pub fn new_batch(&mut self, kind: &'static str, a: &str, b: &str) -> OpenBatch {
        self.batch_counter += 1;
        OpenBatch {
            id: format!("{kind}{}", self.batch_counter),
            kind,
            servers: [a.to_string(), b.to_string()],
            opened: UserSet::default(),
        }
    }

    /// Ends `batch`: `BATCH -<id>` to every client it was started for.
    pub fn close_batch(&self, batch: OpenBatch) {
        for id in &batch.opened {
            if let Some(conn) = self.conns.get(id) {
                let mut end = String::new();
                let tag = format!("-{}", batch.id);
                write_line(
                    &mut end,
                    None,
                    Some(&self.config.server.name),
                    "BATCH",
                    &[&tag],
                );
                conn.out.push(Bytes::from(end));
            }
        }
    }

    /// Forgets a local connection that ended (its user, if any, already quit).
    pub fn remove_conn(&mut self, id: UserId) {
        self.im_users.remove(&id);
        self.presence_changes.remove(&id);
        self.snotice_watchers.remove(&id);
        if let Some(conn) = self.conns.remove(&id) {
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

    /// A fresh network-unique message ID (IRCv3 message-ids): the server's
    /// start time and a counter, so IDs never repeat across restarts either.
    pub fn next_msgid(&mut self) -> String {
        self.msgid_counter += 1;
        format!("{:x}-{:x}", self.started_nanos, self.msgid_counter)
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use natter_model::{Identity, MessageKind, MessageTarget, User};

    fn user(id: UserId, nick: &str) -> Event {
        Event::UserIntroduced(Box::new(User::new(
            Identity {
                id,
                nick: nick.into(),
                user: "~u".into(),
                host: "127.0.0.1".into(),
                realname: nick.into(),
                server: natter_model::LOCAL_SERVER,
                frontend: Frontend::Irc,
            },
            0,
        )))
    }

    /// A channel message is rendered once per distinct capability form,
    /// and every recipient of a form queues the very same buffer.
    #[test]
    fn one_render_per_form_shared_by_recipients() {
        let mut w = World::new(
            Arc::new(Config::default()),
            Vec::new(),
            CancellationToken::new(),
            Hooks::default(),
        );
        let mut tagged = CapSet::default();
        tagged.set(Cap::ServerTime, true);
        tagged.set(Cap::MessageTags, true);
        // Users 1-4 plain, 5-6 with server-time and message-tags, 7 with an
        // irrelevant extra cap (multi-prefix) that must not split the form.
        let mut extra = CapSet::default();
        extra.set(Cap::MultiPrefix, true);
        let caps = [
            CapSet::default(),
            CapSet::default(),
            CapSet::default(),
            CapSet::default(),
            tagged,
            tagged,
            extra,
        ];
        for (i, c) in caps.iter().enumerate() {
            let id = i as UserId + 1;
            w.conns.insert(
                id,
                ConnEntry {
                    caps: *c,
                    registered: true,
                    ..ConnEntry::new(
                        Arc::new(Outbound::new(1 << 20)),
                        Frontend::Irc,
                        "127.0.0.1:1".parse().unwrap(),
                    )
                },
            );
            w.emit(&user(id, &format!("u{id}")), None);
            w.emit(
                &Event::Joined {
                    user: w.net.user(id).unwrap().snapshot(),
                    channel: "#c".into(),
                    at: 0,
                    op: id == 1,
                },
                None,
            );
        }
        for conn in w.conns.values() {
            let mut sink = Vec::new();
            conn.out.drain_into(&mut sink);
        }
        let msgid = w.next_msgid();
        w.emit(
            &Event::Message {
                from: w.net.user(1).unwrap().snapshot(),
                kind: MessageKind::Privmsg,
                target: MessageTarget::Channel {
                    name: "#c".into(),
                    status: None,
                },
                text: "hello".into(),
                tags: String::new(),
                msgid,
                at: 0,
            },
            None,
        );
        let line = |id: UserId| {
            let lines = w.conns[&id].out.queued_lines();
            assert_eq!(lines.len(), 1, "user {id} got {lines:?}");
            lines[0].clone()
        };
        // The sender (no echo-message) gets nothing.
        assert!(w.conns[&1].out.queued_lines().is_empty());
        let plain = line(2);
        for id in [3, 4, 7] {
            assert_eq!(
                line(id).as_ptr(),
                plain.as_ptr(),
                "user {id} shares the plain buffer"
            );
        }
        let with_tags = line(5);
        assert_eq!(line(6).as_ptr(), with_tags.as_ptr());
        assert_ne!(with_tags.as_ptr(), plain.as_ptr());
        assert!(plain.starts_with(b":u1!~u@127.0.0.1 PRIVMSG #c :hello"));
        assert!(with_tags.starts_with(b"@time="));
    }
}
