//! A deterministic synthetic population of `oncoread.timeline/1` subjects.
//!
//! Every subject is drawn from its own PRNG stream (seed × subject index), so a
//! population of 2,000 subjects is exactly the first 2,000 subjects of one of 100,000, and
//! the generator can stream subjects without holding the whole timeline in memory.
//!
//! Each subject has one baseline and `timepoints - 1` follow-ups at 6- or 8-weekly visits
//! (`day`, a few days of jitter), 5–8 baseline lesions (2–5 targets, some nodal with a
//! short axis, the rest non-targets), and follows one of four trajectories: responder
//! (some complete), stable, progressor (growth, new lesions, rarely unequivocal non-target
//! progression) and pseudo-progressor (early growth or a new lesion, then shrinkage).
//! Missing scans, unassessed lesions, equivocal new lesions and small new nodes occur at
//! low rates. Lengths are millimetres with one decimal. The output is built from the
//! engine's own timeline types, so it always matches the schema.

use std::io::{self, Write};

use oncoread_criteria::timeline::{
    Change, Context, Disease, Lesion, LesionStatus, Role, ScanStatus, Subject, Timeline, Timepoint,
};
use oncoread_criteria::TIMELINE_SCHEMA;

/// splitmix64 (Steele, Lea, Flood 2014): small, fast, and good enough for test data.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// An independent stream for item `index` of the population drawn with `seed`.
    pub fn stream(seed: u64, index: u64) -> Self {
        let mut mixer = SplitMix64::new(index ^ 0x6A09_E667_F3BC_C909);
        SplitMix64::new(seed.wrapping_add(mixer.next_u64()))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in [lo, hi] (inclusive).
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        let span = (hi - lo + 1) as u64;
        lo + (self.next_u64() % span) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Multiplicative measurement noise: 1 ± up to `spread`, triangular around 1.
    pub fn noise(&mut self, spread: f64) -> f64 {
        1.0 + spread * (self.unit() + self.unit() - 1.0)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.int(0, items.len() as i64 - 1) as usize]
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PopulationSpec {
    pub subjects: usize,
    /// Timepoints per subject, baseline included (at least 1).
    pub timepoints: usize,
    pub seed: u64,
}

impl PopulationSpec {
    pub fn new(subjects: usize, timepoints: usize, seed: u64) -> Self {
        PopulationSpec {
            subjects,
            timepoints: timepoints.max(1),
            seed,
        }
    }
}

/// The course of a subject's disease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trajectory {
    Responder,
    Stable,
    Progressor,
    PseudoProgressor,
}

/// The whole population as one timeline document.
pub fn generate(spec: &PopulationSpec) -> Timeline {
    Timeline {
        schema: TIMELINE_SCHEMA.to_string(),
        subjects: (0..spec.subjects).map(|i| subject(spec, i)).collect(),
        problems: Vec::new(),
    }
}

/// Writes the population as compact JSON, one subject per line, streaming (constant
/// memory whatever the number of subjects).
pub fn write_population(spec: &PopulationSpec, out: &mut impl Write) -> io::Result<()> {
    write!(out, "{{\"schema\":\"{TIMELINE_SCHEMA}\",\"subjects\":[")?;
    for index in 0..spec.subjects {
        out.write_all(if index == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, &subject(spec, index)).map_err(io::Error::other)?;
    }
    out.write_all(b"\n]}\n")
}

/// The population as JSON bytes (for benches on small populations).
pub fn population_json(spec: &PopulationSpec) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    write_population(spec, &mut bytes)?;
    Ok(bytes)
}

/// Organs for non-nodal lesions, with a few typical labels each.
const ORGANS: &[(&str, &[&str])] = &[
    (
        "liver",
        &[
            "segment 2",
            "segment 4a",
            "segment 6",
            "segment 7",
            "segment 8",
        ],
    ),
    (
        "lung",
        &[
            "right upper lobe",
            "right lower lobe",
            "left upper lobe",
            "left lower lobe",
        ],
    ),
    ("adrenal", &["left", "right"]),
    (
        "peritoneum",
        &["omental cake", "left paracolic", "pelvic deposit"],
    ),
    (
        "bone",
        &["T10 vertebra", "L3 vertebra", "right iliac", "left rib 6"],
    ),
    ("kidney", &["left upper pole", "right interpolar"]),
    ("spleen", &["lower pole"]),
    ("pleura", &["right posterior", "left basal"]),
    ("soft tissue", &["right thigh", "abdominal wall"]),
];

