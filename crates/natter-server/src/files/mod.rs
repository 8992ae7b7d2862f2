//! Shared files (issue 14): a member shares a file into a channel or a
//! conversation; its members (and its uploader) may fetch it, by an
//! unguessable ID, from any front end. See docs/files.md.
//!
//! Uploads and reads are the lectures' stateless remote-file operations:
//! [`Files::write`] takes an offset, so a chunk sent twice is harmless and
//! a broken upload resumes where [`Files::entry`] says it stands;
//! [`Files::read`] takes an offset and a length, so a download resumes the
//! same way.
//!
//! On disk, under `<data_dir>/files/`:
//! - `partial/<id>`: an unfinished upload (never served);
//! - `blobs/<sha256>`: complete content, named by its SHA-256 (content
//!   addressed: two shares of the same bytes keep one copy).
//!
//! An upload that completes is hashed; if the digest is not the one
//! declared when it was opened, it is discarded. A write that fails for
//! lack of space discards the upload too, so no partial file is ever
//! visible. The records (name, size, MIME type detected from the content,
//! SHA-256, uploader, time, grants) are in the store (`natter-store`,
//! `files` and `file_grants`), and in memory for lookups under the world
//! lock.
//!
//! Every method that touches the disk or the store blocks: call it off the
//! world lock and off the event loops (`tokio::task::spawn_blocking`).
//! [`Files::entry`] and [`access::may_fetch`] are cheap and may run under
//! the lock.
//!
//! What may touch what: neutral (no front end); the IM front end
//! (`im::files`), the HTTP front end (`http::files`) and the fan-out hook
//! [`access::after_event`] (a link to a file posted into a conversation
//! grants its members) use it.

pub mod access;
mod disk;
pub mod share;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use natter_proto::casemap::fold;
use natter_store::{FileRecord, Store};
use parking_lot::Mutex;

use crate::config::FilesSection;
pub use access::Who;

/// The largest piece [`Files::read`] returns, and the chunk size the IM
/// protocol's `FILE_WRITE` and `FILE_READ` use (its base64 fits one IM
/// line).
pub const CHUNK: usize = 6144;

/// Why a file operation failed: each displays as the reason a user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// File sharing is off (`[files] enabled = false`).
    Disabled,
    /// Only a user logged in to an account may share files.
    NoAccount,
    /// No such file or upload (or not one the asker may see).
    NotFound,
    /// The account has `[files] max_files` files already.
    TooMany {
        /// The limit.
        max: usize,
    },
    /// The file is larger than `[files] max_size`.
    TooLarge {
        /// The limit, in bytes.
        max: u64,
    },
    /// The upload would take the account past `[files] quota`.
    OverQuota {
        /// Bytes the account has stored.
        used: u64,
        /// The quota, in bytes.
        quota: u64,
    },
    /// The server's disk has no room for it; nothing of it was kept.
    DiskFull,
    /// A chunk that does not start at or before the bytes received.
    WrongOffset {
        /// Where the next chunk must start.
        expected: u64,
    },
    /// A chunk that runs past the size declared at the start.
    PastEnd {
        /// The declared size.
        size: u64,
    },
    /// The bytes received do not have the SHA-256 declared; the upload was
    /// discarded.
    DigestMismatch {
        /// The SHA-256 of what arrived.
        got: String,
    },
    /// Not a usable request (a name, a digest).
    Invalid(String),
    /// The asker may not fetch it (not a member of a conversation it was
    /// shared into).
    Forbidden,
    /// The upload is not complete yet.
    Incomplete,
    /// A failure of the disk or the store.
    Io(String),
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::Disabled => f.write_str("file sharing is off on this server"),
            FileError::NoAccount => f.write_str("log in to an account to share files"),
            FileError::NotFound => f.write_str("no such file"),
            FileError::TooLarge { max } => {
                write!(f, "file too large: the limit is {}", human_size(*max))
            }
            FileError::TooMany { max } => {
                write!(f, "too many files: an account may keep {max}")
            }
            FileError::OverQuota { used, quota } => write!(
                f,
                "over quota: your files take {} of your {}",
                human_size(*used),
                human_size(*quota)
            ),
            FileError::DiskFull => {
                f.write_str("the server's disk is full: the upload was discarded")
            }
            FileError::WrongOffset { expected } => {
                write!(f, "wrong offset: the next chunk starts at {expected}")
            }
            FileError::PastEnd { size } => write!(f, "chunk runs past the file's size {size}"),
            FileError::DigestMismatch { got } => write!(
                f,
                "SHA-256 mismatch (the bytes received hash to {got}): the upload was discarded"
            ),
            FileError::Invalid(why) => f.write_str(why),
            FileError::Forbidden => f.write_str("you may not fetch this file"),
            FileError::Incomplete => f.write_str("the upload is not complete yet"),
            FileError::Io(e) => write!(f, "server error: {e}"),
        }
    }
}

