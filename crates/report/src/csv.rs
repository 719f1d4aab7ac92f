//! The CSV tables (RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold
//! a comma, a quote or a line break, quotes doubled; UTF-8 with a header row). Rows follow
//! the assessment's order (subjects, then criteria, then timepoints), which is itself
//! deterministic.

use oncoread_criteria::assessment::Assessment;
use oncoread_criteria::timeline::{Source, Timeline};

use crate::subjects::{all_problems, timepoint_day, timepoint_label, TimelineIndex};
use crate::text::{enum_name, optional_number, rules_line};
use crate::{ReportError, ReportOptions};

/// A CSV document under construction (also the SDTM tables' writer).
pub(crate) struct Table {
    pub(crate) out: String,
}

impl Table {
    pub(crate) fn new(header: &[&str]) -> Self {
        let mut table = Table { out: String::new() };
        table.record(header.iter().copied());
        table
    }

    pub(crate) fn record<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) {
        for (i, field) in fields.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_field(&mut self.out, field);
        }
        self.out.push_str("\r\n");
    }
}

fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

/// One row per subject × reader × criterion × timepoint.
pub fn timepoints(assessment: &Assessment) -> Result<String, ReportError> {
    let mut table = Table::new(&[
        "subject_id",
        "reader",
        "criterion",
        "timepoint_id",
        "day",
        "date",
        "overall",
        "target",
        "non_target",
        "new_lesions",
        "target_sum_mm",
        "burden_mm2",
        "change_from_baseline_pct",
        "nadir_mm",
        "change_from_nadir_pct",
        "confirmed",
        "rules",
        "accepted",
    ]);
    for subject in &assessment.subjects {
        for assessed in &subject.assessments {
            for row in &assessed.timepoints {
                let day = row.day.to_string();
                let new_lesions = row.new_lesions.as_ref().map(enum_name).unwrap_or_default();
                let numbers = [
                    optional_number(row.target_sum_mm),
                    optional_number(row.burden_mm2),
                    optional_number(row.change_from_baseline_pct),
                    optional_number(row.nadir),
                    optional_number(row.change_from_nadir_pct),
                ];
                let rules = rules_line(&row.rules);
                table.record([
                    subject.subject_id.as_str(),
                    subject.reader.as_deref().unwrap_or(""),
                    assessed.criterion.name(),
                    &row.timepoint_id,
                    &day,
                    row.date.as_deref().unwrap_or(""),
                    row.overall.as_str(),
                    row.target.map(|r| r.as_str()).unwrap_or(""),
                    row.non_target.map(|r| r.as_str()).unwrap_or(""),
                    &new_lesions,
                    &numbers[0],
                    &numbers[1],
                    &numbers[2],
                    &numbers[3],
                    &numbers[4],
                    row.confirmed.map(yes_no).unwrap_or(""),
                    &rules,
                    subject.accepted.map(yes_no).unwrap_or(""),
                ]);
            }
        }
    }
    Ok(table.out)
}

/// One row per subject × reader × criterion; the subject's flags repeat on each.
pub fn subjects(assessment: &Assessment) -> Result<String, ReportError> {
    let mut table = Table::new(&[
        "subject_id",
        "reader",
        "criterion",
        "best_overall_response",
        "confirmed_best_overall_response",
        "progression_timepoint_id",
        "progression_day",
        "progression_date",
        "flags",
        "problems",
        "accepted",
    ]);
    for subject in &assessment.subjects {
        let flags = subject
            .flags
            .iter()
            .map(|f| format!("{}: {}", f.kind, f.message))
            .collect::<Vec<_>>()
            .join(" | ");
        let problems = subject.problems.len().to_string();
        for assessed in &subject.assessments {
            let progression = assessed.progression.as_ref();
            let day = progression.map(|p| p.day.to_string()).unwrap_or_default();
            table.record([
                subject.subject_id.as_str(),
                subject.reader.as_deref().unwrap_or(""),
                assessed.criterion.name(),
                assessed.best_overall_response.as_str(),
                assessed.confirmed_best_overall_response.as_str(),
                progression.map(|p| p.timepoint_id.as_str()).unwrap_or(""),
                &day,
                progression.and_then(|p| p.date.as_deref()).unwrap_or(""),
                &flags,
                &problems,
                subject.accepted.map(yes_no).unwrap_or(""),
            ]);
        }
    }
    Ok(table.out)
}

