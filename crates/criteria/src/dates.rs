//! Calendar dates as day numbers, so timepoints can be given by `date` or by `day`.

/// Parses `YYYY-MM-DD` (proleptic Gregorian) into days since 1970-01-01.
/// Rejects impossible dates such as 2025-02-30.
pub fn parse_iso_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = &text[range];
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (the era-based algorithm: 400-year cycles of
/// 146 097 days, years starting in March so the leap day is last).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Formats days since 1970-01-01 as `YYYY-MM-DD` (the inverse of [`parse_iso_date`]).
pub fn format_iso_date(days: i64) -> String {
    // The inverse of `days_from_civil`: eras of 400 years, years starting in March.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn formats_day_numbers_back_to_dates() -> TestResult {
        // Day numbers of `known_day_numbers`, and 2024-02-29 + 1 day = 2024-03-01.
        assert_eq!(format_iso_date(0), "1970-01-01");
        assert_eq!(format_iso_date(11_017), "2000-03-01");
        let leap = parse_iso_date("2024-02-29").ok_or("2024-02-29 should parse")?;
        assert_eq!(format_iso_date(leap + 1), "2024-03-01");
        assert_eq!(format_iso_date(leap - 59), "2024-01-01");
        Ok(())
    }

    #[test]
    fn known_day_numbers() -> TestResult {
        // Unix epoch, a leap day, and a span across a leap year counted by hand:
        // 2024-01-01 → 2024-03-01 is 31 (Jan) + 29 (Feb) = 60 days.
        assert_eq!(parse_iso_date("1970-01-01"), Some(0));
        assert_eq!(parse_iso_date("2000-03-01"), Some(11_017));
        let jan = parse_iso_date("2024-01-01").ok_or("2024-01-01 should parse")?;
        let mar = parse_iso_date("2024-03-01").ok_or("2024-03-01 should parse")?;
        assert_eq!(mar - jan, 60);
        assert!(parse_iso_date("2024-02-29").is_some());
        Ok(())
    }

    #[test]
    fn rejects_non_dates() {
        for bad in [
            "2023-02-29",
            "2025-13-01",
            "2025-04-31",
            "2025-4-1",
            "20250401",
            "2025-04-0x",
            "",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }
}