impl std::error::Error for FileError {}

/// An upload to open ([`Files::open`]).
#[derive(Debug, Clone)]
pub struct OpenRequest {
    /// The file's name as the uploader gave it (a path is cut to its last
    /// part).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256 as lowercase hex, if the uploader declared one (the IM
    /// protocol must; HTTP may).
    pub sha256: Option<String>,
    /// The uploader's account.
    pub uploader: String,
    /// Who may fetch it besides the uploader ([`access::grantee_channel`]
    /// and friends); empty for an upload not yet shared anywhere.
    pub grantees: Vec<String>,
}

/// Where an upload stands ([`Files::entry`], [`Files::open`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The record (`complete` says whether it is done).
    pub record: FileRecord,
    /// Bytes received from the start with no gap: where the next chunk
    /// starts.
    pub received: u64,
    /// Who may fetch it besides its uploader.
    pub grantees: Vec<String>,
}

/// What a write did ([`Files::write`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Stored; the next chunk starts at this offset.
    Partial(u64),
    /// That was the last byte: the file is complete (this is its record;
    /// `fresh` is false when it was complete before this write, a repeat).
    Complete {
        /// The file.
        record: FileRecord,
        /// Whether this write completed it (announce it once).
        fresh: bool,
        /// Who may fetch it.
        grantees: Vec<String>,
    },
}

/// One file in memory.
#[derive(Debug)]
struct Entry {
    record: FileRecord,
    grantees: Vec<String>,
    /// Bytes received (the partial file's length); the size once complete.
    received: u64,
    /// Held while a chunk is written or the upload completes: writes to
    /// one upload go one at a time.
    writing: Arc<std::sync::Mutex<()>>,
    /// The digest of the bytes received so far, while they came in order
    /// (so completion need not read the file again); `None` once a chunk
    /// rewrote earlier bytes, or after a restart: completion then hashes
    /// the file.
    running: Option<Box<Running>>,
}

/// [`Entry::running`]: a SHA-256 state and the first bytes (for the MIME
/// type).
#[derive(Debug, Clone, Default)]
struct Running {
    hasher: sha2::Sha256,
    head: Vec<u8>,
}

impl Running {
    fn update(&mut self, data: &[u8]) {
        use sha2::Digest;
        self.hasher.update(data);
        let take = disk::HEAD.saturating_sub(self.head.len()).min(data.len());
        self.head.extend_from_slice(&data[..take]);
    }
}

/// The shared files of this server: their records in memory and the
/// directory their bytes are in.
#[derive(Debug)]
pub struct Files {
    dir: PathBuf,
    store: Arc<Store>,
    limits: FilesSection,
    /// Links' address (`[files] public_url` or the HTTP listener's).
    base_url: Option<String>,
    index: Mutex<HashMap<String, Entry>>,
}

