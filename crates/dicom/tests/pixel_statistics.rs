//! CT mean HU and PET SUV/SUL on slices written by the test, with expectations computed
//! by hand from the values written (each derivation is in the comments).

use std::path::PathBuf;

use oncoread_dicom::measure::hu::mean_hu;
use oncoread_dicom::measure::region::{from_scoord, RegionSlice};
use oncoread_dicom::measure::slices::{decode_slice, ImageSlice};
use oncoread_dicom::measure::suv::{uptake_factors, LbmFormula, PetVolume};
use oncoread_dicom::sr::Scoord;
use oncoread_dicom::write::{write_part10, DataSetWriter, FileMeta, Vr};

const CT_CLASS: &str = "1.2.840.10008.5.1.4.1.1.2";
const PET_CLASS: &str = "1.2.840.10008.5.1.4.1.1.128";

/// PET header values: 70 kg, 1.75 m man; 370 MBq F-18 (half-life 6586.2 s) injected at
/// 09:00:00, series start 10:00:00 (Δt = 3600 s), Decay Correction as given.
#[derive(Clone, Copy)]
struct Pet<'a> {
    units: &'a str,
    decay: &'a str,
}

struct Slice<'a> {
    uid: String,
    z: f64,
    size: u16,
    spacing: f64,
    intercept: f64,
    slope: f64,
    raw: Vec<u16>,
    pet: Option<Pet<'a>>,
}

fn write_slice(dir: &str, slice: &Slice) -> PathBuf {
    let ok = "writing a test slice";
    let class = if slice.pet.is_some() {
        PET_CLASS
    } else {
        CT_CLASS
    };
    let mut w = DataSetWriter::new();
    w.text(0x0008_0016, Vr::UI, class).expect(ok);
    w.text(0x0008_0018, Vr::UI, &slice.uid).expect(ok);
    if slice.pet.is_some() {
        w.text(0x0008_0021, Vr::DA, "20150105").expect(ok);
        w.text(0x0008_0022, Vr::DA, "20150105").expect(ok);
        w.text(0x0008_0031, Vr::TM, "100000").expect(ok);
        w.text(0x0008_0032, Vr::TM, "100000").expect(ok);
    }
    w.text(
        0x0008_0060,
        Vr::CS,
        if slice.pet.is_some() { "PT" } else { "CT" },
    )
    .expect(ok);
    if slice.pet.is_some() {
        w.text(0x0010_0040, Vr::CS, "M").expect(ok);
        w.decimals(0x0010_1020, &[1.75]).expect(ok);
        w.decimals(0x0010_1030, &[70.0]).expect(ok);
    }
    w.decimals(0x0018_0050, &[slice.spacing]).expect(ok);
    w.decimals(0x0020_0032, &[0.0, 0.0, slice.z]).expect(ok);
    w.decimals(0x0020_0037, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
        .expect(ok);
    w.us(0x0028_0002, 1).expect(ok);
    w.text(0x0028_0004, Vr::CS, "MONOCHROME2").expect(ok);
    w.us(0x0028_0010, slice.size).expect(ok);
    w.us(0x0028_0011, slice.size).expect(ok);
    w.decimals(0x0028_0030, &[slice.spacing, slice.spacing])
        .expect(ok);
    if slice.pet.is_some() {
        w.texts(0x0028_0051, Vr::CS, &["DECY", "ATTN"]).expect(ok);
    }
    w.us(0x0028_0100, 16).expect(ok);
    w.us(0x0028_0101, 16).expect(ok);
    w.us(0x0028_0102, 15).expect(ok);
    w.us(0x0028_0103, 0).expect(ok);
    w.decimals(0x0028_1052, &[slice.intercept]).expect(ok);
    w.decimals(0x0028_1053, &[slice.slope]).expect(ok);
    if let Some(pet) = &slice.pet {
        w.begin_sequence(0x0054_0016).expect(ok);
        w.begin_item().expect(ok);
        w.decimals(0x0018_1074, &[370e6]).expect(ok);
        w.decimals(0x0018_1075, &[6586.2]).expect(ok);
        w.text(0x0018_1078, Vr::DT, "20150105090000").expect(ok);
        w.end_item().expect(ok);
        w.end_sequence().expect(ok);
        w.text(0x0054_1001, Vr::CS, pet.units).expect(ok);
        w.text(0x0054_1102, Vr::CS, pet.decay).expect(ok);
    }
    w.ow_words(0x7FE0_0010, &slice.raw).expect(ok);
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(dir);
    std::fs::create_dir_all(&folder).expect(ok);
    let path = folder.join(format!("{}.dcm", slice.uid));
    let meta = FileMeta {
        sop_class_uid: class,
        sop_instance_uid: &slice.uid,
        implementation_class_uid: "2.25.7",
        implementation_version_name: "TEST",
    };
    write_part10(&mut std::fs::File::create(&path).expect(ok), &meta, &w).expect(ok);
    path
}

fn close(actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} != {expected} ± {tolerance}"
    );
}

