//! Host cloaks: the keyed disguise that hides a user's address from other
//! users (user mode `x`, on by default; `[privacy] cloak`).
//!
//! The secret is 32 random bytes kept in `<data_dir>/cloak.key` (mode
//! 0600), generated on first start; the same key gives every address the
//! same cloak across restarts, another key a different one. Each part of a
//! cloak is the first 40 bits of HMAC-SHA256(key, label ‖ part), written as
//! 8 lowercase RFC 4648 base32 characters (`a`–`z`, `2`–`7`). Like
//! InspIRCd's cloak module, a cloak keeps one part per network prefix, so
//! a ban on the cloak of a whole block still works:
//!
//! - IPv4 `a.b.c.d`: `H(a.b.c.d).H(a.b.c).H(a.b).<suffix>`, e.g.
//!   `qz7kd2ma.c4rfbx3n.mxe5q2ka.IP`; `*!*@*.c4rfbx3n.mxe5q2ka.IP` bans
//!   the /24.
//! - IPv6: `H(/128).H(/64).H(/48).<suffix>` (IPv4-mapped addresses are
//!   cloaked as IPv4).
//! - anything else (a host name): `H(host).<suffix>`.
//!
//! The suffix is `[privacy] cloak_suffix`, `IP` by default. The real
//! address stays in [`natter_model::User::real_host`]: the user and
//! operators see it in WHOIS (RPL_WHOISHOST, 378), and bans match it too.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use natter_model::User;
use sha2::Sha256;

use crate::config::PrivacySection;

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "cloak.key";

/// Bytes of secret in the key file.
const KEY_LEN: usize = 32;

/// A cloaking key: computes cloaks of addresses.
#[derive(Clone)]
pub struct Cloak {
    key: [u8; KEY_LEN],
}

impl std::fmt::Debug for Cloak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cloak(<secret>)")
    }
}

impl Cloak {
    /// A cloak with the given secret (tests; the server uses [`Cloak::load`]).
    pub fn from_key(key: [u8; KEY_LEN]) -> Cloak {
        Cloak { key }
    }

    /// The key of `data_dir` (its `cloak.key`), generated first (32 bytes
    /// from the operating system's random source, written with mode 0600)
    /// when the file does not exist.
    ///
    /// Errors: the file cannot be read or written, or does not hold exactly
    /// 32 bytes (the error names the file).
    pub fn load(data_dir: &Path) -> Result<Cloak, (PathBuf, std::io::Error)> {
        let path = data_dir.join(KEY_FILE);
        let at = |e| (path.clone(), e);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; KEY_LEN];
                getrandom::fill(&mut key).map_err(|e| at(std::io::Error::other(e.to_string())))?;
                crate::tls::write_private(&path, &key).map_err(at)?;
                tracing::info!(file = %path.display(), "generated a cloak key");
                key.to_vec()
            }
            Err(e) => return Err(at(e)),
        };
        let key: [u8; KEY_LEN] = bytes.try_into().map_err(|b: Vec<u8>| {
            at(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "holds {} bytes, not a {KEY_LEN}-byte cloak key; delete it to make a new one",
                    b.len()
                ),
            ))
        })?;
        Ok(Cloak { key })
    }

    /// The cloak of `host` (an address, or a host name) with `suffix`; see
    /// the module documentation for the form.
    pub fn cloak(&self, host: &str, suffix: &str) -> String {
        let parts: Vec<String> = match host.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
            Ok(IpAddr::V4(v4)) => {
                let [a, b, c, d] = v4.octets();
                vec![
                    self.part("4/32", &format!("{a}.{b}.{c}.{d}")),
                    self.part("4/24", &format!("{a}.{b}.{c}")),
                    self.part("4/16", &format!("{a}.{b}")),
                ]
            }
            Ok(IpAddr::V6(v6)) => {
                let bits = u128::from(v6);
                let net = |len: u32| format!("{:x}", bits & (!0u128 << (128 - len)));
                vec![
                    self.part("6/128", &net(128)),
                    self.part("6/64", &net(64)),
                    self.part("6/48", &net(48)),
                ]
            }
            Err(_) => vec![self.part("host", &host.to_ascii_lowercase())],
        };
        format!("{}.{suffix}", parts.join("."))
    }

    /// 8 base32 characters of HMAC-SHA256(key, `label` `:` `text`).
    fn part(&self, label: &str, text: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(label.as_bytes());
        mac.update(b":");
        mac.update(text.as_bytes());
        let digest = mac.finalize().into_bytes();
        // 40 bits: five bytes make eight base32 characters.
        let bits = digest[..5]
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
        (0..8)
            .rev()
            .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
            .collect()
    }
}

