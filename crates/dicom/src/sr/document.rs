//! Document-level attributes: identity, dates, status flags, supersession, title,
//! observers (TID 1001) and whether the document is a TID 1500 Measurement Report.

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use super::codes::{self, describe};
use super::tree::{code_in, first_item, integer, items, string, ContentItem};
use super::{Observer, ObserverType, SrDocument};

/// Fills the attributes every SR has (whatever its class or template).
pub(crate) fn read_header(root: &InMemDicomObject, doc: &mut SrDocument) {
    let s = |tag: Tag| string(root, tag);
    doc.study_instance_uid = s(tags::STUDY_INSTANCE_UID);
    doc.series_instance_uid = s(tags::SERIES_INSTANCE_UID);
    doc.patient_id = s(tags::PATIENT_ID);
    doc.patient_name = s(tags::PATIENT_NAME);
    doc.patient_birth_date = s(tags::PATIENT_BIRTH_DATE);
    doc.patient_sex = s(tags::PATIENT_SEX);
    doc.accession_number = s(tags::ACCESSION_NUMBER);
    doc.study_id = s(tags::STUDY_ID);
    doc.study_description = s(tags::STUDY_DESCRIPTION);
    doc.referring_physician_name = s(tags::REFERRING_PHYSICIAN_NAME);
    doc.clinical_trial_subject_id = s(tags::CLINICAL_TRIAL_SUBJECT_ID);
    doc.clinical_trial_time_point_id = s(tags::CLINICAL_TRIAL_TIME_POINT_ID);
    doc.study_date = s(tags::STUDY_DATE);
    doc.study_time = s(tags::STUDY_TIME);
    doc.content_date = s(tags::CONTENT_DATE);
    doc.content_time = s(tags::CONTENT_TIME);
    doc.instance_creation_date = s(tags::INSTANCE_CREATION_DATE);
    doc.instance_creation_time = s(tags::INSTANCE_CREATION_TIME);
    doc.series_number = integer(root, tags::SERIES_NUMBER);
    doc.instance_number = integer(root, tags::INSTANCE_NUMBER);
    doc.completion_flag = s(tags::COMPLETION_FLAG).map(|f| f.to_ascii_uppercase());
    doc.verification_flag = s(tags::VERIFICATION_FLAG).map(|f| f.to_ascii_uppercase());
    doc.preliminary_flag = s(tags::PRELIMINARY_FLAG).map(|f| f.to_ascii_uppercase());
    doc.predecessor_sop_instance_uids =
        referenced_instances(root, tags::PREDECESSOR_DOCUMENTS_SEQUENCE);
    doc.identical_sop_instance_uids =
        referenced_instances(root, tags::IDENTICAL_DOCUMENTS_SEQUENCE);
    doc.title = code_in(root, tags::CONCEPT_NAME_CODE_SEQUENCE);
    doc.template = root_template(root).map(|(id, _)| id);
    doc.observers = observers(root);
}

/// SOP instances named in a hierarchical reference sequence: study items → Referenced
/// Series Sequence → Referenced SOP Sequence → Referenced SOP Instance UID (dicom-rs.md
/// §2.2).
fn referenced_instances(root: &InMemDicomObject, sequence: Tag) -> Vec<String> {
    items(root, sequence)
        .iter()
        .flat_map(|study| items(study, tags::REFERENCED_SERIES_SEQUENCE))
        .flat_map(|series| items(series, tags::REFERENCED_SOP_SEQUENCE))
        .filter_map(|sop| string(sop, tags::REFERENCED_SOP_INSTANCE_UID))
        .collect()
}

/// The root Content Template Sequence: (Template Identifier, Mapping Resource).
fn root_template(root: &InMemDicomObject) -> Option<(String, Option<String>)> {
    let template = first_item(root, tags::CONTENT_TEMPLATE_SEQUENCE)?;
    Some((
        string(template, tags::TEMPLATE_IDENTIFIER)?,
        string(template, tags::MAPPING_RESOURCE),
    ))
}

/// `Ok(())` when the document is a TID 1500 Measurement Report, else why not.
///
/// Recognised by the root concept (126000, DCM) or by Content Template Sequence "1500"
/// (the template sequence is optional, so neither alone is required). A template "1500"
/// without a Mapping Resource is taken as DCMR: no other mapping resource is in use
/// for that number.
pub(crate) fn check_tid1500(root: &InMemDicomObject, doc: &SrDocument) -> Result<(), String> {
    match string(root, tags::VALUE_TYPE) {
        Some(vt) if vt.eq_ignore_ascii_case("CONTAINER") => {}
        Some(vt) => return Err(format!("root content item is {vt}, not a CONTAINER")),
        None => return Err("root content item has no Value Type".to_string()),
    }
    let title_ok = codes::named(doc.title.as_ref(), codes::IMAGING_MEASUREMENT_REPORT);
    let template_ok = root_template(root).is_some_and(|(id, resource)| {
        id == "1500" && resource.as_deref().unwrap_or("DCMR") == "DCMR"
    });
    if title_ok || template_ok {
        return Ok(());
    }
    Err(match &doc.title {
        Some(title) => format!(
            "root concept {} is not 126000 Imaging Measurement Report and no TID 1500 template",
            describe(title)
        ),
        None => "root concept name is absent and no TID 1500 template".to_string(),
    })
}

