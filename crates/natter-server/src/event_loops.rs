//! The event loops: one thread per core, each running a single-threaded
//! tokio runtime with its own epoll instance and timer wheel.
//!
//! Every connection lives on one loop for its whole life (the acceptor
//! hands them out in turn). Waking a connection on the same loop is a
//! queue push; waking one on the other loop wakes that loop once for
//! however many of its connections became ready. A work-stealing runtime
//! spent more time waking idle workers and moving tasks between them than
//! on delivering lines when messages went to few recipients at a time
//! (docs/performance.md, rooms and churn).
//!
//! Each loop also runs a flusher (`crate::flusher`), which writes
//! deliveries to the loop's idle connections without waking their tasks.
//!
//! The world is shared between the loops behind its one lock; nothing here
//! touches it.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use parking_lot::Mutex;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

/// The running loops. Dropping it does not stop them: call [`EventLoops::stop`].
pub(crate) struct EventLoops {
    handles: Vec<Handle>,
    next: AtomicUsize,
    stop: CancellationToken,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl EventLoops {
    /// Starts `count` loops (at least one), threads named `natter-loop-N`.
    ///
    /// Errors: a thread or a runtime could not be created (the loops
    /// already started are stopped).
    pub fn start(count: usize) -> io::Result<EventLoops> {
        let stop = CancellationToken::new();
        let mut loops = EventLoops {
            handles: Vec::new(),
            next: AtomicUsize::new(0),
            stop: stop.clone(),
            threads: Mutex::new(Vec::new()),
        };
        for i in 0..count.max(1) {
            let (tx, rx) = std::sync::mpsc::channel();
            let stop = stop.clone();
            let thread = std::thread::Builder::new()
                .name(format!("natter-loop-{i}"))
                .spawn(move || {
                    crate::flusher::enter_loop(i);
                    let runtime = match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(r) => r,
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    };
                    runtime.spawn(crate::flusher::run());
                    let _ = tx.send(Ok(runtime.handle().clone()));
                    // block_on runs every task spawned onto this runtime
                    // until the loops are told to stop; dropping the runtime
                    // then drops whatever is left.
                    runtime.block_on(stop.cancelled());
                });
            let started = thread.and_then(|t| {
                loops.threads.lock().push(t);
                rx.recv()
                    .unwrap_or_else(|_| Err(io::Error::other("event loop thread died")))
            });
            match started {
                Ok(handle) => loops.handles.push(handle),
                Err(e) => {
                    loops.stop();
                    return Err(e);
                }
            }
        }
        Ok(loops)
    }

    /// How many loops run.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// The first loop (listeners and housekeeping run there).
    pub fn first(&self) -> &Handle {
        &self.handles[0]
    }

    /// The loop for the next connection, round-robin, with its index (0 is
    /// [`EventLoops::first`]).
    pub fn next(&self) -> (usize, &Handle) {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        (i, &self.handles[i])
    }

    /// Tells every loop to stop (their remaining tasks are dropped) and
    /// waits for the threads, unless called from one of them.
    pub fn stop(&self) {
        self.stop.cancel();
        let threads = std::mem::take(&mut *self.threads.lock());
        let me = std::thread::current().id();
        for t in threads {
            if t.thread().id() != me {
                let _ = t.join();
            }
        }
    }
}
