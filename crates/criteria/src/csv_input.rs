//! CSV input for `assess`: one row per lesion observation, as a spreadsheet exports it
//! (header row, empty cells for missing values, optional UTF-8 BOM, CRLF or LF, quoted
//! cells per RFC 4180). Rows with the same subject, reader and timepoint form one
//! timepoint; a row without `lesion_id` describes a timepoint with no lesion (for
//! example a missed visit with `scan` = `missing`).
//!
//! The columns are the timeline's field names (see README): unknown columns are an error
//! naming the column, so a typo never silently drops data.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::InputError;
use crate::timeline::{
    Clinical, Context, Lesion, ScanStatus, Subject, Timeline, Timepoint, TIMELINE_SCHEMA,
};

/// Every column the reader understands, grouped by the object they fill.
const SUBJECT_COLUMNS: &[&str] = &[
    "subject_id",
    "reader",
    "disease",
    "therapy_start_day",
    "therapy_start_date",
    "immunotherapy_start_day",
    "immunotherapy_start_date",
    "radiotherapy_end_day",
    "radiotherapy_end_date",
];
const TIMEPOINT_COLUMNS: &[&str] = &[
    "timepoint_id",
    "date",
    "day",
    "baseline",
    "scan",
    "unscheduled",
    "symptomatic",
    "clinical_status",
    "steroid_dose_mg",
    "t2flair",
    "new_neurological_deficit",
    "liver_sul_mean",
    "liver_sul_sd",
];
const LESION_COLUMNS: &[&str] = &[
    "lesion_id",
    "label",
    "role",
    "organ",
    "nodal",
    "long_axis_mm",
    "short_axis_mm",
    "status",
    "change_since_last",
    "fragments_mm",
    "coalesced_into",
    "slice_thickness_mm",
    "outside_rt_field",
    "mean_hu",
    "sul_peak",
    "volume_mm3",
    "viable_long_axis_mm",
    "new_intratumoral_nodule",
];

/// Splits CSV text into records of cells (RFC 4180: `"` quotes, `""` escapes).
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut in_quotes = false;
    let mut line = 1usize;
    let mut record_line = 1usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    cell.push(c);
                }
                _ => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.trim().is_empty() => {
                cell.clear();
                in_quotes = true;
            }
            ',' => record.push(std::mem::take(&mut cell)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut cell));
                out.push((record_line, std::mem::take(&mut record)));
                line += 1;
                record_line = line;
            }
            _ => cell.push(c),
        }
    }
    if in_quotes {
        return Err(InputError::document(
            &format!("line {record_line}"),
            "a quoted cell is not closed",
        ));
    }
    if !cell.is_empty() || !record.is_empty() {
        record.push(cell);
        out.push((record_line, record));
    }
    // Blank lines (a spreadsheet's trailing empty rows) carry nothing.
    out.retain(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    Ok(out)
}

struct Row<'a> {
    line: usize,
    header: &'a [String],
    cells: &'a [String],
}

impl Row<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        let index = self.header.iter().position(|h| h == column)?;
        self.cells
            .get(index)
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
    }

    fn error(&self, column: &str, message: String) -> InputError {
        InputError::document(&format!("line {}, column {column}", self.line), &message)
    }

    fn text(&self, column: &str) -> Option<String> {
        self.get(column).map(str::to_string)
    }

    fn number(&self, column: &str) -> Result<Option<f64>, InputError> {
        match self.get(column) {
            None => Ok(None),
            Some(cell) => cell
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Some)
                .ok_or_else(|| self.error(column, format!("\"{cell}\" is not a number"))),
        }
    }

    fn integer(&self, column: &str) -> Result<Option<i64>, InputError> {
        match self.get(column) {
            None => Ok(None),
            Some(cell) => cell
                .parse::<i64>()
                .map(Some)
                .map_err(|_| self.error(column, format!("\"{cell}\" is not a whole number"))),
        }
    }

    fn boolean(&self, column: &str) -> Result<Option<bool>, InputError> {
        match self.get(column) {
            None => Ok(None),
            Some(cell) => match cell.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => Ok(Some(true)),
                "false" | "no" | "n" | "0" => Ok(Some(false)),
                _ => Err(self.error(column, format!("\"{cell}\" is not true/false"))),
            },
        }
    }

    /// An enum cell, spelled as in the timeline schema (e.g. `non_target`).
    fn choice<T: DeserializeOwned>(&self, column: &str) -> Result<Option<T>, InputError> {
        match self.get(column) {
            None => Ok(None),
            Some(cell) => serde_json::from_value(Value::String(cell.to_string()))
                .map(Some)
                .map_err(|e| self.error(column, e.to_string())),
        }
    }

    fn number_list(&self, column: &str) -> Result<Option<Vec<f64>>, InputError> {
        let Some(cell) = self.get(column) else {
            return Ok(None);
        };
        let mut values = Vec::new();
        for part in cell
            .split([';', '|'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            values.push(
                part.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        self.error(
                            column,
                            format!("\"{part}\" is not a number (separate values with ';')"),
                        )
                    })?,
            );
        }
        Ok(Some(values))
    }
}

