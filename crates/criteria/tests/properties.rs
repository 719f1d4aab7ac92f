//! Property tests over random timelines:
//! - the order lesions (and timepoints) are listed in does not change any result;
//! - making one follow-up lesion larger never improves that timepoint's response;
//! - random timelines (valid or not) never panic: they assess or return an error;
//! - the fast timeline reader of the streaming assessment reads what serde reads.
//!
//! Every implemented criterion takes part (RECIST 1.1, iRECIST, irRC, irRECIST, imRECIST).
//! - the same for the criteria that read the raw lesions (RANO family, mRECIST, Choi,
//!   PERCIST), on timelines with random second diameters, radiation field, attenuation,
//!   SULpeak, viable diameters, clinical data, liver reference and therapy context.

use oncoread_criteria::assessment::Assessment;
use oncoread_criteria::timeline::{
    Change, Clinical, ClinicalStatus, Context, Lesion, LesionStatus, Role, ScanStatus, Subject,
    T2Flair, Timeline, Timepoint,
};
use oncoread_criteria::{assess_timeline, Config, Criterion, Response};
use proptest::prelude::*;

const CRITERIA: [Criterion; 5] = [
    Criterion::Recist11,
    Criterion::Irecist,
    Criterion::Irrc,
    Criterion::Irrecist,
    Criterion::Imrecist,
];

/// The criteria that read the raw timeline lesions.
const RAW_CRITERIA: [Criterion; 6] = [
    Criterion::Rano,
    Criterion::Irano,
    Criterion::Rano2,
    Criterion::Mrecist,
    Criterion::Choi,
    Criterion::Percist,
];

#[derive(Debug, Clone)]
struct LesionPlan {
    id: String,
    role: Role,
    nodal: bool,
    organ: &'static str,
}

fn organ() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["liver", "lung", "adrenal", "bone", "lymph node"])
}

/// A millimetre value with one decimal, as an SR usually records it.
fn length(max_tenths: u32) -> impl Strategy<Value = f64> {
    (0..=max_tenths).prop_map(|t| t as f64 / 10.0)
}

fn followup_lesion(plan: &LesionPlan) -> impl Strategy<Value = Option<Lesion>> {
    let plan = plan.clone();
    (
        0u8..10,
        length(600),
        prop::option::of(prop::sample::select(vec![
            Change::Decreased,
            Change::Unchanged,
            Change::Increased,
        ])),
    )
        .prop_map(move |(kind, size, change)| {
            let mut lesion = base_lesion(&plan);
            lesion.change_since_last = change;
            match (plan.role, kind) {
                (_, 0) => return None, // not listed at this visit
                (Role::NonTarget, 1) => lesion.status = Some(LesionStatus::UnequivocalProgression),
                (Role::NonTarget, 2 | 3) => lesion.status = Some(LesionStatus::Absent),
                (Role::NonTarget, 4) => lesion.status = Some(LesionStatus::NotAssessed),
                (Role::NonTarget, _) => {
                    lesion.status = Some(LesionStatus::Present);
                    if plan.nodal {
                        lesion.short_axis_mm = Some(size / 2.0);
                    }
                }
                (_, 1) => lesion.status = Some(LesionStatus::TooSmall),
                (_, 2) => lesion.status = Some(LesionStatus::Absent),
                (_, 3) if plan.role == Role::Target => {
                    lesion.status = Some(LesionStatus::NotAssessed)
                }
                (_, 3) => lesion.status = Some(LesionStatus::Equivocal),
                _ => set_size(&mut lesion, size),
            }
            Some(lesion)
        })
}

fn base_lesion(plan: &LesionPlan) -> Lesion {
    Lesion {
        lesion_id: plan.id.clone(),
        role: plan.role,
        nodal: plan.nodal,
        organ: Some(plan.organ.to_string()),
        ..Lesion::default()
    }
}

