//! Imaging Measurements (126010) → Measurement Group (125007) → rows and NUMs.
//!
//! One reader handles the three group templates: TID 1410 (planar ROI: one group-level
//! SCOORD / SCOORD3D), TID 1411 (volumetric: a Referenced Segment) and TID 1501 (plain:
//! geometry, if any, under each NUM as INFERRED FROM SCOORD — the dcmjs/OHIF shape). The
//! group template identifier is recorded but not relied on: dcmjs does not write it.
//! By-reference items are skipped (and reported); unnamed IMAGE / SCOORD items are taken
//! by their value type.

use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use super::codes::{self, describe, quantity_of};
use super::tree::{first_item, string, ContentItem, MeasuredValue};
use super::units::{scale_of, UnitScale};
use super::{
    Code, Dimension, Measurement, MeasurementGroup, Quantity, Scoord, SegmentReference, SrProblem,
};

/// Deepest nesting searched for lesion-status codes below a group row; real trees are a
/// few levels deep, the bound only guards against pathological files.
const MAX_SEARCH_DEPTH: usize = 16;

/// Every Measurement Group of every Imaging Measurements container under the root.
pub(crate) fn read_groups(
    root: &InMemDicomObject,
    problems: &mut Vec<SrProblem>,
) -> Vec<MeasurementGroup> {
    let mut groups = Vec::new();
    let root = ContentItem::new(root);
    let containers = root
        .children()
        .filter(|c| !c.by_reference && c.is("CONTAINER") && c.named(codes::IMAGING_MEASUREMENTS));
    for container in containers {
        for item in container.children() {
            if !item.by_reference && item.is("CONTAINER") && item.named(codes::MEASUREMENT_GROUP) {
                let index = groups.len() + 1;
                groups.push(GroupReader::read(index, &item, problems));
            }
        }
    }
    groups
}

/// Reads one group, collecting problems that name it.
struct GroupReader<'p> {
    group: MeasurementGroup,
    /// "group 2 \"Target lesion 1\"", for problem messages.
    label: String,
    problems: &'p mut Vec<SrProblem>,
    roi_items: usize,
}

impl<'p> GroupReader<'p> {
    fn read(
        index: usize,
        item: &ContentItem<'_>,
        problems: &'p mut Vec<SrProblem>,
    ) -> MeasurementGroup {
        // Identity first, so that every problem below can name the group whatever the
        // order of its rows.
        let tracking_identifier = item
            .children()
            .find(|c| !c.by_reference && c.is("TEXT") && c.named(codes::TRACKING_IDENTIFIER))
            .and_then(|c| c.text());
        let label = match &tracking_identifier {
            Some(id) => format!("group {index} \"{id}\""),
            None => format!("group {index} (no tracking identifier)"),
        };
        let mut reader = GroupReader {
            group: MeasurementGroup {
                template: first_item(item.obj, tags::CONTENT_TEMPLATE_SEQUENCE)
                    .and_then(|t| string(t, tags::TEMPLATE_IDENTIFIER)),
                tracking_identifier,
                ..MeasurementGroup::default()
            },
            label,
            problems,
            roi_items: 0,
        };
        for row in item.children() {
            reader.row(&row);
            reader.lesion_status_below(&row, 1);
        }
        if reader.roi_items > 1 {
            reader.problem(
                "extra_roi_ignored",
                format!("{} ROI items; only the first is kept", reader.roi_items),
            );
        }
        reader.group
    }

    fn problem(&mut self, kind: &str, detail: String) {
        self.problems.push(SrProblem {
            kind: kind.to_string(),
            message: format!("{}: {detail}", self.label),
        });
    }

