//! `natter im HOST:PORT`: a line-based terminal client for the IM protocol
//! (the client side of the lectures' IM assignment; `natter_proto::im` has
//! the frames).
//!
//! Two threads share one [`Session`]: the main thread reads what the person
//! types and sends requests; a reader thread prints what the server sends.
//! Output is plain lines, so it works in any terminal, in tmux and through
//! pipes. The protocol does not confirm JOIN or LEAVE, but the server
//! answers requests in order, so `LIST_CONVERSATIONS` sent before and after
//! one tells whether it changed anything; [`Session::lists`] remembers why
//! each list was asked for.
//!
//! `/send` and `/get` run on a thread of their own (`transfer`), so the
//! chat goes on meanwhile; every line is printed through `say!`, above the
//! transfer's progress bar if one is shown (`progress`).

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::Duration;

use natter_proto::casemap::fold;
use natter_proto::im::{ConvId, PresenceMode, Reply, Request};

/// Prints a line like `println!`, above the progress bar if one is shown.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::im_client::progress::line(&format!($($arg)*))
    };
}

mod progress;
mod transfer;

/// The port used when `natter im` is given a host alone.
const DEFAULT_PORT: u16 = 6666;
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server may take to answer REGISTER.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `/quit` waits for the server to close after GOODBYE.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(3);

const HELP: &str = "\
commands:
  /invite USER [USER...]  start a conversation and invite people to it
  /join ID                join conversation ID
  /leave ID               leave conversation ID
  /msg ID TEXT            send TEXT to conversation ID
  TEXT                    send TEXT to the current conversation (the one you
                          last joined or sent /msg to); start it with // to
                          send a line that begins with /
  /list                   list the conversations
  /who                    show who is online
  /status TEXT            set your status (/away [TEXT] and /back for short)
  /send PATH              send the file PATH to the current conversation
                          (the same /send again resumes an interrupted one)
  /get ID [FILE]          fetch shared file ID (or its link) into FILE, by
                          default its name here (again: resumes FILE.part)
  /help                   this list
  /quit                   leave (so does end of input, e.g. Ctrl-D)";

/// Runs the client; the exit code is 0 after `/quit` or end of input, 1
/// when the server cannot be reached or goes away.
pub fn run(addr: &str, user: Option<String>, status: &str, password: Option<String>) -> ExitCode {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let interactive = io::stdin().is_terminal();
    let mut conn = match Connection::open(addr) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("natter im: cannot connect to {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (me, online) = loop {
        let name = match &user {
            Some(u) => u.clone(),
            None => match ask_username(&mut input, interactive) {
                Some(n) => n,
                None => {
                    eprintln!("natter im: no username given");
                    return ExitCode::FAILURE;
                }
            },
        };
        // The server gives up on a connection that takes too long to
        // register; someone slow at the prompt gets a fresh one.
        if !conn.is_idle() {
            conn = match Connection::open(addr) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("natter im: cannot connect to {addr}: {e}");
                    return ExitCode::FAILURE;
                }
            };
        }
        match conn.register(&name, status, password.as_deref()) {
            Ok(online) => break (name, online),
            Err(Registration::Refused(reason)) if user.is_none() && interactive => {
                say!("! server: {}", clean(&reason));
            }
            Err(Registration::Refused(reason)) => {
                eprintln!("natter im: cannot register as {name}: {}", clean(&reason));
                return ExitCode::FAILURE;
            }
            Err(Registration::NotIm(line)) => {
                eprintln!(
                    "natter im: {addr} does not speak the IM protocol (it sent {:?}); \
                     use the server's IM address (--im-listen)",
                    clean(&line)
                );
                return ExitCode::FAILURE;
            }
            Err(Registration::Silent) => {
                eprintln!("natter im: {addr} did not answer REGISTER");
                return ExitCode::FAILURE;
            }
            Err(Registration::Io(e)) => lost(Some(e)),
        }
    };
    say!("connected to {addr} as {me}; /help lists the commands");
    say!("{}", format_online(&online));
    let Connection { reader, writer } = conn;
    let session = Arc::new(Mutex::new(Session {
        wire: Arc::new(Mutex::new(writer)),
        me,
        online,
        recent: Vec::new(),
        lists: VecDeque::new(),
        invites: VecDeque::new(),
        was_member: false,
        quitting: false,
        transfer: None,
    }));
    // Presence as changes (the PRESENCE extension): on a big network a
    // join or quit is then one name, not the whole list.
    if lock(&session)
        .send(&Request::Presence(PresenceMode::Changes))
        .is_err()
    {
        eprintln!("natter im: the connection to {addr} was lost");
        return ExitCode::FAILURE;
    }
    let (done_tx, done_rx) = mpsc::channel();
    {
        let session = Arc::clone(&session);
        std::thread::spawn(move || read_loop(reader, &session, &done_tx));
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        let input = match input.read_until(b'\n', &mut line) {
            Ok(0) => {
                // `natter im < commands` ends its input at once: a /send
                // or /get in it is let finish.
                transfer::wait(&session);
                Input::Quit
            }
            Ok(_) => parse_input(String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n'])),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("natter im: cannot read the terminal: {e}");
                Input::Quit
            }
        };
        if let Input::Quit = input {
            let mut s = lock(&session);
            s.quitting = true;
            if let Some(running) = &s.transfer {
                say!("{} stopped; {} resumes it", running.what, running.again);
            }
            let _ = s.send(&Request::Goodbye);
            let _ = lock_wire(&s.wire).shutdown(Shutdown::Write);
            drop(s);
            // Let the server close first, so nothing it sent is cut off
            // and our close is not a reset.
            let _ = done_rx.recv_timeout(GOODBYE_TIMEOUT);
            return ExitCode::SUCCESS;
        }
        match input {
            Input::Send(path) => transfer::send(&session, path),
            Input::Get(id, file) => transfer::get(&session, id, file),
            input => {
                if let Err(e) = lock(&session).command(input) {
                    lost(Some(e));
                }
            }
        }
    }
}

