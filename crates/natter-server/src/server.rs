//! Starting and stopping the server: starts the event loops, binds the
//! listeners, accepts connections into their tasks (spread over the
//! loops), and shuts everything down in order.
//!
//! It names a front end only to hand a listener's connections to it; what
//! the front ends load at start-up and do over time is behind
//! [`crate::world::FrontEnds::started`] and [`crate::world::FrontEnds::tick`].

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use natter_model::Frontend;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Config, ConfigError, ConfigErrors, Overrides};
use crate::event_loops::EventLoops;
use crate::listener::bind;
pub use crate::listener::Listener;
use crate::services::Over;
use crate::World;

/// The database's file name in the data directory.
pub const DATABASE: &str = "natter.db";

/// State shared by every task of one running server.
pub(crate) struct Shared {
    /// The world, under its one lock.
    pub world: Mutex<World>,
    /// The next connection id.
    pub next_id: AtomicU64,
    /// Command-line overrides, re-applied on REHASH.
    pub overrides: Overrides,
    /// Cancelled when the server shuts down.
    pub shutdown: CancellationToken,
    /// The TLS certificate new TLS connections get (REHASH swaps it).
    pub tls: crate::tls::Tls,
    /// Permits for slow work (password hashing and checks, store writes)
    /// run on tokio's blocking threads: at most this many at once, so a
    /// burst of logins queues instead of taking every core from chat.
    pub slow: tokio::sync::Semaphore,
    /// The world's metrics, to count into without taking the world lock.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Account credentials HTTP requests proved lately (shared files).
    pub http_auth: crate::http::auth::AuthCache,
    /// Every connection's registration or keepalive deadline.
    pub deadlines: crate::deadlines::Deadlines,
}

impl Shared {
    /// Runs `f` (slow, blocking: argon2, the store) on a blocking thread
    /// once a [`Shared::slow`] permit is free, and returns its result.
    pub async fn run_slow<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let _permit = self.slow.acquire().await.expect("never closed");
        tokio::task::spawn_blocking(f)
            .await
            .expect("slow work does not panic")
    }

    /// REHASH's work off the world lock: reads the configuration file and
    /// MOTD again ([`Shared::reload`], on a blocking thread) and the
    /// accounts (changed with `natter account` while running), for the
    /// world to take under the lock ([`Rehashed::apply`]).
    pub async fn rehash(self: &Arc<Self>) -> Rehashed {
        let path = self.world.lock().config.path.clone();
        let s = self.clone();
        let config = tokio::task::spawn_blocking(move || s.reload(path))
            .await
            .unwrap_or_else(|e| {
                Err(ConfigError {
                    file: None,
                    line: None,
                    key: None,
                    message: format!("reload failed: {e}"),
                })
            });
        let store = self.world.lock().accounts.store();
        let accounts = self.run_slow(move || store.accounts()).await;
        Rehashed { config, accounts }
    }

    /// Starts the autoconnects of `[[link]]` blocks that are not
    /// connecting yet (after a REHASH took a new configuration).
    pub fn start_autoconnects(self: &Arc<Self>) {
        crate::link::session::start_autoconnects(self);
    }

    /// Connects to the server of `block` (CONNECT) in a task of its own;
    /// a failure is logged.
    pub fn connect_link(self: &Arc<Self>, block: crate::config::LinkBlock) {
        let s = self.clone();
        tokio::spawn(async move {
            let name = block.name.clone();
            if let Err(reason) = crate::link::session::connect(&s, block).await {
                tracing::warn!(peer = name, reason, "CONNECT: link down");
            }
        });
    }

    /// Reads the configuration file again (REHASH). Blocking file I/O: call
    /// it off the world lock and off the async threads.
    pub fn reload(&self, path: Option<std::path::PathBuf>) -> Reloaded {
        // REHASH answers in one line: the first problem and a count; the
        // log has them all.
        let one = |errors: ConfigErrors| {
            if errors.0.len() > 1 {
                for e in &errors.0 {
                    tracing::warn!(error = %e, "configuration problem");
                }
            }
            errors.summary()
        };
        let mut config = match path {
            Some(p) => Config::load(&p).map_err(one)?,
            None => Config::default(),
        };
        self.overrides.apply(&mut config).map_err(one)?;
        let motd = config.load_motd()?;
        // A certificate that does not load keeps the old one in use.
        self.tls.load(&config)?;
        Ok((config, motd))
    }
}