    /// One direct child of the group.
    fn row(&mut self, row: &ContentItem<'_>) {
        if row.by_reference {
            // Never followed, so a reference to itself or a cycle of references cannot
            // loop: nothing in this reader resolves by-reference items (no producer of
            // TID 1500 needs it, spec/sr.md).
            let target = row
                .referenced_position()
                .unwrap_or_else(|| "an unreadable position".to_string());
            self.problem(
                "by_reference_item_skipped",
                format!(
                    "{} by-reference item (to content item {target}) skipped: by-reference \
                     items are not followed",
                    row.relationship
                ),
            );
            return;
        }
        match row.value_type.as_str() {
            "TEXT" => self.text_row(row),
            "UIDREF" => {
                if row.named(codes::TRACKING_UID) {
                    self.group.tracking_uid = self.group.tracking_uid.take().or(row.uid());
                } else if row.named(codes::SOURCE_SERIES_FOR_SEGMENTATION) {
                    self.group.source_series_uid =
                        self.group.source_series_uid.take().or(row.uid());
                }
            }
            "CODE" => self.code_row(row),
            "NUM" => {
                if row.named(codes::TIME_POINT_ORDER) {
                    if let MeasuredValue::Value { value, .. } = row.measured_value() {
                        self.group.time_point.time_point_order = Some(value);
                    }
                } else if row.relationship == "CONTAINS" || row.relationship.is_empty() {
                    if let Some(measurement) = self.measurement(row) {
                        self.group.measurements.push(measurement);
                    }
                }
            }
            "SCOORD" | "SCOORD3D" => self.roi_row(row),
            "IMAGE" => self.image_row(row),
            _ => {}
        }
    }

    fn text_row(&mut self, row: &ContentItem<'_>) {
        let tp = &mut self.group.time_point;
        let slot = if row.named(codes::ACTIVITY_SESSION) {
            &mut self.group.activity_session
        } else if row.named(codes::TIME_POINT) {
            &mut tp.time_point
        } else if row.named(codes::SUBJECT_TIME_POINT_IDENTIFIER) {
            &mut tp.subject_time_point_identifier
        } else if row.named(codes::PROTOCOL_TIME_POINT_IDENTIFIER) {
            &mut tp.protocol_time_point_identifier
        } else {
            // The Tracking Identifier was read up front; other TEXT rows are free text.
            return;
        };
        if slot.is_none() {
            *slot = row.text();
        }
    }

    fn code_row(&mut self, row: &ContentItem<'_>) {
        let (Some(question), Some(answer)) = (row.concept.clone(), row.code()) else {
            return;
        };
        // Target / non-target status: always a qualitative evaluation, even when written
        // as a second Finding (the generated highdicom NTL1 group does that).
        if codes::matches(&answer, codes::LESION_STATUS_AT_BASELINE) {
            push_unique(&mut self.group.qualitative, (question, answer));
            return;
        }
        let g = &mut self.group;
        if codes::matches(&question, codes::FINDING) {
            if g.finding.is_none() {
                g.finding = Some(answer);
            } else {
                let detail = format!("second Finding {} ignored", describe(&answer));
                self.problem("extra_finding", detail);
            }
        } else if codes::matches(&question, codes::FINDING_CATEGORY) {
            g.finding_category.get_or_insert(answer);
        } else if codes::matches(&question, codes::FINDING_SITE) {
            g.finding_site.get_or_insert(answer);
            // Laterality and topographical modifier qualify the site, one level down.
            for modifier in row.children().filter(|c| !c.by_reference && c.is("CODE")) {
                if modifier.named(codes::LATERALITY) {
                    g.laterality = g.laterality.take().or(modifier.code());
                } else if modifier.named(codes::TOPOGRAPHICAL_MODIFIER) {
                    g.topographical_modifier = g.topographical_modifier.take().or(modifier.code());
                }
            }
        } else if codes::matches(&question, codes::LATERALITY) {
            g.laterality.get_or_insert(answer);
        } else if codes::matches(&question, codes::TOPOGRAPHICAL_MODIFIER) {
            g.topographical_modifier.get_or_insert(answer);
        } else if codes::matches(&question, codes::MEASUREMENT_METHOD) {
            // HAS CONCEPT MOD (dcmqi) or CONTAINS (highdicom): same meaning.
            g.measurement_method.get_or_insert(answer);
        } else if codes::matches(&question, codes::TIME_POINT_TYPE) {
            g.time_point.time_point_type.get_or_insert(answer);
        } else if row.relationship == "CONTAINS" {
            push_unique(&mut g.qualitative, (question, answer));
        }
    }

