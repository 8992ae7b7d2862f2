//! The server's front ends assembled into one fan-out: IRC and IM clients,
//! server links, and the hooks that hang off every change (MONITOR, read
//! markers, server notices, IM conversations and presence).
//!
//! [`Natter`] tells the generic [`crate::world::World`] what the front ends
//! keep ([`State`], [`crate::irc::ConnState`]) and how an applied event
//! reaches them ([`Natter::fan_out`]); [`crate::World`] is the world it
//! makes. This is the one module that names every front end; the world
//! names none, and a new sink (the history store, a metrics counter) is
//! added here.

use bytes::Bytes;
use natter_model::{Event, Frontend, UserId, UserRef};

use crate::config::Config;
use crate::session::{Client, Ctx};
use crate::world::{self, FrontEnds, Origin};
use crate::{im, irc, link};

/// The world of this server: the network model with natter's front ends.
pub type World = world::World<Natter>;

/// A local connection as this server's world keeps it.
pub type ConnEntry = world::ConnEntry<irc::ConnState>;

/// Hands a local client's framed line to its front end (IRC or IM); the
/// replies are left in `ctx.out`. Called by the connection task under the
/// world lock.
pub fn handle_frame(ctx: &mut Ctx<'_>, frame: natter_proto::Frame) {
    match ctx.client.frontend {
        Frontend::Im => im::handle_frame(ctx, frame),
        Frontend::Irc | Frontend::Service => irc::input::handle_frame(ctx, frame),
    }
}

/// Takes the replies a handler left in `ctx.out`, ready to queue: IRC
/// labels them (IRCv3 labeled-response); IM replies go as they are.
pub fn take_reply(ctx: &mut Ctx<'_>) -> String {
    match ctx.client.frontend {
        Frontend::Im => std::mem::take(&mut ctx.out),
        Frontend::Irc | Frontend::Service => ctx.take_reply(),
    }
}

/// Whether `frame`, from `client`, is data rather than a command line
/// (IM's file transfers, [`im::files::is_data`]): charged to the flood
/// bucket after it is handled, and only if it moved no bytes.
pub fn is_data(client: &Client, frame: &natter_proto::Frame) -> bool {
    client.frontend == Frontend::Im && im::files::is_data(frame)
}

/// The last line a closing connection gets, in its own protocol: IRC's
/// `ERROR :Closing Link: <link> (<reason>)` or the IM protocol's
/// `ERROR "closing: <reason>"`.
pub fn closing_line(frontend: Frontend, link: &str, reason: &str) -> String {
    match frontend {
        Frontend::Irc | Frontend::Service => irc::render::closing_line(link, reason),
        Frontend::Im => im::closing_line(reason),
    }
}

/// A hook of the fan-out: runs after every event was applied, delivered
/// and passed on, for what a front end keeps beside the network state.
/// The last argument is the acting client's pending output, for lines that
/// must stay in order with its replies.
type Hook = fn(&mut World, &Event, Origin, Option<(UserId, &mut String)>);

/// natter's front ends: IRC, IM and server links.
#[derive(Debug)]
pub struct Natter;

/// What the front ends keep server-wide, each in its own part.
#[derive(Debug)]
pub struct State {
    /// The IRC front end's.
    pub irc: irc::State,
    /// The IM front end's.
    pub im: im::State,
    /// Server links'.
    pub link: link::State,
}

impl FrontEnds for Natter {
    type Conn = irc::ConnState;
    type State = State;