impl Files {
    /// Opens the files of `data_dir` (creating `files/partial` and
    /// `files/blobs`) with the records of `store`. `base_url` is the
    /// address before `/files/` in links (none: links name the ID only).
    /// Blocking. Errors: the directories cannot be made, or the store
    /// cannot be read.
    pub fn open(
        data_dir: &Path,
        store: Arc<Store>,
        limits: FilesSection,
        base_url: Option<String>,
    ) -> Result<Files, String> {
        let dir = data_dir.join("files");
        for sub in ["partial", "blobs"] {
            std::fs::create_dir_all(dir.join(sub))
                .map_err(|e| format!("{}: {e}", dir.join(sub).display()))?;
        }
        let mut index = HashMap::new();
        for (record, grantees) in store.files().map_err(|e| e.to_string())? {
            let received = if record.complete {
                record.size
            } else {
                std::fs::metadata(dir.join("partial").join(&record.id))
                    .map(|m| m.len().min(record.size))
                    .unwrap_or(0)
            };
            index.insert(
                record.id.clone(),
                Entry {
                    record,
                    grantees,
                    received,
                    writing: Arc::default(),
                    running: None,
                },
            );
        }
        Ok(Files {
            dir,
            store,
            limits,
            base_url,
            index: Mutex::new(index),
        })
    }

    /// The address of links, if there is one (`http://127.0.0.1:8080`).
    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    /// The link to file `record`: `<base>/files/<id>/<name>`, the name
    /// percent-encoded; `None` without a base address.
    pub fn url(&self, record: &FileRecord) -> Option<String> {
        let base = self.base_url.as_deref()?;
        // The name is only for people (any name after the ID works): a
        // long one is cut so that the link fits in a message.
        let name: String = record.name.chars().take(80).collect();
        Some(format!(
            "{base}/files/{}/{}",
            record.id,
            percent_encode(&name)
        ))
    }

    /// The message that shares `record` into a conversation:
    /// `shared report.pdf (12.3 KiB, application/pdf): <link>`, or with
    /// `file <id>` in place of the link when there is no address.
    pub fn announcement(&self, record: &FileRecord) -> String {
        // Cut so that the whole announcement fits in an IRC line: 100
        // bytes of name, the link's 40 (encoded up to 120), the rest short.
        let name = crate::text::truncate(&record.name, 100);
        let what = format!(
            "shared {} ({}, {})",
            name,
            human_size(record.size),
            record.mime
        );
        match self.url(record) {
            Some(url) => format!("{what}: {url}"),
            None => format!("{what}, file {}", record.id),
        }
    }

    /// Where upload or file `id` stands: its record, its grantees and the
    /// bytes received; `None` if there is none. Cheap (no disk): fine under
    /// the world lock.
    pub fn entry(&self, id: &str) -> Option<Status> {
        let index = self.index.lock();
        index.get(id).map(|e| Status {
            record: e.record.clone(),
            received: e.received,
            grantees: e.grantees.clone(),
        })
    }

