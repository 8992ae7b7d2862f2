//! `natter bench relay`: the floor the benchmarks measure servers against.
//!
//! A trivial relay, not a server: one thread, one epoll set (mio), and
//! just enough IRC for `natter bench` to run against it. NICK and USER get
//! RPL_WELCOME and ERR_NOMOTD, JOIN gets its echo and RPL_ENDOFNAMES, PING
//! gets PONG, and `PRIVMSG <#channel|nick> :text` is written, with a
//! `nick!bench@relay` prefix, to the channel's other members or to the
//! nick. Nothing else: no modes, no checks, no flood control, no state
//! beyond nicks and channel member lists.
//!
//! Writes are batched per wake-up, as a good server's are: every line for
//! a recipient in one `epoll_wait` round is appended to its buffer, and
//! each buffer is written once, after the round. What a server spends per
//! delivery above this process's CPU is the cost of being a server
//! (bench/compare.py reports the ratio).
//!
//! Loopback benchmarking only: it trusts its clients completely.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

/// `natter bench relay`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct RelayArgs {
    /// Address to listen on, HOST:PORT (port 0: an ephemeral port, named
    /// on standard error).
    #[arg(long, default_value = "127.0.0.1:6667")]
    pub listen: SocketAddr,
}

const LISTENER: Token = Token(usize::MAX);

/// One client connection.
struct Peer {
    stream: TcpStream,
    nick: String,
    /// Input not yet ending in a newline.
    input: Vec<u8>,
    /// Output the socket has not taken yet.
    output: Vec<u8>,
    /// Already in this round's list of buffers to write.
    dirty: bool,
    welcomed: bool,
    channels: Vec<String>,
}

/// Everything the relay knows.
#[derive(Default)]
struct Relay {
    peers: HashMap<usize, Peer>,
    nicks: HashMap<String, usize>,
    channels: HashMap<String, Vec<usize>>,
    /// Peers with output to write at the end of this round.
    dirty: Vec<usize>,
    /// Peers to close at the end of this round.
    closing: Vec<usize>,
}

/// Runs the relay until killed. Errors: the address cannot be bound, or
/// epoll fails.
pub fn run(args: RelayArgs) -> Result<(), String> {
    let mut listener =
        TcpListener::bind(args.listen).map_err(|e| format!("bind {}: {e}", args.listen))?;
    let mut poll = Poll::new().map_err(|e| format!("epoll: {e}"))?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .map_err(|e| format!("epoll: {e}"))?;
    let bound = listener.local_addr().map_err(|e| format!("bind: {e}"))?;
    // Port 0 asks for an ephemeral port: this line says which.
    eprintln!("natter bench relay: listening on {bound}");
    let mut events = Events::with_capacity(1024);
    let mut relay = Relay::default();
    let mut next = 0usize;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(format!("epoll: {e}"));
        }
        for event in &events {
            if event.token() == LISTENER {
                while let Ok((mut stream, _)) = listener.accept() {
                    let _ = stream.set_nodelay(true);
                    let token = Token(next);
                    if poll
                        .registry()
                        .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
                        .is_ok()
                    {
                        relay.peers.insert(next, Peer::new(stream));
                    }
                    next += 1;
                }
                continue;
            }
            let id = event.token().0;
            if event.is_writable() {
                relay.mark(id);
            }
            if event.is_readable() || event.is_read_closed() {
                relay.read(id, &mut chunk);
            }
        }
        relay.flush();
        for id in std::mem::take(&mut relay.closing) {
            if let Some(mut peer) = relay.remove(id) {
                let _ = poll.registry().deregister(&mut peer.stream);
            }
        }
    }
}

impl Peer {
    fn new(stream: TcpStream) -> Peer {
        Peer {
            stream,
            nick: String::new(),
            input: Vec::new(),
            output: Vec::new(),
            dirty: false,
            welcomed: false,
            channels: Vec::new(),
        }
    }
}