const NODE_SITES: &[&str] = &[
    "subcarinal",
    "right hilar",
    "para-aortic",
    "left axillary",
    "right external iliac",
    "mesenteric",
    "left supraclavicular",
];

const LYMPH_NODE: &str = "lymph node";

/// How a lesion responds: its size relative to baseline is `course^sensitivity`.
struct Tracked {
    lesion_id: String,
    role: Role,
    organ: String,
    nodal: bool,
    /// Baseline long axis (non-nodal) or short axis (nodal), mm.
    size: f64,
    sensitivity: f64,
    /// Non-targets: unequivocal progression once seen stays.
    progressed: bool,
    /// New lesions: the visit index it appeared at.
    appeared: usize,
}

/// Subject `index` of the population (deterministic in `spec.seed` and `index`).
pub fn subject(spec: &PopulationSpec, index: usize) -> Subject {
    let mut rng = SplitMix64::stream(spec.seed, index as u64);
    let trajectory = match rng.unit() {
        u if u < 0.30 => Trajectory::Responder,
        u if u < 0.62 => Trajectory::Stable,
        u if u < 0.88 => Trajectory::Progressor,
        _ => Trajectory::PseudoProgressor,
    };
    let immunotherapy = trajectory == Trajectory::PseudoProgressor || rng.chance(0.4);
    let context = Context {
        disease: Some(Disease::SolidTumor),
        therapy_start_day: Some(rng.int(-10, 7)),
        immunotherapy_start_day: immunotherapy.then(|| rng.int(-10, 7)),
        ..Context::default()
    };

    let mut lesions = baseline_lesions(&mut rng);
    let course = Course::draw(&mut rng, trajectory);
    let slice = *rng.pick(&[1.25, 2.5, 2.5, 5.0]);
    let weeks = *rng.pick(&[6i64, 6, 8]);

    let mut timepoints = Vec::with_capacity(spec.timepoints);
    timepoints.push(Timepoint {
        timepoint_id: Some("BL".to_string()),
        day: Some(0),
        lesions: lesions
            .iter()
            .map(|l| baseline_lesion(l, slice, &mut rng))
            .collect(),
        ..Timepoint::default()
    });

    let mut new_count = 0;
    for visit in 1..spec.timepoints {
        let nominal = weeks * visit as i64;
        let day = nominal * 7 + rng.int(-4, 4);
        let mut tp = Timepoint {
            timepoint_id: Some(format!("W{nominal}")),
            day: Some(day),
            ..Timepoint::default()
        };
        if rng.chance(0.03) {
            tp.scan = ScanStatus::Missing;
            timepoints.push(tp);
            continue;
        }
        tp.symptomatic = rng.chance(0.015);
        let level = course.level(visit);

        // New lesions appear before measuring, so they are listed at this visit.
        let new_rate = course.new_lesion_rate(visit);
        if new_count < 3 && rng.chance(new_rate) {
            new_count += 1;
            lesions.push(new_tracked(&mut rng, new_count, visit));
        }
        for lesion in &mut lesions {
            if let Some(observed) = followup_lesion(lesion, &course, level, visit, &mut rng) {
                tp.lesions.push(observed);
            }
        }
        timepoints.push(tp);
    }

    Subject {
        subject_id: format!("SUBJ-{:06}", index + 1),
        reader: Some(["R1", "R2"][index % 2].to_string()),
        context: Some(context),
        timepoints,
    }
}

/// The disease course: the relative size of the target burden at each visit.
struct Course {
    trajectory: Trajectory,
    /// Responder: fraction remaining at nadir (0 for a complete response).
    depth: f64,
    /// Progressor: growth per visit; pseudo-progressor: the early flare.
    growth: f64,
    /// Responder that regrows late, or progressor that first responds.
    turn: Option<usize>,
    walk: [f64; 16],
}

