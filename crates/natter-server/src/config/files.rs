//! `[files]`: shared files (issue 14): limits, quota, retention and the
//! address links to them use. See docs/files.md.

use serde::Deserialize;

use super::words;

/// `[files]`: files shared into channels and conversations, kept in
/// `<data_dir>/files/` with their records in the store.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [files] table")]
pub struct FilesSection {
    /// Whether users may share files at all.
    #[serde(deserialize_with = "words::flag")]
    pub enabled: bool,
    /// The largest file, in bytes.
    #[serde(deserialize_with = "words::bytes")]
    pub max_size: u64,
    /// Bytes one account may have stored at once (its files, complete
    /// and unfinished).
    #[serde(deserialize_with = "words::bytes")]
    pub quota: u64,
    /// Files one account may have stored at once (complete and
    /// unfinished).
    #[serde(deserialize_with = "words::count")]
    pub max_files: usize,
    /// Seconds a file is kept after it was shared.
    #[serde(deserialize_with = "words::seconds")]
    pub retention: u64,
    /// Seconds an unfinished upload is kept for its uploader to resume.
    #[serde(deserialize_with = "words::seconds")]
    pub upload_expiry: u64,
    /// The address before `/files/...` in links to files, such as
    /// `https://chat.example.org` (no trailing slash). Unset: `http://`
    /// and the first `[listen] http` address, unless that is a wildcard
    /// address (then links name the file's ID only, and the IRC
    /// `draft/FILEHOST` token is not advertised).
    pub public_url: Option<String>,
}

impl Default for FilesSection {
    fn default() -> Self {
        FilesSection {
            enabled: true,
            max_size: 100 << 20,
            quota: 1 << 30,
            max_files: 1000,
            retention: 30 * 24 * 3600,
            upload_expiry: 24 * 3600,
            public_url: None,
        }
    }
}
