//! Servers from a link: introductions (SERVER), SQUIT, and the netsplit
//! that removes a server and everyone behind it.

use super::*;

impl Inbound<'_> {
    /// `:<uplink> SERVER <name> <hopcount> <token> :<info>`: a server behind
    /// the neighbour. A name already known is a loop: the link closes.
    pub(super) fn server(
        &mut self,
        source: Option<&str>,
        name: String,
        hopcount: Option<u32>,
        token: Option<u32>,
        info: String,
    ) -> Verdict {
        let Some(From::Server(uplink)) = self.source(source, "SERVER") else {
            return Verdict::Continue;
        };
        if self.world.net.server_by_name(&name).is_some() {
            tracing::error!(peer = %self.peer_name(), server = name, "SERVER for a known server: a loop");
            return Verdict::Close(format!("Server {name} already exists (loop)"));
        }
        let id = self.world.net.new_server_id();
        if let (Some(token), Some(link)) = (token, self.world.front.link.links.get_mut(&self.peer))
        {
            link.tokens.insert(token, id);
        }
        let server = Server {
            id,
            name: name.as_str().into(),
            description: info,
            hopcount: hopcount.unwrap_or(2).max(2),
            uplink: Some(uplink),
            via: Some(self.peer),
        };
        self.emit(Event::ServerIntroduced(Box::new(server)));
        Verdict::Continue
    }

    /// `SQUIT <server> :<comment>`: a server behind this link left.
    pub(super) fn squit(&mut self, source: Option<&str>, server: &str, comment: &str) -> Verdict {
        self.source(source, "SQUIT");
        let Some(far) = self.world.net.server_by_name(server).map(|s| s.id) else {
            return Verdict::Continue;
        };
        if far == self.peer || far == LOCAL_SERVER {
            return Verdict::Close(format!("SQUIT: {comment}"));
        }
        if !self.behind(far) {
            tracing::warn!(peer = %self.peer_name(), server, "SQUIT for a server in another direction, dropped");
            return Verdict::Continue;
        }
        let near = self
            .world
            .net
            .server(far)
            .and_then(|s| s.uplink)
            .map(|u| self.world.net.server_name(u).to_string())
            .unwrap_or_default();
        // The comment is the reason the split's quits show (natter and
        // ngIRCd send `<near> <far>` of the link that broke).
        let reason = match comment.trim() {
            "" => format!("{near} {server}"),
            comment => comment.to_string(),
        };
        split(self.world, far, &reason, Origin::Link(self.peer));
        Verdict::Continue
    }

    /// PING from the peer: answered with PONG at once.
    pub(super) fn ping(&mut self, origin: String) {
        let me = self.world.server_name().to_string();
        let pong = LinkMessage::Pong {
            source: Some(me.clone()),
            origin: me,
            target: Some(origin),
        };
        if let Some(link) = self.world.front.link.links.get(&self.peer) {
            link.out.push(bytes::Bytes::from(pong.to_line()));
        }
    }
}

/// Removes server `far` and everything behind it: each of their users
/// quits with `reason` (shown only to this server's clients, every server
/// makes its own), then the servers go, passed on as SQUIT per `origin`.
pub fn split(world: &mut World, far: ServerId, reason: &str, origin: Origin) {
    let servers = world.net.servers_behind(far);
    let users: Vec<natter_model::UserRef> = world
        .net
        .users()
        .filter(|u| servers.contains(&u.server))
        .map(|u| u.snapshot())
        .collect();
    let at = now();
    let (near, far_name) = {
        let net = &world.net;
        let near = net
            .server(far)
            .and_then(|s| s.uplink)
            .map_or(world.server_name(), |u| net.server_name(u));
        (near.to_string(), net.server_name(far).to_string())
    };
    let batch = world.new_batch("netsplit", &near, &far_name);
    let outer = world.batch.replace(batch);
    for user in users {
        world.emit_from(
            &Event::Quit {
                user,
                reason: reason.to_string(),
                at,
            },
            Origin::Split,
            None,
        );
    }
    if let Some(batch) = std::mem::replace(&mut world.batch, outer) {
        world.close_batch(batch);
    }
    let name = world.net.server_name(far).to_string();
    let behind = servers[1..]
        .iter()
        .map(|s| world.net.server_name(*s).to_string())
        .collect();
    world.emit_from(
        &Event::ServerSplit {
            server: far,
            name,
            behind,
            reason: reason.to_string(),
        },
        origin,
        None,
    );
}