impl Course {
    fn draw(rng: &mut SplitMix64, trajectory: Trajectory) -> Course {
        let mut walk = [1.0; 16];
        let mut level: f64 = 1.0;
        for step in walk.iter_mut().skip(1) {
            level = (level * rng.noise(0.07)).clamp(0.8, 1.14);
            *step = level;
        }
        let (depth, growth, turn) = match trajectory {
            Trajectory::Responder => {
                let complete = rng.chance(0.12);
                let depth = if complete {
                    0.0
                } else {
                    rng.uniform(0.3, 0.72)
                };
                let turn = rng.chance(0.3).then(|| rng.int(3, 5) as usize);
                (depth, rng.uniform(0.08, 0.2), turn)
            }
            Trajectory::Stable => (1.0, 0.0, None),
            Trajectory::Progressor => {
                let turn = rng.chance(0.3).then_some(2);
                (rng.uniform(0.6, 0.85), rng.uniform(0.1, 0.3), turn)
            }
            Trajectory::PseudoProgressor => (rng.uniform(0.5, 0.9), rng.uniform(0.15, 0.45), None),
        };
        Course {
            trajectory,
            depth,
            growth,
            turn,
            walk,
        }
    }

    /// Target burden relative to baseline at `visit` (0 = baseline).
    fn level(&self, visit: usize) -> f64 {
        let v = visit as f64;
        match self.trajectory {
            Trajectory::Responder => {
                let down = 1.0 - (1.0 - self.depth) * (v / 2.0).min(1.0);
                match self.turn {
                    Some(turn) if visit > turn && self.depth > 0.0 => {
                        down * (1.0 + self.growth).powi((visit - turn) as i32)
                    }
                    _ => down,
                }
            }
            Trajectory::Stable => self.walk[visit.min(self.walk.len() - 1)],
            Trajectory::Progressor => match self.turn {
                Some(turn) if visit <= turn => 1.0 - (1.0 - self.depth) * v / turn as f64,
                Some(turn) => self.depth * (1.0 + self.growth).powi((visit - turn) as i32),
                None => (1.0 + self.growth).powi(visit as i32),
            },
            Trajectory::PseudoProgressor => {
                if visit <= 1 {
                    1.0 + self.growth * v
                } else {
                    let peak = 1.0 + self.growth;
                    peak - (peak - self.depth) * ((v - 1.0) / 2.0).min(1.0)
                }
            }
        }
    }

    fn new_lesion_rate(&self, visit: usize) -> f64 {
        match self.trajectory {
            Trajectory::Progressor => 0.2,
            Trajectory::PseudoProgressor if visit == 1 => 0.5,
            Trajectory::Responder if self.turn.is_some_and(|t| visit > t) => 0.1,
            _ => 0.015,
        }
    }

    fn non_target_progression_rate(&self) -> f64 {
        match self.trajectory {
            Trajectory::Progressor => 0.03,
            _ => 0.002,
        }
    }
}

fn one_decimal(mm: f64) -> f64 {
    (mm * 10.0).round() / 10.0
}

fn baseline_lesions(rng: &mut SplitMix64) -> Vec<Tracked> {
    let total = rng.int(5, 8) as usize;
    let targets = rng.int(2, 5).min(total as i64 - 1) as usize;
    let mut per_organ: Vec<(&str, usize)> = Vec::new();
    let mut lesions = Vec::with_capacity(total + 3);
    let mut counts = [0usize; 3]; // T, N, NT numbering
    let mut nodal_targets = 0;
    for k in 0..total {
        let role = if k < targets {
            Role::Target
        } else {
            Role::NonTarget
        };
        let nodal = match role {
            Role::Target => nodal_targets < 2 && rng.chance(0.25),
            _ => rng.chance(0.2),
        };
        let organ = if nodal {
            LYMPH_NODE
        } else {
            // At most 2 targets per organ (RECIST), so the population is mostly clean.
            loop {
                let (organ, _) = *rng.pick(ORGANS);
                let used = per_organ
                    .iter()
                    .find(|(o, _)| *o == organ)
                    .map_or(0, |(_, n)| *n);
                if role != Role::Target || used < 2 {
                    if role == Role::Target {
                        match per_organ.iter_mut().find(|(o, _)| *o == organ) {
                            Some((_, n)) => *n += 1,
                            None => per_organ.push((organ, 1)),
                        }
                    }
                    break organ;
                }
            }
        };
        let lesion_id = match (role, nodal) {
            (Role::Target, true) => {
                nodal_targets += 1;
                counts[1] += 1;
                format!("N{}", counts[1])
            }
            (Role::Target, false) => {
                counts[0] += 1;
                format!("T{}", counts[0])
            }
            _ => {
                counts[2] += 1;
                format!("NT{}", counts[2])
            }
        };
        let size = match (role, nodal) {
            // Rarely a target below the measurable minimum (a reader slip the engine reports).
            (Role::Target, false) if rng.chance(0.005) => rng.uniform(7.0, 9.9),
            (Role::Target, false) => 11.0 + 55.0 * rng.unit().powf(1.6),
            (Role::Target, true) => rng.uniform(15.0, 34.0),
            (_, true) => rng.uniform(10.0, 22.0),
            _ => rng.uniform(8.0, 40.0),
        };
        lesions.push(Tracked {
            lesion_id,
            role,
            organ: organ.to_string(),
            nodal,
            size,
            sensitivity: rng.uniform(0.7, 1.3),
            progressed: false,
            appeared: 0,
        });
    }
    lesions
}