    /// Opens an upload, or finds the unfinished one of the same uploader,
    /// name, size, digest and grantees (so a client that lost the ID
    /// resumes). Blocking.
    ///
    /// Errors: [`FileError::TooLarge`], [`FileError::OverQuota`],
    /// [`FileError::DiskFull`] (less free space than the size),
    /// [`FileError::Invalid`] (an empty name, a digest that is not 64 hex
    /// digits), [`FileError::Io`].
    pub fn open_upload(&self, req: OpenRequest) -> Result<Status, FileError> {
        let name = clean_name(&req.name)?;
        let sha256 = match req.sha256 {
            Some(d) if d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(d.to_ascii_lowercase())
            }
            Some(_) => {
                return Err(FileError::Invalid(
                    "the SHA-256 must be 64 hexadecimal digits".into(),
                ))
            }
            None => None,
        };
        if req.size > self.limits.max_size {
            return Err(FileError::TooLarge {
                max: self.limits.max_size,
            });
        }
        let mut grantees = req.grantees.clone();
        grantees.sort();
        grantees.dedup();
        let record = FileRecord {
            id: new_id(),
            name,
            size: req.size,
            sha256: sha256.clone().unwrap_or_default(),
            mime: String::new(),
            uploader: req.uploader.clone(),
            created_ms: crate::world::now_ms() as i64,
            complete: false,
        };
        // The resume lookup, the limits and the reservation in one critical
        // section: parallel opens cannot all pass the quota.
        {
            let mut index = self.index.lock();
            let key = fold(&req.uploader);
            let mine = || index.values().filter(|e| fold(&e.record.uploader) == key);
            if let Some(sha) = &sha256 {
                let same = mine().find(|e| {
                    !e.record.complete
                        && e.record.name == record.name
                        && e.record.size == req.size
                        && &e.record.sha256 == sha
                        && e.grantees == grantees
                });
                if let Some(e) = same {
                    return Ok(Status {
                        record: e.record.clone(),
                        received: e.received,
                        grantees: e.grantees.clone(),
                    });
                }
            }
            if mine().count() >= self.limits.max_files {
                return Err(FileError::TooMany {
                    max: self.limits.max_files,
                });
            }
            let used: u64 = mine().map(|e| e.record.size).sum();
            if used.saturating_add(req.size) > self.limits.quota {
                return Err(FileError::OverQuota {
                    used,
                    quota: self.limits.quota,
                });
            }
            // Room for it beside the uploads already promised room.
            let promised: u64 = index
                .values()
                .filter(|e| !e.record.complete)
                .map(|e| e.record.size - e.received)
                .sum();
            let wanted = req.size.saturating_add(promised);
            if disk::free_space(&self.dir).is_some_and(|free| free < wanted) {
                return Err(FileError::DiskFull);
            }
            index.insert(
                record.id.clone(),
                Entry {
                    record: record.clone(),
                    grantees: grantees.clone(),
                    received: 0,
                    writing: Arc::default(),
                    running: Some(Box::default()),
                },
            );
        }
        let partial = self.partial(&record.id);
        let created = std::fs::File::create(&partial)
            .map_err(|e| disk::error(&e))
            .and_then(|_| {
                self.store
                    .put_file(&record, &grantees)
                    .map_err(|e| FileError::Io(e.to_string()))
            });
        if let Err(e) = created {
            let _ = std::fs::remove_file(&partial);
            self.index.lock().remove(&record.id);
            return Err(e);
        }
        let status = Status {
            record,
            received: 0,
            grantees,
        };
        // An empty file is complete at once.
        if req.size == 0 {
            if let Written::Complete { record, .. } = self.write(&status.record.id, 0, &[])? {
                return Ok(Status {
                    received: 0,
                    record,
                    grantees: status.grantees,
                });
            }
        }
        Ok(status)
    }

    /// Writes `data` at `offset` of upload `id`. A chunk may repeat bytes
    /// already received (it is written again: harmless); it may not start
    /// past them. The write that brings the last byte completes the file:
    /// hashed, checked against the declared SHA-256, moved to its blob,
    /// its MIME type detected. Blocking.
    ///
    /// Errors: [`FileError::NotFound`], [`FileError::WrongOffset`],
    /// [`FileError::PastEnd`], [`FileError::DigestMismatch`] and
    /// [`FileError::DiskFull`] (the upload is discarded), [`FileError::Io`].
    pub fn write(&self, id: &str, offset: u64, data: &[u8]) -> Result<Written, FileError> {
        let (lock, size) = {
            let index = self.index.lock();
            let e = index.get(id).ok_or(FileError::NotFound)?;
            (e.writing.clone(), e.record.size)
        };
        let _writing = lock.lock().unwrap_or_else(|e| e.into_inner());
        let end = offset
            .checked_add(data.len() as u64)
            .filter(|&end| end <= size)
            .ok_or(FileError::PastEnd { size })?;
        let (received, complete, mut running) = {
            let mut index = self.index.lock();
            let e = index.get_mut(id).ok_or(FileError::NotFound)?;
            (e.received, e.record.complete, e.running.take())
        };
        if complete {
            let index = self.index.lock();
            let e = index.get(id).ok_or(FileError::NotFound)?;
            return Ok(Written::Complete {
                record: e.record.clone(),
                fresh: false,
                grantees: e.grantees.clone(),
            });
        }
        if offset > received {
            return Err(FileError::WrongOffset { expected: received });
        }
        if !data.is_empty() {
            if let Err(e) = disk::write_at(&self.partial(id), offset, data) {
                let error = disk::error(&e);
                if error == FileError::DiskFull {
                    self.discard_held(id);
                }
                return Err(error);
            }
        }
        // Bytes in order extend the running digest (outside the index
        // lock: this upload's writing lock is held); a rewrite ends it.
        match &mut running {
            Some(r) if offset == received => r.update(data),
            _ if data.is_empty() => {}
            _ => running = None,
        }
        let received = received.max(end);
        let done = received == size;
        if let Some(e) = self.index.lock().get_mut(id) {
            e.received = received;
            if !done {
                e.running = running.take();
            }
        }
        if !done {
            return Ok(Written::Partial(received));
        }
        self.complete(id, running.map(|r| *r))
    }

    /// Hashes the finished upload `id`, checks it, and moves it to its
    /// blob. Called with its writing lock held.
    fn complete(&self, id: &str, running: Option<Running>) -> Result<Written, FileError> {
        use sha2::Digest;
        let partial = self.partial(id);
        let (sha256, head) = match running {
            Some(r) => disk::sync(&partial).map(|()| (disk::hex(&r.hasher.finalize()), r.head)),
            None => disk::sync(&partial).and_then(|()| disk::digest(&partial)),
        }
        .map_err(|e| disk::error(&e))?;
        let (mut record, grantees) = {
            let index = self.index.lock();
            let e = index.get(id).ok_or(FileError::NotFound)?;
            (e.record.clone(), e.grantees.clone())
        };
        if !record.sha256.is_empty() && record.sha256 != sha256 {
            self.discard_held(id);
            return Err(FileError::DigestMismatch { got: sha256 });
        }
        record.sha256 = sha256;
        record.mime = disk::mime_of(&head);
        record.complete = true;
        {
            // Under the index lock, as in `discard_held`: a blob is never
            // deleted for being unshared while another file takes it up.
            let mut index = self.index.lock();
            let blob = self.blob(&record.sha256);
            let moved = if blob.exists() {
                std::fs::remove_file(&partial)
            } else {
                std::fs::rename(&partial, &blob)
            };
            if let Err(e) = moved {
                return Err(disk::error(&e));
            }
            if let Some(e) = index.get_mut(id) {
                e.record = record.clone();
                e.received = record.size;
            }
        }
        disk::sync_dir(&self.dir.join("blobs")).map_err(|e| disk::error(&e))?;
        self.store
            .put_file(&record, &grantees)
            .map_err(|e| FileError::Io(e.to_string()))?;
        Ok(Written::Complete {
            record,
            fresh: true,
            grantees,
        })
    }

    /// Forgets upload or file `id`: its record, and its bytes unless
    /// another file shares them. Waits for a write in progress to it.
    /// Blocking.
    pub fn discard(&self, id: &str) {
        let lock = self.index.lock().get(id).map(|e| e.writing.clone());
        let Some(lock) = lock else { return };
        let _writing = lock.lock().unwrap_or_else(|e| e.into_inner());
        self.discard_held(id);
    }

    /// [`Files::discard`] with `id`'s writing lock held by the caller.
    fn discard_held(&self, id: &str) {
        {
            let mut index = self.index.lock();
            let Some(entry) = index.remove(id) else {
                return;
            };
            let _ = std::fs::remove_file(self.partial(id));
            let shared = index
                .values()
                .any(|e| e.record.complete && e.record.sha256 == entry.record.sha256);
            if entry.record.complete && !shared {
                let _ = std::fs::remove_file(self.blob(&entry.record.sha256));
            }
        }
        if let Err(e) = self.store.delete_file(id) {
            tracing::warn!(id, error = %e, "files: deleting a record failed");
        }
    }

    /// Up to `len` bytes (at most [`CHUNK`]) of complete file `id` from
    /// `offset`; fewer at the end, none past it. Blocking. Errors:
    /// [`FileError::NotFound`], [`FileError::Incomplete`],
    /// [`FileError::Io`].
    pub fn read(&self, id: &str, offset: u64, len: usize) -> Result<Vec<u8>, FileError> {
        let (path, size) = self.blob_of(id)?;
        if offset >= size {
            return Ok(Vec::new());
        }
        let len = (len.min(CHUNK) as u64).min(size - offset) as usize;
        disk::read_at(&path, offset, len).map_err(|e| disk::error(&e))
    }

    /// The path of complete file `id`'s bytes and its size. Errors:
    /// [`FileError::NotFound`], [`FileError::Incomplete`].
    pub fn blob_of(&self, id: &str) -> Result<(PathBuf, u64), FileError> {
        let index = self.index.lock();
        let e = index.get(id).ok_or(FileError::NotFound)?;
        if !e.record.complete {
            return Err(FileError::Incomplete);
        }
        Ok((self.blob(&e.record.sha256), e.record.size))
    }

    /// Lets `grantee` fetch file `id` too: in memory at once, in the store
    /// on the blocking pool (this may run under the world lock).
    pub fn grant(&self, id: &str, grantee: String) {
        {
            let mut index = self.index.lock();
            let Some(e) = index.get_mut(id) else { return };
            if e.grantees.contains(&grantee) {
                return;
            }
            e.grantees.push(grantee.clone());
            e.grantees.sort();
        }
        let store = self.store.clone();
        let id = id.to_string();
        let write = move || {
            if let Err(e) = store.add_file_grant(&id, &grantee) {
                tracing::warn!(id, error = %e, "files: storing a grant failed");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(write)),
            Err(_) => write(),
        }
    }

    /// Deletes files shared longer ago than `[files] retention` and
    /// uploads left unfinished longer than `upload_expiry`, as of `now_ms`;
    /// returns how many. Blocking.
    pub fn sweep(&self, now_ms: u64) -> usize {
        let expired: Vec<String> = {
            let index = self.index.lock();
            index
                .values()
                .filter(|e| {
                    let age = now_ms.saturating_sub(e.record.created_ms.max(0) as u64) / 1000;
                    match e.record.complete {
                        true => age >= self.limits.retention,
                        false => age >= self.limits.upload_expiry,
                    }
                })
                .map(|e| e.record.id.clone())
                .collect()
        };
        for id in &expired {
            self.discard(id);
        }
        expired.len()
    }

    fn partial(&self, id: &str) -> PathBuf {
        self.dir.join("partial").join(id)
    }

    fn blob(&self, sha256: &str) -> PathBuf {
        self.dir.join("blobs").join(sha256)
    }
}

