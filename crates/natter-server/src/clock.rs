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

/// Week days from Sunday, as RFC 867's example spells them.
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
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

/// `secs` (Unix seconds) in the daytime service's form, UTC, without a
/// line ending: `Monday, December 7, 2026 00:31:10-UTC`. RFC 867 leaves
/// the syntax free and suggests "Weekday, Month Day, Year Time-Zone"; this
/// is that, with the zone always `UTC`.
pub fn format_daytime(secs: u64) -> String {
    let days = secs / 86_400;
    let in_day = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[((days + 4) % 7) as usize];
    format!(
        "{weekday}, {} {day}, {year} {:02}:{:02}:{:02}-UTC",
        MONTHS[(month - 1) as usize],
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60,
    )
}

/// The proleptic Gregorian date (year, month 1-12, day 1-31) `days` after
/// 1970-01-01 (Howard Hinnant's `civil_from_days`, for days on or after
/// the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Days since 0000-03-01, counted in 400-year eras of 146,097 days.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    // Months from March, so that February's leap day comes last.
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
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
        // Every day for 1,000 years agrees with humantime's calendar.
        for days in (0..365_250u64).step_by(37) {
            let secs = days * 86_400 + 3_723;
            let rfc = humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
            )
            .to_string();
            let (y, m, d) = civil_from_days(days);
            assert_eq!(&rfc[..10], format!("{y:04}-{m:02}-{d:02}"), "{secs}");
        }
    }
}
