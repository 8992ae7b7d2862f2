//! Glob masks as used by bans, `WHO` and `LIST` (Modern IRC "Wildcard
//! Expressions"; RFC 2812 2.5): `*` matches any run of characters (including
//! none), `?` exactly one character. Comparison is casefolded with rfc1459
//! ([`crate::casemap`]).
//!
//! Escaping wildcards with `\` is *not* supported: `\` is a legal nickname
//! character (and folds to `|`), so it is compared literally.

use crate::casemap::fold_byte;

/// Length of the UTF-8 sequence starting with lead byte `b` (1 for ASCII and,
/// defensively, for stray continuation bytes).
#[inline]
fn char_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// `true` if `text` matches the glob `pattern` (Modern IRC "Wildcard
/// Expressions"). `*` matches any run of characters including the empty one,
/// `?` exactly one (Unicode) character; everything else is compared under
/// rfc1459 casemapping. An empty pattern matches only the empty text.
///
/// Uses the two-pointer star-backtracking algorithm: worst case
/// O(len(pattern) × len(text)), never exponential, no allocation.
pub fn matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // (pattern index just after the last '*', text index it is matched up to)
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    pi += 1;
                    star = Some((pi, ti));
                    continue;
                }
                b'?' => {
                    pi += 1;
                    ti += char_len(t[ti]);
                    continue;
                }
                c if fold_byte(c) == fold_byte(t[ti]) => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                // Let the last '*' swallow one more character and retry.
                let st = st + char_len(t[st]);
                star = Some((sp, st));
                pi = sp;
                ti = st;
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Normalises a ban-like mask to `nick!user@host` form:
/// `"nick"` → `"nick!*@*"`, `"user@host"` → `"*!user@host"`,
/// `"nick!user"` → `"nick!user@*"`, `"*"` → `"*!*@*"`; empty parts become
/// `"*"` (so `""` → `"*!*@*"`).
///
/// The nick part ends at the first `!`; the user part ends at the first `@`
/// after it. Masks already in full form are returned unchanged (apart from
/// empty parts). Follows common ircd practice for `MODE +b` (RFC 2812 3.2.3
/// leaves the exact form to servers).
pub fn normalize_hostmask(mask: &str) -> String {
    fn part(s: &str) -> &str {
        if s.is_empty() {
            "*"
        } else {
            s
        }
    }
    let (nick, user, host) = match mask.split_once('!') {
        Some((nick, rest)) => match rest.split_once('@') {
            Some((user, host)) => (nick, user, host),
            None => (nick, rest, ""),
        },
        None => match mask.split_once('@') {
            Some((user, host)) => ("", user, host),
            None => (mask, "", ""),
        },
    };
    let (nick, user, host) = (part(nick), part(user), part(host));
    let mut out = String::with_capacity(nick.len() + user.len() + host.len() + 2);
    out.push_str(nick);
    out.push('!');
    out.push_str(user);
    out.push('@');
    out.push_str(host);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert!(matches("*", ""));
        assert!(matches("*", "anything"));
        assert!(matches("", ""));
        assert!(!matches("", "a"));
        assert!(!matches("?", ""));
        assert!(matches("?", "a"));
        assert!(matches("a?c", "abc"));
        assert!(!matches("a?c", "ac"));
        assert!(matches("a*c", "ac"));
        assert!(matches("a*c", "abbbc"));
        assert!(!matches("a*c", "abbb"));
        assert!(matches("**a**", "a"));
        assert!(matches("*a", "bba"));
        assert!(!matches("*a", "bab"));
        assert!(matches("a*b*c", "axxbyyc"));
        assert!(matches("a*b*c", "abcbc"));
        assert!(!matches("a*b*c", "acb"));
        assert!(matches("*?", "x"));
        assert!(!matches("*??", "x"));
    }

    #[test]
    fn casefolded() {
        assert!(matches("NICK!*@*", "nick!user@host"));
        assert!(matches("[a]*", "{A}bc"));
        assert!(matches("a\\b", "A|B"));
        assert!(matches("*~*", "x^y"));
        assert!(matches("*!*@*.Example.COM", "Dan!d@irc.example.com"));
        assert!(!matches("*!*@*.example.com", "dan!d@example.org"));
    }

    #[test]
    fn unicode_question_mark() {
        assert!(matches("?", "é"));
        assert!(matches("a?c", "a☃c"));
        assert!(matches("*?", "☃"));
        assert!(!matches("??", "é"));
        assert!(matches("*é", "xxé"));
        assert!(matches("*☃?", "☃☃☃x"));
        assert!(matches("*☃?", "☃☃☃"));
        assert!(!matches("*☃??", "☃☃"));
        assert!(!matches("é*", "ÉÉ"));
    }

    #[test]
    fn no_exponential_blowup() {
        let text = "a".repeat(5000);
        let pattern = format!("{}b", "*a".repeat(50));
        let start = std::time::Instant::now();
        assert!(!matches(&pattern, &text));
        assert!(matches(&format!("{}*", "*a".repeat(50)), &text));
        assert!(start.elapsed().as_secs() < 5);
    }

    #[test]
    fn normalize() {
        assert_eq!(normalize_hostmask("nick"), "nick!*@*");
        assert_eq!(normalize_hostmask("user@host"), "*!user@host");
        assert_eq!(normalize_hostmask("nick!user"), "nick!user@*");
        assert_eq!(normalize_hostmask("*"), "*!*@*");
        assert_eq!(normalize_hostmask(""), "*!*@*");
        assert_eq!(normalize_hostmask("n!u@h"), "n!u@h");
        assert_eq!(normalize_hostmask("!@"), "*!*@*");
        assert_eq!(normalize_hostmask("nick!@host"), "nick!*@host");
        assert_eq!(normalize_hostmask("@host"), "*!*@host");
        assert_eq!(normalize_hostmask("nick!"), "nick!*@*");
        assert_eq!(normalize_hostmask("*!*@*.example.com"), "*!*@*.example.com");
        assert_eq!(normalize_hostmask("n!u@h@x"), "n!u@h@x");
    }
}
