//! Time in the forms natter shows it: a neutral helper for every front end,
//! the links and the small services (the IRCv3 server-time form is also
//! history's and the IM protocol's; the daytime form is RFC 867's).

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

/// Week days from Thursday (1970-01-01 was one).
const WEEKDAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];

/// Months from January.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The calendar of `secs` (Unix seconds, UTC) as people read it: week day,
/// month, day of the month, year, and `HH:MM:SS` (humantime gives the
/// fields, as `YYYY-MM-DDTHH:MM:SSZ`).
fn calendar(secs: u64) -> (&'static str, &'static str, u32, String, String) {
    let rfc3339 = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
    )
    .to_string();
    let field = |range: std::ops::Range<usize>| rfc3339.get(range).unwrap_or("0");
    let month: usize = field(5..7).parse().unwrap_or(1);
    (
        WEEKDAYS[(secs / 86_400 % 7) as usize],
        MONTHS[month.clamp(1, 12) - 1],
        field(8..10).parse().unwrap_or(1),
        field(0..4).to_string(),
        field(11..19).to_string(),
    )
}

/// `secs` (Unix seconds) in the daytime service's form, UTC, without a
/// line ending: `Monday, December 7, 2026 00:31:10-UTC`. RFC 867 leaves
/// the syntax free and suggests "Weekday, Month Day, Year Time-Zone"; this
/// is that, with the zone always `UTC`.
pub fn format_daytime(secs: u64) -> String {
    let (weekday, month, day, year, time) = calendar(secs);
    format!("{weekday}, {month} {day}, {year} {time}-UTC")
}

/// `secs` (Unix seconds) the way Solanum and InspIRCd word RPL_TIME's
/// text: `Sunday December 6 2026 -- 15:10:00 +00:00` (UTC).
pub fn format_human(secs: u64) -> String {
    let (weekday, month, day, year, time) = calendar(secs);
    format!("{weekday} {month} {day} {year} -- {time} +00:00")
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

    #[test]
    fn daytime_spells_out_the_date() {
        assert_eq!(format_daytime(0), "Thursday, January 1, 1970 00:00:00-UTC");
        // A leap day, and the last second of a leap year.
        assert_eq!(
            format_daytime(951_827_696),
            "Tuesday, February 29, 2000 12:34:56-UTC"
        );
        assert_eq!(
            format_daytime(1_483_228_799),
            "Saturday, December 31, 2016 23:59:59-UTC"
        );
        assert_eq!(
            format_daytime(1_796_603_470),
            "Monday, December 7, 2026 00:31:10-UTC"
        );
        assert_eq!(
            format_human(1_796_603_470),
            "Monday December 7 2026 -- 00:31:10 +00:00"
        );
    }
}
