//! The study list of a PACS that caps its C-FIND answers (Orthanc's `LimitFindResults`,
//! most PACS have one): the StudyDate range is asked for whole, and when the answer comes
//! back cropped, each half of the range is asked for, halving again where still cropped,
//! down to single days. A single day with more studies than the cap is an error naming the
//! day (nothing is silently left out).
//!
//! Limitation: a study without a StudyDate matches no date range, so on a capped PACS it
//! is only listed when the whole range fits under the cap.

use super::find::FindAnswers;
use super::DimseError;

/// The widest range asked for when an end is open.
const FIRST_DAY: i64 = -25567; // 1900-01-01
const LAST_DAY: i64 = 2932896; // 9999-12-31

/// Every study identifier in `study_dates` (a DICOM date range, `None`: all), asking
/// `query` with a StudyDate matching key (`""` for no constraint) as often as the cap
/// requires. `peer` names the PACS in errors.
pub fn studies_by_date<T>(
    study_dates: Option<&str>,
    peer: &str,
    mut query: impl FnMut(&str) -> Result<FindAnswers, DimseError>,
    mut keep: impl FnMut(FindAnswers) -> Vec<T>,
) -> Result<Vec<T>, DimseError> {
    let whole = query(study_dates.unwrap_or(""))?;
    if whole.complete {
        return Ok(keep(whole));
    }
    let cap = whole.answers.len();
    let (first, last) = match study_dates {
        None => (FIRST_DAY, LAST_DAY),
        Some(range) => parse_range(range).ok_or_else(|| {
            DimseError::Config(format!("study_dates {range:?}: not a DICOM date range"))
        })?,
    };
    let mut found = Vec::new();
    let mut cropped = vec![(first, last)];
    while let Some((from, to)) = cropped.pop() {
        if from == to {
            return Err(DimseError::Refused {
                peer: peer.to_string(),
                operation: "C-FIND",
                reason: format!(
                    "more than {cap} studies dated {}: the PACS caps C-FIND answers at {cap}; \
                     raise its limit",
                    format_day(from)
                ),
            });
        }
        let middle = from + (to - from) / 2;
        for (start, end) in [(from, middle), (middle + 1, to)] {
            let answers = query(&format!("{}-{}", format_day(start), format_day(end)))?;
            if answers.complete {
                found.extend(keep(answers));
            } else {
                cropped.push((start, end));
            }
        }
    }
    Ok(found)
}

/// `YYYYMMDD-YYYYMMDD`, `YYYYMMDD-`, `-YYYYMMDD` or `YYYYMMDD` as inclusive day numbers.
fn parse_range(range: &str) -> Option<(i64, i64)> {
    match range.split_once('-') {
        Some((from, to)) => {
            let from = if from.is_empty() {
                FIRST_DAY
            } else {
                parse_day(from)?
            };
            let to = if to.is_empty() {
                LAST_DAY
            } else {
                parse_day(to)?
            };
            (from <= to).then_some((from, to))
        }
        None => parse_day(range).map(|day| (day, day)),
    }
}

/// A DICOM date (DA, `YYYYMMDD`) as days since 1970-01-01, if it is a calendar date.
fn parse_day(text: &str) -> Option<i64> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i64 = text[..4].parse().ok()?;
    let month: i64 = text[4..6].parse().ok()?;
    let day: i64 = text[6..].parse().ok()?;
    let number = days_from_civil(year, month, day);
    // 20150231 would land on 3 March: only dates that print back as given are dates.
    (format_day(number) == text).then_some(number)
}

fn format_day(number: i64) -> String {
    let (year, month, day) = civil_from_days(number);
    format!("{year:04}{month:02}{day:02}")
}

