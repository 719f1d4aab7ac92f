//! PERCIST uptake: SUV (body weight) and SUL (lean body mass) from PET slices and their
//! headers, SUL peak around the hottest voxel of a lesion, and the liver reference sphere.
//!
//! For Units BQML: `SUVbw = C × W[g] / D`, `SUL = C × LBM[g] / D`, where D is the injected
//! dose decayed to the time the image values refer to: the series start for Decay
//! Correction START, the injection itself for ADMIN (D = dose), the slice's acquisition
//! for NONE; `D = dose × 2^(−Δt / T½)`. Units GML are already SUVbw.

use std::f64::consts::PI;
use std::str::FromStr;

use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use super::dataset::{first_item, float, text};
use super::plane::dot;
use super::region::Region;
use super::slices::ImageSlice;

/// Lean body mass formula (config key `percist.lbm_formula`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LbmFormula {
    /// James 1976, the formula of PERCIST 1.0: men 1.10·W − 128·(W/H)², women
    /// 1.07·W − 148·(W/H)² (W kg, H cm).
    #[default]
    James,
    /// Janmahasatian 2005: men 9270·W/(6680 + 216·BMI), women 9270·W/(8780 + 244·BMI).
    Janmahasatian,
}

impl FromStr for LbmFormula {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "james" => Ok(LbmFormula::James),
            "janmahasatian" => Ok(LbmFormula::Janmahasatian),
            other => Err(format!(
                "\"{other}\" is not an LBM formula (james, janmahasatian)"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

/// Lean body mass in kg; `None` when the formula gives no positive mass (James in severe
/// obesity).
pub fn lean_body_mass_kg(
    formula: LbmFormula,
    sex: Sex,
    weight_kg: f64,
    height_m: f64,
) -> Option<f64> {
    let lbm = match (formula, sex) {
        (LbmFormula::James, Sex::Male) => {
            1.10 * weight_kg - 128.0 * (weight_kg / (height_m * 100.0)).powi(2)
        }
        (LbmFormula::James, Sex::Female) => {
            1.07 * weight_kg - 148.0 * (weight_kg / (height_m * 100.0)).powi(2)
        }
        (LbmFormula::Janmahasatian, sex) => {
            let bmi = weight_kg / (height_m * height_m);
            let (a, b) = match sex {
                Sex::Male => (6680.0, 216.0),
                Sex::Female => (8780.0, 244.0),
            };
            9270.0 * weight_kg / (a + b * bmi)
        }
    };
    (lbm.is_finite() && lbm > 0.0).then_some(lbm)
}

/// Factors turning one slice's values into SUVbw and SUL.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UptakeFactors {
    pub suv_bw: f64,
    pub sul: f64,
    pub lean_body_mass_kg: f64,
}

/// A header attribute that stops SUV: (field, reason).
pub type HeaderFault = (&'static str, String);

/// The SUV and SUL factors of one PET slice from its header.
pub fn uptake_factors(
    pet: &InMemDicomObject,
    formula: LbmFormula,
) -> Result<UptakeFactors, HeaderFault> {
    let weight_kg = float(pet, tags::PATIENT_WEIGHT)
        .filter(|w| *w > 0.0)
        .ok_or((
            "Patient's Weight (0010,1030)",
            "absent or not positive".to_string(),
        ))?;
    let height_m = float(pet, tags::PATIENT_SIZE).filter(|h| *h > 0.0).ok_or((
        "Patient's Size (0010,1020)",
        "absent or not positive".to_string(),
    ))?;
    let sex = match text(pet, tags::PATIENT_SEX).as_deref() {
        Some("M") => Sex::Male,
        Some("F") => Sex::Female,
        other => {
            return Err((
                "Patient's Sex (0010,0040)",
                format!("{other:?}: the LBM formulas need M or F"),
            ))
        }
    };
    let lean_body_mass_kg = lean_body_mass_kg(formula, sex, weight_kg, height_m).ok_or((
        "Patient's Weight (0010,1030)",
        format!("{formula:?} gives no positive lean body mass for {weight_kg} kg, {height_m} m"),
    ))?;
    let lbm_per_weight = lean_body_mass_kg / weight_kg;
    let units = text(pet, tags::UNITS).unwrap_or_default();
    if units == "GML" {
        return Ok(UptakeFactors {
            suv_bw: 1.0,
            sul: lbm_per_weight,
            lean_body_mass_kg,
        });
    }
    if units != "BQML" {
        return Err((
            "Units (0054,1001)",
            format!("\"{units}\": SUV needs BQML (CNTS needs a vendor calibration factor)"),
        ));
    }
    let corrections = text(pet, tags::CORRECTED_IMAGE).unwrap_or_default();
    let decay = text(pet, tags::DECAY_CORRECTION).unwrap_or_default();
    if decay != "NONE" && !corrections.split('\\').any(|c| c.trim() == "DECY") {
        return Err((
            "Corrected Image (0028,0051)",
            format!("\"{corrections}\" lacks DECY although Decay Correction is \"{decay}\""),
        ));
    }
    let drug = first_item(pet, tags::RADIOPHARMACEUTICAL_INFORMATION_SEQUENCE).ok_or((
        "Radiopharmaceutical Information Sequence (0054,0016)",
        "absent".to_string(),
    ))?;
    let dose = float(drug, tags::RADIONUCLIDE_TOTAL_DOSE)
        .filter(|d| *d > 0.0)
        .ok_or((
            "Radionuclide Total Dose (0018,1074)",
            "absent or not positive".to_string(),
        ))?;
    let half_life = float(drug, tags::RADIONUCLIDE_HALF_LIFE)
        .filter(|h| *h > 0.0)
        .ok_or((
            "Radionuclide Half Life (0018,1075)",
            "absent or not positive".to_string(),
        ))?;
    let decayed_dose = match decay.as_str() {
        "ADMIN" => dose,
        "START" | "NONE" => {
            let injection = injection_seconds(pet, drug)?;
            let reference = if decay == "START" {
                date_time(pet, tags::SERIES_DATE, tags::SERIES_TIME).ok_or((
                    "Series Time (0008,0031)",
                    "Series Date and Time are needed for Decay Correction START".to_string(),
                ))?
            } else {
                date_time(pet, tags::ACQUISITION_DATE, tags::ACQUISITION_TIME).ok_or((
                    "Acquisition Time (0008,0032)",
                    "Acquisition Date and Time are needed for Decay Correction NONE".to_string(),
                ))?
            };
            dose * 2f64.powf(-(reference - injection) / half_life)
        }
        other => {
            return Err((
                "Decay Correction (0054,1102)",
                format!("\"{other}\" is not START, ADMIN or NONE"),
            ))
        }
    };
    Ok(UptakeFactors {
        suv_bw: weight_kg * 1000.0 / decayed_dose,
        sul: lean_body_mass_kg * 1000.0 / decayed_dose,
        lean_body_mass_kg,
    })
}

/// Injection time in seconds: Radiopharmaceutical Start DateTime, else Start Time on the
/// Series Date (which fails across midnight, hence the preference).
fn injection_seconds(pet: &InMemDicomObject, drug: &InMemDicomObject) -> Result<f64, HeaderFault> {
    if let Some(dt) = text(drug, tags::RADIOPHARMACEUTICAL_START_DATE_TIME) {
        let (date, time) = dt.split_at(dt.len().min(8));
        return seconds(date, time).ok_or((
            "Radiopharmaceutical Start DateTime (0018,1078)",
            format!("\"{dt}\" is not a DICOM date-time"),
        ));
    }
    let time = text(drug, tags::RADIOPHARMACEUTICAL_START_TIME).ok_or((
        "Radiopharmaceutical Start Time (0018,1072)",
        "neither it nor Radiopharmaceutical Start DateTime (0018,1078) is present".to_string(),
    ))?;
    let date = text(pet, tags::SERIES_DATE).unwrap_or_default();
    seconds(&date, &time).ok_or((
        "Radiopharmaceutical Start Time (0018,1072)",
        format!("\"{date}\" \"{time}\" is not a date and time"),
    ))
}

fn date_time(
    object: &InMemDicomObject,
    date: dicom_core::Tag,
    time: dicom_core::Tag,
) -> Option<f64> {
    seconds(&text(object, date)?, &text(object, time)?)
}

/// Seconds since 1970-01-01 of a DA "YYYYMMDD" and a TM "HH[MM[SS[.F]]]" (a DT's time
/// zone suffix is ignored: both times come from one scanner).
fn seconds(date: &str, time: &str) -> Option<f64> {
    let digits = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    if date.len() != 8 {
        return None;
    }
    let (y, m, d) = (
        digits(&date[0..4])?,
        digits(&date[4..6])?,
        digits(&date[6..8])?,
    );
    let time = time.split(['+', '-']).next()?.trim();
    let (whole, fraction) = time.split_once('.').unwrap_or((time, ""));
    if whole.len() < 2 || whole.len() % 2 == 1 {
        return None;
    }
    let part = |i: usize| whole.get(i..i + 2).map_or(Some(0), digits);
    let (h, mi, s) = (part(0)?, part(2)?, part(4)?);
    let fraction = if fraction.is_empty() {
        0.0
    } else {
        format!("0.{fraction}").parse::<f64>().ok()?
    };
    // Days from the civil date (proleptic Gregorian), as in H. Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3600 + mi * 60 + s) as f64 + fraction)
}

/// Radius in mm of a 1 cm³ sphere: (3 / 4π)^(1/3) cm.
pub fn one_cc_sphere_radius_mm() -> f64 {
    10.0 * (3.0 / (4.0 * PI)).cbrt()
}

/// A PET volume: decoded slices and each slice's SUL factor.
#[derive(Debug, Clone)]
pub struct PetVolume {
    pub slices: Vec<ImageSlice>,
    pub sul_factors: Vec<f64>,
}

/// Statistics of SUL inside a sphere.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SphereStats {
    pub mean: f64,
    /// Sample standard deviation (n − 1); 0 for one voxel.
    pub sd: f64,
    pub voxels: usize,
}

/// SUL peak of a lesion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SulPeak {
    /// Mean SUL in the 1 cm³ sphere centred on the hottest voxel.
    pub sul_peak: f64,
    pub sul_max: f64,
    /// Patient mm of the hottest voxel's centre.
    pub hottest_at: [f64; 3],
    pub voxels: usize,
}

impl PetVolume {
    /// SUL at a voxel.
    fn sul(&self, slice: usize, pixel: usize) -> Option<f64> {
        let s = self.slices.get(slice)?;
        Some(f64::from(*s.values.get(pixel)?) * self.sul_factors.get(slice)?)
    }