    fn command_names() -> [&'static [&'static str]; 2] {
        [irc::COMMAND_NAMES.as_slice(), &im::COMMANDS]
    }

    fn new_state(config: &Config) -> State {
        State {
            irc: irc::State::new(config),
            im: im::State::default(),
            link: link::State::default(),
        }
    }

    /// Loads IRC's read markers from the store, introduces NickServ and
    /// ChanServ, and starts the IM presence interval.
    fn started(
        world: &mut World,
        new_id: &mut dyn FnMut() -> UserId,
    ) -> Result<(), natter_store::StoreError> {
        let markers = world.history.store().read_markers()?;
        irc::read_marker::load(&mut world.front.irc.read_markers, markers);
        for service in [irc::nickserv::NICK, irc::chanserv::NICK] {
            irc::nickserv::introduce(world, new_id(), service);
        }
        im::presence::started(world, std::time::Instant::now());
        Ok(())
    }

    fn tick(world: &mut World, now: std::time::Instant) {
        irc::nickserv::enforce(world);
        im::presence::tick(world, now);
    }

    fn reconfigured(world: &mut World) {
        let mut tokens = irc::render::isupport_tokens(&world.config);
        // IRCv3 draft/FILEHOST: where IRC clients upload files (HTTP POST,
        // Basic authentication with their account).
        if let Some(base) = world.files.as_ref().and_then(|f| f.base_url()) {
            let url = format!("{base}/files").replace('=', "\\x3D");
            tokens.push(format!("draft/FILEHOST={url}"));
            tokens.sort();
        }
        world.front.irc.isupport = tokens;
    }

    /// In order: server links (so a neighbour hears of a change before
    /// anything this server does in reaction), the history store, KILL's
    /// local effect, local
    /// clients (with extended-monitor's watchers added), away-notify's
    /// restatement on JOIN, then the hooks.
    fn fan_out(
        world: &mut World,
        event: &Event,
        origin: Origin,
        mut recipients: Vec<UserId>,
        me: Option<(UserId, &mut String)>,
    ) {
        link::forward(world, event, origin);
        world.history.record(event, &world.net);
        if let Event::Killed {
            by, user, reason, ..
        } = event
        {
            irc::operators::close_killed(world, by, user, reason);
        }
        irc::monitor::add_extended_watchers(world, event, &mut recipients);
        let (me_id, mut me_buf) = match me {
            Some((id, buf)) => (Some(id), Some(buf)),
            None => (None, None),
        };
        deliver(world, event, &recipients, me_id, me_buf.as_deref_mut());
        if let Event::Joined { user, .. } = event {
            away_on_join(world, user, &recipients);
        }
        let hooks: [Hook; 10] = [
            crate::accounts::after_event,
            crate::files::access::after_event,
            crate::server_bans::after_event,
            irc::server_bans::after_event,
            irc::nickserv::after_event,
            irc::chanserv::after_event,
            irc::monitor::after_event,
            irc::read_marker::after_event,
            irc::snomask::after_event,
            im::presence::after_event,
        ];
        for hook in hooks {
            hook(world, event, origin, me_id.zip(me_buf.as_deref_mut()));
        }
    }

    fn end_of_link_batch(world: &mut World) {
        im::presence::end_of_link_batch(world);
    }

    fn batch_closed(world: &mut World, batch: world::OpenBatch) {
        irc::fanout::close_batch(world, batch);
    }

    fn conn_removed(world: &mut World, id: UserId, conn: ConnEntry) {
        world.metrics.retire(conn.out.traffic());
        world.front.im.conn_removed(id);
        world.front.irc.conn_removed(id, conn.front);
    }
}

/// Shows `event` (already applied, or a restatement of current state such
/// as away-notify's AWAY on JOIN) to the local clients among `recipients`,
/// in one pass: each front end decides visibility, each distinct form is
/// rendered once and its bytes shared. `me`'s line goes to `me_buf` when
/// given.
pub fn deliver(
    world: &mut World,
    event: &Event,
    recipients: &[UserId],
    me_id: Option<UserId>,
    mut me_buf: Option<&mut String>,
) {
    let world::World {
        net,
        conns,
        config,
        batch,
        front,
        metrics,
        ..
    } = world;
    let mut batch = batch.as_mut().filter(|b| b.covers(event));
    let mut irc_forms = irc::fanout::Forms::new(event, batch.as_deref());
    let mut im_form = im::render::Form::default();
    let server_name = config.server.name.as_str();
    let mut delivered = 0;
    for &id in recipients {
        let Some(conn) = conns.get(&id) else {
            continue;
        };
        let line: Option<Bytes> = match conn.frontend {
            Frontend::Irc => {
                irc_forms.line(event, id, conn, net, batch.as_deref_mut(), server_name)
            }
            Frontend::Im => im_form.line(event, net, id, &mut front.im.conversations),
            // Services have no connection (never in `conns`).
            Frontend::Service => None,
        };
        let Some(line) = line else {
            continue;
        };
        delivered += 1;
        match (&mut me_buf, me_id == Some(id)) {
            (Some(buf), true) => buf.push_str(std::str::from_utf8(&line).unwrap_or_default()),
            _ => {
                crate::flusher::deliver(&conn.out, conn.home, conn.fd, line);
            }
        }
    }
    metrics.delivered(event, delivered);
}

