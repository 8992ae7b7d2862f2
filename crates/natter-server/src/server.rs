//! Starting and stopping the server: binds the listeners, accepts
//! connections into their tasks, and shuts everything down in order.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use natter_model::Frontend;
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Config, ConfigError, Overrides};
use crate::world::World;

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
}

impl Shared {
    /// Reads the configuration file again (REHASH). Blocking file I/O: call
    /// it off the world lock and off the async threads.
    pub fn reload(
        &self,
        path: Option<std::path::PathBuf>,
    ) -> Result<(Config, Vec<String>), ConfigError> {
        let mut config = match path {
            Some(p) => Config::load(&p)?,
            None => Config::default(),
        };
        self.overrides.apply(&mut config)?;
        let motd = config.load_motd()?;
        Ok((config, motd))
    }
}

/// Why the server could not start.
#[derive(Debug)]
pub enum StartError {
    /// The configuration (or a file it names) is unusable.
    Config(ConfigError),
    /// A listener could not be bound.
    Bind(SocketAddr, std::io::Error),
    /// The data directory could not be created.
    DataDir(std::path::PathBuf, std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Config(e) => write!(f, "{e}"),
            StartError::Bind(a, e) => write!(f, "cannot listen on {a}: {e}"),
            StartError::DataDir(d, e) => {
                write!(f, "cannot create data directory {}: {e}", d.display())
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
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl Running {
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
    /// seconds; stragglers are dropped).
    pub async fn wait(self) {
        self.shutdown.cancelled().await;
        self.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.tasks.wait()).await;
    }
}

/// Starts a server with `config` (overrides already applied; `overrides`
/// are kept for REHASH). Must be called inside a tokio runtime.
///
/// Errors: the MOTD file cannot be read, the data directory cannot be
/// created, or a listener cannot be bound.
pub async fn start(config: Config, overrides: Overrides) -> Result<Running, StartError> {
    let motd = config.load_motd().map_err(StartError::Config)?;
    std::fs::create_dir_all(&config.server.data_dir)
        .map_err(|e| StartError::DataDir(config.server.data_dir.clone(), e))?;
    let mut listeners = Vec::new();
    for (addrs, frontend) in [
        (&config.listen.irc, Frontend::Irc),
        (&config.listen.im, Frontend::Im),
    ] {
        for addr in addrs {
            let l = bind(*addr).map_err(|e| StartError::Bind(*addr, e))?;
            listeners.push((l, frontend));
        }
    }
    let bound = |f: Frontend| -> Vec<SocketAddr> {
        listeners
            .iter()
            .filter(|(_, lf)| *lf == f)
            .filter_map(|(l, _)| l.local_addr().ok())
            .collect()
    };
    let (irc_addrs, im_addrs) = (bound(Frontend::Irc), bound(Frontend::Im));
    let shutdown = CancellationToken::new();
    let tasks = TaskTracker::new();
    let shared = Arc::new(Shared {
        world: Mutex::new(World::new(Arc::new(config), motd, shutdown.clone())),
        next_id: AtomicU64::new(1),
        overrides,
        shutdown: shutdown.clone(),
    });
    for (listener, frontend) in listeners {
        let shared = shared.clone();
        let t = tasks.clone();
        tasks.spawn(accept_loop(listener, frontend, shared, t));
    }
    if !im_addrs.is_empty() {
        tasks.spawn(presence_ticker(shared.clone()));
    }
    tracing::info!(irc = ?irc_addrs, im = ?im_addrs, "listening");
    Ok(Running {
        irc_addrs,
        im_addrs,
        shutdown,
        tasks,
    })
}

/// Sends every IM client ONLINE_USERS every `im.online_users_interval`
/// seconds (read again after each tick, so REHASH can change it).
async fn presence_ticker(shared: Arc<Shared>) {
    loop {
        let every = shared.world.lock().config.im.online_users_interval.max(1);
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(every)) => {
                shared.world.lock().broadcast_presence(None, None);
            }
        }
    }
}

/// Listen backlog: connections the kernel holds before natter accepts
/// them. The default of 128 makes bursts of connecting clients (a netsplit
/// rejoin, a load test) wait for SYN retransmits; the kernel still caps it
/// at net.core.somaxconn.
const BACKLOG: u32 = 4096;

/// Binds a listener with SO_REUSEADDR (restarts do not wait for TIME_WAIT)
/// and a large backlog.
fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

async fn accept_loop(
    listener: TcpListener,
    frontend: Frontend,
    shared: Arc<Shared>,
    tasks: TaskTracker,
) {
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, addr)) => {
                    tasks.spawn(crate::conn::serve(shared.clone(), stream, addr, frontend));
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
