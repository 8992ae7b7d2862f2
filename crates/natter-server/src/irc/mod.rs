//! The IRC front end: per-client protocol state, the command table, and one
//! file per command family.
//!
//! A handler runs with the world locked ([`Ctx`]): it validates the command,
//! answers the client with numerics, and turns accepted commands into
//! [`natter_model::Event`]s through [`Ctx::emit`]. It never awaits.

pub mod account;
mod capabilities;
pub mod caps;
pub mod certfp;
mod channels;
pub mod chanserv;
pub mod chathistory;
mod commands;
pub mod fanout;
mod help;
pub mod input;
mod knock;
mod links;
mod messaging;
mod modes;
pub mod monitor;
pub mod nickserv;
pub mod operators;
mod queries;
pub mod read_marker;
mod registration;
pub mod render;
pub mod sasl;
pub mod server_bans;
pub mod silence;
pub mod snomask;
mod state;
mod stats;

use std::net::SocketAddr;

use natter_model::{Event, Frontend, User, UserId};
use natter_proto::numeric::*;
use natter_proto::{write_line, write_line_trailing, Message};

use crate::World;
use caps::{Cap, CapSet};

/// Protocol state of one IRC connection, owned by its task.
#[derive(Debug)]
pub struct Client {
    /// Its id (also its user id once registered).
    pub id: UserId,
    /// The peer address.
    pub addr: SocketAddr,
    /// Host shown to others: the IP address (a leading ':' of an IPv6
    /// address is prefixed with '0' so it stays one IRC parameter).
    pub host: Box<str>,
    /// Whether registration is complete.
    pub registered: bool,
    /// What the client gave before registration (see [`Client::pre`]).
    pre: Option<Box<PreRegistration>>,
    /// Whether a correct PASS was given (or none is needed).
    pub pass_ok: bool,
    /// Whether a CAP LS/REQ holds registration until CAP END.
    pub cap_negotiating: bool,
    /// CAP LS version (302 enables values and cap-notify).
    pub cap_version: u32,
    /// Set by a handler to end the connection: the quit reason.
    pub quit: Option<Box<str>>,
    /// Work a handler left to run off the world lock (boxed: it is rare,
    /// and every connection's task holds this struct).
    pub deferred: Option<Box<Deferred>>,
    /// The `label` tag of the command being answered (IRCv3
    /// labeled-response), when the client negotiated the capability.
    pub label: Option<Box<str>>,
    /// Counter for this client's batch reference tags.
    pub batches: u64,
    /// The protocol this connection speaks.
    pub frontend: Frontend,
    /// When the connection was accepted.
    pub connected_at: std::time::Instant,
    /// Lines received (STATS l).
    pub lines_in: u64,
    /// Bytes received, line ends included (STATS l).
    pub bytes_in: u64,
    /// The SASL exchange in progress (AUTHENTICATE); boxed, as it is rare.
    pub sasl: Option<Box<sasl::Session>>,
    /// Operator status as the connect class last saw it.
    pub seen_oper: bool,
    /// The account as the connect class last saw it.
    pub seen_account: Option<Box<str>>,
    /// Set when they changed: the connection task looks up the client's
    /// connect class again.
    pub reclass: bool,
    /// Its nick changes and joins so far, for their per-user limits
    /// (`None`: its connect class is exempt). Set by the connection task.
    pub change_rates: Option<crate::flood::ChangeRates>,
    /// Set by the IM file handlers when a `FILE_WRITE` or `FILE_READ`
    /// moved bytes: the connection then does not charge that line to the
    /// flood bucket (every other line, and a file request that moved
    /// nothing, costs a token).
    pub moved_data: bool,
}

/// What finishes slow work: runs under the world lock, with the context of
/// the client that asked for it.
pub type Finish = Box<dyn FnOnce(&mut Ctx<'_>) + Send>;

/// Blocking work for the slow pool (the store, password hashing) that
/// returns what finishes it under the lock.
pub struct SlowJob(Box<dyn FnOnce() -> Finish + Send>);

impl SlowJob {
    /// A job doing `work` off the lock.
    pub fn new(work: impl FnOnce() -> Finish + Send + 'static) -> SlowJob {
        SlowJob(Box::new(work))
    }

    /// Does the work (blocking) and returns its finish.
    pub fn run(self) -> Finish {
        (self.0)()
    }
}

impl std::fmt::Debug for SlowJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SlowJob")
    }
}

