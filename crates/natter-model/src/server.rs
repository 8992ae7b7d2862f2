//! Servers as entities of the network (RFC 2813 §1.1, §4.1.2): each has an
//! id, a name, a description, its hop count from this server and the server
//! it is reached through (its uplink). This server is one of them, with hop
//! count 0 and no uplink; every user belongs to one.
//!
//! Only this server exists until servers link; the front ends already read
//! servers from here (LUSERS, LINKS, WHO hop counts, WHOIS RPL_WHOISSERVER)
//! rather than from the configuration.

use std::sync::Arc;

/// A server's id: unique within this process's view of the network. This
/// server is [`LOCAL_SERVER`].
pub type ServerId = u32;

/// The id of this server.
pub const LOCAL_SERVER: ServerId = 0;

/// A server of the network.
#[derive(Debug, Clone)]
pub struct Server {
    /// Its id.
    pub id: ServerId,
    /// Its name (`irc.example.net`), shared with WHOWAS entries.
    pub name: Arc<str>,
    /// One line about it (WHOIS RPL_WHOISSERVER, LINKS).
    pub description: String,
    /// Hops from this server: 0 for this server, 1 for a neighbour
    /// (RFC 2813 §4.1.2 `hopcount`).
    pub hopcount: u32,
    /// The server that introduced it (its parent in the spanning tree),
    /// `None` for this server.
    pub uplink: Option<ServerId>,
    /// The neighbour of this server through which it is reached (itself
    /// for a neighbour), `None` for this server: where messages for its
    /// users are routed.
    pub via: Option<ServerId>,
}

impl Server {
    /// This server: id [`LOCAL_SERVER`], hop count 0, no uplink.
    pub fn local(name: &str, description: &str) -> Server {
        Server {
            id: LOCAL_SERVER,
            name: Arc::from(name),
            description: description.to_string(),
            hopcount: 0,
            uplink: None,
            via: None,
        }
    }
}
