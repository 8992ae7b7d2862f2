//! natter's embedded store: one SQLite file (`natter.db` in the data
//! directory) that keeps what must survive a restart: accounts, registered
//! channels, message history, server bans and the
//! records of shared files.
//!
//! - The schema is versioned ([`migrations`]): each version is one
//!   migration, applied in order at [`Store::open`]; SQLite's
//!   `user_version` records the version a file is at.
//! - A file written by a newer natter (a higher version than this build
//!   knows) or a file that is not a SQLite database stops
//!   [`Store::open`] with [`OpenError`]; the file is never written to.
//! - WAL mode with `synchronous = FULL`: a call that returns `Ok` has
//!   committed, so a caller may acknowledge it to a user.
//! - [`backup`] copies a live database, page by page through SQLite's
//!   online backup API, while a server keeps writing to it.
//!
//! What may touch what: this crate knows SQLite and nothing of IRC; the
//! server (`natter-server`) owns a [`Store`] and calls it off its event
//! loops (every call may block on the disk).

mod accounts;
mod channels;
mod files;
mod history;
pub mod migrations;
mod server_bans;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use std::sync::Mutex;

pub use accounts::{AccountRecord, Credentials, ScramKeys};
pub use channels::ChannelRecord;
pub use files::FileRecord;
pub use history::{dm_key, Cursor, StoredMessage};
pub use server_bans::ServerBanRecord;

/// Why [`Store::open`] refused a database file. The message names the file
/// and says what to do; the file was not changed.
#[derive(Debug)]
pub enum OpenError {
    /// The file exists but is not a SQLite database, or is damaged.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// SQLite's words.
        detail: String,
    },
    /// The file's schema version is newer than this build knows: it was
    /// written by a newer natter.
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its schema version (`PRAGMA user_version`).
        found: usize,
        /// The newest version this build knows.
        known: usize,
    },
    /// Any other failure (permissions, a full disk, a locked file).
    Other {
        /// The file.
        path: PathBuf,
        /// What failed.
        detail: String,
    },
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Corrupt { path, detail } => write!(
                f,
                "{}: not a natter database or damaged ({detail}); natter leaves it as it is: \
                 restore it from a backup (`natter backup`) or move it away to start afresh",
                path.display()
            ),
            OpenError::TooNew { path, found, known } => write!(
                f,
                "{}: schema version {found} was written by a newer natter (this one knows up \
                 to {known}); natter leaves it as it is: run the newer natter, or restore a \
                 backup made by this version",
                path.display()
            ),
            OpenError::Other { path, detail } => {
                write!(f, "{}: cannot open the database: {detail}", path.display())
            }
        }
    }
}

impl std::error::Error for OpenError {}

/// A failure of a store call after the store opened.
#[derive(Debug)]
pub enum StoreError {
    /// The row to create exists already (an account name taken).
    Exists,
    /// SQLite failed (disk full, I/O error): nothing was committed.
    Sqlite(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Exists => f.write_str("already exists"),
            StoreError::Sqlite(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::Exists
            }
            e => StoreError::Sqlite(e.to_string()),
        }
    }
}

/// The open database: one connection, used by one caller at a time. Every
/// method may block on the disk; call it off the event loops.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating it if missing) the database at `path` and brings its
    /// schema to the newest version. Refuses, without writing to it, a
    /// file that is not a database ([`OpenError::Corrupt`]) or one written
    /// by a newer natter ([`OpenError::TooNew`]).
    pub fn open(path: &Path) -> Result<Store, OpenError> {
        let other = |e: &dyn std::fmt::Display| OpenError::Other {
            path: path.to_path_buf(),
            detail: e.to_string(),
        };
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| other(&e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| other(&e))?;
        // The first read of the header: a file that is not a database
        // fails here, before anything is written.
        let version: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
            .and_then(|()| conn.pragma_query_value(None, "user_version", |r| r.get(0)))
            .map_err(|e| OpenError::Corrupt {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })?;
        let known = migrations::LATEST;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        if version > known {
            return Err(OpenError::TooNew {
                path: path.to_path_buf(),
                found: version,
                known,
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| other(&e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| other(&e))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| other(&e))?;
        // 8 MiB of page cache (negative: KiB), not SQLite's 2 MiB: with
        // hundreds of busy conversations, the index pages their newest
        // messages go to did not all fit, and each commit read evicted
        // ones back from the file. In `examples/append_rate` with 500
        // channels and 2,500-message batches that was a quarter of the CPU
        // per message (docs/performance.md, "Session 13"). The cache fills
        // only as the store is used.
        conn.pragma_update(None, "cache_size", -8192)
            .map_err(|e| other(&e))?;
        migrations::migrations()
            .to_latest(&mut conn)
            .map_err(|e| other(&e))?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    /// A store in memory, with the newest schema (for tests and for
    /// tools that need a store but no file).
    pub fn open_in_memory() -> Store {
        let mut conn = Connection::open_in_memory().expect("SQLite opens a memory database");
        conn.pragma_update(None, "foreign_keys", "ON")
            .expect("foreign keys can be turned on");
        migrations::migrations()
            .to_latest(&mut conn)
            .expect("the migrations apply to an empty database");
        Store {
            conn: Mutex::new(conn),
            path: PathBuf::from(":memory:"),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with the connection.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A panic while holding the lock (a bug) must not turn every later
        // call into a second panic: SQLite rolled back what was open.
        f(&mut self.conn.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Copies the live database at `source` into a new file `dest` with
/// SQLite's online backup API: a consistent snapshot, taken while a server
/// may be writing to `source`. `dest` must not exist (a backup never
/// overwrites a file). Returns the number of pages copied.
pub fn backup(source: &Path, dest: &Path) -> Result<u64, String> {
    if dest.exists() {
        return Err(format!(
            "{}: exists; a backup never overwrites a file",
            dest.display()
        ));
    }
    if !source.exists() {
        return Err(format!("{}: no database there", source.display()));
    }
    let src = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("{}: {e}", source.display()))?;
    src.busy_timeout(Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    let mut out = Connection::open(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    let pages = {
        let backup = rusqlite::backup::Backup::new(&src, &mut out)
            .map_err(|e| format!("{}: {e}", source.display()))?;
        backup
            .run_to_completion(256, Duration::from_millis(5), None)
            .map_err(|e| format!("backup of {} failed: {e}", source.display()))?;
        backup.progress().pagecount
    };
    Ok(pages.max(0) as u64)
}

#[cfg(test)]
mod tests;
