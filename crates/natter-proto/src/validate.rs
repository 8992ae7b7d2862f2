//! Name validation: nicknames (RFC 2812 2.3.1), channel names (RFC 2812 1.3
//! and 2.3.1; Modern IRC "Channels") and usernames from `USER` (RFC 2812
//! 3.1.3). All checks are byte-based and allocation-free.

/// RFC 2812 2.3.1 `special`: `%x5B-60 / %x7B-7D` (`[ \ ] ^ _ `` { | }`).
#[inline]
fn is_special(b: u8) -> bool {
    matches!(b, 0x5B..=0x60 | 0x7B..=0x7D)
}

/// `true` if `nick` follows the RFC 2812 2.3.1 nickname grammar
/// `( letter / special ) *( letter / digit / special / "-" )` with
/// `special = %x5B-60 / %x7B-7D`, and is 1..=`max_len` bytes long.
/// Only ASCII is accepted.
pub fn is_valid_nick(nick: &str, max_len: usize) -> bool {
    let b = nick.as_bytes();
    match b.split_first() {
        Some((&first, rest)) => {
            b.len() <= max_len
                && (first.is_ascii_alphabetic() || is_special(first))
                && rest
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || is_special(c) || c == b'-')
        }
        None => false,
    }
}

/// `true` if `name` is an acceptable channel name: starts with `#` or `&`
/// (RFC 2812 1.3; Modern IRC "Channels"), is 2..=`max_len` bytes long, and
/// contains no space, comma, BEL (0x07), NUL, CR, LF, nor any other ASCII
/// control character (0x00–0x1F, 0x7F). Non-ASCII UTF-8 is allowed.
pub fn is_valid_channel(name: &str, max_len: usize) -> bool {
    let b = name.as_bytes();
    b.len() >= 2
        && b.len() <= max_len
        && is_channel_name(name)
        && b[1..]
            .iter()
            .all(|&c| c != b' ' && c != b',' && !c.is_ascii_control())
}

/// `true` if `target` looks like a channel, i.e. its first byte is `#` or `&`
/// (RFC 2812 1.3, the channel types natter supports); used to tell channel
/// targets from nicknames in `PRIVMSG`, `MODE` etc.
#[inline]
pub fn is_channel_name(target: &str) -> bool {
    matches!(target.as_bytes().first(), Some(b'#' | b'&'))
}

/// `true` if `user` is an acceptable username (ident) from `USER`
/// (RFC 2812 2.3.1 `user`; Modern IRC `USER`): 1..=`max_len` bytes, with no
/// space, NUL, CR, LF or `@`.
pub fn is_valid_user(user: &str, max_len: usize) -> bool {
    !user.is_empty()
        && user.len() <= max_len
        && !user
            .bytes()
            .any(|c| matches!(c, b' ' | 0 | b'\r' | b'\n' | b'@'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicks() {
        for n in [
            "a", "Dan", "[foo]", "_x", "`y", "{}|^", "a-b", "a1", "\\o", "Z9-",
        ] {
            assert!(is_valid_nick(n, 30), "{n:?}");
        }
        for n in [
            "", "1abc", "-a", "a b", "a!b", "a@b", "#chan", "é", "ab\u{0}", "a.b", "a:b", "a*",
        ] {
            assert!(!is_valid_nick(n, 30), "{n:?}");
        }
        assert!(is_valid_nick("abcdefghi", 9));
        assert!(!is_valid_nick("abcdefghij", 9));
        assert!(!is_valid_nick("a", 0));
    }

    #[test]
    fn channels() {
        for c in ["#a", "&local", "#chan-name", "#ärger", "##", "#a:b", "#[x]"] {
            assert!(is_valid_channel(c, 50), "{c:?}");
        }
        for c in [
            "", "#", "&", "a", "+a", "!abc", "#a b", "#a,b", "#a\u{7}", "#a\0", "#a\r", "#a\n",
            "#a\u{1b}", "#a\u{7f}",
        ] {
            assert!(!is_valid_channel(c, 50), "{c:?}");
        }
        assert!(is_valid_channel("#abc", 4));
        assert!(!is_valid_channel("#abcd", 4));
    }

    #[test]
    fn channel_names() {
        assert!(is_channel_name("#a"));
        assert!(is_channel_name("&"));
        assert!(is_channel_name("#"));
        assert!(!is_channel_name(""));
        assert!(!is_channel_name("nick"));
        assert!(!is_channel_name("+a"));
    }

    #[test]
    fn users() {
        for u in ["u", "~ident", "x.y", "ünï", "a!b"] {
            assert!(is_valid_user(u, 10), "{u:?}");
        }
        for u in ["", "a b", "a@b", "a\0", "a\r", "a\n"] {
            assert!(!is_valid_user(u, 10), "{u:?}");
        }
        assert!(is_valid_user("abc", 3));
        assert!(!is_valid_user("abcd", 3));
    }
}
