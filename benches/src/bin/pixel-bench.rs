//! Speed of the pixel-derived measurements (BENCHMARKS.md "Pixel measurements"):
//! time per SEG frame over the real SEG fixtures, and per PET volume (decode + SUV/SUL
//! factors + SUL peak) over a synthetic PET series written to a scratch folder.
//!
//! Usage: pixel-bench SEG_FOLDER SCRATCH_FOLDER [ROUNDS]

use std::path::{Path, PathBuf};
use std::time::Instant;

use oncoread_dicom::measure::region::RegionSlice;
use oncoread_dicom::measure::seg::measure_seg;
use oncoread_dicom::measure::slices::decode_slice;
use oncoread_dicom::measure::suv::{uptake_factors, LbmFormula, PetVolume};
use oncoread_dicom::write::{write_part10, DataSetWriter, FileMeta, Vr, WriteError};

const PET_CLASS: &str = "1.2.840.10008.5.1.4.1.1.128";
/// A whole-body PET matrix: 192 × 192, 4 mm pixels, 200 slices of 4 mm.
const MATRIX: u16 = 192;
const SLICES: usize = 200;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(seg_dir), Some(scratch)) = (args.get(1), args.get(2)) else {
        return Err("usage: pixel-bench SEG_FOLDER SCRATCH_FOLDER [ROUNDS]".into());
    };
    let rounds: usize = args.get(3).map(|r| r.parse()).transpose()?.unwrap_or(20);

    let mut segs: Vec<PathBuf> = std::fs::read_dir(seg_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect();
    segs.sort();
    let mut frames = 0usize;
    let started = Instant::now();
    for _ in 0..rounds {
        for path in &segs {
            let m = measure_seg(path)?;
            frames += m.segments.iter().map(|s| s.slices.len()).sum::<usize>();
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "SEG: {} files × {rounds} rounds, {frames} non-empty segment frames in {elapsed:.3} s: {:.1} µs per frame",
        segs.len(),
        elapsed * 1e6 / frames as f64
    );

    let folder = Path::new(scratch).join("pet");
    std::fs::create_dir_all(&folder)?;
    let paths = write_pet_series(&folder)?;
    let volumes = rounds.clamp(1, 5);
    let started = Instant::now();
    let mut peak = 0.0;
    for _ in 0..volumes {
        let mut volume = PetVolume {
            slices: Vec::new(),
            sul_factors: Vec::new(),
        };
        for path in &paths {
            let (slice, object) = decode_slice(path)?;
            let factors = uptake_factors(&object, LbmFormula::James)
                .map_err(|(field, reason)| format!("{field}: {reason}"))?;
            volume.slices.push(slice);
            volume.sul_factors.push(factors.sul);
        }
        let centre = u32::from(MATRIX / 2) * u32::from(MATRIX) + u32::from(MATRIX / 2);
        let lesion: Vec<RegionSlice> = (SLICES / 2 - 2..SLICES / 2 + 3)
            .map(|slice| RegionSlice {
                slice,
                pixels: vec![centre - 1, centre, centre + 1],
            })
            .collect();
        peak = volume.sul_peak(&lesion).ok_or("no peak")?.sul_peak;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "PET: {volumes} volumes of {SLICES} slices {MATRIX}×{MATRIX} in {elapsed:.3} s: {:.3} s per volume (SUL peak {peak:.3})",
        elapsed / volumes as f64
    );
    std::fs::remove_dir_all(&folder)?;
    Ok(())
}

fn write_pet_series(folder: &Path) -> Result<Vec<PathBuf>, WriteError> {
    let mut paths = Vec::with_capacity(SLICES);
    let n = usize::from(MATRIX);
    for k in 0..SLICES {
        let uid = format!("2.25.9{k:04}");
        let raw: Vec<u16> = (0..n * n)
            .map(|i| {
                let (c, r) = ((i % n) as i64 - n as i64 / 2, (i / n) as i64 - n as i64 / 2);
                let d2 = c * c + r * r + (k as i64 - SLICES as i64 / 2).pow(2);
                if d2 <= 9 {
                    20_000
                } else {
                    2_000
                }
            })
            .collect();
        let mut w = DataSetWriter::new();
        w.text(0x0008_0016, Vr::UI, PET_CLASS)?;
        w.text(0x0008_0018, Vr::UI, &uid)?;
        w.text(0x0008_0021, Vr::DA, "20150105")?;
        w.text(0x0008_0031, Vr::TM, "100000")?;
        w.text(0x0008_0060, Vr::CS, "PT")?;
        w.text(0x0010_0040, Vr::CS, "F")?;
        w.decimals(0x0010_1020, &[1.65])?;
        w.decimals(0x0010_1030, &[62.0])?;
        w.decimals(0x0018_0050, &[4.0])?;
        w.decimals(0x0020_0032, &[0.0, 0.0, 4.0 * k as f64])?;
        w.decimals(0x0020_0037, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0])?;
        w.us(0x0028_0002, 1)?;
        w.text(0x0028_0004, Vr::CS, "MONOCHROME2")?;
        w.us(0x0028_0010, MATRIX)?;
        w.us(0x0028_0011, MATRIX)?;
        w.decimals(0x0028_0030, &[4.0, 4.0])?;
        w.texts(0x0028_0051, Vr::CS, &["DECY", "ATTN"])?;
        w.us(0x0028_0100, 16)?;
        w.us(0x0028_0101, 16)?;
        w.us(0x0028_0102, 15)?;
        w.us(0x0028_0103, 0)?;
        w.decimals(0x0028_1052, &[0.0])?;
        w.decimals(0x0028_1053, &[0.5])?;
        w.begin_sequence(0x0054_0016)?;
        w.begin_item()?;
        w.decimals(0x0018_1074, &[370e6])?;
        w.decimals(0x0018_1075, &[6586.2])?;
        w.text(0x0018_1078, Vr::DT, "20150105090000")?;
        w.end_item()?;
        w.end_sequence()?;
        w.text(0x0054_1001, Vr::CS, "BQML")?;
        w.text(0x0054_1102, Vr::CS, "START")?;
        w.ow_words(0x7FE0_0010, &raw)?;
        let path = folder.join(format!("{k:04}.dcm"));
        let meta = FileMeta {
            sop_class_uid: PET_CLASS,
            sop_instance_uid: &uid,
            implementation_class_uid: "2.25.7",
            implementation_version_name: "BENCH",
        };
        write_part10(&mut std::fs::File::create(&path)?, &meta, &w)?;
        paths.push(path);
    }
    Ok(paths)
}