fn set_size(lesion: &mut Lesion, size: f64) {
    if lesion.nodal {
        lesion.long_axis_mm = Some(size * 1.5);
        lesion.short_axis_mm = Some(size);
    } else {
        lesion.long_axis_mm = Some(size);
        // The perpendicular diameter, for irRC's products (RECIST ignores it).
        lesion.short_axis_mm = Some((size * 0.6 * 10.0).round() / 10.0);
    }
}

prop_compose! {
    fn lesion_plans()(targets in 0usize..5, non_targets in 0usize..3, new in 0usize..3,
                      organs in prop::collection::vec(organ(), 10))
                     -> Vec<LesionPlan> {
        let mut plans = Vec::new();
        let mut k = 0;
        for (role, count, prefix) in [(Role::Target, targets, "T"), (Role::NonTarget, non_targets, "NT"), (Role::New, new, "N")] {
            for i in 0..count {
                let organ = organs[k % organs.len()];
                k += 1;
                plans.push(LesionPlan { id: format!("{prefix}{i}"), role, nodal: organ == "lymph node", organ });
            }
        }
        plans
    }
}

fn subject() -> impl Strategy<Value = Subject> {
    (lesion_plans(), 1usize..7).prop_flat_map(|(plans, followups)| {
        let baseline_sizes = prop::collection::vec(100u32..600, plans.len());
        let gaps = prop::collection::vec(14i64..80, followups);
        let missing = prop::collection::vec(prop::bool::weighted(0.1), followups);
        let visits = prop::collection::vec(
            plans.iter().map(followup_lesion).collect::<Vec<_>>(),
            followups,
        );
        (Just(plans), baseline_sizes, gaps, missing, visits).prop_map(
            |(plans, sizes, gaps, missing, visits)| {
                let mut baseline_lesions = Vec::new();
                for (plan, size) in plans.iter().zip(&sizes) {
                    if plan.role == Role::New {
                        continue;
                    }
                    let mut lesion = base_lesion(plan);
                    if plan.role == Role::Target {
                        set_size(&mut lesion, *size as f64 / 10.0);
                    } else {
                        lesion.status = Some(LesionStatus::Present);
                    }
                    baseline_lesions.push(lesion);
                }
                let mut timepoints = vec![Timepoint {
                    timepoint_id: Some("BL".into()),
                    day: Some(0),
                    lesions: baseline_lesions,
                    ..Timepoint::default()
                }];
                let mut day = 0;
                for (i, ((gap, missing), lesions)) in
                    gaps.iter().zip(&missing).zip(visits).enumerate()
                {
                    day += gap;
                    timepoints.push(Timepoint {
                        timepoint_id: Some(format!("V{}", i + 1)),
                        day: Some(day),
                        scan: if *missing {
                            ScanStatus::Missing
                        } else {
                            ScanStatus::Done
                        },
                        symptomatic: day % 3 == 0,
                        lesions: lesions.into_iter().flatten().collect(),
                        ..Timepoint::default()
                    });
                }
                Subject {
                    subject_id: "S".into(),
                    reader: None,
                    context: None,
                    timepoints,
                }
            },
        )
    })
}

fn timeline_of(subject: Subject) -> Timeline {
    Timeline {
        schema: "oncoread.timeline/1".into(),
        subjects: vec![subject],
        problems: Vec::new(),
    }
}

fn assess(timeline: &Timeline) -> Assessment {
    assess_timeline(timeline, &Config::default(), &CRITERIA).expect("generated timelines are valid")
}