/// What REHASH loaded: the configuration and the MOTD's lines, or the
/// first problem (with a count of the others, which are logged).
pub type Reloaded = Result<(Config, Vec<String>), ConfigError>;

/// What REHASH read off the world lock ([`Shared::rehash`]).
pub(crate) struct Rehashed {
    /// The configuration and MOTD, or why not.
    pub config: Reloaded,
    /// Every account in the store, or why they could not be read.
    pub accounts: Result<Vec<natter_store::AccountRecord>, natter_store::StoreError>,
}

impl Rehashed {
    /// Takes the accounts into `world` and returns the configuration for
    /// the front end to install and answer with. Under the world lock, in
    /// the same hold as the answer.
    pub fn apply(self, world: &mut crate::World) -> Reloaded {
        match self.accounts {
            Ok(records) => world.accounts.reload(records),
            Err(e) => tracing::warn!(error = %e, "REHASH: reading accounts failed"),
        }
        self.config
    }
}

/// Why the server could not start.
#[derive(Debug)]
pub enum StartError {
    /// The configuration (or a file it names) is unusable.
    Config(ConfigError),
    /// A listener could not be bound: which one, its address, and why.
    Bind(Listener, SocketAddr, std::io::Error),
    /// The data directory could not be created.
    DataDir(std::path::PathBuf, std::io::Error),
    /// The event-loop threads could not be started.
    Threads(std::io::Error),
    /// The database (`natter.db` in the data directory) was refused.
    Store(natter_store::OpenError),
    /// The host cloaking key (`cloak.key` in the data directory) could not
    /// be read or made: its path, and why.
    CloakKey(std::path::PathBuf, std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Config(e) => write!(f, "{e}"),
            StartError::Bind(l, a, e) => {
                let key = l.key();
                write!(
                    f,
                    "cannot listen for {} on {a}: {e}; move it with ",
                    l.serves()
                )?;
                if let Some(flag) = l.flag() {
                    write!(f, "{flag} ADDR or ")?;
                }
                write!(f, "[listen] {key} = [\"ADDR\"] in the config file")?;
                match l.off() {
                    Some(what) => write!(f, ", or turn {what} off with [listen] {key} = []"),
                    None => Ok(()),
                }
            }
            StartError::Store(e) => write!(f, "{e}"),
            StartError::DataDir(d, e) => {
                write!(f, "cannot create data directory {}: {e}", d.display())
            }
            StartError::Threads(e) => write!(f, "cannot start the event loops: {e}"),
            StartError::CloakKey(p, e) => {
                write!(f, "cannot use the cloak key {}: {e}", p.display())
            }
        }
    }
}

impl std::error::Error for StartError {}

/// A running server.
pub struct Running {
    /// The bound IRC listener addresses (with the real port when 0 was asked).
    pub irc_addrs: Vec<SocketAddr>,
    /// The bound IM listener addresses.
    pub im_addrs: Vec<SocketAddr>,
    /// The bound server link listener addresses.
    pub link_addrs: Vec<SocketAddr>,
    /// Every bound listener, with its kind.
    pub bound: Vec<(Listener, SocketAddr)>,
    /// The SHA-256 fingerprint of the TLS certificate (`None`: no TLS).
    pub tls_fingerprint: Option<String>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    loops: Arc<EventLoops>,
    history: Arc<crate::history::History>,
}

