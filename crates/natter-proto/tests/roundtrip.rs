//! Property tests of the IRC line grammar (Modern IRC "Message format",
//! IRCv3 `message-tags`): any message natter can represent survives
//! serializing and parsing unchanged, and parsing any bytes at all never
//! panics; a line that parses serializes to a line that parses to the
//! same message.

use natter_proto::message::{Message, Tag};
use proptest::prelude::*;

/// A tag key: an optional `+` (client-only) and vendor, then a name.
fn tag_key() -> impl Strategy<Value = String> {
    "\\+?([a-z]{1,8}\\.[a-z]{2,4}/)?[a-zA-Z0-9-]{1,12}"
}

/// A tag value: anything but NUL, CR and LF, escaping included (`;`, space,
/// backslash).
fn tag_value() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[^\\x00\\r\\n]{1,20}")
}

/// A middle parameter: no space, no leading `:`, not empty, no NUL/CR/LF.
fn middle() -> impl Strategy<Value = String> {
    "[^\\x00\\r\\n :][^\\x00\\r\\n ]{0,15}"
}

/// A trailing parameter: anything but NUL, CR and LF, possibly empty.
fn trailing() -> impl Strategy<Value = String> {
    "[^\\x00\\r\\n]{0,40}"
}

prop_compose! {
    fn message()(
        tags in proptest::collection::vec((tag_key(), tag_value()), 0..4),
        source in proptest::option::of("[a-zA-Z][a-zA-Z0-9.!@~-]{0,30}"),
        command in prop_oneof!["[A-Z]{1,12}", "[0-9]{3}"],
        middles in proptest::collection::vec(middle(), 0..6),
        last in proptest::option::of(trailing()),
    ) -> Message {
        // Keys are unique in a parsed message (a repeated key keeps one).
        let mut seen = std::collections::HashSet::new();
        let tags = tags
            .into_iter()
            .filter(|(k, _)| seen.insert(k.clone()))
            .map(|(k, v)| Tag::new(&k, v.as_deref()))
            .collect();
        let mut params = middles;
        params.extend(last);
        Message { tags, source, command, params }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_message_survives_serializing_and_parsing(m in message()) {
        let mut line = String::new();
        m.write_to(&mut line);
        prop_assert!(line.ends_with("\r\n"));
        let parsed = Message::parse(line.trim_end_matches("\r\n"));
        prop_assert_eq!(parsed, Ok(m), "line {:?}", line);
    }

    #[test]
    fn lines_of_the_grammar_s_own_characters_round_trip(
        line in "[@:; =\\\\a-cA-C0-9+/.!-]{0,80}"
    ) {
        if let Ok(m) = Message::parse(&line) {
            let mut out = String::new();
            m.write_to(&mut out);
            let again = Message::parse(out.trim_end_matches("\r\n"));
            prop_assert_eq!(again, Ok(m), "from {:?} via {:?}", line, out);
        }
    }

    #[test]
    fn any_bytes_parse_or_fail_cleanly_and_what_parses_round_trips(
        bytes in proptest::collection::vec(any::<u8>(), 0..300)
    ) {
        if let Ok(m) = Message::parse_bytes(&bytes) {
            let mut line = String::new();
            m.write_to(&mut line);
            let again = Message::parse(line.trim_end_matches("\r\n"));
            prop_assert_eq!(again, Ok(m), "from {:?}", bytes);
        }
    }
}
