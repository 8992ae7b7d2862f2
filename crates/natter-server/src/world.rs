//! The world: the network model plus the local connections, under one
//! lock; handlers run under that lock, never across an await or I/O
//! (pushing to an [`Outbound`] never blocks).
//!
//! [`World::emit_from`] is the one path for every change: it applies the
//! event to the network once and hands it, with the recipients the model
//! computed, to the front ends' fan-out ([`FrontEnds::fan_out`]), which
//! delivers to local IRC and IM clients, passes it on to server links and
//! runs the hooks (MONITOR, read markers, IM presence...).
//!
//! What may touch what: this module imports the model, the configuration
//! and the outbound queue, never a front end. What the front ends keep
//! beside the network state lives in [`World::front`] and
//! [`ConnEntry::front`], of types they define; the server assembles them
//! (`crate::frontends`) and names the assembled world [`crate::World`].

use std::fmt::Debug;
use std::net::SocketAddr;
use std::sync::Arc;

use natter_model::{Event, Frontend, Network, Server, ServerId, UserId, UserMap, UserSet};
use tokio_util::sync::CancellationToken;

use crate::accounts::{Accounts, Throttle};
use crate::chanreg::Registry;
use crate::config::Config;
use crate::history::History;
use crate::outbound::Outbound;

/// The front ends a world fans out to, and what they keep in it: given as
/// a type parameter so that the world calls them without importing them.
pub trait FrontEnds: Sized + Debug + 'static {
    /// What the front ends keep per local connection (IRC capabilities,
    /// MONITOR list...).
    type Conn: Debug + Default + Send;
    /// What they keep server-wide (MONITOR watchers, IM conversations,
    /// server links...).
    type State: Debug + Send;

    /// The state of a world that starts under `config`.
    fn new_state(config: &Config) -> Self::State;

    /// The IRC and the IM front end's command names, as metrics label the
    /// lines they receive ([`crate::metrics::Metrics::line_in`]).
    fn command_names() -> [&'static [&'static str]; 2];

    /// Called after REHASH installed a new [`World::config`].
    fn reconfigured(world: &mut World<Self>);

    /// Called once at start-up, after the stored channels were restored and
    /// before any connection: the front ends load what they keep in the
    /// store and introduce their service users, each with an id from
    /// `new_id`. Errors: the store could not be read.
    fn started(
        world: &mut World<Self>,
        new_id: &mut dyn FnMut() -> UserId,
    ) -> Result<(), natter_store::StoreError>;

    /// Called about once a second, at `now`, for the front ends' timed
    /// work (NickServ's enforcement, IM's periodic presence).
    fn tick(world: &mut World<Self>, now: std::time::Instant);

    /// The fan-out of `event`, already applied, from `origin`:
    /// `recipients` are the local and remote users the model says see it.
    /// Lines for `me` (the acting client) go to its buffer, so they stay in
    /// order with its replies.
    fn fan_out(
        world: &mut World<Self>,
        event: &Event,
        origin: Origin,
        recipients: Vec<UserId>,
        me: Option<(UserId, &mut String)>,
    );

    /// Called after a batch of lines from a server link was handled (IM
    /// presence is told once per batch, not once per user).
    fn end_of_link_batch(world: &mut World<Self>);

    /// Called when the netsplit or netjoin `batch` closed: the clients it
    /// was started for are told it ended.
    fn batch_closed(world: &mut World<Self>, batch: OpenBatch);

    /// Called when a local connection ended, with what the world kept of it.
    fn conn_removed(world: &mut World<Self>, id: UserId, conn: ConnEntry<Self::Conn>);
}

/// A local connection as the world sees it; `C` is what the front ends
/// keep of it ([`FrontEnds::Conn`]).
#[derive(Debug)]
pub struct ConnEntry<C> {
    /// Its outbound queue.
    pub out: Arc<Outbound>,
    /// Its protocol.
    pub frontend: Frontend,
    /// Whether it finished registration (and so is a user in `net`).
    pub registered: bool,
    /// The peer address.
    pub addr: SocketAddr,
    /// How it connected (TCP, TLS, WebSocket).
    pub transport: crate::transport::Kind,
    /// The event loop its task runs on (`crate::flusher::NO_LOOP`: none).
    pub(crate) home: u8,
    /// Its socket's descriptor, when its loop's flusher may write queued
    /// lines to it while the task is idle (not TLS; -1 otherwise):
    /// `crate::flusher`. Not an `Option`: four bytes keep the entry at 128.
    pub(crate) fd: std::os::fd::RawFd,
    /// The SHA-256 fingerprint of the TLS client certificate it presented
    /// (CertFP: WHOIS RPL_WHOISCERTFP, SASL EXTERNAL).
    pub certfp: Option<Box<str>>,
    /// What the front ends keep of it.
    pub front: C,
}

