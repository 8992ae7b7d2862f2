//! Time in the forms natter shows it: a neutral helper for every front end
//! and the links (the IRCv3 server-time form is also history's and the IM
//! protocol's).

/// `ms` (Unix milliseconds) as an IRCv3 server-time value, UTC with
/// millisecond precision: `2026-11-22T09:33:16.123Z`.
pub fn format_time_ms(ms: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_millis(at).to_string()
}

/// A server-time value (`2026-11-22T09:33:16.123Z`, or without the
/// fraction) as Unix milliseconds, if it is one.
pub fn parse_time_ms(text: &str) -> Option<u64> {
    let at = humantime::parse_rfc3339(text).ok()?;
    Some(at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let ms = 1_621_499_400_123;
        assert_eq!(format_time_ms(ms), "2021-05-20T08:30:00.123Z");
        assert_eq!(parse_time_ms("2021-05-20T08:30:00.123Z"), Some(ms));
        assert_eq!(parse_time_ms("2021-05-20T08:30:00Z"), Some(ms - 123));
        assert_eq!(parse_time_ms("yesterday"), None);
    }
}
