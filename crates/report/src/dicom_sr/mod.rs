//! The assessment as DICOM SR: per subject, reader and timepoint, one Comprehensive SR
//! holding a TID 1500 Measurement Report, placed in the study it assesses:
//!
//! - the lesions measured at that timepoint (TID 1501 groups): Tracking Identifier and
//!   Tracking UID carried over from the source SRs, the TID 1502 time point, Finding
//!   Site as coded in the source, Long axis / Short axis in mm, the measured image as
//!   Source of Measurement, and the lesion's category (CID 6145 target / non-target at
//!   baseline; CDISC "NEW" for a new lesion);
//! - Qualitative Evaluations: the response per criterion (Current Response, modified by
//!   the Response Evaluation Method: the criterion, CID 6147 where DICOM codes it, else
//!   CDISC's code), the best overall response at the criterion's last timepoint, and
//!   whether adjudication accepted this read (see [`codes`] for every code's source);
//! - the patient and study attributes the timeline's timepoint `source` carries (copied by
//!   `extract` from the source SR), and the source SRs and images as Current Requested
//!   Procedure Evidence.
//!
//! UIDs are deterministic ([`hashed_uid`]): the series from the identity (subject, reader,
//! study), the instance from the identity and the encoded content, so writing the same
//! assessment again gives the same instances. Files: `dicom-sr/<subject>/<reader>/
//! <timepoint>.dcm` (names made safe by [`names::safe_name`]), plus `dicom-sr/index.csv`
//! listing every timepoint, written or not and why.

mod codes;
mod names;

use std::path::PathBuf;

use dicom_dictionary_std::tags;
use oncoread_criteria::assessment::{Assessment, SubjectAssessment};
use oncoread_criteria::timeline::{Lesion, ScanStatus, Source, Subject, Timeline, Timepoint};
use oncoread_dicom::sr_write::{
    self, hashed_uid, tag, ContentItem, DataSet, Evidence, Implementation, InstanceReference,
    Relationship, Value, COMPREHENSIVE_SR_STORAGE,
};
use oncoread_dicom::write::Vr;

use crate::csv::Table;
use crate::{ReportError, ReportOptions};

pub use names::safe_name;

/// The folder under the output folder that holds the SRs (what a STOW-RS sink sends).
pub const FOLDER: &str = "dicom-sr";

/// Identifies oncoread in the file meta and as the device observer.
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.213296915046180812373466584453744893461";
const IMPLEMENTATION_VERSION_NAME: &str = "ONCOREAD_0";

/// One SR file: its path under the output folder and its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct SrFile {
    pub relative_path: PathBuf,
    pub bytes: Vec<u8>,
}

/// The SRs and `dicom-sr/index.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SrOutput {
    pub files: Vec<SrFile>,
    pub index_csv: String,
}

pub fn render(
    assessment: &Assessment,
    timeline: &Timeline,
    options: &ReportOptions,
) -> Result<SrOutput, ReportError> {
    let mut files = Vec::new();
    let mut index = Table::new(&[
        "subject_id",
        "reader",
        "timepoint_id",
        "study_instance_uid",
        "sop_instance_uid",
        "file",
        "written",
        "reason",
    ]);
    for subject in &timeline.subjects {
        let assessed = assessment
            .subjects
            .iter()
            .find(|s| s.subject_id == subject.subject_id && s.reader == subject.reader);
        for (position, timepoint) in subject.timepoints.iter().enumerate() {
            let label = timepoint_label(timepoint, position);
            let reader = subject.reader.as_deref().unwrap_or("");
            let mut row = |study: &str, sop: &str, file: &str, reason: &str| {
                let written = if reason.is_empty() { "yes" } else { "no" };
                index.record([
                    subject.subject_id.as_str(),
                    reader,
                    label.as_str(),
                    study,
                    sop,
                    file,
                    written,
                    reason,
                ]);
            };
            let input = match SrInput::new(subject, assessed, timepoint, label.clone()) {
                Ok(input) => input,
                Err(reason) => {
                    row("", "", "", &reason);
                    continue;
                }
            };
            let (sop_instance_uid, bytes) = encode(&input, assessment, options)?;
            let relative_path = PathBuf::from(FOLDER)
                .join(safe_name(&subject.subject_id))
                .join(safe_name(
                    subject.reader.as_deref().unwrap_or("reader-unknown"),
                ))
                .join(format!("{}.dcm", safe_name(&label)));
            row(
                &input.study_uid,
                &sop_instance_uid,
                &relative_path.to_string_lossy(),
                "",
            );
            files.push(SrFile {
                relative_path,
                bytes,
            });
        }
    }
    Ok(SrOutput {
        files,
        index_csv: index.out,
    })
}