    /// Lesion-status codes (CID 6145) nested anywhere below a group row.
    fn lesion_status_below(&mut self, item: &ContentItem<'_>, depth: usize) {
        if depth > MAX_SEARCH_DEPTH {
            return;
        }
        for child in item.children().filter(|c| !c.by_reference) {
            if child.is("CODE") {
                if let (Some(question), Some(answer)) = (child.concept.clone(), child.code()) {
                    if codes::matches(&answer, codes::LESION_STATUS_AT_BASELINE) {
                        push_unique(&mut self.group.qualitative, (question, answer));
                    }
                }
            }
            self.lesion_status_below(&child, depth + 1);
        }
    }

    /// Group-level SCOORD / SCOORD3D: the TID 1410/1411 ROI (Image Region, Region in
    /// Space, Volume Surface) or an unnamed one.
    fn roi_row(&mut self, row: &ContentItem<'_>) {
        let is_roi = row.concept.is_none()
            || row.named(codes::IMAGE_REGION)
            || row.named(codes::REGION_IN_SPACE)
            || row.named(codes::VOLUME_SURFACE);
        let Some(scoord) = self.scoord(row) else {
            return;
        };
        if let Some(uid) = &scoord.referenced_sop_instance_uid {
            push_unique(&mut self.group.referenced_sop_instance_uids, uid.clone());
        }
        if is_roi {
            self.roi_items += 1;
            if self.group.roi.is_none() {
                self.group.roi = Some(scoord);
            }
        }
    }

    fn image_row(&mut self, row: &ContentItem<'_>) {
        let Some(reference) = row.instance_ref() else {
            return;
        };
        if row.named(codes::REFERENCED_SEGMENT) || row.named(codes::REFERENCED_SEGMENTATION_FRAME) {
            if self.group.segment.is_none() {
                self.group.segment = Some(SegmentReference {
                    sop_instance_uid: reference.sop_instance_uid,
                    segment_number: reference.segment_number,
                });
            }
        } else {
            // Source image for segmentation, an image-level group's Source, unnamed images.
            push_unique(
                &mut self.group.referenced_sop_instance_uids,
                reference.sop_instance_uid,
            );
        }
    }

    /// Reads a SCOORD / SCOORD3D, reporting one without usable data.
    fn scoord(&mut self, item: &ContentItem<'_>) -> Option<Scoord> {
        let Some(scoord) = item.scoord() else {
            self.problem(
                "scoord_without_data",
                format!("{} without readable Graphic Data skipped", item.value_type),
            );
            return None;
        };
        let per_point = if scoord.three_d { 3 } else { 2 };
        let whole_points = scoord.data.chunks_exact(per_point).remainder().is_empty();
        if scoord.data.is_empty() || !whole_points {
            self.problem(
                "scoord_malformed",
                format!(
                    "{} {} has {} coordinates, not a multiple of {per_point}",
                    item.value_type,
                    scoord.graphic_type,
                    scoord.data.len()
                ),
            );
        }
        Some(scoord)
    }

