//! A small TID 1500 document written with the builder, then read back with the SR reader
//! of this crate (which parses with dicom-object, not with the writer's code).

use super::*;
use crate::sr::read_sr;

/// What a test or a test helper gives back: a failure is the error `?` met.
type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn report_tree() -> ContentItem {
    let group = ContentItem::container(
        Relationship::Contains,
        code("125007", "DCM", "Measurement Group"),
        Some("1501"),
    )
    .with_child(ContentItem::new(
        Relationship::HasObsContext,
        code("112039", "DCM", "Tracking Identifier"),
        Value::Text("T1".into()),
    ))
    .with_child(ContentItem::new(
        Relationship::HasObsContext,
        code("112040", "DCM", "Tracking Unique Identifier"),
        Value::UidRef("2.25.42".into()),
    ))
    .with_child(ContentItem::new(
        Relationship::Contains,
        code("103339001", "SCT", "Long axis"),
        Value::Num {
            value: 35.2,
            unit: code("mm", "UCUM", "millimeter"),
        },
    ));
    ContentItem::container(
        Relationship::Contains,
        code("126000", "DCM", "Imaging Measurement Report"),
        Some("1500"),
    )
    .with_child(ContentItem::new(
        Relationship::HasObsContext,
        code("121008", "DCM", "Person Observer Name"),
        Value::PersonName("Müller^Jürgen".into()),
    ))
    .with_child(
        ContentItem::container(
            Relationship::Contains,
            code("126010", "DCM", "Imaging Measurements"),
            None,
        )
        .with_child(group),
    )
}

fn header() -> DataSet {
    let mut header = DataSet::new();
    header
        .text(tag(tags::SOP_CLASS_UID), Vr::UI, COMPREHENSIVE_SR_STORAGE)
        .text(tag(tags::SOP_INSTANCE_UID), Vr::UI, "2.25.7")
        .text(tag(tags::STUDY_INSTANCE_UID), Vr::UI, "2.25.8")
        .text(tag(tags::MODALITY), Vr::CS, "SR");
    header
}

#[test]
fn a_written_report_reads_back_as_tid1500_with_its_values() -> TestResult {
    let mut evidence = Evidence::default();
    evidence.add(
        "2.25.8",
        "2.25.9",
        InstanceReference {
            sop_class_uid: "1.2.840.10008.5.1.4.1.1.2".into(),
            sop_instance_uid: "2.25.10".into(),
        },
    );
    let doc = document(header(), &report_tree(), &evidence);
    let implementation = Implementation {
        class_uid: "2.25.1",
        version_name: "TEST",
    };
    let bytes = part10(doc, implementation)?;
    let dir = std::env::temp_dir().join(format!("oncoread-sr-write-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("report.dcm");
    std::fs::write(&path, &bytes)?;
    let read = read_sr(&path)?;
    std::fs::remove_dir_all(&dir)?;

    assert!(read.is_tid1500, "{:?}", read.not_tid1500_reason);
    assert_eq!(read.sop_class_uid, COMPREHENSIVE_SR_STORAGE);
    assert_eq!(read.completion_flag.as_deref(), Some("COMPLETE"));
    assert_eq!(read.verification_flag.as_deref(), Some("UNVERIFIED"));
    assert_eq!(read.observers[0].name.as_deref(), Some("Müller^Jürgen"));
    let group = &read.groups[0];
    assert_eq!(group.tracking_identifier.as_deref(), Some("T1"));
    assert_eq!(group.tracking_uid.as_deref(), Some("2.25.42"));
    assert_eq!(group.measurements[0].value_si_mm, Some(35.2));
    // Non-ASCII names: the character set is UTF-8. Its element follows the meta group and
    // the 128-byte preamble: find "ISO_IR 192" in the bytes.
    assert!(bytes.windows(10).any(|w| w == b"ISO_IR 192"));
    Ok(())
}

#[test]
fn an_ascii_document_declares_no_character_set() -> TestResult {
    let mut tree = report_tree();
    tree.children.remove(0);
    let doc = document(header(), &tree, &Evidence::default());
    let implementation = Implementation {
        class_uid: "2.25.1",
        version_name: "TEST",
    };
    let bytes = part10(doc, implementation)?;
    // (0008,0005) little endian: 08 00 05 00.
    assert!(!bytes.windows(4).any(|w| w == b"\x08\x00\x05\x00"));
    Ok(())
}

#[test]
fn code_values_past_16_characters_go_to_long_code_value() {
    let item = code_item(&code("12345678901234567", "99X", "long"));
    assert!(item.get(tag(tags::CODE_VALUE)).is_none());
    assert_eq!(
        item.get(tag(tags::LONG_CODE_VALUE)),
        Some(&Element::Text(Vr::UC, "12345678901234567".into()))
    );
}

#[test]
fn a_document_without_uids_is_an_error() {
    let doc = document(DataSet::new(), &report_tree(), &Evidence::default());
    let implementation = Implementation {
        class_uid: "2.25.1",
        version_name: "TEST",
    };
    assert!(matches!(
        part10(doc, implementation),
        Err(WriteError::Missing(_))
    ));
}
