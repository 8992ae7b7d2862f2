//! The IRC front end: the command table, one file per command family, and
//! what IRC keeps per connection ([`ConnState`]: capabilities, CAP
//! negotiation, labeled-response, SASL, MONITOR and SILENCE lists) and
//! server-wide ([`State`]).
//!
//! A handler runs with the world locked, on the neutral handler context
//! ([`crate::session::Ctx`]): it validates the command, answers the client
//! with numerics (IRC's reply methods on [`Ctx`] are in this module), and
//! turns accepted commands into [`natter_model::Event`]s through
//! [`Ctx::emit`]. It never awaits. Nothing outside the front ends imports
//! this module except `crate::frontends`, which assembles them (and
//! `crate::fuzzing`, for the SASL decoder its fuzz target checks).

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

use natter_proto::numeric::*;
use natter_proto::{write_line, write_line_trailing, Message};

pub(crate) use crate::session::{Client, Ctx, Deferred, SlowJob};
use crate::World;
use caps::{Cap, CapSet};

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

/// IRC's replies, on the neutral handler context.
impl Ctx<'_> {
    /// The nick to address the client by in numerics (`*` before it has one).
    pub fn nick(&self) -> &str {
        nick_of(self.world, self.client)
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
        let irc = self.irc();
        irc.label = None;
        if irc.caps.has(Cap::LabeledResponse) {
            if let Some(tag) = tags.iter().find(|t| t.key == "label") {
                irc.label = Some(tag.value.as_deref().unwrap_or_default().into());
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
        let irc = self.irc();
        let Some(label) = irc.label.take() else {
            return out;
        };
        let mut label_tag = String::from("label=");
        natter_proto::message::escape_tag_value(&label, &mut label_tag);
        let lines: Vec<&str> = out.split_inclusive("\r\n").collect();
        let batch = (lines.len() > 1 && irc.caps.has(Cap::Batch)).then(|| irc.next_batch());
        let server = &self.world.config.server.name;
        match (lines.len(), batch) {
            (0, _) => format!("@{label_tag} :{server} ACK\r\n"),
            (1, _) => with_tag(lines[0], &label_tag),
            (_, Some(n)) => {
                let id = format!("lr{n}");
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

    /// ERR_NEEDMOREPARAMS for `command`.
    pub fn need_more_params(&mut self, command: &str) {
        self.numeric(ERR_NEEDMOREPARAMS, &[command, "Not enough parameters"]);
    }

    /// IRC's state of this connection in the world ([`ConnState`]). Every
    /// connection has its entry from admission until its task ends, which
    /// is after the last handler ran for it.
    pub fn irc(&mut self) -> &mut ConnState {
        &mut self
            .world
            .conns
            .get_mut(&self.client.id)
            .expect("a connection's world entry outlives its handlers")
            .front
    }
}

pub(crate) use crate::rules::fit_trailing;
pub(crate) use crate::text::truncate;
pub use commands::{dispatch, Command, COMMANDS, COMMAND_NAMES};
pub use state::{ConnState, Lists, State};

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
