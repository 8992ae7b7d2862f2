//! A blocking IM client (docs/im-protocol.md) for the end-to-end tests.

use super::*;

/// `s` as a JSON string.
pub fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A blocking IM client (docs/im-protocol.md). Its `sync` sends an unknown
/// command with a unique name and reads up to the ERROR naming it: the
/// server handles a client's lines in order (before or after REGISTER
/// alike), so this proves what was (and was not) sent in between.
pub struct Im {
    /// The username it registers (or tries to register) as.
    pub name: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    syncs: u32,
}

impl Im {
    /// Connects to the server's IM listener; not registered.
    pub fn connect(server: &TestServer, name: &str) -> Im {
        let addr = server.im_addr.expect("the IM listener is on");
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Im {
            name: name.to_string(),
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
            syncs: 0,
        }
    }

    /// Connects and registers as `name` with `status`; returns once the
    /// ONLINE_USERS that follows REGISTER (listing `name`) arrived.
    pub fn register(server: &TestServer, name: &str, status: &str) -> Im {
        let mut c = Im::connect(server, name);
        c.send(&format!("REGISTER [{}, {}]", q(name), q(status)));
        let users = c.online();
        assert!(users.contains_key(name), "[{name}] not listed in {users:?}");
        c
    }

    /// Sends one line (LF appended).
    pub fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\n").as_bytes());
    }

    /// Sends bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write");
    }

    /// Sends bytes as they are; the server may close meanwhile.
    pub fn try_send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(bytes)
    }

    /// The next raw line (without LF); `None` when the server closed the
    /// connection. Panics on timeout.
    pub fn recv_line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        match self.reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                assert_eq!(buf.pop(), Some(b'\n'), "[{}] unterminated line", self.name);
                assert!(
                    !buf.contains(&b'\r'),
                    "[{}] CR inside a server line {:?}",
                    self.name,
                    String::from_utf8_lossy(&buf)
                );
                Some(String::from_utf8(buf).expect("server lines are UTF-8"))
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => None,
            Err(e) => panic!(
                "[{}] no line from server within {TIMEOUT:?}: {e}",
                self.name
            ),
        }
    }

    /// The next reply. Panics on timeout, close or an unparsable line.
    pub fn recv(&mut self) -> Reply {
        let line = self
            .recv_line()
            .unwrap_or_else(|| panic!("[{}] connection closed", self.name));
        Reply::parse(&line)
            .unwrap_or_else(|e| panic!("[{}] unparsable line {line:?}: {e:?}", self.name))
    }

    /// Reads until a reply satisfying `want` arrives and returns it.
    pub fn expect(&mut self, what: &str, want: impl Fn(&Reply) -> bool) -> Reply {
        let mut skipped = Vec::new();
        loop {
            let r = self.recv();
            if want(&r) {
                return r;
            }
            skipped.push(r);
            assert!(
                skipped.len() < 10_000,
                "[{}] no {what}; skipped {skipped:?}",
                self.name
            );
        }
    }

    /// Reads through the next ONLINE_USERS and returns its map.
    pub fn online(&mut self) -> BTreeMap<String, String> {
        match self.expect("ONLINE_USERS", |r| matches!(r, Reply::OnlineUsers(_))) {
            Reply::OnlineUsers(users) => users,
            _ => unreachable!(),
        }
    }

    /// Sends an unknown command with a fresh name and returns every reply
    /// received before the ERROR naming it, as raw lines.
    pub fn sync_lines(&mut self) -> Vec<String> {
        self.syncs += 1;
        let token = format!("SYNC_{}", self.syncs);
        self.send(&token);
        let marker = Reply::Error(format!("unknown command {token}"));
        let mut seen = Vec::new();
        loop {
            let line = self
                .recv_line()
                .unwrap_or_else(|| panic!("[{}] closed during sync; saw {seen:#?}", self.name));
            let reply = Reply::parse(&line)
                .unwrap_or_else(|e| panic!("[{}] unparsable line {line:?}: {e:?}", self.name));
            if reply == marker {
                return seen;
            }
            seen.push(line);
        }
    }

    /// As [`Im::sync_lines`], parsed.
    pub fn sync(&mut self) -> Vec<Reply> {
        self.sync_lines()
            .iter()
            .map(|l| Reply::parse(l).unwrap())
            .collect()
    }

    /// Sends `line` and returns everything the server answered.
    pub fn ask(&mut self, line: &str) -> Vec<Reply> {
        self.send(line);
        self.sync()
    }

    /// Sends `line`, asserts the answer is exactly one ERROR and returns
    /// its text.
    pub fn error_of(&mut self, line: &str) -> String {
        let got = self.ask(line);
        match got.as_slice() {
            [Reply::Error(text)] => text.clone(),
            _ => panic!("[{}] {line:?}: expected one ERROR, got {got:?}", self.name),
        }
    }

    /// LIST_CONVERSATIONS, parsed.
    pub fn conversations(&mut self) -> BTreeMap<ConvId, Vec<String>> {
        self.send("LIST_CONVERSATIONS");
        match self.expect("CONVERSATIONS", |r| matches!(r, Reply::Conversations(_))) {
            Reply::Conversations(c) => c,
            _ => unreachable!(),
        }
    }

    /// LIST_CONVERSATIONS, the raw line.
    pub fn conversations_line(&mut self) -> String {
        self.send("LIST_CONVERSATIONS");
        loop {
            let line = self.recv_line().expect("open");
            if line.starts_with("CONVERSATIONS ") {
                return line;
            }
        }
    }

    /// INVITE `users`; returns the new conversation's ID from the
    /// INVITATION the inviter gets.
    pub fn invite(&mut self, users: &[&str]) -> ConvId {
        let list: Vec<String> = users.iter().map(|u| q(u)).collect();
        self.send(&format!("INVITE [{}]", list.join(", ")));
        let me = self.name.clone();
        self.expect_invitation(&me)
    }

    /// Reads through the next INVITATION, asserts it came from `by` and
    /// returns the conversation's ID.
    pub fn expect_invitation(&mut self, by: &str) -> ConvId {
        match self.expect("INVITATION", |r| matches!(r, Reply::Invitation(..))) {
            Reply::Invitation(id, from) => {
                assert_eq!(from, by, "[{}] invited by", self.name);
                id
            }
            _ => unreachable!(),
        }
    }

    /// JOIN `id`, asserting nothing comes back but the conversation's
    /// HISTORY (an extension; see tests/im_accounts.rs).
    pub fn join(&mut self, id: ConvId) {
        let got = self.ask(&format!("JOIN [{id}]"));
        let other: Vec<&Reply> = got
            .iter()
            .filter(|r| !matches!(r, Reply::History(h, _) if *h == id))
            .collect();
        assert!(other.is_empty(), "[{}] JOIN [{id}]: {got:?}", self.name);
    }

    /// SEND_MESSAGE; returns what the sender got back.
    pub fn say(&mut self, id: ConvId, text: &str) -> Vec<Reply> {
        self.ask(&format!("SEND_MESSAGE [{id}, {}]", q(text)))
    }

    /// Reads until the server closes the connection; returns the lines.
    pub fn read_until_closed(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(l) = self.recv_line() {
            lines.push(l);
        }
        lines
    }
}

/// Puts back what [`TestServer`] lifts: the defaults of `[flood]`,
/// `[[class]]` and `[connections]` (for the tests of the protections).
pub fn protected(c: &mut Config) {
    c.flood = natter_server::config::FloodSection::default();
    c.classes.clear();
    c.connections = natter_server::config::ConnectionsSection::default();
}
