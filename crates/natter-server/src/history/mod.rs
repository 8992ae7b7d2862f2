//! Message history: the store sink of the fan-out, and the queries IRCv3
//! chathistory and the IM front end make.
//!
//! Every PRIVMSG, NOTICE and TAGMSG to a `#` channel (unless it has mode
//! `+U`) or between two users goes to [`History::record`] from the fan-out; a writer thread appends
//! them to the store in batches, one transaction per batch, so the fan-out
//! never waits on the disk and a burst costs one commit, not one per
//! message. [`History::flush`] waits until everything recorded so far is
//! committed: a query flushes first, so it sees every message sent before
//! it. At shutdown [`History::close`] commits the rest.
//!
//! Keys: a channel's history is kept under its casefolded name; a private
//! conversation under [`natter_store::dm_key`] of its two parties, each
//! `acct:<account>` when logged in, else `nick:<nick>`. Only a logged-in
//! user can read private history (a nick is no lasting identity).
//!
//! What may touch what: neutral (no front end); the fan-out calls
//! [`History::record`]; the front ends query the store through
//! [`query`] (IRC's CHATHISTORY, IM's history after JOIN).

pub mod query;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use natter_model::{Event, MessageKind, MessageTarget, Network, UserId};
use natter_proto::casemap::fold;
use natter_store::{dm_key, Store, StoredMessage};

use crate::config::HistorySection;

/// How many messages one transaction takes at most.
const BATCH: usize = 4096;

/// How often the writer applies retention.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// How long the writer lets a batch gather after its first message before
/// committing: under load one fsync, and one write of each page touched,
/// for many messages; under light load a message is committed at most this
/// much later. A query flushes first, so it never waits this long; a crash
/// loses at most this much of history, plus the commit in progress.
/// With many channels busy, each message's entry in the per-conversation
/// index lands on a page of its own unless a batch is long enough for
/// several of one conversation to share it, so the window sets the writer's
/// cost (docs/performance.md): 10 ms cost 1.8 times the CPU of 50 ms in
/// the rooms benchmark, 50 ms 1.7 times that of 250 ms, and 250 ms
/// (625-message batches at its 2,500 messages/s) 1.75 times that of 1 s in
/// `natter-store`'s `append_rate` example.
const GATHER: Duration = Duration::from_secs(1);

/// A store write run on the writer thread.
type StoreWrite = Box<dyn FnOnce(&Store) + Send>;

enum Op {
    /// A message and when it was recorded (for the commit latency).
    Append(StoredMessage, Instant),
    /// Another store write, kept in order with the messages.
    Run(StoreWrite),
    /// Answer once everything before it is committed.
    Flush(mpsc::SyncSender<()>),
    /// Commit what is queued and stop.
    Close,
}

/// The history writer and its settings.
#[derive(Debug)]
pub struct History {
    tx: mpsc::Sender<Op>,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// The writer thread, to unpark while it gathers a batch.
    writer_thread: std::thread::Thread,
    store: Arc<Store>,
    /// Messages recorded and not yet committed.
    pending: Arc<AtomicU64>,
    /// Time from recording a message to its commit.
    latency: crate::metrics::Histogram,
    enabled: bool,
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Op::Append(..) => "Append",
            Op::Run(_) => "Run",
            Op::Flush(_) => "Flush",
            Op::Close => "Close",
        })
    }
}

impl History {
    /// Starts the writer thread for `store` under `settings`.
    pub fn start(store: Arc<Store>, settings: &HistorySection) -> History {
        let (tx, rx) = mpsc::channel();
        let pending = Arc::new(AtomicU64::new(0));
        let latency = crate::metrics::Histogram::new(crate::metrics::COMMIT_BUCKETS);
        let writer = {
            let store = store.clone();
            let pending = pending.clone();
            let latency = latency.clone();
            let max_age_ms = settings.max_age.saturating_mul(1000) as i64;
            let keep = settings.max_messages;
            std::thread::Builder::new()
                .name("natter-history".into())
                .spawn(move || write_loop(&store, &rx, &pending, &latency, max_age_ms, keep))
                .expect("the history writer thread starts")
        };
        History {
            tx,
            writer_thread: writer.thread().clone(),
            writer: Mutex::new(Some(writer)),
            store,
            pending,
            latency,
            enabled: settings.enabled,
        }
    }

    /// The store, for queries (off the world lock).
    pub fn store(&self) -> Arc<Store> {
        self.store.clone()
    }

    /// Whether history is kept.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Messages recorded and not committed yet.
    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::Relaxed)
    }

    /// The histogram of the time from [`History::record`] to the commit, in
    /// seconds (for metrics).
    pub fn commit_latency(&self) -> crate::metrics::Histogram {
        self.latency.clone()
    }

    /// Records `event` if it is a message history keeps: `net` is the
    /// network after it was applied. Never blocks.
    pub fn record(&self, event: &Event, net: &Network) {
        if !self.enabled {
            return;
        }
        let Some(message) = stored(event, net) else {
            return;
        };
        let before = self.pending.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(Op::Append(message, Instant::now())).is_err() {
            self.pending.fetch_sub(1, Ordering::Relaxed);
        } else if (before + 1).is_multiple_of(BATCH as u64) {
            // A full batch commits without waiting for the deadline.
            self.writer_thread.unpark();
        }
    }

    /// Runs `write` on the writer thread, after the messages recorded so
    /// far (for state saved as it changes, such as a registered channel's
    /// topic and modes). Never blocks.
    pub fn write(&self, write: impl FnOnce(&Store) + Send + 'static) {
        let _ = self.tx.send(Op::Run(Box::new(write)));
    }

    /// Blocks until every message recorded before the call is committed.
    pub fn flush(&self) {
        let (ack, done) = mpsc::sync_channel(1);
        let sent = self.tx.send(Op::Flush(ack));
        self.writer_thread.unpark();
        if sent.is_ok() {
            let _ = done.recv();
        }
    }

    /// Commits everything recorded and stops the writer (at shutdown).
    /// Blocks until it is done.
    pub fn close(&self) {
        let _ = self.tx.send(Op::Close);
        self.writer_thread.unpark();
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }
}

