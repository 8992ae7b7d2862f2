//! `/send PATH` and `/get ID [FILE]`: files through the IM protocol's file
//! extension (FILE_OPEN, FILE_WRITE, FILE_STATUS, FILE_READ; each answered
//! OK or NOT_OK).
//!
//! A transfer runs on a thread of its own, so the chat goes on meanwhile;
//! one runs at a time. Its requests go out on the chat's connection, a
//! whole line at a time under the [`Wire`] lock. Only file requests are
//! answered OK or NOT_OK, and the server answers requests in order, so the
//! reader thread hands every OK and NOT_OK to the running transfer
//! ([`Running::replies`]), which knows what it asked and in which order.
//!
//! An upload hashes the file (SHA-256, streamed) and opens it with
//! FILE_OPEN, whose answer says where to go on from: 0, or as far as an
//! interrupted `/send` of the same file into the same conversation got.
//! Then FILE_WRITE chunks follow from there, [`WRITE_WINDOW`] unanswered
//! at once. A download asks FILE_STATUS for the name, size and SHA-256, then
//! FILE_READ pieces, [`READ_WINDOW`] at once, appended to `FILE.part`; at the
//! end the SHA-256 is checked and `FILE.part` renamed to `FILE`. An
//! interrupted download (Ctrl-C, a lost connection) leaves `FILE.part`,
//! and the next `/get` of the file goes on from its length. Memory stays
//! flat: a chunk at a time is read or written.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use natter_proto::im::{ConvId, Reply, Request};
use natter_server::files::{human_size, is_id, CHUNK};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::progress::{percent, Progress};
use super::{clean, lock, lost, Input, Session, Wire};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// How many FILE_WRITE requests may be unanswered at once. natter does not
/// hold accepted file data to its flood control's line rate (only a
/// refused request is charged), so chunks sent ahead are handled as they
/// arrive and never pile up past the RecvQ; the window hides the round
/// trip.
const WRITE_WINDOW: usize = 8;
/// How many FILE_READ requests may be unanswered at once: they are short
/// lines, and the answers (about 66 KB in flight) fit in the sockets'
/// buffers and any SendQ.
const READ_WINDOW: usize = 8;
/// How long the server may take to answer one file request.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);
/// How many times an upload goes on from the offset a NOT_OK names before
/// it gives up.
const MAX_RESTARTS: u32 = 3;
/// How many bytes of a download are gathered before they are written.
const WRITE_BUFFER: usize = 64 << 10;
/// How many bytes are read at a time to hash a file.
const HASH_BUFFER: usize = 64 << 10;

const SEND_USAGE: &str = "/send PATH (a file, to the current conversation)";
const GET_USAGE: &str = "/get ID [FILE] (ID: the file's id or its link)";

/// The transfer running, as the session knows it.
pub(super) struct Running {
    /// Where the reader thread puts the OK and NOT_OK replies (and an
    /// ERROR about a file request).
    pub(super) replies: mpsc::Sender<Reply>,
    /// What it is doing: `sending report.pdf`.
    pub(super) what: String,
    /// The command that resumes it.
    pub(super) again: String,
}

/// Why a transfer stopped early.
enum Stop {
    /// For the person: printed as it is.
    Said(String),
    /// The connection failed.
    Lost(io::Error),
}

/// A file request's answer.
enum Answer {
    Ok(Value),
    NotOk(Value),
}

/// A transfer's side of the connection.
struct Link {
    wire: Wire,
    replies: mpsc::Receiver<Reply>,
}

impl Link {
    fn send(&self, request: &Request) -> Result<(), Stop> {
        super::send_on(&self.wire, request).map_err(Stop::Lost)
    }

