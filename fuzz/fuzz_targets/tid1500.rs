//! The TID 1500 extractor on well-formed DICOM: the fuzz input drives a small grammar that
//! writes an SR content tree (content items with TID 1500 concept names, value types,
//! relationships, units, geometry, references), so mutations reach measurement-group
//! extraction instead of dying in the DICOM parser as raw bytes mostly do.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncoread_dicom::write::{write_part10, DataSetWriter, FileMeta, Vr, WriteError};

/// Concept names the extractor looks for (crates/dicom/src/sr/codes.rs), plus one it does not.
const CONCEPTS: &[(&str, &str)] = &[
    ("DCM", "126010"),    // Imaging Measurements
    ("DCM", "125007"),    // Measurement Group
    ("DCM", "112039"),    // Tracking Identifier
    ("DCM", "112040"),    // Tracking UID
    ("DCM", "121071"),    // Finding
    ("SCT", "363698007"), // Finding Site
    ("SCT", "272741003"), // Laterality
    ("SCT", "370129005"), // Measurement Method
    ("DCM", "121401"),    // Derivation
    ("UMLS", "C2348792"), // Time Point
    ("DCM", "126070"),    // Subject Time Point Identifier
    ("DCM", "111030"),    // Image Region
    ("DCM", "121191"),    // Referenced Segment
    ("DCM", "112075"),    // Lesion status at baseline
    ("SCT", "103339001"), // Long Axis
    ("SCT", "103340004"), // Short Axis
    ("SCT", "410668003"), // Length
    ("SCT", "42798000"),  // Area
    ("SCT", "118565006"), // Volume
    ("DCM", "121008"),    // Person Observer Name
    ("99X", "unknown"),
];
const UNITS: &[&str] = &["mm", "cm", "mm2", "cm3", "ml", "1", "{ratio}", "", "m"];
const VALUE_TYPES: &[&str] = &[
    "CONTAINER", "NUM", "CODE", "TEXT", "UIDREF", "IMAGE", "SCOORD", "SCOORD3D", "PNAME",
];
const RELATIONSHIPS: &[&str] = &[
    "CONTAINS",
    "HAS OBS CONTEXT",
    "HAS CONCEPT MOD",
    "INFERRED FROM",
    "SELECTED FROM",
    "HAS PROPERTIES",
];
const GRAPHIC_TYPES: &[&str] = &["POINT", "POLYLINE", "CIRCLE", "ELLIPSE", "MULTIPOINT", "XYZ"];
const MAX_DEPTH: usize = 7;

/// Reads choices from the fuzz input; zeros once it is used up, so every input is a tree.
struct Choices<'a> {
    data: &'a [u8],
}

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.data.split_first().unwrap_or((&0, &[]));
        self.data = rest;
        *first
    }
    fn pick<'t, T>(&mut self, table: &'t [T]) -> &'t T {
        &table[usize::from(self.byte()) % table.len()]
    }
    fn text(&mut self) -> String {
        let length = usize::from(self.byte() % 24);
        (0..length).map(|_| char::from(self.byte() % 95 + 32)).collect()
    }
    fn float(&mut self) -> f32 {
        f32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
}

fn code(w: &mut DataSetWriter, tag: u32, (scheme, value): (&str, &str)) -> Result<(), WriteError> {
    w.begin_sequence(tag)?;
    w.begin_item()?;
    w.text(0x0008_0100, Vr::SH, value)?;
    w.text(0x0008_0102, Vr::SH, scheme)?;
    w.text(0x0008_0104, Vr::LO, "fuzz")?;
    w.end_item()?;
    w.end_sequence()
}