impl<C: Default> ConnEntry<C> {
    /// A connection just accepted from `addr`, with its queue `out`.
    pub fn new(out: Arc<Outbound>, frontend: Frontend, addr: SocketAddr) -> ConnEntry<C> {
        ConnEntry {
            out,
            frontend,
            registered: false,
            addr,
            transport: crate::transport::Kind::Tcp,
            home: crate::flusher::NO_LOOP,
            fd: -1,
            certfp: None,
            front: C::default(),
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
    /// The clients its start was sent to (by the IRC front end).
    pub opened: UserSet,
}

impl OpenBatch {
    /// Whether `event` belongs in it: quits in a netsplit, joins in a
    /// netjoin.
    pub fn covers(&self, event: &Event) -> bool {
        matches!(
            (self.kind, event),
            ("netsplit", Event::Quit { .. }) | ("netjoin", Event::Joined { .. })
        )
    }
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

/// Server-wide state guarded by one lock; `F` are the front ends it fans
/// out to.
#[derive(Debug)]
pub struct World<F: FrontEnds> {
    /// Users, channels and servers.
    pub net: Network,
    /// Local connections by id. Boxed: a hash table keeps room for up to
    /// twice its entries (it doubles), and an entry is 128 bytes; a slot
    /// is then 16 (the id and a pointer).
    pub conns: UserMap<Box<ConnEntry<F::Conn>>>,
    /// The configuration in force (replaced by REHASH).
    pub config: Arc<Config>,
    /// MOTD lines (replaced by REHASH).
    pub motd: Arc<Vec<String>>,
    /// Unix time (seconds) the server started.
    pub started: u64,
    /// Cancelled to shut the whole server down (DIE, SIGTERM).
    pub shutdown: CancellationToken,
    /// The netsplit or netjoin batch open for the events being emitted.
    pub batch: Option<OpenBatch>,
    /// Accounts, as committed to the store.
    pub accounts: Accounts,
    /// Message history: the store sink of the fan-out.
    pub history: Arc<History>,
    /// Channels registered with ChanServ.
    pub channel_registry: Registry,
    /// Failed logins by address and by account, for slowing down and
    /// refusing password guessing.
    pub login_failures: Throttle,
    /// Open client connections per address block, for the connection
    /// limits.
    pub admission: crate::admission::Admission,
    /// Server bans (K-lines, D-lines), as committed to the store; loaded
    /// at start.
    pub bans: crate::server_bans::ServerBans,
    /// What the front ends keep server-wide.
    pub front: F::State,
    /// The server's metrics (shared with the tasks that count off the lock).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The host cloaking key (`<data_dir>/cloak.key`), loaded at start;
    /// `None` (no cloaks) only for a world made without a data directory.
    pub cloak: Option<crate::cloak::Cloak>,
    /// Shared files (`[files]`); `None` when file sharing is off or the
    /// world was made without a data directory.
    pub files: Option<Arc<crate::files::Files>>,
    batch_counter: u64,
    started_nanos: u128,
    msgid_counter: u64,
}

impl<F: FrontEnds> World<F> {
    /// A world with no one in it.
    pub fn new(
        config: Arc<Config>,
        motd: Vec<String>,
        shutdown: CancellationToken,
        accounts: Accounts,
        history: Arc<History>,
    ) -> World<F> {
        World {
            net: Network::new(
                Server::local(&config.server.name, &config.server.description),
                config.limits.whowas,
            ),
            conns: UserMap::default(),
            motd: Arc::new(motd),
            started: now(),
            front: F::new_state(&config),
            config,
            shutdown,
            batch: None,
            accounts,
            metrics: Arc::new(crate::metrics::Metrics::new(
                history.commit_latency(),
                F::command_names(),
            )),
            history,
            channel_registry: Registry::default(),
            cloak: None,
            files: None,
            login_failures: Throttle::default(),
            admission: Default::default(),
            bans: Default::default(),
            batch_counter: 0,
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
        self.net.set_local_description(&config.server.description);
        self.motd = Arc::new(motd);
        self.config = config;
        F::reconfigured(self);
    }

    /// The one path for changes made here: [`World::emit_from`] with
    /// [`Origin::Local`].
    pub fn emit(&mut self, event: &Event, me: Option<(UserId, &mut String)>) {
        self.emit_from(event, Origin::Local, me);
    }

    /// The one path for every change, local or from a server link: applies
    /// `event` to the network, then fans it out ([`FrontEnds::fan_out`]):
    /// local clients, server links (never back to the one it came from),
    /// hooks. Lines for `me` go to its buffer instead of its queue, so they
    /// stay in order with its direct replies.
    pub fn emit_from(&mut self, event: &Event, origin: Origin, me: Option<(UserId, &mut String)>) {
        let recipients = self.net.apply(event);
        F::fan_out(self, event, origin, recipients, me);
    }

    /// Runs the front ends' work for the end of a batch of lines from a
    /// server link.
    pub fn end_of_link_batch(&mut self) {
        F::end_of_link_batch(self);
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

    /// Ends `batch` (one that [`World::new_batch`] made and that was open
    /// in [`World::batch`]).
    pub fn close_batch(&mut self, batch: OpenBatch) {
        F::batch_closed(self, batch);
    }

    /// Forgets a local connection that ended (its user, if any, already
    /// quit); the front ends forget what they kept of it.
    pub fn remove_conn(&mut self, id: UserId) {
        if let Some(conn) = self.conns.remove(&id) {
            F::conn_removed(self, id, *conn);
        }
    }

    /// A fresh network-unique message ID (IRCv3 message-ids): the server's
    /// start time and a counter, so IDs never repeat across restarts either.
    pub fn next_msgid(&mut self) -> String {
        self.msgid_counter += 1;
        format!("{:x}-{:x}", self.started_nanos, self.msgid_counter)
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