/// The timepoint's name: its id, else its date, else its position.
fn timepoint_label(timepoint: &Timepoint, position: usize) -> String {
    timepoint
        .timepoint_id
        .clone()
        .or_else(|| timepoint.date.clone())
        .unwrap_or_else(|| format!("timepoint-{}", position + 1))
}

fn text<'a>(source: Option<&'a Source>, key: &str) -> Option<&'a str> {
    source?.get(key)?.as_str().filter(|s| !s.is_empty())
}

/// What one SR is made of.
struct SrInput<'a> {
    subject: &'a Subject,
    assessed: Option<&'a SubjectAssessment>,
    timepoint: &'a Timepoint,
    label: String,
    study_uid: String,
    /// DICOM date (YYYYMMDD) of the study.
    study_date: String,
    is_baseline: bool,
}

impl<'a> SrInput<'a> {
    fn new(
        subject: &'a Subject,
        assessed: Option<&'a SubjectAssessment>,
        timepoint: &'a Timepoint,
        label: String,
    ) -> Result<Self, String> {
        if timepoint.scan == ScanStatus::Missing {
            return Err("scan missing: no study to place an SR in".into());
        }
        let study_uid = text(timepoint.source.as_ref(), "study_instance_uid")
            .or_else(|| {
                timepoint
                    .lesions
                    .iter()
                    .find_map(|l| text(l.source.as_ref(), "study_instance_uid"))
            })
            .ok_or("no study: neither the timepoint's nor a lesion's source has study_instance_uid (a timeline not extracted from DICOM)")?
            .to_string();
        let study_date = text(timepoint.source.as_ref(), "study_date")
            .map(str::to_string)
            .or_else(|| timepoint.date.as_ref().map(|d| d.replace('-', "")))
            .ok_or("no study date: the timepoint has neither a source study_date nor a date")?;
        let is_baseline = match assessed {
            Some(a) => a.assessments.iter().any(|c| {
                c.timepoints.first().map(|row| row.timepoint_id.as_str()) == Some(label.as_str())
            }),
            None => timepoint.baseline == Some(true),
        };
        Ok(SrInput {
            subject,
            assessed,
            timepoint,
            label,
            study_uid,
            study_date,
            is_baseline,
        })
    }

    fn source(&self, key: &str) -> Option<&'a str> {
        text(self.timepoint.source.as_ref(), key)
    }

    fn reader_name(&self) -> &str {
        self.subject.reader.as_deref().unwrap_or("")
    }
}

fn rel_contains() -> Relationship {
    Relationship::Contains
}

/// A lesion's Tracking UID: the source's, else one derived from its identity.
fn lesion_tracking_uid(input: &SrInput<'_>, lesion: &Lesion) -> String {
    text(lesion.source.as_ref(), "tracking_uid")
        .map(str::to_string)
        .unwrap_or_else(|| {
            hashed_uid(&[
                b"oncoread tracking",
                input.subject.subject_id.as_bytes(),
                input.reader_name().as_bytes(),
                lesion.lesion_id.as_bytes(),
            ])
        })
}

/// The measured image of a lesion, when the source names it with its class and series.
fn measured_image(lesion: &Lesion) -> Option<(String, String, InstanceReference)> {
    let source = lesion.source.as_ref();
    Some((
        text(source, "referenced_study_instance_uid")?.to_string(),
        text(source, "referenced_series_instance_uid")?.to_string(),
        InstanceReference {
            sop_class_uid: text(source, "referenced_sop_class_uid")?.to_string(),
            sop_instance_uid: text(source, "referenced_sop_instance_uid")?.to_string(),
        },
    ))
}

/// The source SR of a lesion, when its source names it with its class and series.
fn source_report(lesion: &Lesion) -> Option<(String, String, InstanceReference)> {
    let source = lesion.source.as_ref();
    Some((
        text(source, "study_instance_uid")?.to_string(),
        text(source, "series_instance_uid")?.to_string(),
        InstanceReference {
            sop_class_uid: text(source, "sop_class_uid")?.to_string(),
            sop_instance_uid: text(source, "sop_instance_uid")?.to_string(),
        },
    ))
}