impl Relay {
    /// Reads what `id`'s socket holds (edge-triggered: until it would
    /// block) and handles every complete line.
    fn read(&mut self, id: usize, chunk: &mut [u8]) {
        loop {
            let Some(peer) = self.peers.get_mut(&id) else {
                return;
            };
            match peer.stream.read(chunk) {
                Ok(0) => return self.closing.push(id),
                Ok(n) => peer.input.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return self.closing.push(id),
            }
        }
        let Some(peer) = self.peers.get_mut(&id) else {
            return;
        };
        let mut input = std::mem::take(&mut peer.input);
        let mut start = 0;
        while let Some(nl) = input[start..].iter().position(|&b| b == b'\n') {
            let line = &input[start..start + nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            self.line(id, &String::from_utf8_lossy(line));
            start += nl + 1;
        }
        // The unterminated rest stays for the next read, in the same buffer.
        input.drain(..start);
        if let Some(peer) = self.peers.get_mut(&id) {
            peer.input = input;
        }
    }

    /// Handles one line from `id`.
    fn line(&mut self, id: usize, line: &str) {
        let (command, rest) = line.split_once(' ').unwrap_or((line, ""));
        let Some(peer) = self.peers.get_mut(&id) else {
            return;
        };
        match command.to_ascii_uppercase().as_str() {
            "NICK" => {
                peer.nick = rest.trim_start_matches(':').to_string();
                self.nicks.insert(peer.nick.clone(), id);
            }
            "USER" if !peer.welcomed => {
                peer.welcomed = true;
                let nick = &peer.nick;
                let text = format!(
                    ":relay 001 {nick} :Welcome to the relay {nick}\r\n\
                     :relay 422 {nick} :MOTD File is missing\r\n"
                );
                self.send(id, text.as_bytes());
            }
            "JOIN" => {
                let channel = rest.trim_start_matches(':').to_string();
                let nick = peer.nick.clone();
                peer.channels.push(channel.clone());
                self.channels.entry(channel.clone()).or_default().push(id);
                let text = format!(
                    ":{nick}!bench@relay JOIN {channel}\r\n\
                     :relay 366 {nick} {channel} :End of /NAMES list.\r\n"
                );
                self.send(id, text.as_bytes());
            }
            "PING" => {
                let text = format!(":relay PONG relay {rest}\r\n");
                self.send(id, text.as_bytes());
            }
            "PRIVMSG" => {
                let target = rest.split(' ').next().unwrap_or("");
                let text = format!(":{}!bench@relay PRIVMSG {rest}\r\n", peer.nick);
                if target.starts_with('#') {
                    let members = self.channels.get(target).map_or(&[][..], |m| &m[..]);
                    for &m in members.iter().filter(|&&m| m != id) {
                        queue(&mut self.peers, &mut self.dirty, m, text.as_bytes());
                    }
                } else if let Some(&to) = self.nicks.get(target) {
                    self.send(to, text.as_bytes());
                }
            }
            "QUIT" => self.closing.push(id),
            _ => {}
        }
    }

    /// Appends `bytes` to `id`'s output, written at the end of the round.
    fn send(&mut self, id: usize, bytes: &[u8]) {
        queue(&mut self.peers, &mut self.dirty, id, bytes);
    }

    /// Puts `id` on the round's list of buffers to write.
    fn mark(&mut self, id: usize) {
        queue(&mut self.peers, &mut self.dirty, id, b"");
    }

    /// Writes each marked peer's output once (what the socket does not
    /// take waits for its next writable event).
    fn flush(&mut self) {
        for id in std::mem::take(&mut self.dirty) {
            let Some(peer) = self.peers.get_mut(&id) else {
                continue;
            };
            peer.dirty = false;
            let mut written = 0;
            while written < peer.output.len() {
                match peer.stream.write(&peer.output[written..]) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {
                        self.closing.push(id);
                        break;
                    }
                }
            }
            peer.output.drain(..written);
        }
    }

    /// Forgets `id`: its nick, its channel memberships.
    fn remove(&mut self, id: usize) -> Option<Peer> {
        let peer = self.peers.remove(&id)?;
        if self.nicks.get(&peer.nick) == Some(&id) {
            self.nicks.remove(&peer.nick);
        }
        for c in &peer.channels {
            if let Some(members) = self.channels.get_mut(c) {
                members.retain(|&m| m != id);
            }
        }
        Some(peer)
    }
}

/// Appends `bytes` to peer `id`'s output and lists it in `dirty` once.
fn queue(peers: &mut HashMap<usize, Peer>, dirty: &mut Vec<usize>, id: usize, bytes: &[u8]) {
    if let Some(peer) = peers.get_mut(&id) {
        peer.output.extend_from_slice(bytes);
        if !peer.dirty {
            peer.dirty = true;
            dirty.push(id);
        }
    }
}