/// Days since 1970-01-01 of a proleptic Gregorian date, counting years from March so
/// that the leap day ends the year (the usual era-of-400-years arithmetic).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(number: i64) -> (i64, i64, i64) {
    let shifted = number + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dimse::find::{identifier, text, STUDY_DATE};
    use dicom_object::InMemDicomObject;

    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    #[test]
    fn day_numbers_of_known_dates() -> TestResult {
        // 1970-01-01 is day 0; 2000-01-01 is day 10957 (30 years, 7 leap days:
        // 30 × 365 + 7); 2000-03-01 adds 31 + 29 days; 1900-01-01 is 70 × 365 + 17 days
        // before 1970 (1900 is not a leap year).
        assert_eq!(parse_day("19700101"), Some(0));
        assert_eq!(parse_day("20000101"), Some(10_957));
        assert_eq!(parse_day("20000301"), Some(11_017));
        assert_eq!(parse_day("19000101"), Some(FIRST_DAY));
        assert_eq!(FIRST_DAY, -(70 * 365 + 17));
        assert_eq!(format_day(LAST_DAY), "99991231");
        assert_eq!(parse_day("20150231"), None);
        assert_eq!(parse_day("2015011"), None);
        assert_eq!(parse_range("20150301-20150501"), Some((16_495, 16_556)));
        assert_eq!(parse_range("-19700101"), Some((FIRST_DAY, 0)));
        assert_eq!(parse_range("20150501-20150301"), None);
        Ok(())
    }

    /// A PACS holding studies on these days, answering at most `cap` per C-FIND (FE00H
    /// after the cap, as Orthanc does).
    fn capped_pacs<'a>(
        days: &'a [&'a str],
        cap: usize,
    ) -> TestResult<impl FnMut(&str) -> Result<FindAnswers, DimseError> + 'a> {
        let held: Vec<(i64, &str)> = days
            .iter()
            .map(|d| {
                parse_day(d)
                    .map(|day| (day, *d))
                    .ok_or(format!("{d:?} is no DA"))
            })
            .collect::<Result<_, _>>()?;
        Ok(move |range: &str| {
            let (from, to) = if range.is_empty() {
                (FIRST_DAY, LAST_DAY)
            } else {
                parse_range(range).ok_or_else(|| {
                    DimseError::Protocol(format!("the query's date range {range:?} is no DA range"))
                })?
            };
            let matching: Vec<InMemDicomObject> = held
                .iter()
                .filter(|(day, _)| (from..=to).contains(day))
                .map(|(_, d)| identifier("STUDY", &[(STUDY_DATE, dicom_core::VR::DA, d)]))
                .collect();
            let complete = matching.len() <= cap;
            Ok(FindAnswers {
                answers: matching.into_iter().take(cap).collect(),
                complete,
            })
        })
    }

    fn dates(found: FindAnswers) -> Vec<String> {
        found
            .answers
            .iter()
            .filter_map(|a| text(a, STUDY_DATE))
            .collect()
    }

    #[test]
    fn a_capped_list_is_asked_for_by_halves_until_every_study_is_listed() -> TestResult {
        let days = [
            "20150105", "20150302", "20150427", "20150622", "20150622", "19991231",
        ];
        let mut asked = 0;
        let mut pacs = capped_pacs(&days, 2)?;
        let mut found = studies_by_date(
            None,
            "PACS@h:1",
            |range| {
                asked += 1;
                pacs(range)
            },
            dates,
        )?;
        found.sort();
        let mut expected: Vec<String> = days.iter().map(|d| d.to_string()).collect();
        expected.sort();
        assert_eq!(found, expected);
        assert!(asked > 1);

        // Under the cap: one query.
        let mut asked = 0;
        let mut pacs = capped_pacs(&days, 10)?;
        let found = studies_by_date(
            Some("20150101-20150430"),
            "PACS@h:1",
            |range| {
                asked += 1;
                pacs(range)
            },
            dates,
        )?;
        assert_eq!(found, ["20150105", "20150302", "20150427"]);
        assert_eq!(asked, 1);
        Ok(())
    }

    #[test]
    fn more_studies_on_one_day_than_the_cap_is_an_error_naming_the_day() -> TestResult {
        let days = ["20150622", "20150622", "20150622"];
        let error = studies_by_date(
            Some("20150601-20150630"),
            "PACS@h:1",
            capped_pacs(&days, 2)?,
            dates,
        )
        .err()
        .ok_or("a day with more studies than the PACS returns should be rejected")?
        .to_string();
        assert!(
            error.contains("more than 2 studies dated 20150622"),
            "{error}"
        );
        Ok(())
    }
}
