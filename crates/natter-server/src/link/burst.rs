//! The burst (RFC 2813 §5.2, "state information exchange"): everything
//! this side of a new link knows, sent once the handshake is done. Servers
//! first (each after its uplink), then every user, accounts and server
//! bans (to a natter neighbour), then every `#` channel with its members,
//! modes, lists and topic; nothing that lies behind the new neighbour
//! itself. A natter neighbour also gets the nick and channel
//! timestamps (`ts` tags). The burst ends with a PING whose PONG tells this
//! side that the neighbour has read all of it.

use natter_model::{Server, ServerId};
use natter_proto::link::{LinkMessage, NjoinMember};

use super::render::{introduction, server_line};
use super::Extensions;
use crate::World;

/// Most bytes of NJOIN members or list masks in one line, well within 512.
const CHUNK: usize = 350;

/// The burst for neighbour `peer` (already a server of the network) with
/// `natter` extensions (`None`: a plain RFC 2813 peer): one string of
/// lines, each ending in CR LF.
pub fn burst(world: &World, peer: ServerId, natter: Option<Extensions>) -> String {
    let net = &world.net;
    let me = world.server_name().to_string();
    let behind_peer = net.servers_behind(peer);
    let ours = |id: ServerId| !behind_peer.contains(&id);
    let ts = natter.is_some_and(|n| n.ts);
    let mut out = String::new();

    // Servers, nearest first, so every uplink is known before its servers.
    let mut servers: Vec<&Server> = net
        .servers()
        .filter(|s| s.id != natter_model::LOCAL_SERVER && ours(s.id))
        .collect();
    servers.sort_by_key(|s| (s.hopcount, s.id));
    for s in servers {
        server_line(world, s).write(&mut out);
    }

    // Users, then what their NICK line cannot carry.
    // Service users are per server: each has its own NickServ.
    let sent =
        |u: &&natter_model::User| ours(u.server) && u.frontend != natter_model::Frontend::Service;
    for user in net.users().filter(sent) {
        if let Some(lines) = introduction(world, user, natter) {
            out.push_str(&lines);
        }
    }

    // Accounts, to natter servers: a user can log in anywhere.
    if natter.is_some() {
        for event in crate::accounts::all_as_events(&world.accounts) {
            if let Some(line) = super::render::render(world, &event, natter) {
                out.push_str(&line);
            }
        }
    }

    // Server bans in force, to natter servers: a ban holds network-wide.
    if natter.is_some() {
        let now = crate::world::now();
        for ban in world.bans.active(now) {
            let event = natter_model::Event::ServerBanSet { ban: ban.clone() };
            if let Some(line) = super::render::render(world, &event, natter) {
                out.push_str(&line);
            }
        }
    }

    // Channels: members with their status, then modes, lists and topic.
    // An empty channel (a registered one kept by ChanServ) is this
    // server's own business until someone joins it.
    for chan in net
        .channels()
        .filter(|c| c.name.starts_with('#') && !c.members.is_empty())
    {
        let tags = ts.then(|| format!("ts={}", chan.created_at));
        let mut members: Vec<NjoinMember> = Vec::new();
        let mut size = 0;
        let flush = |members: &mut Vec<NjoinMember>, out: &mut String| {
            if members.is_empty() {
                return;
            }
            LinkMessage::Njoin {
                source: Some(me.clone()),
                channel: chan.name.clone(),
                members: std::mem::take(members),
            }
            .write_with_tags(tags.as_deref(), out);
        };
        for (id, m) in &chan.members {
            let Some(user) = net.user(*id).filter(|u| ours(u.server)) else {
                continue;
            };
            if size + user.nick.len() + 3 > CHUNK {
                flush(&mut members, &mut out);
                size = 0;
            }
            size += user.nick.len() + 3;
            members.push(NjoinMember {
                op: m.op,
                voice: m.voice,
                ..NjoinMember::new(&user.nick)
            });
        }
        flush(&mut members, &mut out);
        let t = tags.as_deref();
        let (modes, args) = super::modes_for_peer(&chan.modes, natter.is_some());
        if modes.len() > 1 {
            mode_line(&me, &chan.name, &modes, args, t, &mut out);
        }
        for list in ['b', 'e', 'I'] {
            let mut masks: Vec<String> = Vec::new();
            let mut size = 0;
            for entry in chan.list(list) {
                if size + entry.mask.len() > CHUNK || masks.len() == 4 {
                    let flags = format!("+{}", list.to_string().repeat(masks.len()));
                    mode_line(
                        &me,
                        &chan.name,
                        &flags,
                        std::mem::take(&mut masks),
                        t,
                        &mut out,
                    );
                    size = 0;
                }
                size += entry.mask.len() + 1;
                masks.push(entry.mask.clone());
            }
            if !masks.is_empty() {
                let flags = format!("+{}", list.to_string().repeat(masks.len()));
                mode_line(&me, &chan.name, &flags, masks, t, &mut out);
            }
        }
        if let Some(topic) = &chan.topic {
            LinkMessage::Topic {
                source: Some(me.clone()),
                channel: chan.name.clone(),
                topic: topic.text.clone(),
            }
            .write_with_tags(t, &mut out);
        }
    }
    LinkMessage::Ping {
        source: Some(me.clone()),
        origin: me,
        target: None,
    }
    .write(&mut out);
    out
}

/// `:<me> MODE <channel> <modes> <args...>`, with the channel's `ts` tag
/// for a natter peer.
fn mode_line(
    me: &str,
    channel: &str,
    modes: &str,
    args: Vec<String>,
    tags: Option<&str>,
    out: &mut String,
) {
    LinkMessage::Mode {
        source: Some(me.to_string()),
        target: channel.to_string(),
        modes: modes.to_string(),
        args,
    }
    .write_with_tags(tags, out);
}