impl Running {
    /// The bound addresses of listeners of `kind`.
    pub fn addrs(&self, kind: Listener) -> Vec<SocketAddr> {
        self.bound
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, a)| *a)
            .collect()
    }

    /// Asks the server to stop: listeners close, every client gets an ERROR
    /// line and its queued output, then its connection is closed.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Resolves once shutdown was asked for (by [`Running::shutdown`] or DIE).
    pub async fn stopping(&self) {
        self.shutdown.cancelled().await
    }

    /// Waits until every connection has closed after shutdown (at most a few
    /// seconds; stragglers are dropped), then stops the event loops.
    pub async fn wait(self) {
        self.shutdown.cancelled().await;
        self.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.tasks.wait()).await;
        let loops = self.loops.clone();
        let history = self.history.clone();
        // Joining threads blocks: not on the caller's runtime thread.
        let _ = tokio::task::spawn_blocking(move || {
            loops.stop();
            // Every message relayed is in the store before the process ends.
            history.close();
        })
        .await;
    }
}

impl Drop for Running {
    /// A server dropped without [`Running::wait`] still stops its threads.
    fn drop(&mut self) {
        self.shutdown.cancel();
        self.loops.stop();
        self.history.close();
    }
}

/// Starts a server with `config` (overrides already applied; `overrides`
/// are kept for REHASH): its event-loop threads (`server.threads`), its
/// listeners and their accept loops. May be called from any tokio runtime;
/// connections are served on the server's own loops.
///
/// Errors: the MOTD file cannot be read, the data directory cannot be
/// created, a listener cannot be bound, or a thread cannot be started.
pub async fn start(config: Config, overrides: Overrides) -> Result<Running, StartError> {
    let motd = config.load_motd().map_err(StartError::Config)?;
    std::fs::create_dir_all(&config.server.data_dir)
        .map_err(|e| StartError::DataDir(config.server.data_dir.clone(), e))?;
    let mut listeners = Vec::new();
    let mut datagrams = Vec::new();
    for kind in Listener::ALL {
        for addr in kind.addrs(&config) {
            let failed = |e| StartError::Bind(kind, *addr, e);
            match kind.service() {
                Some((service, Over::Udp)) => {
                    let socket = crate::services::bind_udp(*addr).map_err(failed)?;
                    datagrams.push((socket, kind, service));
                }
                _ => listeners.push((bind(*addr, kind).map_err(failed)?, kind)),
            }
        }
    }
    let cloak = crate::cloak::Cloak::load(&config.server.data_dir)
        .map_err(|(path, e)| StartError::CloakKey(path, e))?;
    let tls = crate::tls::Tls::new();
    tls.load(&config).map_err(StartError::Config)?;
    let tls_fingerprint = tls.identity().map(|i| i.fingerprint);
    let store = natter_store::Store::open(&config.server.data_dir.join(DATABASE))
        .map_err(StartError::Store)?;
    let store = Arc::new(store);
    let database = config.server.data_dir.join(DATABASE);
    let unreadable = |e: natter_store::StoreError| {
        StartError::Store(natter_store::OpenError::Other {
            path: database.clone(),
            detail: e.to_string(),
        })
    };
    let history = Arc::new(crate::history::History::start(
        store.clone(),
        &config.history,
    ));
    let channels = store.channels().map_err(unreadable)?;
    let bans = store.server_bans().map_err(unreadable)?;
    let accounts = crate::accounts::Accounts::load(store.clone()).map_err(unreadable)?;
    let bound = |k: Listener| -> Vec<SocketAddr> {
        listeners
            .iter()
            .filter(|(_, lk)| *lk == k)
            .filter_map(|(l, _)| l.local_addr().ok())
            .collect()
    };
    let (irc_addrs, im_addrs, link_addrs) = (
        bound(Listener::Irc),
        bound(Listener::Im),
        bound(Listener::Link),
    );
    let all_bound: Vec<(Listener, SocketAddr)> = listeners
        .iter()
        .filter_map(|(l, k)| Some((*k, l.local_addr().ok()?)))
        .chain(
            datagrams
                .iter()
                .filter_map(|(s, k, _)| Some((*k, s.local_addr().ok()?))),
        )
        .collect();
    let autoconnect: Vec<String> = config
        .links
        .iter()
        .filter(|l| l.autoconnect && l.address.is_some())
        .map(|l| l.name.clone())
        .collect();
    let threads = match config.server.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let loops = Arc::new(EventLoops::start(threads).map_err(StartError::Threads)?);
    let shutdown = CancellationToken::new();
    let tasks = TaskTracker::new();
    let mut world = World::new(
        Arc::new(config),
        motd,
        shutdown.clone(),
        accounts,
        history.clone(),
    );
    world.cloak = Some(cloak);
    if world.config.files.enabled {
        let base_url = world.config.files.public_url.clone().or_else(|| {
            bound(Listener::Http)
                .first()
                .filter(|a| !a.ip().is_unspecified())
                .map(|a| format!("http://{a}"))
        });
        let files = crate::files::Files::open(
            &world.config.server.data_dir,
            store.clone(),
            world.config.files.clone(),
            base_url,
        )
        .map_err(|e| {
            StartError::DataDir(
                world.config.server.data_dir.join("files"),
                std::io::Error::other(e),
            )
        })?;
        world.files = Some(Arc::new(files));
        <crate::frontends::Natter as crate::world::FrontEnds>::reconfigured(&mut world);
    }
    let shared = Arc::new(Shared {
        slow: tokio::sync::Semaphore::new(threads.max(2)),
        metrics: world.metrics.clone(),
        world: Mutex::new(world),
        next_id: AtomicU64::new(1),
        tls,
        overrides,
        shutdown: shutdown.clone(),
        http_auth: Default::default(),
        deadlines: Default::default(),
    });
    {
        let mut world = shared.world.lock();
        world.bans = crate::server_bans::ServerBans::load(bans);
        crate::server_bans::sweep(&mut world);
        for record in channels {
            let (registration, channel) = crate::chanreg::restore(record);
            world.net.restore_channel(channel);
            world.channel_registry.insert(registration);
        }
        let mut new_id = || {
            shared
                .next_id
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        };
        <crate::frontends::Natter as crate::world::FrontEnds>::started(&mut world, &mut new_id)
            .map_err(unreadable)?;
    }
    let first = loops.first().clone();
    for (listener, kind) in listeners {
        let accept = accept_loop(listener, kind, shared.clone(), loops.clone(), tasks.clone());
        tasks.spawn_on(accept, &first);
    }
    // A UDP socket is one task on its own loop, like a connection.
    for (socket, _, service) in datagrams {
        let serve = crate::services::serve_udp(shared.clone(), socket, service);
        tasks.spawn_on(serve, loops.next().1);
    }
    for name in autoconnect {
        tasks.spawn_on(
            crate::link::session::autoconnect(shared.clone(), name),
            &first,
        );
    }
    tasks.spawn_on(close_all_at_shutdown(shared.clone()), &first);
    tasks.spawn_on(front_end_clock(shared.clone()), &first);
    tasks.spawn_on(crate::deadlines::keeper(shared.clone()), &first);
    tasks.spawn_on(crate::files::sweeper(shared.clone()), &first);
    for (kind, addr) in &all_bound {
        tracing::info!(listener = kind.key(), %addr, "listening for {}", kind.serves());
    }
    tracing::info!(threads = loops.len(), "running");
    Ok(Running {
        irc_addrs,
        im_addrs,
        link_addrs,
        bound: all_bound,
        tls_fingerprint,
        shutdown,
        tasks,
        loops,
        history,
    })
}