    /// SUL of every voxel whose centre lies within `radius_mm` of `centre`.
    pub fn sphere_values(&self, centre: [f64; 3], radius_mm: f64) -> Vec<f64> {
        let mut values = Vec::new();
        for (index, slice) in self.slices.iter().enumerate() {
            let along = slice.plane.distance_along_normal(centre);
            if along.abs() > radius_mm {
                continue;
            }
            let (c0, r0) = slice.plane.pixel_of(centre);
            let [row_spacing, col_spacing] = slice.plane.spacing;
            let (reach_c, reach_r) = (radius_mm / col_spacing, radius_mm / row_spacing);
            let rows = (r0 - reach_r).floor().max(0.0) as i64..=(r0 + reach_r).ceil() as i64;
            for r in rows {
                let columns = (c0 - reach_c).floor().max(0.0) as i64..=(c0 + reach_c).ceil() as i64;
                for c in columns {
                    if slice.value(c, r).is_none() {
                        continue;
                    }
                    let p = slice.plane.patient_point(c as f64, r as f64);
                    let d: [f64; 3] = std::array::from_fn(|k| p[k] - centre[k]);
                    if dot(d, d) <= radius_mm * radius_mm {
                        let pixel = r as usize * usize::from(slice.columns) + c as usize;
                        values.extend(self.sul(index, pixel));
                    }
                }
            }
        }
        values
    }