fn label(lesion: &Tracked, rng: &mut SplitMix64) -> String {
    if lesion.nodal {
        return format!("{} node", rng.pick(NODE_SITES));
    }
    let labels = ORGANS
        .iter()
        .find(|(o, _)| *o == lesion.organ)
        .map_or(&[][..], |(_, l)| *l);
    if labels.is_empty() {
        lesion.organ.clone()
    } else {
        format!("{} {}", lesion.organ, rng.pick(labels))
    }
}

fn baseline_lesion(lesion: &Tracked, slice: f64, rng: &mut SplitMix64) -> Lesion {
    let mut out = Lesion {
        lesion_id: lesion.lesion_id.clone(),
        label: Some(label(lesion, rng)),
        role: lesion.role,
        organ: Some(lesion.organ.clone()),
        nodal: lesion.nodal,
        ..Lesion::default()
    };
    match (lesion.role, lesion.nodal) {
        (Role::Target, true) => {
            out.short_axis_mm = Some(one_decimal(lesion.size));
            out.long_axis_mm = Some(one_decimal(lesion.size * rng.uniform(1.2, 1.8)));
            out.slice_thickness_mm = Some(slice);
        }
        (Role::Target, false) => {
            out.long_axis_mm = Some(one_decimal(lesion.size));
            out.slice_thickness_mm = Some(slice);
        }
        (_, true) => {
            out.status = Some(LesionStatus::Present);
            out.short_axis_mm = Some(one_decimal(lesion.size));
        }
        _ => out.status = Some(LesionStatus::Present),
    }
    out
}

fn new_tracked(rng: &mut SplitMix64, number: usize, visit: usize) -> Tracked {
    let nodal = rng.chance(0.2);
    let organ = if nodal {
        LYMPH_NODE.to_string()
    } else {
        rng.pick(ORGANS).0.to_string()
    };
    Tracked {
        lesion_id: format!("NEW{number}"),
        role: Role::New,
        organ,
        nodal,
        // Small new nodes (< 10 mm short axis) are not new lesions under RECIST.
        size: if nodal {
            rng.uniform(7.0, 18.0)
        } else {
            rng.uniform(6.0, 24.0)
        },
        sensitivity: rng.uniform(0.7, 1.3),
        progressed: false,
        appeared: visit,
    }
}