/// At shutdown (SIGTERM, DIE), closes every connection's queue: each
/// connection task then sends what is queued and an ERROR line. A
/// connection registered after this sweep sees the cancelled token itself
/// ([`crate::conn::serve`] checks it after registering under the lock).
async fn close_all_at_shutdown(shared: Arc<Shared>) {
    shared.shutdown.cancelled().await;
    let world = shared.world.lock();
    for conn in world.conns.values() {
        conn.out.shut_down();
    }
    // Links send the peer an ERROR and end.
    for link in world.front.link.links.values() {
        link.out.shut_down();
    }
}

/// Once a second, the front ends' timed work ([`crate::world::FrontEnds::tick`]):
/// NickServ's enforcement, IM's periodic ONLINE_USERS.
async fn front_end_clock(shared: Arc<Shared>) {
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {
                let mut world = shared.world.lock();
                <crate::frontends::Natter as crate::world::FrontEnds>::tick(
                    &mut world,
                    std::time::Instant::now(),
                );
            }
        }
    }
}

/// Starts an accepted client connection's task on the next event loop,
/// with a TLS session from the current certificate when `tls`. A TLS
/// listener without a certificate (it failed to load) closes the
/// connection.
fn spawn_client(
    shared: &Arc<Shared>,
    stream: tokio::net::TcpStream,
    addr: SocketAddr,
    frontend: Frontend,
    tls: bool,
    loops: &EventLoops,
    tasks: &TaskTracker,
) {
    use crate::transport::{Kind, Transport};
    let session = if tls {
        let Some(config) = shared.tls.server_config() else {
            return;
        };
        match rustls::ServerConnection::new(config) {
            Ok(session) => Some(Box::new(session)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot start a TLS session");
                return;
            }
        }
    } else {
        None
    };
    let kind = if tls { Kind::Tls } else { Kind::Tcp };
    let shared = shared.clone();
    on_next_loop(stream, loops, tasks, move |stream| {
        crate::conn::serve(
            shared,
            Transport::new(stream, session, kind),
            addr,
            frontend,
        )
    });
}