/// Prints why the connection ended and exits with status 1 (once, though
/// both threads may notice).
fn lost(error: Option<io::Error>) -> ! {
    use io::ErrorKind::*;
    static ONCE: std::sync::Once = std::sync::Once::new();
    progress::clear();
    ONCE.call_once(|| match error {
        Some(e) if !matches!(e.kind(), ConnectionReset | ConnectionAborted | BrokenPipe) => {
            eprintln!("natter im: lost the connection to the server: {e}")
        }
        _ => eprintln!("natter im: the server closed the connection"),
    });
    let _ = io::stdout().flush();
    std::process::exit(1)
}

fn lock(session: &Mutex<Session>) -> MutexGuard<'_, Session> {
    session.lock().unwrap_or_else(|e| e.into_inner())
}

/// The writing half of the connection, shared with a transfer's thread:
/// lines are written whole under its lock, which is not the session's, so
/// a transfer blocked on a slow server does not hold up the reader thread.
type Wire = Arc<Mutex<TcpStream>>;

fn lock_wire(wire: &Wire) -> MutexGuard<'_, TcpStream> {
    wire.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes `request` as one line.
fn send_on(wire: &Wire, request: &Request) -> io::Result<()> {
    lock_wire(wire).write_all(request.to_line().as_bytes())
}

/// Asks for a username: prompts when standing at a terminal, otherwise takes
/// the first line of input. `None` at end of input.
fn ask_username(input: &mut impl BufRead, interactive: bool) -> Option<String> {
    loop {
        if interactive {
            eprint!("username: ");
            let _ = io::stderr().flush();
        }
        let mut line = Vec::new();
        if input.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        let name = String::from_utf8_lossy(&line).trim().to_string();
        if !name.is_empty() {
            return Some(name);
        }
        if !interactive {
            return None;
        }
    }
}

/// The connection before registration is done.
struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

/// Why REGISTER did not work.
enum Registration {
    /// The server answered with ERROR.
    Refused(String),
    /// The server answered with something that is not an IM line.
    NotIm(String),
    /// The server did not answer in time.
    Silent,
    /// The connection failed or closed.
    Io(io::Error),
}