/// Writes the children of one container: each byte below 200 starts an item, the rest end.
fn content(w: &mut DataSetWriter, c: &mut Choices, depth: usize) -> Result<(), WriteError> {
    w.begin_sequence(0x0040_A730)?;
    while !c.data.is_empty() && c.byte() < 200 {
        let value_type = *c.pick(VALUE_TYPES);
        w.begin_item()?;
        if value_type == "IMAGE" {
            w.begin_sequence(0x0008_1199)?;
            w.begin_item()?;
            w.text(0x0008_1150, Vr::UI, "1.2.840.10008.5.1.4.1.1.2")?;
            let uid = format!("1.2.3.{}", c.byte());
            w.text(0x0008_1155, Vr::UI, &uid)?;
            w.end_item()?;
            w.end_sequence()?;
        }
        w.text(0x0040_A010, Vr::CS, c.pick(RELATIONSHIPS))?;
        w.text(0x0040_A040, Vr::CS, value_type)?;
        if c.byte() % 8 != 0 {
            code(w, 0x0040_A043, *c.pick(CONCEPTS))?;
        }
        match value_type {
            "UIDREF" => w.text(0x0040_A124, Vr::UI, &format!("2.25.{}", c.byte()))?,
            "TEXT" => w.text(0x0040_A160, Vr::UT, &c.text())?,
            "PNAME" => w.text(0x0040_A123, Vr::PN, &c.text())?,
            "CODE" => code(w, 0x0040_A168, *c.pick(CONCEPTS))?,
            "NUM" => {
                w.begin_sequence(0x0040_A300)?;
                if c.byte() % 4 != 0 {
                    w.begin_item()?;
                    code(w, 0x0040_08EA, ("UCUM", c.pick(UNITS)))?;
                    if c.byte() % 2 == 0 {
                        w.fd(0x0040_A161, f64::from(c.float()))?;
                    }
                    w.text(0x0040_A30A, Vr::DS, &c.text())?;
                    w.end_item()?;
                }
                w.end_sequence()?;
            }
            _ => {}
        }
        if value_type == "CONTAINER" && depth < MAX_DEPTH {
            content(w, c, depth + 1)?;
        } else if value_type != "CONTAINER" && c.byte() % 4 == 0 {
            // Children of a value item (SCOORD under NUM, IMAGE under SCOORD).
            if depth < MAX_DEPTH {
                content(w, c, depth + 1)?;
            }
        }
        if c.byte() % 16 == 0 {
            w.ul(0x0040_DB73, u32::from(c.byte()))?;
        }
        if value_type.starts_with("SCOORD") {
            let count = usize::from(c.byte() % 9);
            let points: Vec<f32> = (0..count).map(|_| c.float()).collect();
            w.fl_values(0x0070_0022, &points)?;
            w.text(0x0070_0023, Vr::CS, c.pick(GRAPHIC_TYPES))?;
        }
        w.end_item()?;
    }
    w.end_sequence()
}

fn report(c: &mut Choices) -> Result<Vec<u8>, WriteError> {
    const COMPREHENSIVE_SR: &str = "1.2.840.10008.5.1.4.1.1.88.33";
    let mut w = DataSetWriter::new();
    w.text(0x0008_0016, Vr::UI, COMPREHENSIVE_SR)?;
    w.text(0x0008_0018, Vr::UI, "2.25.1")?;
    w.text(0x0008_0020, Vr::DA, "20240101")?;
    w.text(0x0010_0020, Vr::LO, "FUZZ-1")?;
    w.text(0x0020_000D, Vr::UI, "2.25.2")?;
    w.text(0x0020_000E, Vr::UI, "2.25.3")?;
    w.text(0x0040_A040, Vr::CS, "CONTAINER")?;
    code(&mut w, 0x0040_A043, ("DCM", "126000"))?;
    content(&mut w, c, 0)?;
    let mut bytes = Vec::new();
    let meta = FileMeta {
        sop_class_uid: COMPREHENSIVE_SR,
        sop_instance_uid: "2.25.1",
        implementation_class_uid: "2.25.4",
        implementation_version_name: "FUZZ",
    };
    write_part10(&mut bytes, &meta, &w)?;
    Ok(bytes)
}

fuzz_target!(|data: &[u8]| {
    let Ok(bytes) = report(&mut Choices { data }) else {
        return;
    };
    let document = oncoread_dicom::sr::read_sr_from_bytes(&bytes, "fuzz-tid1500")
        .expect("a well-formed SR written by the grammar must be readable");
    assert!(document.is_tid1500, "{:?}", document.not_tid1500_reason);
});