/// The writer thread: appends in batches until [`Op::Close`].
fn write_loop(
    store: &Store,
    rx: &mpsc::Receiver<Op>,
    pending: &AtomicU64,
    latency: &crate::metrics::Histogram,
    max_age_ms: i64,
    keep: usize,
) {
    let mut last_prune = Instant::now();
    let mut batch: Vec<StoredMessage> = Vec::with_capacity(BATCH);
    let mut recorded: Vec<Instant> = Vec::with_capacity(BATCH);
    let mut acks: Vec<mpsc::SyncSender<()>> = Vec::new();
    let mut runs: Vec<StoreWrite> = Vec::new();
    // Conversations that grew since the last retention pass.
    let mut grown: std::collections::HashSet<String> = std::collections::HashSet::new();
    loop {
        let Ok(first) = rx.recv() else {
            return;
        };
        let mut closing = false;
        let deadline = Instant::now() + GATHER;
        let mut next = Some(first);
        loop {
            // Take what has arrived, without waiting.
            while let Some(op) = next.take().or_else(|| rx.try_recv().ok()) {
                match op {
                    Op::Append(m, at) => {
                        batch.push(m);
                        recorded.push(at);
                    }
                    Op::Flush(ack) => acks.push(ack),
                    Op::Run(f) => runs.push(f),
                    Op::Close => {
                        closing = true;
                        break;
                    }
                }
                if batch.len() >= BATCH {
                    break;
                }
            }
            // A flush, a full batch or the deadline commits; until then
            // the writer is parked, not waiting on the channel, so a
            // message sent meanwhile costs its sender no wake-up. Flush,
            // close and the message that fills a batch unpark it.
            let left = deadline.saturating_duration_since(Instant::now());
            if closing || batch.len() >= BATCH || !acks.is_empty() || left.is_zero() {
                break;
            }
            std::thread::park_timeout(left);
        }
        if !batch.is_empty() {
            let n = batch.len() as u64;
            // A failed commit (disk full) is retried once, then logged:
            // chat goes on without history rather than stopping.
            let result = store
                .append_messages(&batch)
                .or_else(|_| store.append_messages(&batch));
            if let Err(e) = result {
                tracing::error!(error = %e, lost = n, "history: appending messages failed");
            }
            pending.fetch_sub(n, Ordering::Relaxed);
            let committed = Instant::now();
            for at in recorded.drain(..) {
                latency.observe(committed - at);
            }
            grown.extend(batch.drain(..).map(|m| m.target));
        }
        for run in runs.drain(..) {
            run(store);
        }
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = Instant::now();
            let before = crate::world::now_ms() as i64 - max_age_ms;
            let targets: Vec<String> = grown.drain().collect();
            if let Err(e) = store.prune_messages(before, keep, &targets) {
                tracing::warn!(error = %e, "history: retention failed");
            }
        }
        if closing {
            return;
        }
    }
}

/// `acct:<folded account>` for a logged-in user, else `nick:<folded nick>`.
pub fn party(net: &Network, id: UserId, nick: &str) -> String {
    match net.user(id).and_then(|u| u.account.as_deref()) {
        Some(account) => format!("acct:{}", fold(account)),
        None => format!("nick:{}", fold(nick)),
    }
}

/// What history keeps of `event`, if anything: messages to `#` channels
/// and between two users (not `&` channels, not services).
fn stored(event: &Event, net: &Network) -> Option<StoredMessage> {
    let Event::Message {
        from,
        kind,
        target,
        text,
        tags,
        msgid,
        at_ms,
    } = event
    else {
        return None;
    };
    let sender = net.user(from.id);
    let (key, shown) = match target {
        MessageTarget::Channel { name, status: None } if name.starts_with('#') => {
            let chan = net.channel(name)?;
            if chan.modes.no_history {
                return None;
            }
            (fold(name), chan.name.clone())
        }
        MessageTarget::Channel { .. } => return None,
        MessageTarget::User(to) => {
            let recipient = net.user(*to)?;
            if recipient.frontend == natter_model::Frontend::Service {
                return None;
            }
            let a = party(net, from.id, &from.nick);
            let b = party(net, *to, &recipient.nick);
            (dm_key(&a, &b), recipient.nick.clone())
        }
    };
    Some(StoredMessage {
        target: key,
        shown,
        msgid: msgid.clone(),
        at_ms: *at_ms as i64,
        kind: match kind {
            MessageKind::Privmsg => "PRIVMSG",
            MessageKind::Notice => "NOTICE",
            MessageKind::Tagmsg => "TAGMSG",
        }
        .into(),
        source: from.mask(),
        account: sender.and_then(|u| u.account.clone()),
        text: text.clone(),
        tags: tags.clone(),
    })
}