    /// A NUM of the group: value, unit, dimension, conversion and its own modifiers and
    /// geometry.
    fn measurement(&mut self, row: &ContentItem<'_>) -> Option<Measurement> {
        let Some(concept) = row.concept.clone() else {
            self.problem(
                "num_without_concept",
                "NUM without a concept name skipped".to_string(),
            );
            return None;
        };
        let (value, unit) = match row.measured_value() {
            MeasuredValue::Value { value, unit } => (Some(value), unit),
            MeasuredValue::Missing { qualifier } => {
                let why = qualifier.map_or_else(String::new, |q| format!(" ({})", describe(&q)));
                self.problem(
                    "num_without_value",
                    format!("NUM {} has no measured value{why}", describe(&concept)),
                );
                (None, None)
            }
            MeasuredValue::Unreadable { raw, unit } => {
                self.problem(
                    "num_value_unreadable",
                    format!("NUM {} has an unreadable value {raw:?}", describe(&concept)),
                );
                (None, unit)
            }
        };
        let scale = scale_of(unit.as_ref());
        let mut quantity = quantity_of(&concept);
        if value.is_some() {
            quantity = self.reconcile(&concept, quantity, unit.as_ref(), scale);
        }
        let mut measurement = Measurement {
            concept,
            quantity,
            value,
            unit,
            dimension: scale.dimension,
            value_si_mm: value.zip(scale.to_mm).map(|(v, factor)| v * factor),
            scoord: None,
            tracking_uid: None,
            derivation: None,
            measurement_method: None,
        };
        for child in row.children().filter(|c| !c.by_reference) {
            match child.value_type.as_str() {
                "CODE" if child.named(codes::DERIVATION) => {
                    measurement.derivation = measurement.derivation.take().or(child.code());
                }
                "CODE" if child.named(codes::MEASUREMENT_METHOD) => {
                    measurement.measurement_method =
                        measurement.measurement_method.take().or(child.code());
                }
                "UIDREF" if child.named(codes::TRACKING_UID) => {
                    measurement.tracking_uid = measurement.tracking_uid.take().or(child.uid());
                }
                // INFERRED FROM SCOORD (TID 300 / 320), named or not.
                "SCOORD" | "SCOORD3D" if measurement.scoord.is_none() => {
                    measurement.scoord = self.scoord(&child);
                }
                "IMAGE" => {
                    if let Some(reference) = child.instance_ref() {
                        push_unique(
                            &mut self.group.referenced_sop_instance_uids,
                            reference.sop_instance_uid,
                        );
                    }
                }
                _ => {}
            }
        }
        if let Some(uid) = measurement
            .scoord
            .as_ref()
            .and_then(|s| s.referenced_sop_instance_uid.clone())
        {
            push_unique(&mut self.group.referenced_sop_instance_uids, uid);
        }
        Some(measurement)
    }

    /// The unit decides the dimension. A size concept whose unit is another size
    /// dimension (dcmjs's "(G-D7FE, SRT, AREA)" in mm2) is re-labelled by its unit; a size
    /// concept whose unit is not a size at all (px, "1", no unit, a private scheme) keeps
    /// its quantity, is left unconverted and is reported.
    fn reconcile(
        &mut self,
        concept: &Code,
        quantity: Quantity,
        unit: Option<&Code>,
        scale: UnitScale,
    ) -> Quantity {
        let Some(expected) = size_dimension(quantity) else {
            return quantity;
        };
        let unit_text = unit.map_or_else(|| "(none)".to_string(), describe);
        match scale.dimension {
            d if d == expected => quantity,
            Dimension::Other => {
                let (kind, noun) = match expected {
                    Dimension::Area => ("value_not_an_area", "an area"),
                    Dimension::Volume => ("value_not_a_volume", "a volume"),
                    _ => ("value_not_a_length", "a length"),
                };
                self.problem(
                    kind,
                    format!(
                        "NUM {} has unit {unit_text}, which is not {noun}; value kept unconverted",
                        describe(concept)
                    ),
                );
                quantity
            }
            by_unit => {
                let relabelled = match by_unit {
                    Dimension::Area => Quantity::Area,
                    Dimension::Volume => Quantity::Volume,
                    _ => Quantity::Length,
                };
                self.problem(
                    "concept_unit_mismatch",
                    format!(
                        "NUM {} is coded as {quantity:?} but its unit {unit_text} is {by_unit:?}; recorded as {relabelled:?}",
                        describe(concept)
                    ),
                );
                relabelled
            }
        }
    }
}

/// The dimension a size quantity must have; `None` for [`Quantity::Other`].
fn size_dimension(quantity: Quantity) -> Option<Dimension> {
    match quantity {
        Quantity::LongAxis | Quantity::ShortAxis | Quantity::Length | Quantity::Diameter => {
            Some(Dimension::Length)
        }
        Quantity::Area => Some(Dimension::Area),
        Quantity::Volume => Some(Dimension::Volume),
        Quantity::Other => None,
    }
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}