fn measurement_group(input: &SrInput<'_>, lesion: &Lesion) -> ContentItem {
    let mut group =
        ContentItem::container(rel_contains(), codes::measurement_group(), Some("1501"))
            .with_child(ContentItem::new(
                Relationship::HasObsContext,
                codes::tracking_identifier(),
                Value::Text(
                    lesion
                        .label
                        .clone()
                        .unwrap_or_else(|| lesion.lesion_id.clone()),
                ),
            ))
            .with_child(ContentItem::new(
                Relationship::HasObsContext,
                codes::tracking_uid(),
                Value::UidRef(lesion_tracking_uid(input, lesion)),
            ))
            .with_child(ContentItem::new(
                Relationship::HasObsContext,
                codes::time_point(),
                Value::Text(input.label.clone()),
            ))
            .with_child(ContentItem::new(
                Relationship::HasObsContext,
                codes::time_point_type(),
                Value::Code(if input.is_baseline {
                    codes::baseline()
                } else {
                    codes::posttreatment()
                }),
            ))
            .with_child(ContentItem::new(
                rel_contains(),
                codes::finding(),
                Value::Code(codes::tumor()),
            ));
    let source = lesion.source.as_ref();
    if let (Some(value), Some(scheme), Some(meaning)) = (
        text(source, "finding_site_code"),
        text(source, "finding_site_scheme"),
        text(source, "finding_site_meaning"),
    ) {
        group = group.with_child(ContentItem::new(
            Relationship::HasConceptMod,
            codes::finding_site(),
            Value::Code(sr_write::code(value, scheme, meaning)),
        ));
    }
    for (concept, value) in [
        (codes::long_axis(), lesion.long_axis_mm),
        (codes::short_axis(), lesion.short_axis_mm),
    ] {
        if let Some(mm) = value {
            group = group.with_child(ContentItem::new(
                rel_contains(),
                concept,
                Value::Num {
                    value: mm,
                    unit: codes::millimetre(),
                },
            ));
        }
    }
    if let Some((_, _, image)) = measured_image(lesion) {
        group = group.with_child(ContentItem::new(
            rel_contains(),
            codes::source_of_measurement(),
            Value::Image(image),
        ));
    }
    // The category as a second Finding: the shape of the highdicom-written fixtures (112075).
    group.with_child(ContentItem::new(
        rel_contains(),
        codes::finding(),
        Value::Code(codes::lesion_category(lesion.role)),
    ))
}

/// The responses at this timepoint, one per criterion that scored it; at a criterion's
/// last timepoint also its best overall response (known only once the read is complete,
/// so it sits where the read ends rather than changing every earlier SR); and, when
/// adjudication decided between reads, whether this read is the accepted one.
fn qualitative_evaluations(input: &SrInput<'_>) -> Option<ContentItem> {
    let assessed = input.assessed?;
    let mut container =
        ContentItem::container(rel_contains(), codes::qualitative_evaluations(), None);
    for criterion in &assessed.assessments {
        let Some(row) = criterion
            .timepoints
            .iter()
            .find(|row| row.timepoint_id == input.label)
        else {
            continue;
        };
        let by_criterion = || {
            ContentItem::new(
                Relationship::HasConceptMod,
                codes::response_evaluation_method(),
                Value::Code(codes::criterion(criterion.criterion)),
            )
        };
        container = container.with_child(
            ContentItem::new(
                rel_contains(),
                codes::current_response(),
                Value::Code(codes::response(row.overall)),
            )
            .with_child(by_criterion()),
        );
        let is_last =
            criterion.timepoints.last().map(|last| &last.timepoint_id) == Some(&row.timepoint_id);
        if is_last {
            container = container.with_child(
                ContentItem::new(
                    rel_contains(),
                    codes::best_overall_response(),
                    Value::Code(codes::response(criterion.best_overall_response)),
                )
                .with_child(by_criterion()),
            );
        }
    }
    if let Some(accepted) = assessed.accepted {
        container = container.with_child(ContentItem::new(
            rel_contains(),
            codes::accepted_read(),
            Value::Code(codes::yes_no(accepted)),
        ));
    }
    (!container.children.is_empty()).then_some(container)
}

