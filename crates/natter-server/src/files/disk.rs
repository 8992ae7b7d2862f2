//! The blocking file operations of [`super::Files`]: positioned reads and
//! writes, hashing, MIME detection, free space.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::FileError;

/// How many bytes of the start [`mime_of`] looks at.
pub const HEAD: usize = 8192;

/// `error` as a [`FileError`]: no space (ENOSPC, EDQUOT, EFBIG) is
/// [`FileError::DiskFull`], anything else [`FileError::Io`].
pub fn error(error: &io::Error) -> FileError {
    match error.raw_os_error() {
        Some(libc::ENOSPC | libc::EDQUOT | libc::EFBIG) => FileError::DiskFull,
        _ => FileError::Io(error.to_string()),
    }
}

/// Writes all of `data` at `offset` of the existing file `path`.
pub fn write_at(path: &Path, offset: u64, data: &[u8]) -> io::Result<()> {
    let file = OpenOptions::new().write(true).open(path)?;
    file.write_all_at(data, offset)
}

/// `len` bytes at `offset` of `path` (fewer at its end).
pub fn read_at(path: &Path, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    let mut buf = vec![0; len];
    let mut got = 0;
    while got < len {
        match file.read_at(&mut buf[got..], offset + got as u64)? {
            0 => break,
            n => got += n,
        }
    }
    buf.truncate(got);
    Ok(buf)
}

/// Flushes `path`'s bytes to the disk (an upload is complete only once
/// they are there).
pub fn sync(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// The SHA-256 of `path` (lowercase hex) and its first [`HEAD`] bytes,
/// reading it in 1 MiB pieces (memory stays flat whatever the size).
pub fn digest(path: &Path) -> io::Result<(String, Vec<u8>)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut head = Vec::new();
    let mut buf = vec![0; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if head.len() < HEAD {
            let take = (HEAD - head.len()).min(n);
            head.extend_from_slice(&buf[..take]);
        }
        hasher.update(&buf[..n]);
    }
    Ok((hex(&hasher.finalize()), head))
}

/// Flushes directory `dir` (a rename in it survives a crash).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The MIME type of content starting with `head`: by its magic numbers
/// (the `infer` crate), else `text/plain; charset=utf-8` for UTF-8 text,
/// else `application/octet-stream`.
pub fn mime_of(head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_string();
    }
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        // Cut in the middle of a character at the end of the head.
        Err(e) => e.error_len().is_none(),
    };
    if text && !head.contains(&0) {
        "text/plain; charset=utf-8".into()
    } else {
        "application/octet-stream".into()
    }
}

/// Bytes free for an unprivileged user on the file system of `dir`, if
/// the system says.
pub fn free_space(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is a NUL-terminated string and `stat` a valid out
    // parameter, as statvfs(3) requires.
    let rc = unsafe { libc::statvfs(path.as_ptr(), &mut stat) };
    (rc == 0).then(|| stat.f_bavail as u64 * stat.f_frsize as u64)
}