#[cfg(test)]
mod tests {
    use dicom_core::{DataElement, VR};

    use super::*;
    use crate::sr::test_support::{
        by_reference, by_reference_to, code_row, group, item, num, report, scoord, seq, text,
    };

    /// What a test or a test helper gives back: a failure is the error `?` met.
    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    const TRACKING_ID: (&str, &str, &str) = ("112039", "DCM", "Tracking Identifier");
    const LONG_AXIS: (&str, &str, &str) = ("103339001", "SCT", "Long axis");

    fn read(rows: Vec<InMemDicomObject>) -> (MeasurementGroup, Vec<SrProblem>) {
        let mut problems = Vec::new();
        let mut groups = read_groups(&report(vec![group(rows)]), &mut problems);
        assert_eq!(groups.len(), 1);
        (groups.remove(0), problems)
    }

    fn kinds(problems: &[SrProblem]) -> Vec<&str> {
        problems.iter().map(|p| p.kind.as_str()).collect()
    }

    #[test]
    fn floating_point_value_is_preferred_and_ds_exponents_parse() {
        let (g, problems) = read(vec![
            text(TRACKING_ID, "L1"),
            num(LONG_AXIS, "29.4", Some(29.5), Some("mm"), vec![]),
            num(
                ("103340004", "SCT", "Short axis"),
                "1.8e+00 ",
                None,
                Some("cm"),
                vec![],
            ),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(g.measurements[0].value, Some(29.5));
        assert_eq!(g.measurements[1].value, Some(1.8));
        assert_eq!(g.measurements[1].value_si_mm, Some(18.0));
    }

    #[test]
    fn empty_measured_value_sequence_is_a_problem_not_a_zero() {
        let qualifier = seq(
            tags::NUMERIC_VALUE_QUALIFIER_CODE_SEQUENCE,
            vec![crate::sr::test_support::code(
                "114006",
                "DCM",
                "Measurement failure",
            )],
        );
        let empty = item(
            "CONTAINS",
            "NUM",
            Some(LONG_AXIS),
            vec![seq(tags::MEASURED_VALUE_SEQUENCE, vec![]), qualifier],
            vec![],
        );
        let (g, problems) = read(vec![text(TRACKING_ID, "Lesion 7"), empty]);
        let m = &g.measurements[0];
        assert_eq!((m.value, m.value_si_mm), (None, None));
        assert_eq!(kinds(&problems), ["num_without_value"]);
        let message = &problems[0].message;
        assert!(message.contains("Lesion 7") && message.contains("103339001"));
        assert!(message.contains("Measurement failure"), "{message}");
    }

    #[test]
    fn unreadable_and_unitless_values_are_reported() {
        let (g, problems) = read(vec![
            num(LONG_AXIS, "about 3", None, Some("mm"), vec![]),
            num(LONG_AXIS, "30", None, None, vec![]),
        ]);
        assert_eq!(g.measurements[0].value, None);
        assert_eq!(g.measurements[1].value, Some(30.0));
        assert_eq!(g.measurements[1].value_si_mm, None);
        assert_eq!(
            kinds(&problems),
            ["num_value_unreadable", "value_not_a_length"]
        );
        assert!(problems[0]
            .message
            .contains("group 1 (no tracking identifier)"));
        assert!(problems[1].message.contains("(none)"));
    }

    #[test]
    fn the_unit_decides_the_dimension() {
        let (g, problems) = read(vec![num(LONG_AXIS, "12", None, Some("mm2"), vec![])]);
        let m = &g.measurements[0];
        assert_eq!(m.quantity, Quantity::Area);
        assert_eq!(m.dimension, Dimension::Area);
        assert_eq!(m.value_si_mm, Some(12.0));
        assert_eq!(kinds(&problems), ["concept_unit_mismatch"]);
    }

    #[test]
    fn by_reference_rows_are_skipped_and_unnamed_geometry_is_used() -> TestResult {
        let roi = scoord("CONTAINS", "POLYLINE", &[1.0, 2.0, 3.0, 4.0]);
        let with_ref = num(
            LONG_AXIS,
            "5",
            None,
            Some("mm"),
            vec![by_reference("INFERRED FROM")],
        );
        let (g, problems) = read(vec![by_reference("CONTAINS"), roi, with_ref]);
        assert_eq!(kinds(&problems), ["by_reference_item_skipped"]);
        let roi = g.roi.ok_or("unnamed SCOORD taken as the ROI")?;
        assert_eq!(roi.data, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(g.measurements.len(), 1);
        assert!(g.measurements[0].scoord.is_none());
        Ok(())
    }

    /// A by-reference row pointing at itself (1.1.1.3: root 1, Imaging Measurements 1.1,
    /// the group 1.1.1, its third row) and two pointing at each other (1.1.1.4 → 1.1.1.5
    /// → 1.1.1.4): each is one problem naming its target, and the group's other rows are
    /// read as if they were absent.
    #[test]
    fn self_and_cyclic_references_are_skipped_and_the_group_is_still_read() {
        let (g, problems) = read(vec![
            text(TRACKING_ID, "L1"),
            num(LONG_AXIS, "29.5", None, Some("mm"), vec![]),
            by_reference_to("CONTAINS", &[1, 1, 1, 3]),
            by_reference_to("CONTAINS", &[1, 1, 1, 5]),
            by_reference_to("CONTAINS", &[1, 1, 1, 4]),
        ]);
        assert_eq!(g.tracking_identifier.as_deref(), Some("L1"));
        assert_eq!(g.measurements.len(), 1);
        assert_eq!(g.measurements[0].value_si_mm, Some(29.5));
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "group 1 \"L1\": CONTAINS by-reference item (to content item 1.1.1.3) skipped: \
                 by-reference items are not followed",
                "group 1 \"L1\": CONTAINS by-reference item (to content item 1.1.1.5) skipped: \
                 by-reference items are not followed",
                "group 1 \"L1\": CONTAINS by-reference item (to content item 1.1.1.4) skipped: \
                 by-reference items are not followed",
            ]
        );
        assert_eq!(kinds(&problems), ["by_reference_item_skipped"; 3]);
    }

    #[test]
    fn laterality_under_legacy_finding_site_and_nested_lesion_status() {
        let site = code_row(
            "HAS CONCEPT MOD",
            ("G-C0E3", "SRT", "Finding Site"),
            ("T-28000", "SRT", "Lung"),
            vec![code_row(
                "HAS CONCEPT MOD",
                ("G-C171", "SRT", "Laterality"),
                ("G-A100", "SRT", "Right"),
                vec![],
            )],
        );
        let status_under_num = num(
            LONG_AXIS,
            "10",
            None,
            Some("mm"),
            vec![code_row(
                "HAS PROPERTIES",
                ("121071", "DCM", "Finding"),
                ("112076", "DCM", "Non-Lesion at Baseline"),
                vec![],
            )],
        );
        let (g, problems) = read(vec![site, status_under_num]);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(g.finding_site.is_some_and(|c| c.is("SRT", "T-28000")));
        assert!(g.laterality.is_some_and(|c| c.is("SRT", "G-A100")));
        assert_eq!(g.qualitative.len(), 1);
        assert!(g.qualitative[0].1.is("DCM", "112076"));
    }

    #[test]
    fn scoord_without_graphic_data_is_reported() {
        let bare = item(
            "CONTAINS",
            "SCOORD",
            Some(("111030", "DCM", "Image Region")),
            vec![DataElement::new(tags::GRAPHIC_TYPE, VR::CS, "POINT")],
            vec![],
        );
        let (g, problems) = read(vec![bare]);
        assert!(g.roi.is_none());
        assert_eq!(kinds(&problems), ["scoord_without_data"]);
    }
}