/// Gives `user`, newly registered on this server, its cloak and mode `x`
/// when `[privacy] cloak` is on (and a key is loaded).
pub fn on_register(cloak: Option<&Cloak>, privacy: &PrivacySection, user: &mut User) {
    if let (true, Some(cloak)) = (privacy.cloak, cloak) {
        user.host = cloak.cloak(&user.real_host, &privacy.cloak_suffix);
        user.modes.cloaked = true;
    }
}

/// Whether `suffix` can end a cloak: 1 to 32 letters, digits, `-` and
/// `.`, not starting or ending with `.` (a host name's characters).
pub fn valid_suffix(suffix: &str) -> bool {
    !suffix.is_empty()
        && suffix.len() <= 32
        && !suffix.starts_with('.')
        && !suffix.ends_with('.')
        && suffix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_keeps_its_blocks() {
        let cloak = Cloak::from_key([7; 32]);
        let a = cloak.cloak("192.0.2.10", "IP");
        let b = cloak.cloak("192.0.2.99", "IP");
        let c = cloak.cloak("192.0.3.10", "IP");
        let (pa, pb, pc): (Vec<&str>, Vec<&str>, Vec<&str>) = (
            a.split('.').collect(),
            b.split('.').collect(),
            c.split('.').collect(),
        );
        assert_eq!(pa.len(), 4, "{a}");
        assert!(pa[..3].iter().all(|p| p.len() == 8), "{a}");
        assert_eq!(pa[3], "IP");
        assert_ne!(pa[0], pb[0]);
        assert_eq!(pa[1..], pb[1..], "same /24");
        assert_ne!(pa[1], pc[1]);
        assert_eq!(pa[2..], pc[2..], "same /16");
        assert_eq!(a, cloak.cloak("::ffff:192.0.2.10", "IP"), "mapped");
        assert!(!a.contains("192"));
    }

    #[test]
    fn keyed_and_stable() {
        let one = Cloak::from_key([1; 32]);
        let two = Cloak::from_key([2; 32]);
        assert_eq!(one.cloak("2001:db8::1", "x"), one.cloak("2001:db8::1", "x"));
        assert_ne!(one.cloak("2001:db8::1", "x"), two.cloak("2001:db8::1", "x"));
        let (v6a, v6b) = (
            one.cloak("2001:db8::1", "IP"),
            one.cloak("2001:db8::2", "IP"),
        );
        assert_eq!(
            v6a.split_once('.').unwrap().1,
            v6b.split_once('.').unwrap().1
        );
        assert_eq!(one.cloak("host.example", "IP").split('.').count(), 2);
    }

    #[test]
    fn key_file_is_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = Cloak::load(dir.path()).unwrap();
        let b = Cloak::load(dir.path()).unwrap();
        assert_eq!(a.key, b.key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join(KEY_FILE), b"short").unwrap();
        assert!(Cloak::load(dir.path()).is_err());
    }

    #[test]
    fn suffixes() {
        assert!(valid_suffix("IP"));
        assert!(valid_suffix("users.example.org"));
        assert!(!valid_suffix(""));
        assert!(!valid_suffix(".IP"));
        assert!(!valid_suffix("a b"));
        assert!(!valid_suffix("a@b"));
    }
}