/// The source keys given their own column (what `extract` records for each lesion); any
/// other key lands in `source_other` as `key=value | ...`, so nothing is lost.
const SOURCE_COLUMNS: [&str; 5] = [
    "sop_instance_uid",
    "study_instance_uid",
    "series_instance_uid",
    "referenced_sop_instance_uid",
    "tracking_uid",
];

fn source_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn source_other(source: &Source) -> String {
    source
        .iter()
        .filter(|(key, _)| !SOURCE_COLUMNS.contains(&key.as_str()))
        .map(|(key, value)| format!("{key}={}", source_text(value)))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// One row per lesion observation of the timeline, for the subjects of the assessment
/// (in its order), timepoints and lesions in the timeline's order.
pub fn lesions(timeline: &Timeline, assessment: &Assessment) -> Result<String, ReportError> {
    let mut header = vec![
        "subject_id",
        "reader",
        "timepoint_id",
        "day",
        "date",
        "lesion_id",
        "label",
        "role",
        "organ",
        "nodal",
        "long_axis_mm",
        "short_axis_mm",
        "status",
        "change_since_last",
    ];
    header.extend(SOURCE_COLUMNS);
    header.push("source_other");
    let mut table = Table::new(&header);
    let index = TimelineIndex::new(Some(timeline));
    for assessed in &assessment.subjects {
        let Some(subject) = index.subject(assessed) else {
            continue;
        };
        for (position, timepoint) in subject.timepoints.iter().enumerate() {
            let label = timepoint_label(timepoint, position);
            let day = timepoint_day(timepoint, &label, assessed)
                .map(|d| d.to_string())
                .unwrap_or_default();
            for lesion in &timepoint.lesions {
                let status = lesion.status.as_ref().map(enum_name).unwrap_or_default();
                let change = lesion
                    .change_since_last
                    .as_ref()
                    .map(enum_name)
                    .unwrap_or_default();
                let long = optional_number(lesion.long_axis_mm);
                let short = optional_number(lesion.short_axis_mm);
                let source = lesion.source.as_ref();
                let uids: Vec<String> = SOURCE_COLUMNS
                    .iter()
                    .map(|key| {
                        source
                            .and_then(|s| s.get(*key))
                            .map(source_text)
                            .unwrap_or_default()
                    })
                    .collect();
                let other = source.map(source_other).unwrap_or_default();
                let mut fields: Vec<&str> = vec![
                    &subject.subject_id,
                    subject.reader.as_deref().unwrap_or(""),
                    &label,
                    &day,
                    timepoint.date.as_deref().unwrap_or(""),
                    &lesion.lesion_id,
                    lesion.label.as_deref().unwrap_or(""),
                    lesion.role.as_str(),
                    lesion.organ.as_deref().unwrap_or(""),
                    yes_no(lesion.nodal),
                    &long,
                    &short,
                    &status,
                    &change,
                ];
                fields.extend(uids.iter().map(String::as_str));
                fields.push(&other);
                table.record(fields);
            }
        }
    }
    Ok(table.out)
}

/// Every problem listed in the report: the caller's, the timeline's, each subject's.
pub fn problems(
    assessment: &Assessment,
    timeline: Option<&Timeline>,
    options: &ReportOptions,
) -> Result<String, ReportError> {
    let mut table = Table::new(&[
        "origin",
        "subject_id",
        "reader",
        "kind",
        "message",
        "path",
        "sop_instance_uid",
        "other",
    ]);
    for listed in all_problems(assessment, timeline, options) {
        let problem = listed.problem;
        let other = if problem.extra.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&problem.extra)?
        };
        table.record([
            listed.origin,
            listed.subject_id.unwrap_or(""),
            listed.reader.unwrap_or(""),
            &problem.kind,
            &problem.message,
            problem.path.as_deref().unwrap_or(""),
            problem.sop_instance_uid.as_deref().unwrap_or(""),
            &other,
        ]);
    }
    Ok(table.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut table = Table::new(&["a", "b"]);
        table.record(["plain", "with, comma"]);
        table.record(["say \"hi\"", "two\nlines"]);
        assert_eq!(
            table.out,
            "a,b\r\nplain,\"with, comma\"\r\n\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn unknown_source_keys_are_kept() {
        let mut source = Source::new();
        source.insert("sop_instance_uid".into(), "1.2.3".into());
        source.insert("path".into(), "a/b.dcm".into());
        source.insert("identity_match".into(), "tracking_uid".into());
        assert_eq!(
            source_other(&source),
            "identity_match=tracking_uid | path=a/b.dcm"
        );
    }
}