    /// The answer to the oldest unanswered `request` (about file `id`, if
    /// given). Answers meant for an earlier transfer, one that gave up
    /// waiting, are passed over.
    fn answer(&self, request: &str, id: Option<&str>) -> Result<Answer, Stop> {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            let reply = match self.replies.recv_timeout(wait) {
                Ok(reply) => reply,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(Stop::Said(format!(
                        "the server did not answer {request} within {} s",
                        REPLY_TIMEOUT.as_secs()
                    )))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(Stop::Lost(io::ErrorKind::ConnectionAborted.into()))
                }
            };
            let (ok, name, detail) = match reply {
                Reply::Ok(name, detail) => (true, name, detail),
                Reply::NotOk(name, detail) => (false, name, detail),
                // Already printed by the reader thread.
                Reply::Error(_) => {
                    return Err(Stop::Said(format!(
                        "the server cannot take {request} (is it a natter with files?)"
                    )))
                }
                _ => continue,
            };
            let other = detail["id"]
                .as_str()
                .is_some_and(|d| id.is_some_and(|id| d != id));
            if name == request && !other {
                return Ok(if ok {
                    Answer::Ok(detail)
                } else {
                    Answer::NotOk(detail)
                });
            }
        }
    }

    /// Takes the answers to `count` more `request`s about `id`, whatever
    /// they say (they were sent on the strength of one that failed).
    fn drain(&self, request: &str, id: &str, count: usize) -> Result<(), Stop> {
        for _ in 0..count {
            self.answer(request, Some(id))?;
        }
        Ok(())
    }
}

/// The reason in a NOT_OK.
fn refusal(detail: &Value) -> String {
    clean(detail["reason"].as_str().unwrap_or("refused"))
}

/// `/send PATH`: starts sending the file at `path` to the current
/// conversation.
pub(super) fn send(session: &Arc<Mutex<Session>>, path: PathBuf) {
    let Some(conv) = lock(session).current() else {
        say!("no current conversation to send to: /join ID or /msg ID TEXT first");
        return;
    };
    let shown = clean(&path.display().to_string());
    let what = format!("sending {shown}");
    let again = format!("/send {shown}");
    start(session, what, again, move |link| upload(link, conv, &path));
}

/// `/get ID [FILE]`: starts downloading file `id` into `file`.
pub(super) fn get(session: &Arc<Mutex<Session>>, id: String, file: Option<PathBuf>) {
    let what = format!("getting {id}");
    let again = match &file {
        Some(f) => format!("/get {id} {}", clean(&f.display().to_string())),
        None => format!("/get {id}"),
    };
    start(session, what, again, move |link| {
        download(link, &id, file.as_deref())
    });
}

/// Runs `job` on a thread of its own unless a transfer is running.
fn start(
    session: &Arc<Mutex<Session>>,
    what: String,
    again: String,
    job: impl FnOnce(&Link) -> Result<String, Stop> + Send + 'static,
) {
    let mut s = lock(session);
    if let Some(running) = &s.transfer {
        say!("{} is still going on; one transfer at a time", running.what);
        return;
    }
    let (tx, rx) = mpsc::channel();
    let link = Link {
        wire: Arc::clone(&s.wire),
        replies: rx,
    };
    s.transfer = Some(Running {
        replies: tx,
        what,
        again,
    });
    drop(s);
    let shared = Arc::clone(session);
    let spawned = std::thread::Builder::new()
        .name("transfer".into())
        .spawn(move || {
            let result = job(&link);
            // The last line is printed as the transfer ends, under the
            // session's lock: whoever sees it can start another, and
            // `wait` returns after it.
            let mut s = lock(&shared);
            s.transfer = None;
            match result {
                _ if s.quitting => {}
                Ok(text) | Err(Stop::Said(text)) => say!("{text}"),
                Err(Stop::Lost(e)) => lost(Some(e)),
            }
        });
    if let Err(e) = spawned {
        lock(session).transfer = None;
        say!("cannot start the transfer: {e}");
    }
}

