//! UCUM unit codes → dimension and factor to mm, mm² or mm³.
//!
//! Units are recognised by their UCUM code value, case-sensitively, never by Code
//! Meaning ("millimeter", "mm" and "Millimeter" all occur). A unit from another coding
//! scheme (e.g. `(cm, 99_OFFIS_DCMTK, "Length Unit")`), a dimensionless `1` (which
//! Cornerstone3D labels "px" when it had no pixel spacing) or any other UCUM unit (HU,
//! SUV, g, %) is [`Dimension::Other`]: not convertible.

use super::{Code, Dimension};

/// The dimension of a unit and its factor to mm / mm² / mm³ (`None` for
/// [`Dimension::Other`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct UnitScale {
    pub dimension: Dimension,
    pub to_mm: Option<f64>,
}

const OTHER: UnitScale = UnitScale {
    dimension: Dimension::Other,
    to_mm: None,
};

/// Classifies a Measurement Units Code Sequence code; `None` (no unit) is `Other`.
pub(crate) fn scale_of(unit: Option<&Code>) -> UnitScale {
    let Some(unit) = unit else { return OTHER };
    if unit.scheme != "UCUM" {
        return OTHER;
    }
    let (dimension, factor) = match unit.value.as_str() {
        "mm" => (Dimension::Length, 1.0),
        "cm" => (Dimension::Length, 10.0),
        "m" => (Dimension::Length, 1000.0),
        "um" => (Dimension::Length, 0.001),
        "mm2" => (Dimension::Area, 1.0),
        "cm2" => (Dimension::Area, 100.0),
        "m2" => (Dimension::Area, 1.0e6),
        "um2" => (Dimension::Area, 1.0e-6),
        "mm3" => (Dimension::Volume, 1.0),
        // 1 ml = 1 cm³ = 1000 mm³. UCUM accepts both "l" and "L" for litre.
        "cm3" | "ml" | "mL" => (Dimension::Volume, 1000.0),
        "ul" | "uL" => (Dimension::Volume, 1.0),
        "l" | "L" => (Dimension::Volume, 1.0e6),
        "m3" => (Dimension::Volume, 1.0e9),
        "um3" => (Dimension::Volume, 1.0e-9),
        _ => return OTHER,
    };
    UnitScale {
        dimension,
        to_mm: Some(factor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ucum(value: &str, meaning: &str) -> Code {
        Code {
            value: value.into(),
            scheme: "UCUM".into(),
            meaning: meaning.into(),
        }
    }

    fn factor(value: &str) -> Option<f64> {
        scale_of(Some(&ucum(value, ""))).to_mm
    }

    #[test]
    fn lengths_areas_and_volumes_convert_to_millimetres() {
        assert_eq!(factor("mm"), Some(1.0));
        assert_eq!(factor("cm"), Some(10.0));
        assert_eq!(factor("m"), Some(1000.0));
        assert_eq!(factor("um"), Some(0.001));
        assert_eq!(factor("cm2"), Some(100.0));
        assert_eq!(factor("m2"), Some(1.0e6));
        assert_eq!(factor("ml"), Some(1000.0));
        assert_eq!(factor("mL"), Some(1000.0));
        assert_eq!(factor("cm3"), Some(1000.0));
        assert_eq!(factor("l"), Some(1.0e6));
        assert_eq!(scale_of(Some(&ucum("mm2", ""))).dimension, Dimension::Area);
        assert_eq!(
            scale_of(Some(&ucum("mm3", ""))).dimension,
            Dimension::Volume
        );
    }

    #[test]
    fn units_are_case_sensitive_and_scheme_bound() {
        // "MM" is not a UCUM length; "Mm" would be megametres.
        assert_eq!(factor("MM"), None);
        assert_eq!(factor("Mm"), None);
        let offis = Code {
            value: "cm".into(),
            scheme: "99_OFFIS_DCMTK".into(),
            meaning: "Length Unit".into(),
        };
        assert_eq!(scale_of(Some(&offis)).dimension, Dimension::Other);
    }

    #[test]
    fn pixels_dimensionless_and_intensity_units_are_other() {
        for value in ["1", "[hnsf'U]", "{SUVbw}g/ml", "g", "%", "[arb'U]"] {
            assert_eq!(scale_of(Some(&ucum(value, "px"))), OTHER, "{value}");
        }
        assert_eq!(scale_of(None), OTHER);
    }
}
