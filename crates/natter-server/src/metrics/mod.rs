//! Prometheus metrics: the [`Metrics`] registry every part of the server
//! counts into, and the listener that serves it at `GET /metrics`.
//!
//! - this file: [`Metrics`], its counters and the label tables, and the
//!   classes of [`Disconnect`];
//! - `kinds`: a lock-free duration [`Histogram`] and a [`Total`] (a
//!   counter worked out at scrape time);
//! - `collect`: what a scrape reads from the world under its lock
//!   (connections, users, channels, links, bytes written) and from
//!   `/proc/self`, and the text it renders;
//! - `serve`: the HTTP/1 listener (hyper) on `[listen] metrics`.
//!
//! Cost on the hot paths: a line in is one relaxed atomic add into a
//! counter found by index (the front end's own command list), an
//! emit's deliveries one add per emit whatever the number of recipients,
//! a handled line's world-lock hold one histogram observation (two adds).
//! Figures the world already keeps (connections, users, channels, links,
//! each connection's bytes written) cost nothing until a scrape, which
//! reads them under the world lock: one pass over the local connections.
//!
//! What may touch what: [`Metrics`] is neutral (no front end, no world;
//! each front end names its commands, [`Metrics::new`]'s `commands`):
//! the world holds it ([`crate::world::World::metrics`]), the server's
//! shared state a clone (`Shared::metrics`), and any module may count into
//! it. Only `collect` reads the assembled world ([`crate::World`]).
//!

mod collect;
mod kinds;
mod serve;

pub use kinds::{Histogram, Total, COMMIT_BUCKETS, WORLD_HOLD_BUCKETS};
pub(crate) use serve::accept;

use std::sync::atomic::AtomicU64;

use natter_model::{Event, Frontend, MessageKind};
use parking_lot::Mutex;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use crate::outbound::Closed;
use crate::services::{Over, Service};
use crate::transport::Kind;

/// A label set of two fixed labels, such as `frontend` and `command`.
type Pair = [(&'static str, &'static str); 2];

/// A label set of one fixed label.
type One = [(&'static str, &'static str); 1];

/// A label set of three fixed labels: `service`, `transport`, `result`.
type Three = [(&'static str, &'static str); 3];

/// The label set of a server link: `peer`, the neighbour's name.
type Peer = [(&'static str, String); 1];

/// Client front ends, as the `frontend` label names them.
const FRONTENDS: [&str; 2] = ["irc", "im"];

/// Transports, as the `transport` label names them ([`Kind::label`]).
const TRANSPORTS: [&str; 4] = ["tcp", "tls", "ws", "wss"];

/// The commands deliveries are counted by: the IRC command a client sees
/// for an event (an IM client is counted under the same name).
pub const EVENT_COMMANDS: [&str; 19] = [
    "PRIVMSG", "NOTICE", "TAGMSG", "JOIN", "PART", "KICK", "QUIT", "KILL", "NICK", "TOPIC", "MODE",
    "SETNAME", "CHGHOST", "INVITE", "AWAY", "ACCOUNT", "KNOCK", "WALLOPS", "other",
];

/// Why a client connection ended, as `natter_disconnects_total` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disconnect {
    /// The client asked (IRC QUIT, IM GOODBYE) or was refused a password.
    Quit,
    /// It did not answer a keepalive PING in time.
    PingTimeout,
    /// It did not finish registration in time.
    RegistrationTimeout,
    /// Its outbound queue overflowed (SendQ exceeded).
    SendQ,
    /// An operator or a server KILLed it.
    Kill,
    /// Flood control cut it off (RecvQ exceeded: "Excess Flood").
    Flood,
    /// Refused when it connected: a connection limit (`[connections]`).
    Refused,
    /// The server shut down.
    Shutdown,
    /// Anything else: the peer closed, a read, write or TLS error.
    Error,
}

impl Disconnect {
    /// Every class, in label order.
    pub const ALL: [Disconnect; 9] = [
        Disconnect::Quit,
        Disconnect::PingTimeout,
        Disconnect::RegistrationTimeout,
        Disconnect::SendQ,
        Disconnect::Kill,
        Disconnect::Flood,
        Disconnect::Refused,
        Disconnect::Shutdown,
        Disconnect::Error,
    ];

    /// Its `reason` label.
    pub fn label(self) -> &'static str {
        match self {
            Disconnect::Quit => "quit",
            Disconnect::PingTimeout => "ping_timeout",
            Disconnect::RegistrationTimeout => "registration_timeout",
            Disconnect::SendQ => "sendq",
            Disconnect::Kill => "kill",
            Disconnect::Flood => "flood",
            Disconnect::Refused => "refused",
            Disconnect::Shutdown => "shutdown",
            Disconnect::Error => "error",
        }
    }

    /// The class of a connection that ended with `reason`, its queue
    /// closed as `closed` (if it was), `quit` when the client asked to
    /// leave. Only SendQ aborts a queue; a graceful close by someone else
    /// is a KILL.
    pub fn classify(closed: Option<&Closed>, quit: bool, reason: &str) -> Disconnect {
        match closed {
            Some(Closed::Abort(_)) => Disconnect::SendQ,
            Some(Closed::Shutdown) => Disconnect::Shutdown,
            Some(Closed::Graceful) if !quit => Disconnect::Kill,
            _ if quit => Disconnect::Quit,
            _ if reason == "Registration timed out" => Disconnect::RegistrationTimeout,
            _ if reason.starts_with("Ping timeout") => Disconnect::PingTimeout,
            _ if reason == crate::flood::EXCESS_FLOOD => Disconnect::Flood,
            _ => Disconnect::Error,
        }
    }
}