/// The observation of one lesion at a follow-up (None: not listed at this visit).
fn followup_lesion(
    lesion: &mut Tracked,
    course: &Course,
    level: f64,
    visit: usize,
    rng: &mut SplitMix64,
) -> Option<Lesion> {
    let mut out = Lesion {
        lesion_id: lesion.lesion_id.clone(),
        role: lesion.role,
        organ: Some(lesion.organ.clone()),
        nodal: lesion.nodal,
        ..Lesion::default()
    };
    match lesion.role {
        Role::Target => {
            if rng.chance(0.01) {
                out.status = Some(LesionStatus::NotAssessed);
                return Some(out);
            }
            let relative = level.powf(lesion.sensitivity) * rng.noise(0.04);
            if lesion.nodal {
                let sa = if level == 0.0 {
                    rng.uniform(5.0, 9.8) // a node back to normal in a complete response
                } else {
                    (lesion.size * relative).max(4.0)
                };
                out.short_axis_mm = Some(one_decimal(sa));
            } else {
                let la = lesion.size * relative;
                if level == 0.0 || la < 2.0 {
                    out.status = Some(LesionStatus::Absent);
                } else if la < 5.0 {
                    out.status = Some(LesionStatus::TooSmall);
                } else {
                    out.long_axis_mm = Some(one_decimal(la));
                }
            }
        }
        Role::NonTarget => {
            if rng.chance(0.01) {
                return None; // not listed: not evaluated at this visit
            }
            if !lesion.progressed && rng.chance(course.non_target_progression_rate()) {
                lesion.progressed = true;
            }
            let gone = level == 0.0 && visit >= 2;
            out.status = Some(if lesion.progressed {
                LesionStatus::UnequivocalProgression
            } else if gone && !lesion.nodal {
                LesionStatus::Absent
            } else {
                LesionStatus::Present
            });
            if lesion.nodal && !lesion.progressed {
                let sa = if gone {
                    rng.uniform(5.0, 9.8)
                } else {
                    lesion.size * level.powf(lesion.sensitivity) * rng.noise(0.05)
                };
                out.short_axis_mm = Some(one_decimal(sa.max(4.0)));
            }
            if lesion.progressed {
                out.change_since_last = Some(Change::Increased);
            }
        }
        Role::New => {
            let age = visit - lesion.appeared;
            if age == 0 && rng.chance(0.1) {
                out.status = Some(LesionStatus::Equivocal);
                return Some(out);
            }
            let factor = match course.trajectory {
                Trajectory::PseudoProgressor => 0.6f64.powi(age as i32),
                Trajectory::Progressor => (1.0 + course.growth).powi(age as i32),
                _ => rng.noise(0.1),
            } * rng.noise(0.05);
            let size = lesion.size * factor;
            if !lesion.nodal && size < 4.0 {
                out.status = Some(LesionStatus::Absent);
            } else if lesion.nodal {
                out.short_axis_mm = Some(one_decimal(size.max(4.0)));
            } else {
                out.long_axis_mm = Some(one_decimal(size));
            }
            if age > 0 {
                out.change_since_last = Some(if factor < 0.95 {
                    Change::Decreased
                } else if factor > 1.05 {
                    Change::Increased
                } else {
                    Change::Unchanged
                });
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncoread_criteria::{assess_timeline, parse_criteria_list, parse_timeline_json, Config};

    #[test]
    fn deterministic_and_prefix_stable() {
        let small = generate(&PopulationSpec::new(50, 6, 7));
        let again = generate(&PopulationSpec::new(50, 6, 7));
        let larger = generate(&PopulationSpec::new(80, 6, 7));
        assert_eq!(small, again);
        assert_eq!(small.subjects[..], larger.subjects[..50]);
        let other = generate(&PopulationSpec::new(50, 6, 8));
        assert_ne!(small, other);
    }

    #[test]
    fn shape_matches_the_brief() {
        let timeline = generate(&PopulationSpec::new(500, 6, 1));
        for subject in &timeline.subjects {
            assert_eq!(subject.timepoints.len(), 6);
            let baseline = &subject.timepoints[0].lesions;
            assert!((5..=8).contains(&baseline.len()), "{}", baseline.len());
            let targets = baseline.iter().filter(|l| l.role == Role::Target).count();
            assert!((2..=5).contains(&targets));
        }
    }

    #[test]
    fn streamed_json_parses_and_assesses_every_subject() {
        let spec = PopulationSpec::new(1_000, 6, 1);
        let bytes = population_json(&spec).unwrap();
        let timeline = parse_timeline_json(&bytes).expect("valid timeline");
        assert_eq!(timeline, generate(&spec));
        let criteria = parse_criteria_list("recist1.1,irecist").unwrap();
        let assessment =
            assess_timeline(&timeline, &Config::default(), &criteria).expect("assessable");
        assert_eq!(assessment.subjects.len(), 1_000);
        // The mix of outcomes is realistic: every RECIST response occurs.
        let mut seen = std::collections::BTreeSet::new();
        for s in &assessment.subjects {
            seen.insert(s.assessments[0].best_overall_response.as_str());
        }
        for expected in ["CR", "PR", "SD", "PD"] {
            assert!(seen.contains(expected), "{expected} missing from {seen:?}");
        }
    }
}