/// Lower is better; PD-like is worst and NE sits just above it (growth can turn NE into PD).
fn severity(response: Response) -> u8 {
    match response {
        Response::CR | Response::ICR | Response::IrCR => 0,
        Response::PR | Response::IPR | Response::IrPR => 1,
        Response::SD
        | Response::ISD
        | Response::IrSD
        | Response::NonCrNonPd
        | Response::NonICrNonIUpd => 2,
        Response::NE => 3,
        Response::PD | Response::IUPD | Response::IrPD => 4,
        Response::ICPD => 5,
        other => panic!("unexpected response {other}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, max_global_rejects: 100_000, ..ProptestConfig::default() })]

    #[test]
    fn lesion_and_timepoint_order_do_not_change_results(subject in subject(), seed in any::<u64>()) {
        let original = assess(&timeline_of(subject.clone()));
        let mut shuffled = subject;
        let mut state = seed | 1;
        let mut next = move || { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state };
        for tp in &mut shuffled.timepoints {
            tp.lesions.reverse();
            let n = tp.lesions.len();
            for i in (1..n).rev() {
                let j = (next() % (i as u64 + 1)) as usize;
                tp.lesions.swap(i, j);
            }
        }
        shuffled.timepoints.reverse();
        let again = assess(&timeline_of(shuffled));
        prop_assert_eq!(
            serde_json::to_string(&original).unwrap(),
            serde_json::to_string(&again).unwrap()
        );
    }

    #[test]
    fn a_larger_followup_lesion_never_improves_that_timepoint(
        subject in subject(),
        visit_pick in any::<prop::sample::Index>(),
        lesion_pick in any::<prop::sample::Index>(),
        extra_tenths in 1u32..200,
    ) {
        prop_assume!(subject.timepoints.len() > 1);
        let visit = 1 + visit_pick.index(subject.timepoints.len() - 1);
        let measured: Vec<usize> = subject.timepoints[visit].lesions.iter().enumerate()
            .filter(|(_, l)| l.role != Role::NonTarget && l.status.is_none()
                && (l.long_axis_mm.is_some() || l.short_axis_mm.is_some()))
            .map(|(i, _)| i)
            .collect();
        prop_assume!(!measured.is_empty());
        let which = measured[lesion_pick.index(measured.len())];
        let mut grown = subject.clone();
        let lesion = &mut grown.timepoints[visit].lesions[which];
        let bigger = if lesion.nodal { lesion.short_axis_mm } else { lesion.long_axis_mm }.unwrap() + extra_tenths as f64 / 10.0;
        set_size(lesion, bigger);
        let id = subject.timepoints[visit].timepoint_id.clone().unwrap();

        let before = assess(&timeline_of(subject));
        let after = assess(&timeline_of(grown));
        for (a, b) in before.subjects[0].assessments.iter().zip(&after.subjects[0].assessments) {
            let row_a = a.timepoints.iter().find(|t| t.timepoint_id == id);
            let row_b = b.timepoints.iter().find(|t| t.timepoint_id == id);
            // Rows stop at the first (confirmed) progression; earlier rows are identical.
            if let (Some(x), Some(y)) = (row_a, row_b) {
                prop_assert!(
                    severity(y.overall) >= severity(x.overall),
                    "{}: {} became {} at {} after growing lesion {}",
                    a.criterion.name(), x.overall, y.overall, id,
                    subject_lesion_id(&before, &id)
                );
            }
        }
    }

    #[test]
    fn random_documents_never_panic(
        subject in subject(),
        role_flip in any::<prop::sample::Index>(),
        drop_baseline_measure in any::<bool>(),
        bad_date in any::<bool>(),
        pr_sticky in any::<bool>(),
        confirmation_required in any::<bool>(),
        further_increase in any::<bool>(),
    ) {
        let mut subject = subject;
        // Break the document in ways a user might: role changes, an unmeasured baseline
        // target, a date that is not a date. Each must be an error, never a panic.
        let all: Vec<(usize, usize)> = subject.timepoints.iter().enumerate()
            .flat_map(|(t, tp)| (0..tp.lesions.len()).map(move |l| (t, l))).collect();
        if !all.is_empty() && role_flip.index(4) == 0 {
            let (t, l) = all[role_flip.index(all.len())];
            subject.timepoints[t].lesions[l].role = Role::NonTarget;
        }
        if drop_baseline_measure {
            if let Some(l) = subject.timepoints[0].lesions.first_mut() {
                l.long_axis_mm = None;
            }
        }
        if bad_date {
            subject.timepoints[0].date = Some("2025-02-30".into());
        }
        let mut config = Config::default();
        config.recist.pr_sticky = pr_sticky;
        config.recist.confirmation_required = confirmation_required;
        if further_increase {
            for key in ["irrc.pd_confirm_rule", "irrecist.pd_confirm_rule", "imrecist.pd_confirm_rule"] {
                config.set_text(key, "further_increase").expect("a known key");
            }
            config.set_text("irrecist.nt_progression_defines_pd", "true").expect("a known key");
        }
        let _ = assess_timeline(&timeline_of(subject), &config, &CRITERIA);
    }
}

fn subject_lesion_id(_: &Assessment, id: &str) -> String {
    id.to_string()
}

/// A small deterministic generator (xorshift) for filling optional fields.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }

    /// A value with one or two decimals in `0..max`, or none one time in four.
    fn maybe(&mut self, max: u64) -> Option<f64> {
        (self.roll(4) != 0).then(|| self.roll(max * 100) as f64 / 100.0)
    }
}

/// Adds, at random, every input the raw-lesion criteria read.
fn enrich(mut subject: Subject, seed: u64) -> Subject {
    let mut d = Dice(seed | 1);
    subject.context = (d.roll(4) != 0).then(|| Context {
        radiotherapy_end_day: (d.roll(3) != 0).then(|| d.roll(200) as i64 - 20),
        immunotherapy_start_day: (d.roll(3) != 0).then(|| d.roll(200) as i64 - 20),
        ..Context::default()
    });
    for tp in &mut subject.timepoints {
        tp.liver_sul_mean = d.maybe(3);
        tp.liver_sul_sd = d.maybe(1);
        tp.clinical = (d.roll(3) != 0).then(|| Clinical {
            clinical_status: [
                None,
                Some(ClinicalStatus::Improved),
                Some(ClinicalStatus::Stable),
                Some(ClinicalStatus::Worse),
            ][d.roll(4) as usize],
            steroid_dose_mg: d.maybe(16),
            t2flair: [
                None,
                Some(T2Flair::Decreased),
                Some(T2Flair::Stable),
                Some(T2Flair::Increased),
            ][d.roll(4) as usize],
            new_neurological_deficit: [None, Some(false), Some(true)][d.roll(3) as usize],
        });
        for lesion in &mut tp.lesions {
            if let Some(ld) = lesion.long_axis_mm {
                if d.roll(5) != 0 {
                    lesion.short_axis_mm = Some(ld * (d.roll(10) + 1) as f64 / 10.0);
                }
                lesion.viable_long_axis_mm =
                    (d.roll(4) != 0).then(|| ld * d.roll(11) as f64 / 10.0);
            }
            lesion.outside_rt_field = [None, Some(false), Some(true)][d.roll(3) as usize];
            lesion.mean_hu = d.maybe(200).map(|hu| hu - 50.0);
            lesion.sul_peak = d.maybe(20);
            lesion.new_intratumoral_nodule = (d.roll(8) == 0).then_some(true);
        }
    }
    subject
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, max_global_rejects: 100_000, ..ProptestConfig::default() })]

    #[test]
    fn raw_lesion_criteria_never_panic(
        subject in subject(),
        seed in any::<u64>(),
        drop_baseline_measure in any::<bool>(),
        bad_date in any::<bool>(),
        variant in 0u8..4,
    ) {
        let mut subject = enrich(subject, seed);
        if drop_baseline_measure {
            if let Some(l) = subject.timepoints[0].lesions.first_mut() {
                l.long_axis_mm = None;
                l.short_axis_mm = None;
                l.sul_peak = None;
            }
        }
        if bad_date {
            subject.timepoints[0].date = Some("2025-02-30".into());
        }
        let mut config = Config::default();
        let settings: &[(&str, &str)] = match variant {
            0 => &[],
            1 => &[("rano2.confirm_outside_window", "true"), ("irano.confirm_rule", "still_pd_vs_nadir"),
                   ("rano.early_increase_label", "ne"), ("choi.size_pd_reference", "baseline")],
            2 => &[("rano2.confirm_reference", "reference"), ("rano2.baseline", "protocol"),
                   ("percist.pmd_reference", "nadir"), ("percist.pmd_strict", "false"),
                   ("rano.steroid_increase_label", "sd"), ("choi.pr_requires_both", "true")],
            _ => &[("recist.confirmation_required", "true"), ("recist.sd_anchor", "therapy_start"),
                   ("rano.post_window_reference", "nadir"), ("mrecist.pd_abs_mm", "5")],
        };
        for (key, value) in settings {
            config.set_text(key, value).unwrap();
        }
        let timeline = timeline_of(subject);
        let _ = assess_timeline(&timeline, &config, &RAW_CRITERIA);
        let all: Vec<Criterion> = CRITERIA.iter().chain(&RAW_CRITERIA).copied().collect();
        let _ = assess_timeline(&timeline, &config, &all);
    }

    #[test]
    fn raw_lesion_criteria_do_not_depend_on_input_order(subject in subject(), seed in any::<u64>()) {
        let subject = enrich(subject, seed);
        let original = assess_timeline(&timeline_of(subject.clone()), &Config::default(), &RAW_CRITERIA)
            .expect("generated timelines are valid");
        let mut shuffled = subject;
        for tp in &mut shuffled.timepoints {
            tp.lesions.reverse();
        }
        shuffled.timepoints.reverse();
        let again = assess_timeline(&timeline_of(shuffled), &Config::default(), &RAW_CRITERIA)
            .expect("generated timelines are valid");
        prop_assert_eq!(
            serde_json::to_string(&original).unwrap(),
            serde_json::to_string(&again).unwrap()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The fast reader of the streaming assessment reads any document serde writes exactly
    /// as serde reads it back (several subjects, so its reused buffers are refilled from
    /// full subjects to sparse ones and back), compact or indented.
    #[test]
    fn the_fast_reader_reads_what_serde_reads(
        subjects in proptest::collection::vec((subject(), any::<u64>(), any::<bool>()), 1..5),
        pretty in any::<bool>(),
    ) {
        let subjects: Vec<Subject> = subjects
            .into_iter()
            .map(|(subject, seed, rich)| if rich { enrich(subject, seed) } else { subject })
            .collect();
        let timeline = Timeline {
            schema: oncoread_criteria::TIMELINE_SCHEMA.to_string(),
            subjects,
            problems: Vec::new(),
        };
        let text = if pretty {
            serde_json::to_string_pretty(&timeline).unwrap()
        } else {
            serde_json::to_string(&timeline).unwrap()
        };
        let by_serde = oncoread_criteria::parse_timeline_json(text.as_bytes()).unwrap();
        let mut walked = Vec::new();
        let parts = oncoread_criteria::timeline_fast::walk_document(&text, |s| {
            walked.push(s.clone());
            true
        });
        prop_assert!(parts.is_some());
        prop_assert_eq!(&walked, &by_serde.subjects);
        // And the fast path itself reads each of them (it does not hand them all to serde):
        // serde's output holds no escapes, unknown keys or repeated keys.
        for subject in &by_serde.subjects {
            let one = serde_json::to_string(subject).unwrap();
            let mut pos = 0;
            let fast = oncoread_criteria::timeline_fast::parse_subject(&one, &mut pos);
            prop_assert_eq!(fast.as_ref(), Some(subject));
            prop_assert_eq!(pos, one.len());
        }
    }
}