/// Slow work a handler hands to its connection task, to run without the
/// world lock held; the task then calls back into the handler's module.
#[derive(Debug)]
pub enum Deferred {
    /// Check an OPER password, then [`operators::oper_checked`].
    OperCheck {
        /// The oper block's name.
        name: String,
        /// The password given.
        password: String,
        /// The argon2 hash from the configuration.
        hash: String,
    },
    /// Reload the configuration and MOTD, then [`operators::rehashed`].
    Rehash,
    /// Connect to the server of this `[[link]]` block (CONNECT).
    Connect(crate::config::LinkBlock),
    /// Check a login password against the account's argon2id hash, then
    /// [`account::password_checked`].
    CheckPassword {
        /// The account, as registered.
        account: String,
        /// The password given.
        password: String,
        /// The account's argon2id hash.
        hash: String,
        /// How the login was asked for.
        via: account::Via,
    },
    /// Blocking work for the slow pool (the store, password hashing),
    /// each job finished under the lock in order (one command's, or the
    /// history playback of every channel a JOIN joined).
    Slow(Vec<SlowJob>),
    /// Disk work of shared files (`crate::files`), on tokio's blocking
    /// pool rather than the slow pool (a large file must not hold up
    /// logins), finished under the lock.
    Disk(SlowJob),
}

/// The nick to address `client` by (`*` before it has one). Once it is
/// registered the network's nick is the truth: the server may rename a
/// user (nick enforcement, collisions) outside its task.
fn nick_of<'a>(world: &'a World, client: &'a Client) -> &'a str {
    match world.net.user(client.id).filter(|_| client.registered) {
        Some(u) => &u.nick,
        None => client
            .pre_ref()
            .and_then(|p| p.nick.as_deref())
            .unwrap_or("*"),
    }
}

/// What a client gives before it is registered, kept until registration
/// introduces its user (which then holds it).
#[derive(Debug, Default)]
pub struct PreRegistration {
    /// The nick from NICK.
    pub nick: Option<String>,
    /// Username and real name from USER.
    pub user: Option<(String, String)>,
    /// The account logged in to (SASL, or an IM login); it becomes the
    /// user's account.
    pub account: Option<String>,
}

impl Client {
    /// What the client gave before registration, for a handler to fill
    /// in. Boxed and dropped at registration ([`Client::registered_now`]):
    /// every connection's task holds a Client for its whole life.
    pub fn pre(&mut self) -> &mut PreRegistration {
        debug_assert!(
            !self.registered,
            "what a registered client gives is the user's"
        );
        self.pre.get_or_insert_default()
    }

    /// Takes the account logged in to before registration, if any.
    pub fn take_account(&mut self) -> Option<String> {
        self.pre.as_mut().and_then(|p| p.account.take())
    }

    /// [`Client::pre`] to read, if anything was given.
    pub fn pre_ref(&self) -> Option<&PreRegistration> {
        self.pre.as_deref()
    }

    /// Marks registration complete: what was given before it is dropped
    /// (the user now holds it).
    pub fn registered_now(&mut self) {
        self.registered = true;
        self.pre = None;
    }

    /// Leaves `job` for the connection task to run off the world lock once
    /// the command is handled.
    pub fn defer(&mut self, job: Deferred) {
        self.deferred = Some(Box::new(job));
    }

    /// A fresh connection from `addr` (`pass_ok` until admission says the
    /// server wants a PASS).
    pub fn new(id: UserId, addr: SocketAddr, frontend: Frontend) -> Client {
        let host = crate::server_bans::real_host(addr.ip()).into_boxed_str();
        Client {
            id,
            addr,
            host,
            registered: false,
            pre: None,
            pass_ok: true,
            cap_negotiating: false,
            cap_version: 0,
            quit: None,
            deferred: None,
            label: None,
            batches: 0,
            frontend,
            connected_at: std::time::Instant::now(),
            lines_in: 0,
            bytes_in: 0,
            sasl: None,
            seen_oper: false,
            seen_account: None,
            reclass: false,
            change_rates: None,
            moved_data: false,
        }
    }
}

/// What a handler works with: the locked world, the client, and the
/// client's pending output (flushed to its queue after the handler).
pub struct Ctx<'a> {
    /// The world, locked.
    pub world: &'a mut World,
    /// The client that sent the command.
    pub client: &'a mut Client,
    /// Lines for the client, in order.
    pub out: String,
}