#[test]
fn ct_disk_of_40_hu_in_water_has_mean_40() {
    // 64 × 64, 0.5 mm pixels, Rescale −1024 / 1: raw 1064 = 40 HU inside the disk of pixel
    // centres within 10 px of (32, 32), raw 1024 = 0 HU elsewhere.
    let raw = (0..64 * 64)
        .map(|i: i32| {
            let (c, r) = (i % 64 - 32, i / 64 - 32);
            if c * c + r * r <= 100 {
                1064
            } else {
                1024
            }
        })
        .collect();
    let path = write_slice(
        "ct",
        &Slice {
            uid: "2.25.4001".into(),
            z: 0.0,
            size: 64,
            spacing: 0.5,
            intercept: -1024.0,
            slope: 1.0,
            raw,
            pet: None,
        },
    );
    let (slice, _) = decode_slice(&path).expect("decoded");
    // The reader's circle: centre of pixel (32, 32) = SCOORD (32.5, 32.5), radius 8 px.
    let roi = Scoord {
        graphic_type: "CIRCLE".into(),
        data: vec![32.5, 32.5, 32.5, 40.5],
        three_d: false,
        referenced_sop_instance_uid: Some("2.25.4001".into()),
        referenced_frame: None,
        frame_of_reference_uid: None,
    };
    let images = [slice];
    let region = from_scoord(&roi, &images).expect("region");
    let m = mean_hu(&images, &region).expect("mean");
    close(m.mean_hu, 40.0, 0.5);
    // Lattice points with c² + r² ≤ 64 (Gauss circle problem, N(8)) = 197.
    assert_eq!(m.pixels, 197);
    // A circle over the edge (radius 14 px) mixes 40 and 0 HU: strictly between.
    let wide = Scoord {
        data: vec![32.5, 32.5, 32.5, 46.5],
        ..roi
    };
    let m = mean_hu(&images, &from_scoord(&wide, &images).expect("region")).expect("mean");
    assert!(m.mean_hu > 0.0 && m.mean_hu < 40.0, "{}", m.mean_hu);
}

/// Five 9 × 9 slices of `spacing` mm, Rescale Slope 0.5 (raw = value × 2), with values in
/// Bq/ml from `value(column, row, slice)`.
fn pet_volume(
    dir: &str,
    spacing: f64,
    pet: Pet,
    value: impl Fn(i32, i32, i32) -> f64,
) -> Vec<(ImageSlice, dicom_object::DefaultDicomObject)> {
    (0..5)
        .map(|k| {
            let raw = (0..81)
                .map(|i| (value(i % 9, i / 9, k) * 2.0) as u16)
                .collect();
            let slice = Slice {
                uid: format!("2.25.50{k}"),
                z: f64::from(k) * spacing,
                size: 9,
                spacing,
                intercept: 0.0,
                slope: 0.5,
                raw,
                pet: Some(pet),
            };
            decode_slice(&write_slice(dir, &slice)).expect("decoded")
        })
        .collect()
}

fn volume(decoded: Vec<(ImageSlice, dicom_object::DefaultDicomObject)>) -> PetVolume {
    let sul_factors = decoded
        .iter()
        .map(|(_, object)| {
            uptake_factors(object, LbmFormula::James)
                .expect("factors")
                .sul
        })
        .collect();
    PetVolume {
        slices: decoded.into_iter().map(|(s, _)| s).collect(),
        sul_factors,
    }
}

