//! The trial plan: who is in the trial, when they are scanned, where their lesions are and
//! how big each lesion is at each visit, as each reader measures it. Everything the images,
//! the reports and the truth show comes from here; nothing else draws random numbers.
//!
//! Trajectories (one per subject, cycling in this order so that any 6 consecutive subjects
//! cover them all): responder, pseudo-progressor, true progressor, stable disease, nodal
//! disease reaching CR (< 10 mm short axis), non-target progression. Every 5th subject
//! (index 3, 8, …) misses its third visit when there are at least four; every 4th
//! (index 1, 5, …) is read by a second reader.

use oncoread_criteria::timeline::Role;

use crate::dates::days_from_civil;
use crate::rng::Rng;

/// The command-line knobs of `oncoread synth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthOptions {
    pub subjects: usize,
    pub timepoints: usize,
    pub seed: u64,
    pub slices: usize,
    pub matrix: usize,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            subjects: 6,
            timepoints: 5,
            seed: 1,
            slices: 40,
            matrix: 128,
        }
    }
}

/// Square field of view of every CT slice.
pub const FIELD_OF_VIEW_MM: f64 = 360.0;
pub const SLICE_THICKNESS_MM: f64 = 5.0;

/// CT numbers of lesions: solid nodules in the lungs, contrast-enhancing elsewhere
/// (well above liver and soft tissue, so that they stand out in the images).
pub const LESION_HU_LUNG: i16 = 35;
pub const LESION_HU_ENHANCING: i16 = 110;

pub const SPONSOR: &str = "Oncoread Synthetic Oncology";
pub const PROTOCOL_NAME: &str = "Synthetic immunotherapy response trial";

/// The reader pool of the core lab; a subject's second reader is the next one.
const READERS: [&str; 3] = ["Moreau^Claire", "Okafor^Daniel", "Lindqvist^Eva"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trajectory {
    Responder,
    PseudoProgressor,
    TrueProgressor,
    StableDisease,
    NodalCompleteResponse,
    NonTargetProgression,
}

impl Trajectory {
    const CYCLE: [Trajectory; 6] = [
        Trajectory::Responder,
        Trajectory::PseudoProgressor,
        Trajectory::TrueProgressor,
        Trajectory::StableDisease,
        Trajectory::NodalCompleteResponse,
        Trajectory::NonTargetProgression,
    ];

    pub fn of_subject(index: usize) -> Trajectory {
        Trajectory::CYCLE[index % Trajectory::CYCLE.len()]
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Trajectory::Responder => "responder",
            Trajectory::PseudoProgressor => "pseudo_progressor",
            Trajectory::TrueProgressor => "true_progressor",
            Trajectory::StableDisease => "stable_disease",
            Trajectory::NodalCompleteResponse => "nodal_complete_response",
            Trajectory::NonTargetProgression => "non_target_progression",
        }
    }
}

/// A finding site: its SNOMED CT code and where it sits in the body phantom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    Lung,
    Liver,
    LymphNode,
    AdrenalGland,
}

impl Site {
    /// (code value, meaning) in SCT.
    pub fn code(self) -> (&'static str, &'static str) {
        match self {
            Site::Lung => ("39607008", "Lung"),
            Site::Liver => ("10200004", "Liver"),
            Site::LymphNode => ("59441001", "Lymph node"),
            Site::AdrenalGland => ("23451007", "Adrenal gland"),
        }
    }

    pub fn is_nodal(self) -> bool {
        self == Site::LymphNode
    }

    /// Centre of the organ in fractions of the half field of view (x to the patient's
    /// left, y to posterior), and the fraction of the slices it spans (head first).
    fn anchor(self) -> ((f64, f64), (f64, f64)) {
        match self {
            Site::Lung => ((-0.42, -0.12), (0.0, 0.5)),
            Site::Liver => ((-0.35, 0.05), (0.4, 1.0)),
            Site::LymphNode => ((0.12, -0.05), (0.0, 1.0)),
            Site::AdrenalGland => ((0.22, 0.25), (0.5, 1.0)),
        }
    }
}