/// Waits for the running transfer, if any, to end (at the end of input).
pub(super) fn wait(session: &Mutex<Session>) {
    let mut told = false;
    loop {
        match &lock(session).transfer {
            None => return,
            Some(running) if !told => {
                say!(
                    "end of input: waiting for {} to end (Ctrl-C stops it)",
                    running.what
                );
                told = true;
            }
            Some(_) => {}
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends the file at `path` into conversation `conv`; the line that says
/// it is done.
fn upload(link: &Link, conv: ConvId, path: &Path) -> Result<String, Stop> {
    let shown = clean(&path.display().to_string());
    let cannot = |why: String| Stop::Said(format!("cannot send {shown}: {why}"));
    let mut file = File::open(path).map_err(|e| cannot(e.to_string()))?;
    let meta = file.metadata().map_err(|e| cannot(e.to_string()))?;
    if !meta.is_file() {
        return Err(cannot("not a file".into()));
    }
    let size = meta.len();
    let name = match path.file_name() {
        Some(n) => n.to_string_lossy().into_owned(),
        None => return Err(cannot("not a file".into())),
    };
    let shown_name = clean(&name);
    let mut hasher = Sha256::new();
    {
        let mut progress = Progress::new(&format!("hashing {shown_name}"), size, 0);
        hash_exact(&mut file, size, &mut hasher, &mut progress)
            .map_err(|e| cannot(format!("cannot read it: {e}")))?;
    }
    let sha256 = hex(&hasher.finalize());
    link.send(&Request::FileOpen {
        conv,
        name: name.clone(),
        size,
        sha256,
    })?;
    let opened = match link.answer("FILE_OPEN", None)? {
        Answer::Ok(v) => v,
        Answer::NotOk(v) => return Err(cannot(refusal(&v))),
    };
    let id = match opened["id"].as_str() {
        Some(id) if is_id(id) => id.to_string(),
        _ => return Err(cannot("the server's answer has no file id".into())),
    };
    if opened["complete"] == true {
        return Ok(sent(&shown_name, size, &id, &opened));
    }
    let chunk = opened["chunk"]
        .as_u64()
        .map_or(CHUNK, |c| (c as usize).clamp(1, CHUNK));
    let mut acked = opened["offset"].as_u64().unwrap_or(0).min(size);
    if acked == 0 {
        say!(
            "sending {shown_name} ({}) to conversation {conv} as file {id}",
            human_size(size)
        );
    } else {
        say!(
            "resuming {shown_name} at byte {acked} of {size} ({}%) to conversation {conv} as file {id}",
            percent(acked, size)
        );
    }
    let mut progress = Progress::new(&format!("sending {shown_name}"), size, acked);
    let changed = |e: io::Error| cannot(format!("cannot read it: {e} (did it change?)"));
    file.seek(SeekFrom::Start(acked)).map_err(changed)?;
    // The next byte to send, and the FILE_WRITEs not yet answered.
    let mut next = acked;
    let mut unanswered = 0;
    let mut restarts = 0;
    let mut buf = vec![0u8; chunk];
    let mut done = None;
    while done.is_none() {
        while unanswered < WRITE_WINDOW && next < size {
            let n = (size - next).min(chunk as u64) as usize;
            file.read_exact(&mut buf[..n]).map_err(changed)?;
            link.send(&Request::FileWrite {
                id: id.clone(),
                offset: next,
                data: B64.encode(&buf[..n]),
            })?;
            next += n as u64;
            unanswered += 1;
        }
        if unanswered == 0 {
            // Every byte is through, but no answer brought the file.
            break;
        }
        let answer = link.answer("FILE_WRITE", Some(&id))?;
        unanswered -= 1;
        match answer {
            Answer::Ok(v) => {
                acked = acked.max(v["offset"].as_u64().unwrap_or(acked));
                progress.set(acked);
                if v["file"].is_object() {
                    done = Some(v["file"].clone());
                }
            }
            Answer::NotOk(v) => {
                link.drain("FILE_WRITE", &id, unanswered)?;
                unanswered = 0;
                match v["offset"].as_u64() {
                    // The server holds other bytes than this client
                    // thought (another `/send` of the file at the same
                    // time?): go on from where it says.
                    Some(expected) if expected <= size && restarts < MAX_RESTARTS => {
                        restarts += 1;
                        acked = expected;
                        next = expected;
                        file.seek(SeekFrom::Start(next)).map_err(changed)?;
                    }
                    _ => return Err(cannot(refusal(&v))),
                }
            }
        }
    }
    link.drain("FILE_WRITE", &id, unanswered)?;
    drop(progress);
    let file = match done {
        Some(file) => file,
        None => status(link, &id)?.map_err(cannot)?,
    };
    if file["complete"] != true {
        let have = file["offset"].as_u64().unwrap_or(0);
        return Err(cannot(format!(
            "the server has {have} of {size} bytes; /send it again to go on"
        )));
    }
    Ok(sent(&shown_name, size, &id, &file))
}

/// That file `id` is shared, with its link if it has one.
fn sent(name: &str, size: u64, id: &str, file: &Value) -> String {
    let human = human_size(size);
    match file["url"].as_str() {
        Some(url) => format!("sent {name} ({human}) as file {id}: {}", clean(url)),
        None => format!("sent {name} ({human}) as file {id}"),
    }
}

/// FILE_STATUS of `id`: its attributes, or the reason of a NOT_OK.
fn status(link: &Link, id: &str) -> Result<Result<Value, String>, Stop> {
    link.send(&Request::FileStatus(id.to_string()))?;
    Ok(match link.answer("FILE_STATUS", Some(id))? {
        Answer::Ok(v) => Ok(v),
        Answer::NotOk(v) => Err(refusal(&v)),
    })
}

/// Downloads file `id` into `file` (by default its name in the current
/// directory) through `file.part`; the line that says it is done.
fn download(link: &Link, id: &str, file: Option<&Path>) -> Result<String, Stop> {
    let attrs = status(link, id)?.map_err(|why| Stop::Said(format!("cannot get {id}: {why}")))?;
    let name = attrs["name"].as_str().unwrap_or(id).to_string();
    let shown_name = clean(&name);
    let cannot = |why: String| Stop::Said(format!("cannot get {shown_name}: {why}"));
    let size = attrs["size"]
        .as_u64()
        .ok_or_else(|| cannot("the server did not say its size".into()))?;
    let sha256 = match attrs["sha256"].as_str() {
        Some(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
            s.to_ascii_lowercase()
        }
        _ => return Err(cannot("the server did not say its SHA-256".into())),
    };
    if attrs["complete"] != true {
        let have = attrs["offset"].as_u64().unwrap_or(0);
        return Err(cannot(format!(
            "its upload is not finished yet ({have} of {size} bytes)"
        )));
    }
    let target = target_path(file, &name, id);
    let shown = clean(&target.display().to_string());
    match fs::metadata(&target) {
        Ok(meta) => {
            if meta.is_file()
                && meta.len() == size
                && file_sha256(&target, size).ok().as_deref() == Some(sha256.as_str())
            {
                return Ok(format!("{shown} is already here (same SHA-256)"));
            }
            return Err(cannot(format!(
                "{shown} already exists and is a different file; it is left as it is \
                 (/get {id} OTHER-NAME saves it under another name)"
            )));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(cannot(format!("{shown}: {e}"))),
    }
    let part = part_path(&target);
    let shown_part = clean(&part.display().to_string());
    let mut have = match fs::metadata(&part) {
        Ok(meta) if meta.is_file() => meta.len(),
        Ok(_) => return Err(cannot(format!("{shown_part} is not a file"))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
        Err(e) => return Err(cannot(format!("{shown_part}: {e}"))),
    };
    if have > size {
        return Err(cannot(format!(
            "{shown_part} is longer than the file ({have} > {size} bytes), so it is not \
             a part of it; remove it or give another name"
        )));
    }
    let failed = |e: io::Error| cannot(format!("{shown_part}: {e}; /get again goes on"));
    // The bytes already here count towards the SHA-256.
    let mut hasher = Sha256::new();
    if have > 0 {
        let mut progress = Progress::new(&format!("checking {shown_part}"), have, 0);
        let mut f = File::open(&part).map_err(failed)?;
        hash_exact(&mut f, have, &mut hasher, &mut progress).map_err(failed)?;
        say!(
            "resuming {shown_name} into {shown} at byte {have} of {size} ({}%)",
            percent(have, size)
        );
    } else {
        say!("getting {shown_name} ({}) into {shown}", human_size(size));
    }
    let out = OpenOptions::new()
        .append(true)
        .create(true)
        .open(&part)
        .map_err(failed)?;
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, out);
    let mut progress = Progress::new(&format!("getting {shown_name}"), size, have);
    // The next byte to ask for, the FILE_READs not yet answered, and the
    // answers in a row that were not the piece awaited.
    let mut next = have;
    let mut unanswered = 0;
    let mut passed = 0;
    while have < size {
        if unanswered == 0 {
            next = have;
        }
        while unanswered < READ_WINDOW && next < size {
            let len = (size - next).min(CHUNK as u64);
            link.send(&Request::FileRead {
                id: id.to_string(),
                offset: next,
                len,
            })?;
            next += len;
            unanswered += 1;
        }
        let answer = link.answer("FILE_READ", Some(id))?;
        unanswered -= 1;
        let v = match answer {
            Answer::Ok(v) => v,
            Answer::NotOk(v) => {
                link.drain("FILE_READ", id, unanswered)?;
                out.flush().map_err(failed)?;
                return Err(cannot(format!("{}; /get again goes on", refusal(&v))));
            }
        };
        // A piece after a short one: asked again from where that ended.
        if v["offset"].as_u64() != Some(have) {
            passed += 1;
            if passed > 2 * READ_WINDOW {
                link.drain("FILE_READ", id, unanswered)?;
                out.flush().map_err(failed)?;
                return Err(cannot(
                    "the server's answers do not fit the requests".into(),
                ));
            }
            continue;
        }
        passed = 0;
        let data = B64
            .decode(v["data"].as_str().unwrap_or_default())
            .map_err(|_| cannot("the server sent data that is not base64".into()))?;
        if data.is_empty() {
            link.drain("FILE_READ", id, unanswered)?;
            out.flush().map_err(failed)?;
            return Err(cannot(format!(
                "the server sent nothing at byte {have} of {size}"
            )));
        }
        let expected = (size - have).min(CHUNK as u64) as usize;
        let data = &data[..data.len().min(expected)];
        out.write_all(data).map_err(failed)?;
        hasher.update(data);
        have += data.len() as u64;
        progress.set(have);
        if data.len() < expected {
            next = have;
        }
    }
    link.drain("FILE_READ", id, unanswered)?;
    let out = out.into_inner().map_err(|e| failed(e.into_error()))?;
    out.sync_all().map_err(failed)?;
    drop(out);
    drop(progress);
    let got = hex(&hasher.finalize());
    if got != sha256 {
        let _ = fs::remove_file(&part);
        return Err(cannot(format!(
            "what arrived does not have the file's SHA-256 (expected {sha256}, got {got}); \
             {shown_part} is deleted, and /get starts over"
        )));
    }
    match put_in_place(&part, &target) {
        Ok(()) => Ok(format!(
            "got {shown_name} ({}) into {shown}; SHA-256 checked",
            human_size(size)
        )),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(cannot(format!(
            "{shown} appeared meanwhile; the download is left in {shown_part}"
        ))),
        Err(e) => Err(cannot(format!(
            "{shown}: {e}; the download is left in {shown_part}"
        ))),
    }
}

/// Renames `part` to `target` unless `target` exists.
fn put_in_place(part: &Path, target: &Path) -> io::Result<()> {
    // A hard link fails if the target exists, where a rename would replace
    // it.
    match fs::hard_link(part, target) {
        Ok(()) => fs::remove_file(part),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        // A file system without hard links: check, then rename.
        Err(_) if fs::symlink_metadata(target).is_err() => fs::rename(part, target),
        Err(e) => Err(e),
    }
}

/// Feeds the first `len` bytes of `from` to `hasher`.
fn hash_exact(
    from: &mut impl Read,
    len: u64,
    hasher: &mut Sha256,
    progress: &mut Progress,
) -> io::Result<()> {
    let mut buf = vec![0u8; HASH_BUFFER];
    let mut done = 0;
    while done < len {
        let want = (len - done).min(HASH_BUFFER as u64) as usize;
        from.read_exact(&mut buf[..want])?;
        hasher.update(&buf[..want]);
        done += want as u64;
        progress.set(done);
    }
    Ok(())
}

/// The SHA-256 of the first `len` bytes of the file at `path`, hex.
fn file_sha256(path: &Path, len: u64) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let shown = clean(&path.display().to_string());
    let mut progress = Progress::new(&format!("checking {shown}"), len, 0);
    hash_exact(&mut File::open(path)?, len, &mut hasher, &mut progress)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses what follows `/send`.
pub(super) fn parse_send(rest: &str) -> Input {
    path_arg(rest).map_or(Input::Usage(SEND_USAGE), Input::Send)
}

/// Parses what follows `/get`: an ID or a link to a file, then maybe a
/// file name.
pub(super) fn parse_get(rest: &str) -> Input {
    let (first, file) = match rest.split_once([' ', '\t']) {
        Some((first, file)) => (first, path_arg(file)),
        None => (rest, None),
    };
    file_id(first).map_or(Input::Usage(GET_USAGE), |id| Input::Get(id, file))
}

/// The file ID in `text`: an ID itself, or a link
/// `http(s)://host/files/<id>/<name>` as the server's announcements have.
fn file_id(text: &str) -> Option<String> {
    // Some clients copy a link with the angle brackets around it.
    let text = text.trim().trim_start_matches('<').trim_end_matches('>');
    let id = match text.split_once("://") {
        None => text,
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            let (_host, path) = rest.split_once('/')?;
            let path = path.split(['?', '#']).next().unwrap_or_default();
            let segments: Vec<&str> = path.split('/').collect();
            segments
                .windows(2)
                .find(|w| w[0] == "files" && is_id(w[1]))
                .map(|w| w[1])?
        }
        Some(_) => return None,
    };
    is_id(id).then(|| id.to_string())
}

/// A path typed after a command: quotes around it (as terminals add to a
/// dropped file) taken off, and `~/` the home directory.
fn path_arg(text: &str) -> Option<PathBuf> {
    let mut text = text.trim();
    for quote in ['"', '\''] {
        if text.len() >= 2 && text.starts_with(quote) && text.ends_with(quote) {
            text = &text[1..text.len() - 1];
            break;
        }
    }
    if text.is_empty() {
        return None;
    }
    if let Some(rest) = text.strip_prefix('~') {
        if rest.is_empty() || rest.starts_with('/') {
            if let Some(home) = std::env::var_os("HOME") {
                return Some(PathBuf::from(home).join(rest.trim_start_matches('/')));
            }
        }
    }
    Some(PathBuf::from(text))
}

/// Where `/get` puts the file: `file` if given (inside it if it is a
/// directory), else the file's name in the current directory.
fn target_path(file: Option<&Path>, name: &str, id: &str) -> PathBuf {
    let own = PathBuf::from(safe_name(name, id));
    match file {
        None => own,
        Some(dir) if dir.is_dir() => dir.join(own),
        Some(file) => file.to_path_buf(),
    }
}

/// A file's name as the server gave it, made safe to save under: its last
/// path part, without control characters; the ID if nothing is left.
pub(super) fn safe_name(name: &str, id: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last.chars().filter(|c| !c.is_control()).collect();
    match kept.trim() {
        "" | "." | ".." => id.to_string(),
        name => name.to_string(),
    }
}

/// Where a download of `target` is kept until it is complete:
/// `target.part`.
pub(super) fn part_path(target: &Path) -> PathBuf {
    let mut part = target.as_os_str().to_owned();
    part.push(".part");
    PathBuf::from(part)
}