impl Ctx<'_> {
    /// The nick to address the client by in numerics (`*` before it has one).
    pub fn nick(&self) -> &str {
        nick_of(self.world, self.client)
    }

    /// Readies `user`, about to be introduced for this client (IRC or
    /// IM): it gets the account the client logged in to before
    /// registration, and its cloak (`[privacy]`).
    pub fn ready_user(&mut self, user: &mut User) {
        user.account = self.client.take_account();
        crate::cloak::on_register(self.world.cloak.as_ref(), &self.world.config.privacy, user);
    }

    /// Marks the client registered, in its own state (dropping what it
    /// gave before registration) and in its world entry.
    pub fn mark_registered(&mut self) {
        self.client.registered_now();
        if let Some(conn) = self.world.conns.get_mut(&self.client.id) {
            conn.registered = true;
        }
    }

    /// The registered user behind this client.
    ///
    /// Panics if called before registration; the dispatcher guarantees it.
    pub fn me(&self) -> &User {
        self.world
            .net
            .user(self.client.id)
            .expect("registered client has a user")
    }

    /// Sends `:server NUMERIC nick params...`.
    pub fn numeric(&mut self, numeric: &str, params: &[&str]) {
        let mut all: Vec<&str> = Vec::with_capacity(params.len() + 1);
        let Ctx { world, client, out } = self;
        all.push(nick_of(world, client));
        all.extend_from_slice(params);
        write_line_trailing(out, None, Some(&world.config.server.name), numeric, &all);
    }

    /// Sends `:server COMMAND params...`.
    pub fn server_line(&mut self, command: &str, params: &[&str]) {
        write_line(
            &mut self.out,
            None,
            Some(&self.world.config.server.name),
            command,
            params,
        );
    }

    /// Sends `:server NOTICE nick :text`, a server notice to this client.
    pub fn server_notice(&mut self, text: &str) {
        let nick = self.nick().to_string();
        self.server_line("NOTICE", &[&nick, text]);
    }

    /// The client's negotiated capabilities.
    pub fn caps(&self) -> CapSet {
        self.world
            .conns
            .get(&self.client.id)
            .map(|c| c.front.caps)
            .unwrap_or_default()
    }

    /// Remembers the `label` among `tags` (of the line being handled) if
    /// the client uses labeled-response.
    pub fn take_label(&mut self, tags: &[natter_proto::Tag]) {
        self.client.label = None;
        if self.caps().has(Cap::LabeledResponse) {
            if let Some(tag) = tags.iter().find(|t| t.key == "label") {
                self.client.label = Some(tag.value.as_deref().unwrap_or_default().into());
            }
        }
    }

    /// Takes the replies to the current command, labeled per IRCv3
    /// labeled-response when it carried a label: one line gets the `label`
    /// tag, none becomes `ACK`, several are wrapped in a `labeled-response`
    /// batch. While deferred work is pending the label waits for it.
    pub fn take_reply(&mut self) -> String {
        let out = std::mem::take(&mut self.out);
        if self.client.deferred.is_some() {
            return out;
        }
        let Some(label) = self.client.label.take() else {
            return out;
        };
        let mut label_tag = String::from("label=");
        natter_proto::message::escape_tag_value(&label, &mut label_tag);
        let server = &self.world.config.server.name;
        let lines: Vec<&str> = out.split_inclusive("\r\n").collect();
        match lines.len() {
            0 => format!("@{label_tag} :{server} ACK\r\n"),
            1 => with_tag(lines[0], &label_tag),
            _ if self.caps().has(Cap::Batch) => {
                self.client.batches += 1;
                let id = format!("lr{}", self.client.batches);
                let mut wrapped =
                    format!("@{label_tag} :{server} BATCH +{id} labeled-response\r\n");
                let batch_tag = format!("batch={id}");
                for line in lines {
                    wrapped.push_str(&with_tag(line, &batch_tag));
                }
                wrapped.push_str(&format!(":{server} BATCH -{id}\r\n"));
                wrapped
            }
            _ => out,
        }
    }

    /// Queues `job` to run off the world lock once this command is handled
    /// ([`Deferred::Slow`]); jobs queued by one command run in order.
    pub fn defer(&mut self, job: SlowJob) {
        match self.client.deferred.as_deref_mut() {
            Some(Deferred::Slow(jobs)) => jobs.push(job),
            Some(_) => tracing::warn!("slow work queued beside other deferred work, dropped"),
            None => self.client.defer(Deferred::Slow(vec![job])),
        }
    }

    /// ERR_NEEDMOREPARAMS for `command`.
    pub fn need_more_params(&mut self, command: &str) {
        self.numeric(ERR_NEEDMOREPARAMS, &[command, "Not enough parameters"]);
    }

    /// Applies `event` to the network and delivers it; lines for this client
    /// stay in order with its replies.
    pub fn emit(&mut self, event: Event) {
        self.world
            .emit(&event, Some((self.client.id, &mut self.out)));
    }
}

pub(crate) use crate::rules::fit_trailing;
pub(crate) use crate::text::truncate;
pub use commands::{dispatch, Command, COMMANDS, COMMAND_NAMES};
pub use state::{ConnState, State};

/// `line` (one serialized line) with `tag` (`key[=value]`, escaped) added
/// in front of any tags it has.
fn with_tag(line: &str, tag: &str) -> String {
    match line.strip_prefix('@') {
        Some(rest) => format!("@{tag};{rest}"),
        None => format!("@{tag} {line}"),
    }
}

/// The first parameter of `msg` when it is a comma list naming at least
/// one target (`#a,,#b` does; `,` does not): JOIN, PART, PRIVMSG and NOTICE
/// answer ERR_NEEDMOREPARAMS or ERR_NORECIPIENT otherwise.
pub(crate) fn target_list(msg: &Message) -> Option<&str> {
    msg.param(0).filter(|l| l.split(',').any(|n| !n.is_empty()))
}