fn content_tree(input: &SrInput<'_>, images: &[InstanceReference]) -> ContentItem {
    let mut root = ContentItem::container(rel_contains(), codes::report_title(), Some("1500"))
        .with_child(ContentItem::new(
            Relationship::HasConceptMod,
            codes::language(),
            Value::Code(codes::english_us()),
        ));
    if let Some(reader) = input.subject.reader.as_deref() {
        root = root
            .with_child(ContentItem::new(
                Relationship::HasObsContext,
                codes::observer_type(),
                Value::Code(codes::person()),
            ))
            .with_child(ContentItem::new(
                Relationship::HasObsContext,
                codes::person_observer_name(),
                Value::PersonName(reader.to_string()),
            ));
    }
    root = root
        .with_child(ContentItem::new(
            Relationship::HasObsContext,
            codes::observer_type(),
            Value::Code(codes::device()),
        ))
        .with_child(ContentItem::new(
            Relationship::HasObsContext,
            codes::device_observer_uid(),
            Value::UidRef(IMPLEMENTATION_CLASS_UID.into()),
        ))
        .with_child(ContentItem::new(
            Relationship::HasObsContext,
            codes::device_observer_name(),
            Value::Text("oncoread".into()),
        ))
        .with_child(ContentItem::new(
            Relationship::HasConceptMod,
            codes::procedure_reported(),
            Value::Code(codes::imaging_procedure()),
        ));
    let mut group = ContentItem::container(rel_contains(), codes::image_library_group(), None);
    for image in images {
        group = group.with_child(ContentItem::image(rel_contains(), image.clone()));
    }
    let mut library = ContentItem::container(rel_contains(), codes::image_library(), None);
    if !group.children.is_empty() {
        library = library.with_child(group);
    }
    root = root.with_child(library);
    let mut measurements =
        ContentItem::container(rel_contains(), codes::imaging_measurements(), None);
    for lesion in &input.timepoint.lesions {
        measurements = measurements.with_child(measurement_group(input, lesion));
    }
    root = root.with_child(measurements);
    if let Some(evaluations) = qualitative_evaluations(input) {
        root = root.with_child(evaluations);
    }
    root
}

/// The SR of one timepoint: its SOP Instance UID and Part 10 bytes.
fn encode(
    input: &SrInput<'_>,
    assessment: &Assessment,
    options: &ReportOptions,
) -> Result<(String, Vec<u8>), ReportError> {
    let mut evidence = Evidence::default();
    let mut images = Vec::new();
    for lesion in &input.timepoint.lesions {
        if let Some((study, series, report)) = source_report(lesion) {
            evidence.add(&study, &series, report);
        }
        if let Some((study, series, image)) = measured_image(lesion) {
            evidence.add(&study, &series, image.clone());
            if !images.contains(&image) {
                images.push(image);
            }
        }
    }
    images.sort();
    let root = content_tree(input, &images);

    let identity: [&[u8]; 4] = [
        input.subject.subject_id.as_bytes(),
        input.reader_name().as_bytes(),
        input.study_uid.as_bytes(),
        input.label.as_bytes(),
    ];
    let series_uid =
        hashed_uid(&[&[b"oncoread assessment series".as_slice()], &identity[..3]].concat());
    let content = sr_write::content_bytes(&root).map_err(ReportError::Dicom)?;
    let instance_uid = hashed_uid(
        &[
            &[b"oncoread assessment instance".as_slice()],
            &identity[..],
            &[content.as_slice()],
        ]
        .concat(),
    );

    let (content_date, content_time) =
        match options.generated_at.as_deref().and_then(dicom_date_time) {
            Some(when) => when,
            None => (
                input.study_date.clone(),
                input.source("study_time").unwrap_or("000000").to_string(),
            ),
        };
    let mut header = DataSet::new();
    header
        .text(tag(tags::SOP_CLASS_UID), Vr::UI, COMPREHENSIVE_SR_STORAGE)
        .text(tag(tags::SOP_INSTANCE_UID), Vr::UI, instance_uid.as_str())
        .text(tag(tags::STUDY_DATE), Vr::DA, input.study_date.as_str())
        .text(tag(tags::CONTENT_DATE), Vr::DA, content_date)
        .text(
            tag(tags::STUDY_TIME),
            Vr::TM,
            input.source("study_time").unwrap_or(""),
        )
        .text(tag(tags::CONTENT_TIME), Vr::TM, content_time)
        .text(
            tag(tags::ACCESSION_NUMBER),
            Vr::SH,
            input.source("accession_number").unwrap_or(""),
        )
        .text(tag(tags::MODALITY), Vr::CS, "SR")
        .text(tag(tags::MANUFACTURER), Vr::LO, "oncoread")
        .text(
            tag(tags::REFERRING_PHYSICIAN_NAME),
            Vr::PN,
            input.source("referring_physician_name").unwrap_or(""),
        )
        .optional_text(
            tag(tags::STUDY_DESCRIPTION),
            Vr::LO,
            input.source("study_description"),
        )
        .text(
            tag(tags::SERIES_DESCRIPTION),
            Vr::LO,
            series_description(input),
        )
        .text(tag(tags::MANUFACTURER_MODEL_NAME), Vr::LO, "oncoread")
        .sequence(
            tag(tags::REFERENCED_PERFORMED_PROCEDURE_STEP_SEQUENCE),
            Vec::new(),
        )
        .text(
            tag(tags::PATIENT_NAME),
            Vr::PN,
            input.source("patient_name").unwrap_or(""),
        )
        .text(
            tag(tags::PATIENT_ID),
            Vr::LO,
            input
                .source("patient_id")
                .unwrap_or(&input.subject.subject_id),
        )
        .text(
            tag(tags::PATIENT_BIRTH_DATE),
            Vr::DA,
            input.source("patient_birth_date").unwrap_or(""),
        )
        .text(
            tag(tags::PATIENT_SEX),
            Vr::CS,
            input.source("patient_sex").unwrap_or(""),
        )
        .text(
            tag(tags::SOFTWARE_VERSIONS),
            Vr::LO,
            assessment.generator.version.as_str(),
        )
        .text(
            tag(tags::STUDY_INSTANCE_UID),
            Vr::UI,
            input.study_uid.as_str(),
        )
        .text(tag(tags::SERIES_INSTANCE_UID), Vr::UI, series_uid)
        .text(
            tag(tags::STUDY_ID),
            Vr::SH,
            input.source("dicom_study_id").unwrap_or(""),
        )
        .text(tag(tags::SERIES_NUMBER), Vr::IS, "990")
        .text(tag(tags::INSTANCE_NUMBER), Vr::IS, "1");
    if let Some((date, time)) = options.generated_at.as_deref().and_then(dicom_date_time) {
        header
            .text(tag(tags::INSTANCE_CREATION_DATE), Vr::DA, date)
            .text(tag(tags::INSTANCE_CREATION_TIME), Vr::TM, time);
    }
    let document = sr_write::document(header, &root, &evidence);
    let implementation = Implementation {
        class_uid: IMPLEMENTATION_CLASS_UID,
        version_name: IMPLEMENTATION_VERSION_NAME,
    };
    let bytes = sr_write::part10(document, implementation).map_err(ReportError::Dicom)?;
    Ok((instance_uid, bytes))
}