/// The server's metrics: counters the hot paths add to, gauges a scrape
/// sets from the world, and the registry that renders them all.
///
/// Counters are found by index, never by a label lookup: `lines[f][i]`
/// for front end `f`'s `i`-th command, and so on.
pub struct Metrics {
    registry: Registry,
    /// Held while a scrape sets the gauges and renders, so two scrapes
    /// do not interleave.
    scrape: Mutex<()>,
    /// `natter_connections_accepted_total`, by front end then transport.
    accepted: [[Counter; 4]; 2],
    /// `natter_lines_in_total`, by front end (as [`FRONTENDS`]) then by
    /// the index in the front end's command list; the last is `other`.
    lines: [Box<[Counter]>; 2],
    /// `natter_deliveries_total`, by [`EVENT_COMMANDS`].
    deliveries: Box<[Counter]>,
    /// `natter_disconnects_total`, by [`Disconnect::ALL`].
    disconnects: [Counter; 9],
    /// `natter_world_lock_hold_seconds`.
    world_hold: Histogram,
    /// `natter_service_requests_total`, by [`Service::ALL`], then
    /// [`Over::ALL`], then served (0) or refused (1).
    service_requests: [[[Counter; 2]; 2]; 2],
    /// `natter_service_connections`, by [`Service::ALL`].
    service_open: [Gauge; 2],
    // Set at scrape time (`collect`).
    connections: Family<Pair, Gauge>,
    users: Family<One, Gauge>,
    channels: Gauge,
    servers: Gauge,
    link_up: Family<Peer, Gauge>,
    link_lag: Family<Peer, Gauge<f64, AtomicU64>>,
    history_queue: Gauge,
    written: Total,
    queued: Total,
    /// Bytes written and lines queued by connections that closed.
    retired_written: AtomicU64,
    retired_queued: AtomicU64,
    rss: Gauge,
    open_fds: Gauge,
    cpu: Counter<f64, AtomicU64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// Every metric registered, counters at zero; `commit_latency` is the
    /// history writer's histogram ([`crate::history::History::commit_latency`]);
    /// `commands` are the IRC and the IM front end's command names, in the
    /// order [`Metrics::line_in`] indexes them (`other` is added to each).
    pub fn new(commit_latency: Histogram, commands: [&[&'static str]; 2]) -> Metrics {
        let mut r = Registry::default();
        let accepted_family = Family::<Pair, Counter>::default();
        let accepted = std::array::from_fn(|f| {
            std::array::from_fn(|t| {
                accepted_family
                    .get_or_create(&[("frontend", FRONTENDS[f]), ("transport", TRANSPORTS[t])])
                    .clone()
            })
        });
        r.register(
            "natter_connections_accepted",
            "Client connections accepted, by front end and transport",
            accepted_family,
        );
        // Set at every scrape, every label pair (`collect`).
        let connections = Family::<Pair, Gauge>::default();
        r.register(
            "natter_connections",
            "Client connections open now (registered or not), by front end and transport",
            connections.clone(),
        );
        let lines = Family::<Pair, Counter>::default();
        let by_frontend = std::array::from_fn(|f| {
            commands[f]
                .iter()
                .copied()
                .chain(["other"])
                .map(|c| {
                    lines
                        .get_or_create(&[("frontend", FRONTENDS[f]), ("command", c)])
                        .clone()
                })
                .collect()
        });
        r.register(
            "natter_lines_in",
            "Lines received from clients, by front end and command (IRC: the command table's \
             names, anything else `other`)",
            lines,
        );
        let deliveries_family = Family::<One, Counter>::default();
        let deliveries = EVENT_COMMANDS
            .iter()
            .map(|c| deliveries_family.get_or_create(&[("command", c)]).clone())
            .collect();
        r.register(
            "natter_deliveries",
            "Lines the fan-out delivered to local clients, by the command of the event \
             (one per recipient)",
            deliveries_family,
        );
        let disconnects_family = Family::<One, Counter>::default();
        let disconnects = Disconnect::ALL.map(|d| {
            disconnects_family
                .get_or_create(&[("reason", d.label())])
                .clone()
        });
        r.register(
            "natter_disconnects",
            "Client connections that ended, by reason class",
            disconnects_family,
        );
        let world_hold = Histogram::new(WORLD_HOLD_BUCKETS);
        r.register_with_unit(
            "natter_world_lock_hold",
            "Time one client line held the world lock, from acquiring it to releasing it",
            Unit::Seconds,
            world_hold.clone(),
        );
        let requests = Family::<Three, Counter>::default();
        let service_requests = Service::ALL.map(|s| {
            Over::ALL.map(|o| {
                ["served", "refused"].map(|result| {
                    requests
                        .get_or_create(&[
                            ("service", s.label()),
                            ("transport", o.label()),
                            ("result", result),
                        ])
                        .clone()
                })
            })
        });
        r.register(
            "natter_service_requests",
            "Requests to the echo and daytime services: TCP connections and UDP datagrams, \
             served or refused (D-line, connection limits)",
            requests,
        );
        let open = Family::<One, Gauge>::default();
        let service_open =
            Service::ALL.map(|s| open.get_or_create(&[("service", s.label())]).clone());
        r.register(
            "natter_service_connections",
            "TCP connections to the echo and daytime services open now",
            open,
        );
        let users = Family::<One, Gauge>::default();
        r.register(
            "natter_users",
            "Registered users (services not counted): on this server (`local`) or on the whole \
             network (`network`)",
            users.clone(),
        );
        let channels = Gauge::default();
        r.register(
            "natter_channels",
            "Channels on the network",
            channels.clone(),
        );
        let servers = Gauge::default();
        r.register(
            "natter_servers",
            "Servers on the network, this one included",
            servers.clone(),
        );
        let link_up = Family::<Peer, Gauge>::default();
        r.register(
            "natter_link_up",
            "Whether the server link to a neighbour is established (1) or not (0); one series \
             per configured or linked neighbour",
            link_up.clone(),
        );
        let link_lag = Family::<Peer, Gauge<f64, AtomicU64>>::default();
        r.register_with_unit(
            "natter_link_lag",
            "Round trip of the last PING answered on a server link, by neighbour",
            Unit::Seconds,
            link_lag.clone(),
        );
        let history_queue = Gauge::default();
        r.register(
            "natter_history_queue",
            "Messages waiting for the history writer to commit them",
            history_queue.clone(),
        );
        r.register_with_unit(
            "natter_history_commit_latency",
            "Time from a message being recorded to its commit in the history store",
            Unit::Seconds,
            commit_latency,
        );
        let written = Total::default();
        r.register_with_unit(
            "natter_written",
            "Bytes written to client sockets",
            Unit::Bytes,
            written.clone(),
        );
        let queued = Total::default();
        r.register(
            "natter_lines_queued",
            "Lines queued to clients: replies and deliveries",
            queued.clone(),
        );
        let rss = Gauge::default();
        r.register_with_unit(
            "process_resident_memory",
            "Resident memory size",
            Unit::Bytes,
            rss.clone(),
        );
        let open_fds = Gauge::default();
        r.register(
            "process_open_fds",
            "Open file descriptors",
            open_fds.clone(),
        );
        let cpu = Counter::<f64, AtomicU64>::default();
        r.register_with_unit(
            "process_cpu",
            "User and system CPU time spent",
            Unit::Seconds,
            cpu.clone(),
        );
        Metrics {
            registry: r,
            scrape: Mutex::new(()),
            accepted,
            lines: by_frontend,
            deliveries,
            disconnects,
            world_hold,
            service_requests,
            service_open,
            connections,
            users,
            channels,
            servers,
            link_up,
            link_lag,
            history_queue,
            written,
            queued,
            retired_written: AtomicU64::new(0),
            retired_queued: AtomicU64::new(0),
            rss,
            open_fds,
            cpu,
        }
    }

    /// Counts a client connection accepted on `transport` for `frontend`.
    pub fn accepted(&self, frontend: Frontend, transport: Kind) {
        if let Some(f) = frontend_index(frontend) {
            self.accepted[f][transport_index(transport)].inc();
        }
    }

    /// Counts a line from a `frontend` client whose command is the
    /// `index`-th of that front end's command list ([`Metrics::new`]), or
    /// in none (`None`: `other`).
    pub fn line_in(&self, frontend: Frontend, index: Option<usize>) {
        let Some(f) = frontend_index(frontend) else {
            return;
        };
        let lines = &self.lines[f];
        let last = lines.len() - 1;
        lines[index.map_or(last, |i| i.min(last))].inc();
    }

    /// Counts `n` lines the fan-out delivered for `event` (one add per
    /// emit, whatever `n`).
    pub fn delivered(&self, event: &Event, n: u64) {
        if n > 0 {
            self.deliveries[event_index(event)].inc_by(n);
        }
    }

    /// Counts a client connection that ended.
    pub fn disconnected(&self, class: Disconnect) {
        self.disconnects[class as usize].inc();
    }

    /// Records how long one client line held the world lock.
    pub fn world_held(&self, held: std::time::Duration) {
        self.world_hold.observe(held);
    }

    /// Counts a request to `service` over `over` that was answered (a
    /// TCP connection admitted, a UDP reply sent).
    pub fn service_served(&self, service: Service, over: Over) {
        self.service_requests[service as usize][over as usize][0].inc();
    }

    /// Counts a request to `service` over `over` that was refused (a
    /// D-line, a connection limit) or dropped.
    pub fn service_refused(&self, service: Service, over: Over) {
        self.service_requests[service as usize][over as usize][1].inc();
    }

    /// Counts a TCP connection to `service` opened; every one must be
    /// [`Metrics::service_closed`].
    pub fn service_opened(&self, service: Service) {
        self.service_open[service as usize].inc();
    }

    /// Counts a TCP connection to `service` closed.
    pub fn service_closed(&self, service: Service) {
        self.service_open[service as usize].dec();
    }

    /// The world-lock hold histogram.
    pub fn world_hold(&self) -> &Histogram {
        &self.world_hold
    }

    /// Keeps the traffic of a connection that closed (`(lines queued,
    /// bytes written)`, [`crate::outbound::Outbound::traffic`]) in the
    /// totals; called under the world lock as it leaves `conns`.
    pub fn retire(&self, traffic: (u64, u64)) {
        use std::sync::atomic::Ordering::Relaxed;
        self.retired_queued.fetch_add(traffic.0, Relaxed);
        self.retired_written.fetch_add(traffic.1, Relaxed);
    }
}

/// A front end's index in [`FRONTENDS`] (services have no connection).
fn frontend_index(frontend: Frontend) -> Option<usize> {
    match frontend {
        Frontend::Irc => Some(0),
        Frontend::Im => Some(1),
        Frontend::Service => None,
    }
}

/// A transport's index in [`TRANSPORTS`].
fn transport_index(kind: Kind) -> usize {
    match kind {
        Kind::Tcp => 0,
        Kind::Tls => 1,
        Kind::WebSocket { secure: false } => 2,
        Kind::WebSocket { secure: true } => 3,
    }
}

/// An event's index in [`EVENT_COMMANDS`].
fn event_index(event: &Event) -> usize {
    match event {
        Event::Message { kind, .. } => match kind {
            MessageKind::Privmsg => 0,
            MessageKind::Notice => 1,
            MessageKind::Tagmsg => 2,
        },
        Event::Joined { .. } => 3,
        Event::Parted { .. } => 4,
        Event::Kicked { .. } => 5,
        Event::Quit { .. } => 6,
        Event::Killed { .. } => 7,
        Event::NickChanged { .. } => 8,
        Event::TopicChanged { .. } => 9,
        Event::ChannelModeChanged { .. } | Event::UserModeChanged { .. } => 10,
        Event::RealnameChanged { .. } => 11,
        Event::HostChanged { .. } => 12,
        Event::Invited { .. } => 13,
        Event::AwayChanged { .. } => 14,
        Event::AccountChanged { .. } => 15,
        Event::Knocked { .. } => 16,
        Event::Wallops { .. } => 17,
        _ => 18,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_line_up_with_their_indices() {
        for (i, t) in [
            Kind::Tcp,
            Kind::Tls,
            Kind::WebSocket { secure: false },
            Kind::WebSocket { secure: true },
        ]
        .into_iter()
        .enumerate()
        {
            assert_eq!(TRANSPORTS[transport_index(t)], t.label());
            assert_eq!(transport_index(t), i);
        }
        for (i, d) in Disconnect::ALL.into_iter().enumerate() {
            assert_eq!(d as usize, i, "{d:?}");
        }
        for (i, s) in Service::ALL.into_iter().enumerate() {
            assert_eq!(s as usize, i, "{s:?}");
        }
        for (i, o) in Over::ALL.into_iter().enumerate() {
            assert_eq!(o as usize, i, "{o:?}");
        }
        let away = Event::AwayChanged {
            user: natter_model::UserRef {
                id: 1,
                nick: "a".into(),
                user: "u".into(),
                host: "h".into(),
            },
            message: None,
        };
        assert_eq!(EVENT_COMMANDS[event_index(&away)], "AWAY");
    }

    #[test]
    fn disconnects_are_classified() {
        use Disconnect::*;
        let abort = Closed::Abort(Box::new("SendQ exceeded".into()));
        let cases = [
            (Some(&abort), false, "SendQ exceeded", SendQ),
            (Some(&Closed::Shutdown), false, "x", Shutdown),
            (Some(&Closed::Graceful), false, "Connection closed", Kill),
            (Some(&Closed::Graceful), true, "Quit: bye", Quit),
            (None, true, "Client Quit", Quit),
            (None, false, "Registration timed out", RegistrationTimeout),
            (None, false, "Ping timeout: 240 seconds", PingTimeout),
            (None, false, "Connection closed", Error),
            (None, false, "TLS error: bad record", Error),
        ];
        for (closed, quit, reason, want) in cases {
            assert_eq!(Disconnect::classify(closed, quit, reason), want, "{reason}");
        }
    }
}