/// IRCv3 away-notify: clients are sent AWAY "when a user joins and has an
/// away message set" as well as when it changes. After `user` joined, tells
/// the channel's other members (the JOIN's `recipients`), right after
/// their JOIN line; each client's capabilities decide through the same
/// rendering as any event.
fn away_on_join(world: &mut World, user: &UserRef, recipients: &[UserId]) {
    let Some(message) = world.net.user(user.id).and_then(|u| u.away.clone()) else {
        return;
    };
    let others: Vec<UserId> = recipients
        .iter()
        .copied()
        .filter(|m| *m != user.id)
        .collect();
    let away = Event::AwayChanged {
        user: user.clone(),
        message: Some(message),
    };
    deliver(world, &away, &others, None, None);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::irc::caps::{Cap, CapSet};
    use crate::outbound::Outbound;
    use natter_model::{Identity, MessageKind, MessageTarget, User};
    use std::sync::Arc;
    use tokio_util::sync::CancellationToken;

    /// Every connection has an entry, boxed in the world's table: 128
    /// bytes is an allocator size class of its own, 136 would take 160.
    #[test]
    fn a_connection_entry_stays_in_its_size_class() {
        let size = std::mem::size_of::<ConnEntry>();
        assert!(size <= 128, "ConnEntry is {size} bytes");
    }

    fn user(id: UserId, nick: &str) -> Event {
        Event::UserIntroduced(Box::new(User::new(
            Identity {
                id,
                nick: nick.into(),
                user: "~u".into(),
                host: "127.0.0.1".into(),
                realname: nick.into(),
                server: natter_model::LOCAL_SERVER,
                frontend: Frontend::Irc,
            },
            0,
        )))
    }

    /// A channel message is rendered once per distinct capability form,
    /// and every recipient of a form queues the very same buffer.
    #[test]
    fn one_render_per_form_shared_by_recipients() {
        let store = Arc::new(natter_store::Store::open_in_memory());
        let mut w = World::new(
            Arc::new(Config::default()),
            Vec::new(),
            CancellationToken::new(),
            crate::accounts::Accounts::load(store.clone()).unwrap(),
            Arc::new(crate::history::History::start(store, &Default::default())),
        );
        let mut tagged = CapSet::default();
        tagged.set(Cap::ServerTime, true);
        tagged.set(Cap::MessageTags, true);
        // Users 1-4 plain, 5-6 with server-time and message-tags, 7 with an
        // irrelevant extra cap (multi-prefix) that must not split the form.
        let mut extra = CapSet::default();
        extra.set(Cap::MultiPrefix, true);
        let caps = [
            CapSet::default(),
            CapSet::default(),
            CapSet::default(),
            CapSet::default(),
            tagged,
            tagged,
            extra,
        ];
        for (i, c) in caps.iter().enumerate() {
            let id = i as UserId + 1;
            w.conns.insert(
                id,
                Box::new(ConnEntry {
                    front: irc::ConnState {
                        caps: *c,
                        ..Default::default()
                    },
                    registered: true,
                    ..ConnEntry::new(
                        Arc::new(Outbound::new(1 << 20)),
                        Frontend::Irc,
                        "127.0.0.1:1".parse().unwrap(),
                    )
                }),
            );
            w.emit(&user(id, &format!("u{id}")), None);
            w.emit(
                &Event::Joined {
                    user: w.net.user(id).unwrap().snapshot(),
                    channel: "#c".into(),
                    at: 0,
                    op: id == 1,
                },
                None,
            );
        }
        for conn in w.conns.values() {
            let mut sink = Vec::new();
            conn.out.drain_into(&mut sink);
        }
        let msgid = w.next_msgid();
        w.emit(
            &Event::Message {
                from: w.net.user(1).unwrap().snapshot(),
                kind: MessageKind::Privmsg,
                target: MessageTarget::Channel {
                    name: "#c".into(),
                    status: None,
                },
                text: "hello".into(),
                tags: String::new(),
                msgid,
                at_ms: 0,
            },
            None,
        );
        let line = |id: UserId| {
            let lines = w.conns[&id].out.queued_lines();
            assert_eq!(lines.len(), 1, "user {id} got {lines:?}");
            lines[0].clone()
        };
        // The sender (no echo-message) gets nothing.
        assert!(w.conns[&1].out.queued_lines().is_empty());
        let plain = line(2);
        for id in [3, 4, 7] {
            assert_eq!(
                line(id).as_ptr(),
                plain.as_ptr(),
                "user {id} shares the plain buffer"
            );
        }
        let with_tags = line(5);
        assert_eq!(line(6).as_ptr(), with_tags.as_ptr());
        assert_ne!(with_tags.as_ptr(), plain.as_ptr());
        assert!(plain.starts_with(b":u1!~u@127.0.0.1 PRIVMSG #c :hello"));
        assert!(with_tags.starts_with(b"@time="));
    }
}
