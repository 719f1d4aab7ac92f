//! Plain-text spellings shared by the CSV and HTML writers: numbers, enums, labels.

use oncoread_criteria::assessment::{Rule, SubjectAssessment};
use serde::Serialize;

/// A measurement or percentage as the assessment JSON spells it (`38.0`, `53.1`, `-30.1`).
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

pub fn optional_number(value: Option<f64>) -> String {
    value.map(number).unwrap_or_default()
}

/// The schema's string for a unit-like enum (`too_small`, `non_target`, ...).
pub fn enum_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// The rules of a timepoint row on one line: `name: detail | name: detail`.
pub fn rules_line(rules: &[Rule]) -> String {
    let mut line = String::new();
    for (i, rule) in rules.iter().enumerate() {
        if i > 0 {
            line.push_str(" | ");
        }
        line.push_str(&rule.rule);
        line.push_str(": ");
        line.push_str(&rule.detail);
    }
    line
}

/// `SUBJ-001` or, for a double read, `SUBJ-001 (R2)`.
pub fn subject_label(subject: &SubjectAssessment) -> String {
    match &subject.reader {
        Some(reader) => format!("{} ({reader})", subject.subject_id),
        None => subject.subject_id.clone(),
    }
}

/// A percentage for display, with its sign (`+20.0 %`, `−30.1 %`).
pub fn percent(value: f64) -> String {
    if value > 0.0 {
        format!("+{value:.1} %")
    } else if value < 0.0 {
        format!("\u{2212}{:.1} %", -value)
    } else {
        "0.0 %".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncoread_criteria::timeline::LesionStatus;

    #[test]
    fn numbers_keep_one_decimal_when_whole() {
        assert_eq!(number(38.0), "38.0");
        assert_eq!(number(53.1), "53.1");
        assert_eq!(number(-30.1), "-30.1");
        assert_eq!(number(0.25), "0.25");
    }

    #[test]
    fn enums_use_the_schema_names() {
        assert_eq!(enum_name(&LesionStatus::TooSmall), "too_small");
    }

    #[test]
    fn percentages_show_their_sign() {
        assert_eq!(percent(20.0), "+20.0 %");
        assert_eq!(percent(-30.1), "\u{2212}30.1 %");
        assert_eq!(percent(0.0), "0.0 %");
    }
}
