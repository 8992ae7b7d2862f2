//! The world: the network model plus what the server needs to deliver to
//! its local connections. One lock guards it; handlers run under that lock,
//! never across an await or I/O (pushing to an [`Outbound`] never blocks).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use natter_model::{Event, Frontend, Network, UserId};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::irc::caps::CapSet;
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
    /// Whether it finished registration (and so is a user in `net`).
    pub registered: bool,
    /// The peer address.
    pub addr: SocketAddr,
}

/// Server-wide state guarded by one lock.
#[derive(Debug)]
pub struct World {
    /// Users and channels.
    pub net: Network,
    /// Local connections by id.
    pub conns: HashMap<UserId, ConnEntry>,
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
}

impl World {
    /// A world with no one in it.
    pub fn new(config: Arc<Config>, motd: Vec<String>, shutdown: CancellationToken) -> World {
        let isupport = render::isupport_tokens(&config);
        World {
            net: Network::new(config.limits.whowas),
            conns: HashMap::new(),
            motd: Arc::new(motd),
            started: now(),
            isupport,
            config,
            shutdown,
        }
    }

    /// This server's name.
    pub fn server_name(&self) -> &str {
        &self.config.server.name
    }

    /// Installs a new configuration and MOTD (REHASH).
    pub fn reconfigure(&mut self, config: Arc<Config>, motd: Vec<String>) {
        self.isupport = render::isupport_tokens(&config);
        self.motd = Arc::new(motd);
        self.config = config;
    }

    /// The one path for changes: applies `event` to the network and delivers
    /// it to every local recipient, rendered once per distinct form and
    /// shared among recipients of that form. Lines for `me` go to `me_buf`
    /// instead of its queue, so they stay in order with its direct replies.
    pub fn emit(&mut self, event: &Event, me: Option<(UserId, &mut String)>) {
        let recipients = self.net.apply(event);
        let (me_id, me_buf) = match me {
            Some((id, buf)) => (Some(id), Some(buf)),
            None => (None, None),
        };
        let mut me_buf = me_buf;
        let mut forms: Vec<(u32, Option<Bytes>)> = Vec::new();
        for id in recipients {
            let Some(conn) = self.conns.get(&id) else {
                continue;
            };
            let key = match conn.frontend {
                Frontend::Irc => render::form_key(event, conn.caps),
                Frontend::Im => continue,
            };
            let line = match forms.iter().find(|(k, _)| *k == key) {
                Some((_, line)) => line.clone(),
                None => {
                    let line =
                        render::render(event, &self.net, conn.caps, &self.config.server.name);
                    forms.push((key, line.clone()));
                    line
                }
            };
            let Some(line) = line else { continue };
            match (&mut me_buf, me_id == Some(id)) {
                (Some(buf), true) => buf.push_str(std::str::from_utf8(&line).unwrap_or_default()),
                _ => {
                    conn.out.push(line);
                }
            }
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
