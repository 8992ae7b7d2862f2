//! One local client connection as the handlers of both front ends see
//! it: [`Client`], owned by the connection's task; [`Ctx`], what a
//! handler works with under the world lock; and the slow work a handler
//! leaves for its task to run off the lock ([`Deferred`], [`SlowJob`]).
//!
//! Neutral: the connection task (`crate::conn`) and every front end use
//! it, and it names no front end. A front end adds its own replies as
//! methods on [`Ctx`] in its own module (IRC's numerics and
//! labeled-response are in `crate::irc`), and keeps what else it needs
//! per connection in the world's entry for it.

use std::net::SocketAddr;

use natter_model::{Event, Frontend, User, UserId};

use crate::World;

/// One local client connection (IRC or IM) as its handlers see it,
/// owned by its task. What a front end keeps beyond this lives in the
/// world's entry for the connection ([`crate::world::ConnEntry::front`]).
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
    /// Set by a handler to end the connection: the quit reason.
    pub quit: Option<Box<str>>,
    /// Work a handler left to run off the world lock (boxed: it is rare,
    /// and every connection's task holds this struct).
    pub deferred: Option<Box<Deferred>>,
    /// The protocol this connection speaks.
    pub frontend: Frontend,
    /// When the connection was accepted.
    pub connected_at: std::time::Instant,
    /// Lines received (STATS l).
    pub lines_in: u64,
    /// Bytes received, line ends included (STATS l).
    pub bytes_in: u64,
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

/// What finishes a password check ([`Deferred::Verify`]) under the world
/// lock: given whether the password matched.
pub type Verified = Box<dyn FnOnce(&mut Ctx<'_>, bool) + Send>;

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
/// world lock held; the task then finishes it under the lock with the
/// handler's continuation.
pub enum Deferred {
    /// Check `password` against an argon2 `hash` on the slow pool, then
    /// `then` with whether it matched. With `login` (the account asked
    /// for), a mismatch is a failed login: it counts against the address
    /// and the account ([`crate::accounts::Throttle`]), and the answer is
    /// held back by the throttle's delay.
    Verify {
        /// The password given.
        password: String,
        /// The argon2 hash (the account's, or an oper block's).
        hash: String,
        /// The account a login asked for; `None` for other checks (OPER).
        login: Option<String>,
        /// Finishes the command with the outcome.
        then: Verified,
    },
    /// Reload the configuration, the MOTD and the accounts
    /// (`Shared::rehash` in `crate::server`), then, under the lock, take
    /// the accounts and call the function given with the configuration;
    /// autoconnects start once it is installed.
    Rehash(fn(&mut Ctx<'_>, crate::server::Reloaded)),
    /// Connect to the server of this `[[link]]` block (CONNECT;
    /// `Shared::connect_link` in `crate::server`).
    Connect(crate::config::LinkBlock),
    /// Blocking work for the slow pool (the store, password hashing),
    /// each job finished under the lock in order (one command's, or the
    /// history playback of every channel a JOIN joined).
    Slow(Vec<SlowJob>),
    /// Disk work of shared files (`crate::files`), on tokio's blocking
    /// pool rather than the slow pool (a large file must not hold up
    /// logins), finished under the lock.
    Disk(SlowJob),
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Deferred::Verify { login, .. } => f
                .debug_struct("Verify")
                .field("login", login)
                .finish_non_exhaustive(),
            Deferred::Rehash(_) => f.write_str("Rehash"),
            Deferred::Connect(block) => f.debug_tuple("Connect").field(&block.name).finish(),
            Deferred::Slow(jobs) => f.debug_tuple("Slow").field(&jobs.len()).finish(),
            Deferred::Disk(_) => f.write_str("Disk"),
        }
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
            quit: None,
            deferred: None,
            frontend,
            connected_at: std::time::Instant::now(),
            lines_in: 0,
            bytes_in: 0,
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

    /// Queues `job` to run off the world lock once this command is handled
    /// ([`Deferred::Slow`]); jobs queued by one command run in order.
    pub fn defer(&mut self, job: SlowJob) {
        match self.client.deferred.as_deref_mut() {
            Some(Deferred::Slow(jobs)) => jobs.push(job),
            Some(_) => tracing::warn!("slow work queued beside other deferred work, dropped"),
            None => self.client.defer(Deferred::Slow(vec![job])),
        }
    }

    /// Applies `event` to the network and delivers it; lines for this client
    /// stay in order with its replies.
    pub fn emit(&mut self, event: Event) {
        self.world
            .emit(&event, Some((self.client.id, &mut self.out)));
    }
}