    /// Mean and SD of SUL in a sphere of `diameter_mm` (the liver reference: 30 mm).
    pub fn sphere_stats(&self, centre: [f64; 3], diameter_mm: f64) -> Option<SphereStats> {
        stats(&self.sphere_values(centre, diameter_mm / 2.0))
    }

    /// Mean and SD of SUL over a region's voxels (a liver reference drawn as an ROI).
    pub fn region_stats(&self, region: &Region) -> Option<SphereStats> {
        let values: Vec<f64> = region
            .iter()
            .flat_map(|part| {
                part.pixels
                    .iter()
                    .filter_map(|&pixel| self.sul(part.slice, pixel as usize))
            })
            .collect();
        stats(&values)
    }

    /// SUL peak: the hottest voxel of `lesion`, then the mean SUL of the 1 cm³ sphere
    /// around it (voxels of the whole volume, not only of the lesion).
    pub fn sul_peak(&self, lesion: &Region) -> Option<SulPeak> {
        let mut hottest: Option<(f64, usize, u32)> = None;
        for part in lesion {
            for &pixel in &part.pixels {
                if let Some(v) = self.sul(part.slice, pixel as usize) {
                    if hottest.is_none_or(|(best, _, _)| v > best) {
                        hottest = Some((v, part.slice, pixel));
                    }
                }
            }
        }
        let (sul_max, slice, pixel) = hottest?;
        let image = self.slices.get(slice)?;
        let columns = u32::from(image.columns);
        let at = image
            .plane
            .patient_point(f64::from(pixel % columns), f64::from(pixel / columns));
        let sphere = stats(&self.sphere_values(at, one_cc_sphere_radius_mm()))?;
        Some(SulPeak {
            sul_peak: sphere.mean,
            sul_max,
            hottest_at: at,
            voxels: sphere.voxels,
        })
    }
}

fn stats(values: &[f64]) -> Option<SphereStats> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    Some(SphereStats {
        mean,
        sd,
        voxels: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a test or a test helper gives back: a failure is the error `?` met.
    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    #[test]
    fn lean_body_mass_by_hand() -> TestResult {
        // James, man 70 kg, 175 cm: 1.10 × 70 − 128 × (70/175)² = 77 − 20.48 = 56.52 kg.
        let james = lean_body_mass_kg(LbmFormula::James, Sex::Male, 70.0, 1.75).ok_or("lbm")?;
        assert!((james - 56.52).abs() < 1e-9, "{james}");
        // James, woman 60 kg, 160 cm: 64.2 − 148 × 0.375² = 64.2 − 20.8125 = 43.3875 kg.
        let james = lean_body_mass_kg(LbmFormula::James, Sex::Female, 60.0, 1.60).ok_or("lbm")?;
        assert!((james - 43.3875).abs() < 1e-9, "{james}");
        // Janmahasatian, man 80 kg, 2 m: BMI 20 → 9270 × 80 / (6680 + 4320) = 741600 / 11000.
        let janma =
            lean_body_mass_kg(LbmFormula::Janmahasatian, Sex::Male, 80.0, 2.0).ok_or("lbm")?;
        assert!((janma - 67.418_181_818).abs() < 1e-6, "{janma}");
        // James fails in severe obesity: woman 200 kg, 150 cm → 214 − 148 × 1.7778 < 0.
        assert_eq!(
            lean_body_mass_kg(LbmFormula::James, Sex::Female, 200.0, 1.5),
            None
        );
        assert_eq!("janmahasatian".parse(), Ok(LbmFormula::Janmahasatian));
        assert!("boer".parse::<LbmFormula>().is_err());
        Ok(())
    }

    #[test]
    fn dicom_times_in_seconds() -> TestResult {
        // One hour and 30.5 s apart; across midnight the date carries the day.
        let a = seconds("20150105", "090000").ok_or("a")?;
        assert_eq!(seconds("20150105", "100030.5").ok_or("b")? - a, 3630.5);
        assert_eq!(seconds("20150106", "0000").ok_or("c")? - a, 15.0 * 3600.0);
        // 1970-01-01 is day 0; 2000-03-01 is day 11017.
        assert_eq!(seconds("19700101", "00"), Some(0.0));
        assert_eq!(seconds("20000301", "00"), Some(11_017.0 * 86_400.0));
        assert_eq!(seconds("2015010", "00"), None);
        assert_eq!(seconds("20150105", "9"), None);
        Ok(())
    }

    #[test]
    fn one_cc_sphere() {
        // 4/3 π r³ = 1000 mm³.
        let r = one_cc_sphere_radius_mm();
        assert!((4.0 / 3.0 * PI * r.powi(3) - 1000.0).abs() < 1e-9);
    }
}