/// Parses the CSV form of a timeline.
pub fn parse_timeline_csv(text: &str) -> Result<Timeline, InputError> {
    let mut all = records(text)?;
    if all.is_empty() {
        return Err(InputError::document("line 1", "the CSV has no header row"));
    }
    let (_, header_cells) = all.remove(0);
    let header: Vec<String> = header_cells
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for (index, name) in header.iter().enumerate() {
        let known = SUBJECT_COLUMNS
            .iter()
            .chain(TIMEPOINT_COLUMNS)
            .chain(LESION_COLUMNS)
            .any(|c| c == name);
        if !known {
            return Err(InputError::document(
                &format!("line 1, column {}", index + 1),
                &format!("unknown column \"{name}\""),
            ));
        }
        if header[..index].contains(name) {
            return Err(InputError::document(
                &format!("line 1, column {}", index + 1),
                &format!("column \"{name}\" appears twice"),
            ));
        }
    }
    if !header.iter().any(|h| h == "subject_id") {
        return Err(InputError::document(
            "line 1",
            "the required column \"subject_id\" is missing",
        ));
    }

    let mut subjects: Vec<Subject> = Vec::new();
    // Which timepoint each (subject, timepoint key) went to, and the row that defined it.
    let mut timepoint_rows: Vec<Vec<(String, usize)>> = Vec::new();
    for (line, cells) in &all {
        let row = Row {
            line: *line,
            header: &header,
            cells,
        };
        if cells.len() > header.len() {
            return Err(row.error(
                "(extra)",
                format!("{} cells but {} header columns", cells.len(), header.len()),
            ));
        }
        let subject_id = row
            .text("subject_id")
            .ok_or_else(|| row.error("subject_id", "is empty".into()))?;
        let reader = row.text("reader");
        let context = read_context(&row)?;
        let subject_index = match subjects
            .iter()
            .position(|s| s.subject_id == subject_id && s.reader == reader)
        {
            Some(i) => {
                if context.is_some()
                    && subjects[i].context.is_some()
                    && subjects[i].context != context
                {
                    return Err(row.error(
                        "context",
                        format!("subject {subject_id}: context columns differ from an earlier row"),
                    ));
                }
                if subjects[i].context.is_none() {
                    subjects[i].context = context;
                }
                i
            }
            None => {
                subjects.push(Subject {
                    subject_id: subject_id.clone(),
                    reader: reader.clone(),
                    context,
                    timepoints: Vec::new(),
                });
                timepoint_rows.push(Vec::new());
                subjects.len() - 1
            }
        };
        let timepoint = read_timepoint(&row)?;
        let key = row
            .text("timepoint_id")
            .or_else(|| row.text("date"))
            .or_else(|| row.text("day"))
            .ok_or_else(|| {
                row.error(
                    "timepoint_id",
                    "a row needs timepoint_id, date or day".into(),
                )
            })?;
        let subject = &mut subjects[subject_index];
        let known = &mut timepoint_rows[subject_index];
        let tp_index = match known.iter().find(|(k, _)| *k == key) {
            Some((_, i)) => {
                let existing = &mut subject.timepoints[*i];
                merge_timepoint(&row, existing, &timepoint)?;
                *i
            }
            None => {
                subject.timepoints.push(timepoint);
                known.push((key, subject.timepoints.len() - 1));
                subject.timepoints.len() - 1
            }
        };
        if let Some(lesion) = read_lesion(&row)? {
            subject.timepoints[tp_index].lesions.push(lesion);
        }
    }
    Ok(Timeline {
        schema: TIMELINE_SCHEMA.to_string(),
        subjects,
        problems: Vec::new(),
    })
}