/// One lesion as it is in the patient (and drawn into the images).
#[derive(Debug, Clone)]
pub struct LesionPlan {
    /// Tracking Identifier, e.g. "T1", "NT1", "N1".
    pub label: String,
    pub role: Role,
    pub site: Site,
    /// Whether readers record its size (targets and new lesions always; a non-target only
    /// in the non-target-progression trajectory, where its growth is the point).
    pub measured: bool,
    /// Slice index (0 = first, most superior) of the lesion centre.
    pub slice: usize,
    /// Centre in continuous pixel coordinates (column, row); pixel (i, j) spans [i, i+1).
    pub centre_px: (f64, f64),
    /// In-plane angle of the long axis, radians from the row direction.
    pub angle: f64,
    /// True (long, short) axes in mm at each visit; `None` before it appears.
    pub sizes: Vec<Option<(f64, f64)>>,
    /// CT number of the lesion.
    pub hu: i16,
    /// What the criteria should conclude that the SR cannot say (e.g. unequivocal
    /// non-target progression), for the truth's provenance.
    pub intent: Vec<Option<&'static str>>,
}

impl LesionPlan {
    /// The through-plane semi-axis (mm) at a visit: as deep as the short axis is wide.
    pub fn depth_semi_axis(&self, visit: usize) -> f64 {
        self.sizes
            .get(visit)
            .copied()
            .flatten()
            .map_or(0.0, |(_, short)| short / 2.0)
    }
}

/// A reader's record of one lesion at one visit (mm, rounded to 0.1 mm as a viewer
/// shows); `None` sizes for a lesion recorded as present without a measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub long_mm: Option<f64>,
    pub short_mm: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct ReaderPlan {
    pub name: &'static str,
    /// Short name for file names: "reader1", "reader2".
    pub slot: &'static str,
    /// Per lesion (same order as `SubjectPlan::lesions`), per visit.
    pub readings: Vec<Vec<Option<Reading>>>,
}

#[derive(Debug, Clone)]
pub struct VisitPlan {
    /// Index in the schedule (0 = baseline); a missed visit keeps its index unused.
    pub schedule_index: usize,
    /// Clinical Trial Time Point ID: "BL", "W6", "W12", …
    pub timepoint_id: String,
    pub description: String,
    /// Day number (days since 1970-01-01) of the scan.
    pub day: i64,
    /// Study time (HHMMSS).
    pub time: String,
    /// Table position of the first slice (mm); differs from visit to visit.
    pub first_slice_z: f64,
}

/// How the scanner stores CT numbers: both are common in real archives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelStorage {
    /// Pixel Representation 0, 12 bits stored, Rescale Intercept −1024.
    Unsigned,
    /// Pixel Representation 1, 16 bits stored, Rescale Intercept 0.
    Signed,
}

