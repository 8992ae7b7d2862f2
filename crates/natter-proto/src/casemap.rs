//! `CASEMAPPING=rfc1459` (Modern IRC, `RPL_ISUPPORT` `CASEMAPPING` parameter;
//! RFC 1459 2.2): `A`–`Z` fold to `a`–`z`, and `[`, `]`, `\`, `~` fold to
//! `{`, `}`, `|`, `^`. Non-ASCII bytes (and so all non-ASCII characters) are
//! left unchanged, so folding preserves byte length and UTF-8 validity.

/// Folds one byte to its rfc1459 lowercase equivalent: `A`–`Z` → `a`–`z`,
/// `[` → `{`, `]` → `}`, `\` → `|`, `~` → `^`; every other byte unchanged.
/// (Modern IRC, ISUPPORT `CASEMAPPING=rfc1459`.)
#[inline]
pub fn fold_byte(b: u8) -> u8 {
    match b {
        b'A'..=b'Z' => b + 32,
        b'[' => b'{',
        b']' => b'}',
        b'\\' => b'|',
        b'~' => b'^',
        _ => b,
    }
}

/// Folds a whole string with [`fold_byte`] (rfc1459 casemapping). The result
/// has the same byte length as `s`; non-ASCII characters are unchanged.
pub fn fold(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() {
                fold_byte(c as u8) as char
            } else {
                c
            }
        })
        .collect()
}

/// Case-insensitive equality under rfc1459 casemapping, without allocating:
/// `eq(a, b) == (fold(a) == fold(b))`.
pub fn eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .all(|(x, y)| fold_byte(x) == fold_byte(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_bytes() {
        assert_eq!(fold_byte(b'A'), b'a');
        assert_eq!(fold_byte(b'Z'), b'z');
        assert_eq!(fold_byte(b'a'), b'a');
        assert_eq!(fold_byte(b'['), b'{');
        assert_eq!(fold_byte(b']'), b'}');
        assert_eq!(fold_byte(b'\\'), b'|');
        assert_eq!(fold_byte(b'~'), b'^');
        assert_eq!(fold_byte(b'{'), b'{');
        assert_eq!(fold_byte(b'^'), b'^');
        assert_eq!(fold_byte(b'@'), b'@');
        assert_eq!(fold_byte(0xC3), 0xC3);
        for b in 128..=255u8 {
            assert_eq!(fold_byte(b), b);
        }
    }

    #[test]
    fn fold_strings() {
        assert_eq!(fold("Nick[Away]\\~"), "nick{away}|^");
        assert_eq!(fold(""), "");
        assert_eq!(fold("ÄÖÜ Été"), "ÄÖÜ Été");
        assert_eq!(fold("ÄbC"), "Äbc");
        assert_eq!(fold("#Chan"), "#chan");
    }

    #[test]
    fn equality() {
        assert!(eq("Dan", "dAN"));
        assert!(eq("[foo]", "{FOO}"));
        assert!(eq("a\\b~", "A|B^"));
        assert!(!eq("a", "b"));
        assert!(!eq("a", "aa"));
        assert!(eq("", ""));
        assert!(!eq("É", "é")); // non-ASCII is not folded
        for (a, b) in [("X[y]", "x{Y}"), ("abc", "abd"), ("Ü", "ü")] {
            assert_eq!(eq(a, b), fold(a) == fold(b));
        }
    }
}