fn read_context(row: &Row) -> Result<Option<Context>, InputError> {
    let context = Context {
        disease: row.choice("disease")?,
        therapy_start_day: row.integer("therapy_start_day")?,
        therapy_start_date: row.text("therapy_start_date"),
        immunotherapy_start_day: row.integer("immunotherapy_start_day")?,
        immunotherapy_start_date: row.text("immunotherapy_start_date"),
        radiotherapy_end_day: row.integer("radiotherapy_end_day")?,
        radiotherapy_end_date: row.text("radiotherapy_end_date"),
    };
    Ok((context != Context::default()).then_some(context))
}

fn read_timepoint(row: &Row) -> Result<Timepoint, InputError> {
    let clinical = Clinical {
        clinical_status: row.choice("clinical_status")?,
        steroid_dose_mg: row.number("steroid_dose_mg")?,
        t2flair: row.choice("t2flair")?,
        new_neurological_deficit: row.boolean("new_neurological_deficit")?,
    };
    Ok(Timepoint {
        timepoint_id: row.text("timepoint_id"),
        date: row.text("date"),
        day: row.integer("day")?,
        baseline: row.boolean("baseline")?,
        scan: row.choice("scan")?.unwrap_or_default(),
        unscheduled: row.boolean("unscheduled")?.unwrap_or(false),
        symptomatic: row.boolean("symptomatic")?.unwrap_or(false),
        clinical: (clinical != Clinical::default()).then_some(clinical),
        lesions: Vec::new(),
        source: None,
        liver_sul_mean: row.number("liver_sul_mean")?,
        liver_sul_sd: row.number("liver_sul_sd")?,
    })
}

/// A later row of the same timepoint may repeat its fields or leave them empty, but may
/// not contradict them.
fn merge_timepoint(row: &Row, existing: &mut Timepoint, new: &Timepoint) -> Result<(), InputError> {
    macro_rules! merge_option {
        ($field:ident) => {
            match (&existing.$field, &new.$field) {
                (Some(a), Some(b)) if a != b => {
                    return Err(row.error(
                        stringify!($field),
                        format!("differs from an earlier row of the same timepoint"),
                    ))
                }
                (None, Some(b)) => existing.$field = Some(b.clone()),
                _ => {}
            }
        };
    }
    merge_option!(timepoint_id);
    merge_option!(date);
    merge_option!(day);
    merge_option!(baseline);
    merge_option!(clinical);
    merge_option!(liver_sul_mean);
    merge_option!(liver_sul_sd);
    // Flags: set by any row of the timepoint.
    if new.scan == ScanStatus::Missing {
        existing.scan = ScanStatus::Missing;
    }
    existing.unscheduled |= new.unscheduled;
    existing.symptomatic |= new.symptomatic;
    Ok(())
}