#[test]
fn pet_suv_sul_and_sul_peak_by_hand() {
    // Decayed dose D = 370e6 × 2^(−3600/6586.2) = 253 314 180.24 Bq.
    // SUVbw factor = 70 000 g / D = 2.763 366 8e-4; LBM (James, man) = 1.10 × 70 −
    // 128 × (70/175)² = 56.52 kg; SUL factor = 56 520 / D = 2.231 221 3e-4.
    let decayed_dose = 370e6 * 2f64.powf(-3600.0 / 6586.2);
    close(decayed_dose, 253_314_180.24, 0.01);
    // 4 mm voxels; background 1000 Bq/ml; a 3 × 3 × 3 cube of 10 000 around (4, 4, slice 2)
    // whose centre voxel holds 19 000.
    let decoded = pet_volume(
        "pet-peak",
        4.0,
        Pet {
            units: "BQML",
            decay: "START",
        },
        |c, r, k| {
            let (dc, dr, dk) = (c - 4, r - 4, k - 2);
            if (dc, dr, dk) == (0, 0, 0) {
                19_000.0
            } else if dc.abs() <= 1 && dr.abs() <= 1 && dk.abs() <= 1 {
                10_000.0
            } else {
                1_000.0
            }
        },
    );
    let factors = uptake_factors(&decoded[2].1, LbmFormula::James).expect("factors");
    close(factors.suv_bw, 70_000.0 / decayed_dose, 1e-15);
    close(factors.suv_bw, 2.763_366_8e-4, 1e-10);
    close(factors.sul, 2.231_221_3e-4, 1e-10);
    close(factors.lean_body_mass_kg, 56.52, 1e-9);
    // Janmahasatian: BMI 70 / 1.75² = 22.857; LBM = 9270 × 70 / (6680 + 216 × 22.857) = 55.858 kg.
    let janma = uptake_factors(&decoded[2].1, LbmFormula::Janmahasatian).expect("factors");
    close(janma.lean_body_mass_kg, 55.858, 0.001);
    // SUV of the hottest voxel: 19 000 × 2.763 366 8e-4 = 5.2504.
    close(
        f64::from(decoded[2].0.values[4 * 9 + 4]) * factors.suv_bw,
        5.2504,
        1e-4,
    );

    let pet = volume(decoded);
    // The lesion: the hot cube (slices 1–3, columns and rows 3–5).
    let cube: Vec<u32> = (3..=5)
        .flat_map(|r| (3..=5).map(move |c| r * 9 + c))
        .collect();
    let lesion: Vec<RegionSlice> = (1..=3)
        .map(|slice| RegionSlice {
            slice,
            pixels: cube.clone(),
        })
        .collect();
    let peak = pet.sul_peak(&lesion).expect("peak");
    // 1 cm³ sphere: r = (3/4π)^(1/3) cm = 6.20 mm = 1.55 voxels; offsets with
    // i² + j² + k² ≤ 2.40: the centre, 6 face neighbours, 12 edge neighbours = 19 voxels,
    // all in the cube: mean = (19 000 + 18 × 10 000) / 19 = 10 473.68 Bq/ml.
    assert_eq!(peak.voxels, 19);
    close(peak.sul_peak, 10_473.684_21 * 2.231_221_3e-4, 1e-6);
    close(peak.sul_peak, 2.336_911, 1e-5);
    close(peak.sul_max, 19_000.0 * 2.231_221_3e-4, 1e-6);
    assert_eq!(peak.hottest_at, [16.0, 16.0, 8.0]);
}

#[test]
fn liver_reference_sphere_mean_and_sd_by_hand() {
    // 10 mm voxels, values alternating by the parity of (column + row + slice) offsets
    // from the centre voxel (3, 3, slice 2) at (30, 30, 20) mm: even 1800, odd 2200 Bq/ml.
    let decoded = pet_volume(
        "pet-liver",
        10.0,
        Pet {
            units: "BQML",
            decay: "START",
        },
        |c, r, k| {
            if (c - 3 + r - 3 + k - 2).rem_euclid(2) == 0 {
                1_800.0
            } else {
                2_200.0
            }
        },
    );
    let pet = volume(decoded);
    let stats = pet.sphere_stats([30.0, 30.0, 20.0], 30.0).expect("stats");
    // 3 cm sphere: r = 1.5 voxels, i² + j² + k² ≤ 2.25: 19 voxels; the centre and the 12
    // edge neighbours are even (13 × 1800), the 6 face neighbours odd (6 × 2200):
    // mean = 36 600 / 19 = 1926.316 Bq/ml; sample SD = √((13 × 126.316² + 6 × 273.684²) / 18)
    // = 191.027 Bq/ml. In SUL (× 2.231 221 3e-4): 0.429 804 and 0.042 622.
    assert_eq!(stats.voxels, 19);
    close(stats.mean, 0.429_804, 1e-6);
    close(stats.sd, 0.042_622, 1e-6);
}

#[test]
fn pet_header_faults_name_the_field() {
    let decoded = pet_volume(
        "pet-cnts",
        4.0,
        Pet {
            units: "CNTS",
            decay: "START",
        },
        |_, _, _| 1.0,
    );
    let (field, reason) = uptake_factors(&decoded[0].1, LbmFormula::James).expect_err("CNTS");
    assert_eq!(field, "Units (0054,1001)");
    assert!(reason.contains("CNTS"), "{reason}");
    // ADMIN: the values are decay-corrected to the injection, D = the dose itself:
    // SUVbw factor = 70 000 / 370e6.
    let decoded = pet_volume(
        "pet-admin",
        4.0,
        Pet {
            units: "BQML",
            decay: "ADMIN",
        },
        |_, _, _| 1.0,
    );
    let factors = uptake_factors(&decoded[0].1, LbmFormula::James).expect("factors");
    close(factors.suv_bw, 70_000.0 / 370e6, 1e-15);
}
