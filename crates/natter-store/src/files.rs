//! The files and file_grants tables: shared files' records (the bytes are
//! in the data directory, see `natter_server::files`).

use rusqlite::{params, Row};

use crate::{Store, StoreError};

/// One shared file as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// The unguessable ID (22 base64url characters: 128 random bits).
    pub id: String,
    /// The name the uploader gave (no path).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex: declared while uploading,
    /// checked at completion.
    pub sha256: String,
    /// MIME type detected from the content; empty until complete.
    pub mime: String,
    /// The uploader's account.
    pub uploader: String,
    /// When the upload was opened, Unix milliseconds.
    pub created_ms: i64,
    /// Whether every byte arrived and the digest matched.
    pub complete: bool,
}

fn record(row: &Row<'_>) -> rusqlite::Result<FileRecord> {
    Ok(FileRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        size: row.get::<_, i64>(2)? as u64,
        sha256: row.get(3)?,
        mime: row.get(4)?,
        uploader: row.get(5)?,
        created_ms: row.get(6)?,
        complete: row.get::<_, i64>(7)? != 0,
    })
}

impl Store {
    /// Every file record with its grantees, oldest first.
    pub fn files(&self) -> Result<Vec<(FileRecord, Vec<String>)>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, name, size, sha256, mime, uploader, created_ms, complete \
                 FROM files ORDER BY created_ms, id",
            )?;
            let files = stmt.query_map([], record)?.collect::<Result<Vec<_>, _>>()?;
            let mut grants = c.prepare("SELECT grantee FROM file_grants WHERE file_id = ?1")?;
            let mut all = Vec::with_capacity(files.len());
            for f in files {
                let g = grants
                    .query_map([&f.id], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                all.push((f, g));
            }
            Ok(all)
        })
    }

    /// Stores `file` with `grantees`, replacing a record of the same ID;
    /// committed when this returns `Ok`.
    pub fn put_file(&self, file: &FileRecord, grantees: &[String]) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT OR REPLACE INTO files \
                 (id, name, size, sha256, mime, uploader, created_ms, complete) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    file.id,
                    file.name,
                    file.size as i64,
                    file.sha256,
                    file.mime,
                    file.uploader,
                    file.created_ms,
                    file.complete as i64
                ],
            )?;
            for g in grantees {
                tx.execute(
                    "INSERT OR IGNORE INTO file_grants (file_id, grantee) VALUES (?1, ?2)",
                    [&file.id, g],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Adds `grantee` to file `id`'s grants (no change if it is there).
    pub fn add_file_grant(&self, id: &str, grantee: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT OR IGNORE INTO file_grants (file_id, grantee) VALUES (?1, ?2)",
                [id, grantee],
            )?;
            Ok(())
        })
    }

    /// Deletes file `id`'s record and grants; `Ok(false)` if there was none.
    pub fn delete_file(&self, id: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM file_grants WHERE file_id = ?1", [id])?;
            let n = tx.execute("DELETE FROM files WHERE id = ?1", [id])?;
            tx.commit()?;
            Ok(n > 0)
        })
    }
}