fn read_lesion(row: &Row) -> Result<Option<Lesion>, InputError> {
    let Some(lesion_id) = row.text("lesion_id") else {
        let stray = LESION_COLUMNS.iter().find(|c| row.get(c).is_some());
        if let Some(column) = stray {
            return Err(row.error(column, "a lesion value without lesion_id".into()));
        }
        return Ok(None);
    };
    let role = row.choice("role")?.ok_or_else(|| {
        row.error(
            "role",
            format!("lesion {lesion_id} has no role (target, non_target or new)"),
        )
    })?;
    Ok(Some(Lesion {
        lesion_id,
        label: row.text("label"),
        role,
        organ: row.text("organ"),
        nodal: row.boolean("nodal")?.unwrap_or(false),
        long_axis_mm: row.number("long_axis_mm")?,
        short_axis_mm: row.number("short_axis_mm")?,
        status: row.choice("status")?,
        change_since_last: row.choice("change_since_last")?,
        fragments_mm: row.number_list("fragments_mm")?,
        coalesced_into: row.text("coalesced_into"),
        slice_thickness_mm: row.number("slice_thickness_mm")?,
        outside_rt_field: row.boolean("outside_rt_field")?,
        mean_hu: row.number("mean_hu")?,
        sul_peak: row.number("sul_peak")?,
        volume_mm3: row.number("volume_mm3")?,
        source: None,
        viable_long_axis_mm: row.number("viable_long_axis_mm")?,
        new_intratumoral_nodule: row.boolean("new_intratumoral_nodule")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::{LesionStatus, Role};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn spreadsheet_export_with_bom_crlf_quotes_and_empty_cells() -> TestResult {
        let text = "\u{feff}Subject_ID,timepoint_id,day,lesion_id,role,organ,nodal,long_axis_mm,short_axis_mm,status\r\n\
                    S1,BL,0,L1,target,\"liver, segment 4\",,33.0,,\r\n\
                    S1,BL,0,N1,target,lymph node,yes,,17,\r\n\
                    S1,W8,56,L1,target,,,23.1,,\r\n\
                    S1,W8,56,N1,target,,yes,,,too_small\r\n\
                    S1,W16,112,,,,,,,\r\n\
                    \r\n";
        let timeline = parse_timeline_csv(text)?;
        assert_eq!(timeline.subjects.len(), 1);
        let tps = &timeline.subjects[0].timepoints;
        assert_eq!(tps.len(), 3);
        assert_eq!(tps[0].lesions[0].organ.as_deref(), Some("liver, segment 4"));
        assert_eq!(tps[0].lesions[1].short_axis_mm, Some(17.0));
        assert!(tps[0].lesions[1].nodal);
        assert_eq!(tps[1].day, Some(56));
        assert_eq!(tps[1].lesions[1].status, Some(LesionStatus::TooSmall));
        assert_eq!(tps[1].lesions[0].role, Role::Target);
        assert!(tps[2].lesions.is_empty());
        assert_eq!(tps[2].scan, ScanStatus::Done);
        Ok(())
    }

    #[test]
    fn unknown_column_and_bad_cells_are_named() -> TestResult {
        let err = parse_timeline_csv("subject_id,day,diameter\nS1,0,3\n")
            .err()
            .ok_or("an unknown column should be rejected")?;
        assert!(
            err.to_string().contains("unknown column \"diameter\""),
            "{err}"
        );
        let err =
            parse_timeline_csv("subject_id,day,lesion_id,role,long_axis_mm\nS1,0,L1,target,abc\n")
                .err()
                .ok_or("a non-numeric long axis should be rejected")?;
        assert!(
            err.to_string().contains("line 2, column long_axis_mm"),
            "{err}"
        );
        let err = parse_timeline_csv("subject_id,day,lesion_id,role\nS1,0,L1,tumour\n")
            .err()
            .ok_or("an unknown role should be rejected")?;
        assert!(err.to_string().contains("column role"), "{err}");
        let err = parse_timeline_csv("subject_id,day,lesion_id\nS1,0,\"L1\n")
            .err()
            .ok_or("an unclosed quote should be rejected")?;
        assert!(err.to_string().contains("not closed"), "{err}");
        Ok(())
    }

    #[test]
    fn fragments_and_missing_scan() -> TestResult {
        let text = "subject_id,day,scan,lesion_id,role,long_axis_mm,fragments_mm\n\
                    S1,0,,L1,target,30,\n\
                    S1,42,,L1,target,,12;9.5\n\
                    S1,84,missing,,,,\n";
        let timeline = parse_timeline_csv(text)?;
        let tps = &timeline.subjects[0].timepoints;
        assert_eq!(tps[1].lesions[0].fragments_mm, Some(vec![12.0, 9.5]));
        assert_eq!(tps[2].scan, ScanStatus::Missing);
        Ok(())
    }
}
