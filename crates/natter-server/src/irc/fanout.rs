//! The IRC sink of the fan-out: shows an event to local IRC clients, each
//! distinct form rendered once ([`super::render`]) and its bytes shared,
//! and the IRCv3 netsplit and netjoin batches around a split's quits and a
//! burst's joins. The server's fan-out (`crate::frontends`) calls
//! [`Forms::line`] once per IRC recipient.

use bytes::Bytes;
use natter_model::{Event, Network, UserId};
use natter_proto::write_line;

use super::caps::{Cap, CapSet};
use super::render::{self, Stamp};
use crate::world::OpenBatch;
use crate::ConnEntry;

/// The forms one event was rendered in so far, for one fan-out.
#[derive(Default)]
pub struct Forms {
    stamp: Stamp,
    // Distinct forms are few (a handful of capability combinations), so a
    // linear scan beats hashing.
    forms: Vec<(CapSet, Bytes)>,
}

impl Forms {
    /// Forms of `event`, which belongs to `batch` when that is open and
    /// covers it. A message is shown with its own time.
    pub fn new(event: &Event, batch: Option<&OpenBatch>) -> Forms {
        let mut stamp = match event {
            Event::Message { at_ms, .. } => Stamp::at_ms(*at_ms),
            _ => Stamp::default(),
        };
        stamp.batch = batch.map(|b| b.id.clone());
        Forms {
            stamp,
            forms: Vec::new(),
        }
    }

    /// The line IRC client `id` (with `conn`) is shown for `event`, or
    /// `None` when it is not shown it (capabilities, SILENCE). When the
    /// event is in a batch the client has not been sent the start of yet,
    /// queues `BATCH +id` first (and records it in `batch`).
    pub fn line(
        &mut self,
        event: &Event,
        id: UserId,
        conn: &ConnEntry,
        net: &Network,
        batch: Option<&mut OpenBatch>,
        server_name: &str,
    ) -> Option<Bytes> {
        let caps = conn.front.caps;
        let silence = conn.front.silence();
        if !silence.is_empty() && super::silence::blocks(silence, event, net) {
            return None;
        }
        if !render::visible(event, id, caps) {
            return None;
        }
        let mut key = render::form_key(event, caps);
        if let (Some(batch), true) = (batch, caps.has(Cap::Batch)) {
            key.set(Cap::Batch, true);
            if batch.opened.insert(id) {
                let mut start = String::new();
                let [a, b] = &batch.servers;
                write_line(
                    &mut start,
                    None,
                    Some(server_name),
                    "BATCH",
                    &[&format!("+{}", batch.id), batch.kind, a, b],
                );
                conn.out.push(Bytes::from(start));
            }
        }
        if let Some((_, line)) = self.forms.iter().find(|(k, _)| *k == key) {
            return Some(line.clone());
        }
        let line = render::render(event, net, key, &self.stamp);
        self.forms.push((key, line.clone()));
        Some(line)
    }
}

/// Ends `batch`: `BATCH -<id>` to every client it was started for.
pub fn close_batch(world: &crate::World, batch: OpenBatch) {
    for id in &batch.opened {
        if let Some(conn) = world.conns.get(id) {
            let mut end = String::new();
            let tag = format!("-{}", batch.id);
            write_line(&mut end, None, Some(world.server_name()), "BATCH", &[&tag]);
            conn.out.push(Bytes::from(end));
        }
    }
}