/// Runs `serve` with an accepted connection as a task on the next event
/// loop. Called on the first loop (the accept loops run there): a
/// connection bound elsewhere leaves this loop's epoll for its own loop's,
/// so that its readiness events wake only the loop that serves it.
pub(crate) fn on_next_loop<F, Fut>(
    stream: tokio::net::TcpStream,
    loops: &EventLoops,
    tasks: &TaskTracker,
    serve: F,
) where
    F: FnOnce(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (index, handle) = loops.next();
    if index == 0 {
        tasks.spawn(serve(stream));
        return;
    }
    // Registered with the other loop's driver here, before the task is
    // spawned, so that the task is the connection's future alone: a
    // wrapper awaiting it would be kept, with its captures, for the
    // connection's life.
    let stream = stream.into_std().and_then(|stream| {
        let _entered = handle.enter();
        tokio::net::TcpStream::from_std(stream)
    });
    match stream {
        Ok(stream) => {
            tasks.spawn_on(serve(stream), handle);
        }
        Err(e) => tracing::warn!(error = %e, "cannot hand a connection over"),
    }
}

/// Accepts connections on `listener` and starts each one's task on the next
/// event loop. Runs on the first loop: a connection bound elsewhere leaves
/// this loop's epoll for its own loop's (into_std/from_std), so that its
/// readiness events wake only the loop that serves it.
async fn accept_loop(
    listener: std::net::TcpListener,
    kind: Listener,
    shared: Arc<Shared>,
    loops: Arc<EventLoops>,
    tasks: TaskTracker,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "cannot watch a listener");
            return;
        }
    };
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, addr)) => {
                    let shared = shared.clone();
                    match kind {
                        // Links are few and busy: they stay on the first loop.
                        Listener::Link | Listener::LinkTls => {
                            tasks.spawn(crate::link::session::accept(shared, stream, addr, kind.tls()));
                        }
                        Listener::Http | Listener::HttpTls => {
                            tasks.spawn(crate::http::accept(shared, stream, addr, kind.tls(), loops.clone(), tasks.clone()));
                        }
                        Listener::Metrics => {
                            tasks.spawn(crate::metrics::accept(shared, stream, addr));
                        }
                        Listener::Irc | Listener::Im | Listener::IrcTls | Listener::ImTls => {
                            let frontend = kind.frontend().expect("a client listener");
                            spawn_client(&shared, stream, addr, frontend, kind.tls(), &loops, &tasks);
                        }
                        Listener::Echo | Listener::Daytime => {
                            let (service, _) = kind.service().expect("a service listener");
                            on_next_loop(stream, &loops, &tasks, move |stream| {
                                crate::services::serve_tcp(shared, stream, addr, service)
                            });
                        }
                        // Bound as UDP sockets, never accepted from.
                        Listener::EchoUdp | Listener::DaytimeUdp => return,
                    }
                }
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}