impl PixelStorage {
    pub fn intercept(self) -> i32 {
        match self {
            PixelStorage::Unsigned => -1024,
            PixelStorage::Signed => 0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SubjectPlan {
    pub index: usize,
    pub subject_id: String,
    pub site_id: String,
    pub trajectory: Trajectory,
    pub sex: &'static str,
    pub birth_date: String,
    pub storage: PixelStorage,
    /// Scheduled visits (baseline first); `done[i]` is false for a missed visit.
    pub visits: Vec<VisitPlan>,
    pub done: Vec<bool>,
    pub lesions: Vec<LesionPlan>,
    pub readers: Vec<ReaderPlan>,
}

/// Trial-wide choices drawn from the seed.
#[derive(Debug, Clone, Copy)]
pub struct TrialPlan {
    pub options: SynthOptions,
    pub interval_weeks: i64,
    pub first_enrolment_day: i64,
}

impl TrialPlan {
    pub fn new(options: SynthOptions) -> Self {
        let mut rng = Rng::keyed(options.seed, &["trial"]);
        TrialPlan {
            options,
            interval_weeks: if rng.unit() < 0.5 { 6 } else { 8 },
            first_enrolment_day: days_from_civil(2024, 1, 8) + rng.int(0, 60),
        }
    }

    pub fn protocol_id(&self) -> String {
        format!("SYN-{}", self.options.seed)
    }

    pub fn pixel_spacing(&self) -> f64 {
        FIELD_OF_VIEW_MM / self.options.matrix as f64
    }

    pub fn subject_id(&self, index: usize) -> String {
        let width = self.options.subjects.to_string().len().max(3);
        format!("SUBJ-{:0width$}", index + 1)
    }

    pub fn subject(&self, index: usize) -> SubjectPlan {
        let subject_id = self.subject_id(index);
        let seed = self.options.seed;
        let mut rng = Rng::keyed(seed, &["subject", &subject_id]);
        let trajectory = Trajectory::of_subject(index);
        let visits = self.schedule(&mut rng, index);
        let missed = index % 5 == 3 && visits.len() >= 4;
        let done: Vec<bool> = (0..visits.len()).map(|v| !(missed && v == 2)).collect();
        let lesions = self.lesions(&mut rng, trajectory, visits.len());
        let primary = READERS[index % READERS.len()];
        let mut readers = vec![ReaderPlan {
            name: primary,
            slot: "reader1",
            readings: readings(&lesions, &mut rng, 0.0),
        }];
        if index % 4 == 1 {
            readers.push(ReaderPlan {
                name: READERS[(index + 1) % READERS.len()],
                slot: "reader2",
                // Inter-reader variability: ±8 % of each axis, at most ±2 mm.
                readings: readings(&lesions, &mut rng, 2.0),
            });
        }
        SubjectPlan {
            index,
            site_id: format!("{:02}", 1 + index % 4),
            sex: if rng.unit() < 0.5 { "F" } else { "M" },
            birth_date: crate::dates::dicom_date(
                self.first_enrolment_day - 365 * rng.int(38, 79) - rng.int(0, 364),
            ),
            storage: if index.is_multiple_of(2) {
                PixelStorage::Unsigned
            } else {
                PixelStorage::Signed
            },
            subject_id,
            trajectory,
            visits,
            done,
            lesions,
            readers,
        }
    }

    fn schedule(&self, rng: &mut Rng, index: usize) -> Vec<VisitPlan> {
        let enrolment = self.first_enrolment_day + 2 * index as i64 + rng.int(0, 13);
        let count = self.options.timepoints.max(1);
        (0..count)
            .map(|v| {
                let weeks = self.interval_weeks * v as i64;
                // Follow-up windows of ±3 days around the scheduled day.
                let jitter = if v == 0 { 0 } else { rng.int(-3, 3) };
                let (timepoint_id, description) = if v == 0 {
                    ("BL".to_string(), "Baseline".to_string())
                } else {
                    (format!("W{weeks}"), format!("Week {weeks}"))
                };
                VisitPlan {
                    schedule_index: v,
                    timepoint_id,
                    description,
                    day: enrolment + 7 * weeks + jitter,
                    time: format!("{:02}{:02}00", rng.int(8, 17), rng.int(0, 59)),
                    first_slice_z: (rng.int(-40, 40) as f64) * 0.5,
                }
            })
            .collect()
    }

    /// Lesions and their true sizes over the visits, by trajectory.
    fn lesions(&self, rng: &mut Rng, trajectory: Trajectory, visits: usize) -> Vec<LesionPlan> {
        let mut lesions = Vec::new();
        let mut used_slices = Vec::new();
        // Placement draws from its own stream, so sizes and places do not interfere.
        let mut place = Rng::new(rng.next_u64());
        let mut add = |label: &str,
                       role: Role,
                       site: Site,
                       measured: bool,
                       long: f64,
                       ratio: f64,
                       factors: &[f64],
                       first_visit: usize| {
            let sizes = (0..visits)
                .map(|v| {
                    (v >= first_visit).then(|| {
                        let f = factors.get(v).copied().unwrap_or(1.0);
                        (long * f, long * f * ratio)
                    })
                })
                .collect();
            let slice = self.slice_for(&mut place, site, &used_slices);
            used_slices.push(slice);
            lesions.push(LesionPlan {
                label: label.to_string(),
                role,
                site,
                measured,
                slice,
                centre_px: self.centre_for(&mut place, site),
                angle: place.range(0.0, std::f64::consts::PI),
                sizes,
                hu: if site == Site::Lung {
                    LESION_HU_LUNG
                } else {
                    LESION_HU_ENHANCING
                },
                intent: vec![None; visits],
            });
        };
        // Multiplicative size factor per visit (index 0 = baseline = 1).
        let path = |rng: &mut Rng, per_visit: &dyn Fn(usize, &mut Rng) -> f64| -> Vec<f64> {
            let mut f = 1.0;
            (0..visits)
                .map(|v| {
                    if v > 0 {
                        f *= per_visit(v, rng);
                    }
                    f
                })
                .collect()
        };
        match trajectory {
            Trajectory::Responder => {
                let shrink = path(rng, &|_, r| r.range(0.68, 0.82));
                add(
                    "T1",
                    Role::Target,
                    Site::Lung,
                    true,
                    rng.range(30.0, 48.0),
                    0.7,
                    &shrink,
                    0,
                );
                add(
                    "T2",
                    Role::Target,
                    Site::Liver,
                    true,
                    rng.range(20.0, 32.0),
                    0.75,
                    &shrink,
                    0,
                );
                add(
                    "NT1",
                    Role::NonTarget,
                    Site::Liver,
                    false,
                    12.0,
                    0.8,
                    &[],
                    0,
                );
            }
            Trajectory::StableDisease => {
                let drift = path(rng, &|_, r| r.range(0.95, 1.05));
                add(
                    "T1",
                    Role::Target,
                    Site::Liver,
                    true,
                    rng.range(25.0, 40.0),
                    0.7,
                    &drift,
                    0,
                );
                add(
                    "T2",
                    Role::Target,
                    Site::AdrenalGland,
                    true,
                    rng.range(15.0, 25.0),
                    0.8,
                    &drift,
                    0,
                );
                add("NT1", Role::NonTarget, Site::Lung, false, 8.0, 0.8, &[], 0);
            }
            Trajectory::TrueProgressor => {
                // +10 % then +25 % per visit: ≥ +20 % and ≥ +5 mm by the second follow-up,
                // growing further at the next (confirmed progression).
                let grow = path(rng, &|v, _| if v == 1 { 1.10 } else { 1.25 });
                add(
                    "T1",
                    Role::Target,
                    Site::Liver,
                    true,
                    rng.range(28.0, 40.0),
                    0.7,
                    &grow,
                    0,
                );
                add(
                    "T2",
                    Role::Target,
                    Site::Lung,
                    true,
                    rng.range(18.0, 26.0),
                    0.75,
                    &grow,
                    0,
                );
                add(
                    "NT1",
                    Role::NonTarget,
                    Site::AdrenalGland,
                    false,
                    10.0,
                    0.8,
                    &[],
                    0,
                );
                let new_grow = path(rng, &|_, _| 1.3);
                add("N1", Role::New, Site::Liver, true, 14.0, 0.8, &new_grow, 2);
            }
            Trajectory::PseudoProgressor => {
                // Flare at the first follow-up (+30 % and a new lesion), then response.
                let flare = [1.0, 1.3, 0.85, 0.62, 0.5, 0.45];
                let extended: Vec<f64> = (0..visits)
                    .map(|v| flare.get(v).copied().unwrap_or(0.45))
                    .collect();
                add(
                    "T1",
                    Role::Target,
                    Site::Lung,
                    true,
                    rng.range(30.0, 40.0),
                    0.7,
                    &extended,
                    0,
                );
                add(
                    "T2",
                    Role::Target,
                    Site::AdrenalGland,
                    true,
                    rng.range(20.0, 28.0),
                    0.8,
                    &extended,
                    0,
                );
                add(
                    "NT1",
                    Role::NonTarget,
                    Site::Liver,
                    false,
                    10.0,
                    0.8,
                    &[],
                    0,
                );
                let fading = [1.0, 1.0, 0.75, 0.55, 0.45, 0.4];
                let new_path: Vec<f64> = (0..visits)
                    .map(|v| fading.get(v).copied().unwrap_or(0.4))
                    .collect();
                add("N1", Role::New, Site::Liver, true, 12.0, 0.8, &new_path, 1);
            }
            Trajectory::NodalCompleteResponse => {
                // Nodes measured by short axis: 16.5–22.4 mm at baseline, ×0.62 per visit
                // down to 30 % (a normal node): below 10 mm after two follow-ups.
                let shrink: Vec<f64> = (0..visits)
                    .map(|v| 0.62f64.powi(v as i32).max(0.3))
                    .collect();
                add(
                    "T1",
                    Role::Target,
                    Site::LymphNode,
                    true,
                    rng.range(22.0, 26.0),
                    0.75,
                    &shrink,
                    0,
                );
                add(
                    "T2",
                    Role::Target,
                    Site::LymphNode,
                    true,
                    rng.range(24.0, 28.0),
                    0.8,
                    &shrink,
                    0,
                );
            }
            Trajectory::NonTargetProgression => {
                let drift = path(rng, &|_, r| r.range(0.97, 1.03));
                add(
                    "T1",
                    Role::Target,
                    Site::Lung,
                    true,
                    rng.range(25.0, 35.0),
                    0.7,
                    &drift,
                    0,
                );
                // The measured non-target grows by half at the second follow-up and on.
                let nt = path(rng, &|v, _| if v == 2 { 1.6 } else { 1.1 });
                add("NT1", Role::NonTarget, Site::Liver, true, 20.0, 0.8, &nt, 0);
            }
        }
        if trajectory == Trajectory::NonTargetProgression {
            for lesion in lesions.iter_mut().filter(|l| l.role == Role::NonTarget) {
                for (v, intent) in lesion.intent.iter_mut().enumerate() {
                    if v >= 2 {
                        *intent = Some("unequivocal_progression");
                    }
                }
            }
        }
        lesions
    }

    /// A slice inside the organ's span, away from the volume's edges and not already used.
    fn slice_for(&self, rng: &mut Rng, site: Site, used: &[usize]) -> usize {
        let n = self.options.slices;
        if n <= 2 {
            return 0;
        }
        let (_, (from, to)) = site.anchor();
        let low = ((from * n as f64).floor() as usize).clamp(1, n - 2);
        let high = ((to * n as f64).ceil() as usize)
            .saturating_sub(1)
            .clamp(low, n - 2);
        let mut slice = rng.int(low as i64, high as i64) as usize;
        // Prefer a free slice so that two lesions are not drawn on top of each other.
        for step in 0..=(high - low) {
            let candidate = low + (slice - low + step) % (high - low + 1);
            if !used.contains(&candidate) {
                slice = candidate;
                break;
            }
        }
        slice
    }

    fn centre_for(&self, rng: &mut Rng, site: Site) -> (f64, f64) {
        let ((fx, fy), _) = site.anchor();
        let half = self.options.matrix as f64 / 2.0;
        let col = half + (fx + rng.range(-0.06, 0.06)) * half;
        let row = half + (fy + rng.range(-0.06, 0.06)) * half;
        (col, row)
    }
}

/// Round to 0.1 mm, as viewers display and readers record.
fn tenth(mm: f64) -> f64 {
    (mm * 10.0).round() / 10.0
}

/// Each reader's recorded sizes: the true size plus a reading error (none for the primary
/// reader, whose lines are drawn on the true lesion; up to `spread` mm for a second one).
fn readings(lesions: &[LesionPlan], rng: &mut Rng, spread: f64) -> Vec<Vec<Option<Reading>>> {
    lesions
        .iter()
        .map(|lesion| {
            lesion
                .sizes
                .iter()
                .map(|size| {
                    let (long, short) = (*size)?;
                    // A reader's error grows with the lesion, up to `spread` mm.
                    let error = |size: f64| spread.min(0.08 * size);
                    let long = tenth(long + rng.range(-1.0, 1.0) * error(long)).max(1.0);
                    let short = tenth(short + rng.range(-1.0, 1.0) * error(short)).clamp(1.0, long);
                    Some(if lesion.measured {
                        Reading {
                            long_mm: Some(long),
                            short_mm: Some(short),
                        }
                    } else {
                        Reading {
                            long_mm: None,
                            short_mm: None,
                        }
                    })
                })
                .collect()
        })
        .collect()
}