/// Observers from the root's observation context (TID 1001).
///
/// Items come in order: an Observer Type starts an observer, the name / UID items that
/// follow belong to it. A name without a preceding Observer Type is a person (TID 1001's
/// default; dcmjs writes only the name). A Device Observer without a name is named by
/// its UID.
fn observers(root: &InMemDicomObject) -> Vec<Observer> {
    let mut observers: Vec<Observer> = Vec::new();
    let root_item = ContentItem::new(root);
    for item in root_item.children() {
        if item.by_reference || item.relationship != "HAS OBS CONTEXT" {
            continue;
        }
        if item.named(codes::OBSERVER_TYPE) {
            let kind = match item.code() {
                Some(c) if codes::matches(&c, codes::OBSERVER_PERSON) => ObserverType::Person,
                Some(c) if codes::matches(&c, codes::OBSERVER_DEVICE) => ObserverType::Device,
                _ => continue,
            };
            observers.push(Observer {
                kind,
                name: None,
                device_uid: None,
            });
        } else if item.named(codes::PERSON_OBSERVER_NAME) {
            if let Some(name) = item.name_text() {
                current(&mut observers, ObserverType::Person, |o| o.name.is_none()).name =
                    Some(name);
            }
        } else if item.named(codes::DEVICE_OBSERVER_UID) {
            if let Some(uid) = item.uid() {
                current(&mut observers, ObserverType::Device, |o| {
                    o.device_uid.is_none()
                })
                .device_uid = Some(uid);
            }
        } else if item.named(codes::DEVICE_OBSERVER_NAME) {
            if let Some(name) = item.text() {
                current(&mut observers, ObserverType::Device, |o| o.name.is_none()).name =
                    Some(name);
            }
        }
    }
    for observer in &mut observers {
        if observer.kind == ObserverType::Device && observer.name.is_none() {
            observer.name.clone_from(&observer.device_uid);
        }
    }
    observers
}

/// The observer the next attribute belongs to: the last one if it has this kind and the
/// slot is still free, else a new observer of this kind.
fn current(
    observers: &mut Vec<Observer>,
    kind: ObserverType,
    slot_free: impl Fn(&Observer) -> bool,
) -> &mut Observer {
    let reuse = observers
        .last()
        .is_some_and(|last| last.kind == kind && slot_free(last));
    if !reuse {
        observers.push(Observer {
            kind,
            name: None,
            device_uid: None,
        });
    }
    let last = observers.len() - 1;
    &mut observers[last]
}

#[cfg(test)]
mod tests {
    use dicom_core::{DataElement, VR};

    use super::*;
    use crate::sr::test_support::{code_row, item, seq, text};

    fn observer_type(kind: (&str, &str, &str)) -> InMemDicomObject {
        code_row(
            "HAS OBS CONTEXT",
            ("121005", "DCM", "Observer Type"),
            kind,
            vec![],
        )
    }

    fn root(children: Vec<InMemDicomObject>) -> InMemDicomObject {
        item(
            "",
            "CONTAINER",
            Some(("126000", "DCM", "Imaging Measurement Report")),
            vec![],
            children,
        )
    }

    #[test]
    fn observers_follow_their_observer_type() {
        let person = ("121006", "DCM", "Person");
        let device = ("121007", "DCM", "Device");
        let uid = |value: &str| {
            item(
                "HAS OBS CONTEXT",
                "UIDREF",
                Some(("121012", "DCM", "Device Observer UID")),
                vec![DataElement::new(tags::UID, VR::UI, value)],
                vec![],
            )
        };
        let tree = root(vec![
            // A name without an Observer Type (dcmjs) is a person.
            text(("121008", "DCM", "Person Observer Name"), "unknown^unknown"),
            observer_type(device),
            uid("1.2.3"),
            text(("121013", "DCM", "Device Observer Name"), "LesionAI"),
            observer_type(person),
            text(("121008", "DCM", "Person Observer Name"), "Foo"),
            observer_type(device),
            uid("4.5.6"),
        ]);
        let found = observers(&tree);
        let summary: Vec<(ObserverType, Option<&str>, Option<&str>)> = found
            .iter()
            .map(|o| (o.kind.clone(), o.name.as_deref(), o.device_uid.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                (ObserverType::Person, Some("unknown^unknown"), None),
                (ObserverType::Device, Some("LesionAI"), Some("1.2.3")),
                (ObserverType::Person, Some("Foo"), None),
                // No Device Observer Name: named by its UID.
                (ObserverType::Device, Some("4.5.6"), Some("4.5.6")),
            ]
        );
    }

    #[test]
    fn tid1500_is_recognised_by_title_or_template() {
        let mut doc = SrDocument::default();
        let by_title = root(vec![]);
        doc.title = code_in(&by_title, tags::CONCEPT_NAME_CODE_SEQUENCE);
        assert_eq!(check_tid1500(&by_title, &doc), Ok(()));

        // Another CID 7021 title, but Content Template Sequence says TID 1500.
        let mut by_template = item(
            "",
            "CONTAINER",
            Some(("18748-4", "LN", "Diagnostic imaging report")),
            vec![],
            vec![],
        );
        let template = InMemDicomObject::from_element_iter([
            DataElement::new(tags::MAPPING_RESOURCE, VR::CS, "DCMR"),
            DataElement::new(tags::TEMPLATE_IDENTIFIER, VR::CS, "1500"),
        ]);
        by_template.put(seq(tags::CONTENT_TEMPLATE_SEQUENCE, vec![template]));
        doc.title = code_in(&by_template, tags::CONCEPT_NAME_CODE_SEQUENCE);
        assert_eq!(check_tid1500(&by_template, &doc), Ok(()));

        let other = item(
            "",
            "CONTAINER",
            Some(("1111", "TEST", "Diagnosis")),
            vec![],
            vec![],
        );
        doc.title = code_in(&other, tags::CONCEPT_NAME_CODE_SEQUENCE);
        assert_eq!(
            check_tid1500(&other, &doc),
            Err(
                "root concept (1111, TEST, Diagnosis) is not 126000 Imaging Measurement \
                 Report and no TID 1500 template"
                    .to_string()
            )
        );
    }
}