/// "oncoread assessment" and the reader, within the 64 characters of LO.
fn series_description(input: &SrInput<'_>) -> String {
    let mut description = String::from("oncoread assessment");
    if let Some(reader) = input.subject.reader.as_deref() {
        description.push_str(" (reader ");
        description.push_str(&reader.replace('^', " "));
        description.push(')');
    }
    description.chars().take(64).collect()
}

/// `2026-11-27T20:00:00Z` → (`20261127`, `200000`).
fn dicom_date_time(iso: &str) -> Option<(String, String)> {
    let (date, time) = iso.split_once('T')?;
    let date: String = date.chars().filter(char::is_ascii_digit).collect();
    let time: String = time
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ':')
        .filter(char::is_ascii_digit)
        .collect();
    (date.len() == 8 && time.len() >= 4).then_some((date, time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// One read by a reader with a non-ASCII name: a baseline with its study (a lesion
    /// without tracking UID or measured image), a missed scan, and a timepoint whose
    /// source names no study.
    fn example() -> Result<(Assessment, Timeline), serde_json::Error> {
        let timeline: Timeline = serde_json::from_value(json!({
            "schema": "oncoread.timeline/1",
            "subjects": [{
                "subject_id": "S/1",
                "reader": "Müller^Jürgen",
                "timepoints": [
                    {"timepoint_id": "BL", "date": "2024-01-10",
                     "source": {"study_instance_uid": "2.25.100", "study_time": "101500",
                                "patient_id": "P1", "patient_name": "Doe^Ann"},
                     "lesions": [{"lesion_id": "L1", "label": "T1", "role": "target",
                                  "long_axis_mm": 20.5}]},
                    {"timepoint_id": "W8", "date": "2024-03-06", "scan": "missing"},
                    {"timepoint_id": "W16", "date": "2024-05-01",
                     "lesions": [{"lesion_id": "L1", "label": "T1", "role": "target",
                                  "long_axis_mm": 10.0}]}
                ]
            }]
        }))?;
        let row = |id: &str, day: i64, overall: &str| {
            json!({"timepoint_id": id, "day": day, "overall": overall, "target": null,
                   "non_target": null, "new_lesions": null, "target_sum_mm": null,
                   "change_from_baseline_pct": null, "nadir": null,
                   "change_from_nadir_pct": null, "confirmed": null, "rules": []})
        };
        let assessment: Assessment = serde_json::from_value(json!({
            "schema": "oncoread.assessment/1",
            "generator": {"name": "oncoread", "version": "9.9.9"},
            "config": {},
            "subjects": [{
                "subject_id": "S/1",
                "reader": "Müller^Jürgen",
                "assessments": [{
                    "criterion": "recist1.1",
                    "timepoints": [row("BL", 0, "BL"), row("W16", 112, "PR")],
                    "best_overall_response": "PR",
                    "confirmed_best_overall_response": "SD",
                    "progression": null
                }]
            }]
        }))?;
        Ok((assessment, timeline))
    }

    #[test]
    fn timepoints_without_a_study_are_listed_not_dropped() -> TestResult {
        let (assessment, timeline) = example()?;
        let output = render(&assessment, &timeline, &ReportOptions::default())?;
        assert_eq!(output.files.len(), 1);
        let rows: Vec<&str> = output.index_csv.split("\r\n").collect();
        assert!(
            rows[1].starts_with("S/1,Müller^Jürgen,BL,2.25.100,2.25."),
            "{}",
            rows[1]
        );
        assert!(rows[1].ends_with(",yes,"), "{}", rows[1]);
        assert_eq!(
            rows[2],
            "S/1,Müller^Jürgen,W8,,,,no,scan missing: no study to place an SR in"
        );
        assert!(
            rows[3].starts_with("S/1,Müller^Jürgen,W16,,,,no,no study:"),
            "{}",
            rows[3]
        );
        // Names made safe: "/" and the non-ASCII reader name are replaced and hashed.
        let path = output.files[0].relative_path.to_string_lossy().into_owned();
        assert!(path.starts_with("dicom-sr/S_1-"), "{path}");
        assert!(path.ends_with("/BL.dcm"), "{path}");
        assert!(!path.contains('ü'), "{path}");
        Ok(())
    }

    #[test]
    fn a_non_ascii_reader_gives_utf8_and_a_lesion_without_uid_gets_a_stable_one() -> TestResult {
        let (assessment, timeline) = example()?;
        let first = render(&assessment, &timeline, &ReportOptions::default())?;
        let again = render(&assessment, &timeline, &ReportOptions::default())?;
        assert_eq!(first, again);
        let bytes = &first.files[0].bytes;
        assert!(bytes.windows(10).any(|w| w == b"ISO_IR 192"));
        let dir = std::env::temp_dir().join(format!("oncoread-dicom-sr-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("BL.dcm");
        std::fs::write(&path, bytes)?;
        let read = oncoread_dicom::sr::read_sr(&path)?;
        std::fs::remove_dir_all(&dir)?;
        assert!(read.is_tid1500);
        assert_eq!(read.study_instance_uid.as_deref(), Some("2.25.100"));
        assert_eq!(read.patient_id.as_deref(), Some("P1"));
        assert_eq!(read.patient_name.as_deref(), Some("Doe^Ann"));
        // No generated time: Content Date/Time are the study's.
        assert_eq!(read.content_date.as_deref(), Some("20240110"));
        assert_eq!(read.content_time.as_deref(), Some("101500"));
        assert_eq!(read.observers[0].name.as_deref(), Some("Müller^Jürgen"));
        let group = &read.groups[0];
        assert_eq!(group.tracking_identifier.as_deref(), Some("T1"));
        let uid = group
            .tracking_uid
            .as_deref()
            .ok_or("the lesion group has no tracking UID")?;
        assert!(uid.starts_with("2.25.") && uid.len() <= 64, "{uid}");
        assert_eq!(group.measurements[0].value_si_mm, Some(20.5));
        Ok(())
    }

    #[test]
    fn the_run_time_becomes_dicom_date_and_time() {
        assert_eq!(
            dicom_date_time("2026-11-27T20:05:09Z"),
            Some(("20261127".into(), "200509".into()))
        );
        assert_eq!(dicom_date_time("yesterday"), None);
    }
}
