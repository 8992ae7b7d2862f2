//! natter's server: listeners, per-connection tasks, the IRC front end and
//! the configuration, around the pure network model of `natter-model`.
//!
//! - [`config`]: the TOML configuration and its errors.
//! - [`accounts`]: accounts (kept by `natter-store`), their credentials,
//!   SCRAM, and login throttling; neutral, used by every front end.
//! - [`server`]: binding listeners, accepting, shutting down.
//! - [`listener`]: the kinds of listener, where each is configured, and
//!   how a TCP listener is bound.
//! - [`admission`]: connection limits per address block and in total.
//! - [`flood`]: connect classes and the fakelag token bucket (RecvQ).
//! - `event_loops`: one single-threaded runtime per core; every
//!   connection lives on one of them.
//! - `conn`: one connection's task (reads, writes, timeouts).
//! - [`session`]: a client connection as every front end's handlers see
//!   it (the client, the handler context, slow work left for its task);
//!   neutral.
//! - `deadlines`: every connection's registration or keepalive deadline,
//!   kept in its queue and checked by one keeper task once a second.
//! - [`transport`]: a connection's bytes: TCP or a WebSocket bridge's Unix
//!   socket, with the TLS record layer on TLS listeners.
//! - [`tls`]: certificates (configured or generated), fingerprints.
//! - [`http`]: the HTTP listener: web client, IRC over WebSocket, health.
//! - [`metrics`]: Prometheus metrics and their listener.
//! - [`services`]: the lectures' echo (RFC 862) and daytime (RFC 867)
//!   services over TCP and UDP, on the chat event loops and limits.
//! - [`outbound`]: the bounded per-client queue (SendQ).
//! - [`world`]: the network model plus local connections, under one lock;
//!   the single event path that applies changes and hands them to the
//!   fan-out. It imports no front end.
//! - [`clock`]: time in the server-time form (neutral).
//! - [`text`]: text helpers such as cutting on a character boundary
//!   (neutral).
//! - [`cidr`]: address blocks (trusted proxies, server bans, connection
//!   limits and connect classes).
//! - [`cloak`]: keyed host cloaks (user mode +x), neutral.
//! - [`server_bans`]: K-lines and D-lines in force (neutral), kept by
//!   `natter-store`.
//! - [`rules`]: who may join a channel or send to one, and how much text
//!   a relayed line has room for, whichever front end asked (neutral).
//! - [`chanreg`]: channels registered with ChanServ (access lists, state
//!   saved across restarts).
//! - [`history`]: message history, the store sink of the fan-out, and
//!   the queries front ends make of it.
//! - [`files`]: shared files (offset-based uploads and reads, grants),
//!   neutral; used by the IM and HTTP front ends.
//! - [`frontends`]: the front ends assembled into the fan-out, and the
//!   world they make ([`World`]).
//! - [`irc`]: the IRC client protocol: command table, one file per family.
//! - [`im`]: the lectures' IM protocol, a second front end over the same
//!   users and channels.
//! - [`link`]: server links (RFC 2813): handshake, burst, inbound lines
//!   turned into events, and the link sink of the fan-out with routing.
//! - `fuzzing` (hidden): the checks of the fuzz targets in `fuzz/`, for
//!   them and the seed regression test only.

pub mod accounts;
pub mod admission;
pub mod chanreg;
pub mod cidr;
pub mod cloak;
pub mod clock;
pub mod config;
mod conn;
mod deadlines;
mod event_loops;
pub mod files;
pub mod flood;
mod flusher;
pub mod frontends;
#[doc(hidden)]
pub mod fuzzing;
pub mod history;
pub mod http;
pub mod im;
pub mod irc;
pub mod link;
pub mod listener;
pub mod metrics;
pub mod outbound;
pub mod rules;
pub mod server;
pub mod server_bans;
pub mod services;
pub mod session;
pub mod text;
pub mod tls;
pub mod transport;
pub mod world;

pub use config::{resolve_listen, Config, ConfigError, ConfigErrors, Overrides};
pub use frontends::{ConnEntry, World};
pub use server::{start, Listener, Running, StartError};