impl Connection {
    fn open(addr: &str) -> io::Result<Connection> {
        let target = with_default_port(addr);
        let mut last = None;
        for a in target.to_socket_addrs()? {
            match TcpStream::connect_timeout(&a, CONNECT_TIMEOUT) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(Connection {
                        reader: BufReader::new(stream.try_clone()?),
                        writer: stream,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such host")))
    }

    /// Whether the server has sent nothing and not closed (before
    /// registration it speaks only to say it is closing).
    fn is_idle(&self) -> bool {
        if !self.reader.buffer().is_empty() || self.writer.set_nonblocking(true).is_err() {
            return false;
        }
        let idle =
            matches!(self.writer.peek(&mut [0]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        let _ = self.writer.set_nonblocking(false);
        idle
    }

    /// Sends REGISTER and waits for the answer: ONLINE_USERS (which every
    /// client, this one included, gets when a user arrives) or ERROR.
    fn register(
        &mut self,
        name: &str,
        status: &str,
        password: Option<&str>,
    ) -> Result<BTreeMap<String, String>, Registration> {
        let request = Request::Register {
            username: name.to_string(),
            status: status.to_string(),
            password: password.map(String::from),
        };
        self.writer
            .write_all(request.to_line().as_bytes())
            .map_err(Registration::Io)?;
        let stream = self.reader.get_ref();
        stream
            .set_read_timeout(Some(REGISTER_TIMEOUT))
            .map_err(Registration::Io)?;
        let result = loop {
            let mut line = Vec::new();
            match self.reader.read_until(b'\n', &mut line) {
                Ok(0) => {
                    break Err(Registration::Io(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "closed",
                    )))
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break Err(Registration::Silent)
                }
                Err(e) => break Err(Registration::Io(e)),
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            match Reply::parse(&line) {
                Ok(Reply::OnlineUsers(users)) => break Ok(users),
                Ok(Reply::Error(reason)) => break Err(Registration::Refused(reason)),
                Ok(_) => {}
                Err(_) => {
                    break Err(Registration::NotIm(
                        line.trim_end_matches(['\r', '\n']).to_string(),
                    ))
                }
            }
        };
        self.reader
            .get_ref()
            .set_read_timeout(None)
            .map_err(Registration::Io)?;
        result
    }
}

/// `addr` with the default port added when it names a host alone.
fn with_default_port(addr: &str) -> String {
    if addr.parse::<SocketAddr>().is_ok() {
        return addr.to_string();
    }
    if let Ok(ip) = addr.trim_matches(['[', ']']).parse::<IpAddr>() {
        return SocketAddr::new(ip, DEFAULT_PORT).to_string();
    }
    match addr.rsplit_once(':') {
        Some((_, port)) if port.parse::<u16>().is_ok() => addr.to_string(),
        _ => format!("{addr}:{DEFAULT_PORT}"),
    }
}

/// What a line of input asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Input {
    Invite(Vec<String>),
    Join(ConvId),
    Leave(ConvId),
    List,
    Status(String),
    Msg(ConvId, String),
    Text(String),
    Who,
    /// `/send PATH`.
    Send(PathBuf),
    /// `/get ID [FILE]`: the file's ID (taken out of a link if need be).
    Get(String, Option<PathBuf>),
    Help,
    Quit,
    /// An empty line.
    Nothing,
    /// A command used wrongly: how to use it.
    Usage(&'static str),
    /// `/something` we do not know.
    Unknown(String),
}

fn parse_input(line: &str) -> Input {
    if line.trim().is_empty() {
        return Input::Nothing;
    }
    if let Some(text) = line.strip_prefix("//") {
        return Input::Text(format!("/{text}"));
    }
    let Some(command) = line.strip_prefix('/') else {
        return Input::Text(line.to_string());
    };
    let (word, rest) = match command.split_once([' ', '\t']) {
        Some((w, r)) => (w, r.trim()),
        None => (command, ""),
    };
    let id = |s: &str| {
        s.trim_start_matches('#')
            .parse::<ConvId>()
            .ok()
            .filter(|&n| n > 0)
    };
    match word.to_ascii_lowercase().as_str() {
        "invite" => {
            let users: Vec<String> = rest
                .split([' ', '\t', ','])
                .filter(|u| !u.is_empty())
                .map(str::to_string)
                .collect();
            if users.is_empty() {
                Input::Usage("/invite USER [USER...]")
            } else {
                Input::Invite(users)
            }
        }
        "join" | "j" => {
            id(rest).map_or(Input::Usage("/join ID (a number from /list)"), Input::Join)
        }
        "leave" | "part" => id(rest).map_or(Input::Usage("/leave ID"), Input::Leave),
        "msg" | "m" => match rest.split_once([' ', '\t']) {
            Some((n, text)) if id(n).is_some() && !text.trim().is_empty() => {
                Input::Msg(id(n).unwrap_or_default(), text.trim_start().to_string())
            }
            _ => Input::Usage("/msg ID TEXT"),
        },
        "list" | "ls" => Input::List,
        "status" if !rest.is_empty() => Input::Status(rest.to_string()),
        "status" => Input::Usage("/status TEXT (e.g. /status busy), /away [TEXT] or /back"),
        // Every status but `online` is away: the text is the away message
        // IRC users see, so it is not prefixed with "away: " here.
        "away" if rest.is_empty() => Input::Status("away".into()),
        "away" => Input::Status(rest.to_string()),
        "back" => Input::Status("online".into()),
        "who" | "online" => Input::Who,
        "send" => transfer::parse_send(rest),
        "get" => transfer::parse_get(rest),
        "help" | "h" | "?" => Input::Help,
        "quit" | "exit" | "q" => Input::Quit,
        _ => Input::Unknown(word.to_string()),
    }
}

/// Why a LIST_CONVERSATIONS was sent, so its answer is shown accordingly.
#[derive(Debug)]
enum ListFor {
    /// `/list`.
    Show,
    /// Notes whether we are in this conversation before a JOIN or LEAVE.
    Before(ConvId),
    /// Confirms a JOIN.
    Join(ConvId),
    /// Confirms the JOIN of a conversation we started, inviting these.
    Started(ConvId, Vec<String>),
    /// Confirms a LEAVE.
    Leave(ConvId),
}

/// What both threads share.
struct Session {
    wire: Wire,
    /// Our username.
    me: String,
    /// The last ONLINE_USERS shown.
    online: BTreeMap<String, String>,
    /// Conversations joined or written to, least recent first; the last is
    /// the current one.
    recent: Vec<ConvId>,
    /// Why each outstanding LIST_CONVERSATIONS was sent, oldest first.
    lists: VecDeque<ListFor>,
    /// The users named by each outstanding INVITE, oldest first.
    invites: VecDeque<Vec<String>>,
    /// Whether we were in the conversation, from the last `ListFor::Before`.
    was_member: bool,
    /// Set by `/quit`: the server closing is expected.
    quitting: bool,
    /// The `/send` or `/get` running, if any (one at a time).
    transfer: Option<transfer::Running>,
}

impl Session {
    fn send(&mut self, request: &Request) -> io::Result<()> {
        send_on(&self.wire, request)
    }

    fn list(&mut self, why: ListFor) -> io::Result<()> {
        self.lists.push_back(why);
        self.send(&Request::ListConversations)
    }

    fn current(&self) -> Option<ConvId> {
        self.recent.last().copied()
    }

    /// Makes `id` the current conversation.
    fn use_conversation(&mut self, id: ConvId) {
        self.recent.retain(|&c| c != id);
        self.recent.push(id);
    }

    fn is_me(&self, name: &str) -> bool {
        fold(name) == fold(&self.me)
    }

    /// Carries out one line of input (not `Quit`).
    fn command(&mut self, input: Input) -> io::Result<()> {
        match input {
            // `Send` and `Get` start a thread that needs the shared
            // session: `run` hands them to `transfer`.
            Input::Nothing | Input::Quit | Input::Send(_) | Input::Get(..) => {}
            Input::Help => say!("{HELP}"),
            Input::Usage(usage) => say!("usage: {usage}"),
            Input::Unknown(word) => say!("unknown command /{word} (/help lists them)"),
            Input::Who => say!("{}", format_online(&self.online)),
            Input::List => self.list(ListFor::Show)?,
            Input::Status(status) => self.send(&Request::Status(status))?,
            Input::Invite(users) => {
                self.invites.push_back(users.clone());
                self.send(&Request::Invite(users))?;
            }
            Input::Join(id) => {
                self.list(ListFor::Before(id))?;
                self.send(&Request::Join(id))?;
                self.use_conversation(id);
                self.list(ListFor::Join(id))?;
            }
            Input::Leave(id) => {
                self.list(ListFor::Before(id))?;
                self.send(&Request::Leave(id))?;
                self.list(ListFor::Leave(id))?;
            }
            Input::Msg(id, text) => {
                self.use_conversation(id);
                self.send(&Request::SendMessage(id, text))?;
            }
            Input::Text(text) => match self.current() {
                Some(id) => self.send(&Request::SendMessage(id, text))?,
                None => say!("no current conversation: /join ID or /msg ID text"),
            },
        }
        Ok(())
    }

    /// Shows one line from the server.
    fn reply(&mut self, reply: Reply) -> io::Result<()> {
        match reply {
            Reply::OnlineUsers(users) => {
                if users != self.online {
                    say!("{}", format_online(&users));
                    self.online = users;
                }
            }
            Reply::PresenceChanged(changes) => {
                let mut users = self.online.clone();
                for (user, status) in changes {
                    match status {
                        Some(status) => users.insert(user, status),
                        None => users.remove(&user),
                    };
                }
                if users != self.online {
                    say!("{}", format_online(&users));
                    self.online = users;
                }
            }
            Reply::Invitation(id, by) if self.is_me(&by) => {
                // The server invites the inviter too; join right away, as
                // the person who typed /invite means to talk there.
                let invited = self.invites.pop_front().unwrap_or_default();
                self.send(&Request::Join(id))?;
                self.use_conversation(id);
                self.list(ListFor::Started(id, invited))?;
            }
            Reply::Invitation(id, by) => {
                say!(
                    "{} invites you to conversation {id} — type /join {id}",
                    clean(&by)
                )
            }
            Reply::Message(id, from, text) => say!("[{id}] {}: {}", clean(&from), clean(&text)),
            Reply::History(id, lines) => {
                // Earlier messages of a conversation just joined, marked
                // with their time (HH:MM, UTC) so they are not taken as new.
                for (from, text, time) in lines {
                    let hhmm = time.get(11..16).unwrap_or("");
                    say!("[{id}] ({hhmm}) {}: {}", clean(&from), clean(&text));
                }
            }
            Reply::Error(reason) => {
                say!("! server: {}", clean(&reason));
                // A file request the server cannot take (one without the
                // file extension says "unknown command FILE_OPEN"): the
                // transfer waiting for its answer stops.
                if reason.contains("FILE_") {
                    self.to_transfer(Reply::Error(reason));
                }
            }
            Reply::Conversations(convs) => {
                let why = self.lists.pop_front().unwrap_or(ListFor::Show);
                self.conversations(why, &convs);
            }
            // Only file requests are answered OK or NOT_OK, and only the
            // transfer sends them.
            reply @ (Reply::Ok(..) | Reply::NotOk(..)) => self.to_transfer(reply),
        }
        Ok(())
    }

    /// Hands `reply` to the running transfer; with none running, it
    /// answers a request of one that gave up waiting, and is dropped.
    fn to_transfer(&self, reply: Reply) {
        if let Some(running) = &self.transfer {
            let _ = running.replies.send(reply);
        }
    }

    /// Shows a CONVERSATIONS answer as `why` calls for.
    fn conversations(&mut self, why: ListFor, convs: &BTreeMap<ConvId, Vec<String>>) {
        let member = |id: ConvId| {
            convs
                .get(&id)
                .is_some_and(|m| m.iter().any(|u| self.is_me(u)))
        };
        let others = |id: ConvId| -> Vec<String> {
            convs
                .get(&id)
                .map(|m| {
                    m.iter()
                        .filter(|u| !self.is_me(u))
                        .map(|u| clean(u))
                        .collect()
                })
                .unwrap_or_default()
        };
        match why {
            ListFor::Show => {
                for line in format_conversations(convs, self.current()) {
                    say!("{line}");
                }
            }
            ListFor::Before(id) => self.was_member = member(id),
            ListFor::Join(id) if member(id) && !self.was_member => {
                let others = others(id);
                if others.is_empty() {
                    say!("joined conversation {id} (nobody else is in it)");
                } else {
                    say!("joined conversation {id} with {}", others.join(", "));
                }
            }
            ListFor::Started(id, invited) if member(id) => {
                // Name only the invitees the server knows (it has said
                // "no such user" about the others).
                let invited: Vec<String> = invited
                    .iter()
                    .filter(|u| !self.is_me(u))
                    .filter(|u| self.online.keys().any(|o| fold(o) == fold(u)))
                    .map(|u| clean(u))
                    .collect();
                if invited.is_empty() {
                    say!("started conversation {id} (nobody invited)");
                } else {
                    say!(
                        "started conversation {id} and invited {}",
                        invited.join(", ")
                    );
                }
            }
            // The server has said why the JOIN failed ("already in it" if
            // we were in it).
            ListFor::Join(_) if self.was_member => {}
            ListFor::Join(id) | ListFor::Started(id, _) => self.recent.retain(|&c| c != id),
            ListFor::Leave(id) if self.was_member && !member(id) => {
                let was_current = self.current() == Some(id);
                self.recent.retain(|&c| c != id);
                match self.current() {
                    Some(now) if was_current => {
                        say!("left conversation {id}; plain text now goes to conversation {now}")
                    }
                    _ => say!("left conversation {id}"),
                }
            }
            // The server has said why the LEAVE failed.
            ListFor::Leave(_) => {}
        }
    }
}

/// The reader thread: shows every server line; when the server closes,
/// reports it (exit 1) unless we are quitting, then tells `done`.
fn read_loop(mut reader: BufReader<TcpStream>, session: &Mutex<Session>, done: &mpsc::Sender<()>) {
    let mut line = Vec::new();
    let error = loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break None,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Some(e),
        }
        let text = String::from_utf8_lossy(&line);
        let shown = match Reply::parse(&text) {
            Ok(reply) => lock(session).reply(reply),
            Err(e) => {
                say!(
                    "! unreadable line from the server ({e}): {}",
                    clean(text.trim_end_matches(['\r', '\n']))
                );
                Ok(())
            }
        };
        if let Err(e) = shown {
            break Some(e);
        }
    };
    if lock(session).quitting {
        let _ = done.send(());
        return;
    }
    lost(error);
}

/// `online: ann (online), ben (away: lunch), cat (away)`: every status but
/// `online` is an away message.
fn format_online(users: &BTreeMap<String, String>) -> String {
    if users.is_empty() {
        return "online: nobody".into();
    }
    let list: Vec<String> = users
        .iter()
        .map(|(u, s)| match s.as_str() {
            "online" | "away" => format!("{} ({})", clean(u), clean(s)),
            _ => format!("{} (away: {})", clean(u), clean(s)),
        })
        .collect();
    format!("online: {}", list.join(", "))
}

/// The lines `/list` prints.
fn format_conversations(
    convs: &BTreeMap<ConvId, Vec<String>>,
    current: Option<ConvId>,
) -> Vec<String> {
    if convs.is_empty() {
        return vec!["no conversations".into()];
    }
    let mut lines = vec!["conversations:".to_string()];
    for (id, members) in convs {
        let who = if members.is_empty() {
            "(nobody has joined yet)".to_string()
        } else {
            members
                .iter()
                .map(|m| clean(m))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mark = if current == Some(*id) {
            " (current)"
        } else {
            ""
        };
        lines.push(format!("  [{id}] {who}{mark}"));
    }
    lines
}

/// `text` safe to print on a terminal: control characters (escape
/// sequences, bells, carriage returns) become U+FFFD, tabs spaces.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests;