/// How often [`sweeper`] applies retention.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Applies `[files] retention` and `upload_expiry` at start and every hour
/// until shutdown (a server task).
pub(crate) async fn sweeper(shared: Arc<crate::server::Shared>) {
    let (files, shutdown) = {
        let world = shared.world.lock();
        (world.files.clone(), world.shutdown.clone())
    };
    let Some(files) = files else { return };
    loop {
        let f = files.clone();
        let now = crate::world::now_ms();
        match tokio::task::spawn_blocking(move || f.sweep(now)).await {
            Ok(0) | Err(_) => {}
            Ok(n) => tracing::info!(files = n, "files: expired files deleted"),
        }
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_EVERY) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

/// A fresh file ID: 128 random bits, base64url without padding (22
/// characters), so IDs cannot be guessed.
fn new_id() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS gives random bytes");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `id` has the shape of a file ID (so a path segment that is not
/// one is refused before any lookup).
pub fn is_id(id: &str) -> bool {
    id.len() == 22
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `name` cut to its last path part, control characters dropped, at most
/// 255 bytes. Errors: nothing is left.
fn clean_name(name: &str) -> Result<String, FileError> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let trimmed = clean.trim();
    if trimmed.is_empty() || trimmed == "." || trimmed == ".." {
        return Err(FileError::Invalid("the file needs a name".into()));
    }
    clean = trimmed.to_string();
    while clean.len() > 255 {
        clean.pop();
    }
    Ok(clean)
}

/// A size for people: `512 B`, `12.3 KiB`, `4.0 MiB`, `1.0 GiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// RFC 3986's unreserved characters stay; everything else is encoded.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `name` with every byte outside RFC 3986's unreserved set
/// percent-encoded, for a URL's last path segment or RFC 6266's
/// `filename*`.
pub fn percent_encode(name: &str) -> String {
    percent_encoding::utf8_percent_encode(name, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests;
