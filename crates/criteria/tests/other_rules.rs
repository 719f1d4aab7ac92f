//! mRECIST (spec §8.1), Choi (§8.2) and PERCIST 1.0 (§8.3) on hand-made timelines. Every
//! expectation is derived by hand in the comment above it.

mod common;

use common::*;
use oncoread_criteria::{Assessment, Config, Criterion};
use serde_json::{json, Value};

const MRECIST: Criterion = Criterion::Mrecist;
const CHOI: Criterion = Criterion::Choi;
const PERCIST: Criterion = Criterion::Percist;

fn has_rule(a: &Assessment, c: Criterion, day: i64, rule: &str) -> bool {
    row(a, c, day).rules.iter().any(|r| r.rule == rule)
}

fn problem_kinds(a: &Assessment) -> Vec<String> {
    subject(a, "S1")
        .problems
        .iter()
        .map(|p| p.kind.clone())
        .collect()
}

// ---------------------------------------------------------------- mRECIST

/// A liver target with its whole and viable long axes.
fn hcc(id: &str, ld: f64, viable: f64) -> Value {
    json!({ "lesion_id": id, "role": "target", "organ": id, "long_axis_mm": ld,
            "viable_long_axis_mm": viable })
}

#[test]
fn mrecist_measures_the_viable_diameter() {
    // Baseline viable 40 + 20 = 60 mm (whole 50 + 30 = 80). Day 56: viable 28 + 14 = 42 =
    // exactly 0.7 × 60 → PR, while the whole diameters are unchanged (RECIST: SD).
    // Day 112: viable 33.6 + 16.8 = 50.4 = exactly 1.2 × nadir 42 → PD (no 5 mm floor needed:
    // +8.4 mm).
    let doc = one_subject(json!([
        tp(0, vec![hcc("T1", 50.0, 40.0), hcc("T2", 30.0, 20.0)]),
        tp(56, vec![hcc("T1", 50.0, 28.0), hcc("T2", 30.0, 14.0)]),
        tp(112, vec![hcc("T1", 50.0, 33.6), hcc("T2", 30.0, 16.8)]),
    ]));
    let a = assess(&doc, &[RECIST, MRECIST], &[]);
    assert_eq!(overall(&a, MRECIST), ["BL", "PR", "PD"]);
    assert_eq!(overall(&a, RECIST), ["BL", "SD", "SD"]);
    assert_eq!(row(&a, MRECIST, 56).target_sum_mm, Some(42.0));
    assert_eq!(row(&a, MRECIST, 112).nadir, Some(42.0));
    assert!(has_rule(&a, MRECIST, 112, "mrecist.target.pd"));
    assert_eq!(progression_day(&a, MRECIST), Some(112));
}

#[test]
fn mrecist_absolute_floor_is_a_key_and_no_viable_tumour_is_cr() {
    // Viable 20 → 24 mm: +20 % and +4 mm → PD with the original (no floor) ...
    let doc = one_subject(json!([
        tp(0, vec![hcc("T1", 30.0, 20.0)]),
        tp(56, vec![hcc("T1", 30.0, 24.0)]),
    ]));
    let a = assess(&doc, &[MRECIST], &[]);
    assert_eq!(overall(&a, MRECIST), ["BL", "PD"]);
    // ... but SD with mrecist.pd_abs_mm = 5 (+4 mm < 5 mm).
    let a = assess(&doc, &[MRECIST], &[("mrecist.pd_abs_mm", "5")]);
    assert_eq!(overall(&a, MRECIST), ["BL", "SD"]);
    // No viable tumour left (viable 0 mm) → CR.
    let doc = one_subject(json!([
        tp(0, vec![hcc("T1", 30.0, 20.0)]),
        tp(56, vec![hcc("T1", 25.0, 0.0)]),
    ]));
    let a = assess(&doc, &[MRECIST], &[]);
    assert_eq!(overall(&a, MRECIST), ["BL", "CR"]);
}

#[test]
fn mrecist_missing_viable_diameters_give_ne_and_problems() {
    // Follow-up without viable_long_axis_mm → NE (sum 20 of 40 cannot prove PD) + problem.
    let doc = one_subject(json!([
        tp(0, vec![hcc("T1", 30.0, 20.0), hcc("T2", 30.0, 20.0)]),
        tp(56, vec![hcc("T1", 30.0, 20.0), target("T2", "T2", 30.0)]),
    ]));
    let a = assess(&doc, &[MRECIST], &[]);
    assert_eq!(overall(&a, MRECIST), ["BL", "NE"]);
    assert!(has_rule(&a, MRECIST, 56, "mrecist.target.ne_missing"));
    assert!(problem_kinds(&a).contains(&"mrecist_viable_missing".to_string()));
    // No viable diameter at baseline → every follow-up NE.
    let doc = one_subject(json!([
        tp(0, vec![target("T1", "liver", 30.0)]),
        tp(56, vec![hcc("T1", 30.0, 10.0)]),
    ]));
    let a = assess(&doc, &[MRECIST], &[]);
    assert_eq!(overall(&a, MRECIST), ["BL", "NE"]);
    assert!(problem_kinds(&a).contains(&"mrecist_baseline_unmeasured".to_string()));
}

// ---------------------------------------------------------------- Choi

fn gist(id: &str, ld: f64, hu: f64) -> Value {
    json!({ "lesion_id": id, "role": "target", "organ": id, "long_axis_mm": ld, "mean_hu": hu })
}

fn choi_two_scans(followup: Vec<Value>) -> Value {
    one_subject(json!([
        tp(0, vec![gist("T1", 50.0, 100.0)]),
        tp(56, followup)
    ]))
}

#[test]
fn choi_size_boundary_is_ten_percent() {
    // 50 → 45 mm = exactly −10 %, attenuation unchanged → PR.
    let a = assess(&choi_two_scans(vec![gist("T1", 45.0, 100.0)]), &[CHOI], &[]);
    assert_eq!(overall(&a, CHOI), ["BL", "PR"]);
    // 50 → 45.1 mm (−9.8 %) and 100 → 86 HU (−14 %) → neither → SD.
    let a = assess(&choi_two_scans(vec![gist("T1", 45.1, 86.0)]), &[CHOI], &[]);
    assert_eq!(overall(&a, CHOI), ["BL", "SD"]);
    // 50 → 55 mm = exactly +10 % over the nadir (50), attenuation unchanged → PD.
    let a = assess(&choi_two_scans(vec![gist("T1", 55.0, 100.0)]), &[CHOI], &[]);
    assert_eq!(overall(&a, CHOI), ["BL", "PD"]);
    assert!(has_rule(&a, CHOI, 56, "choi.target.pd"));
    // +10 % size but attenuation −20 % (100 → 80 HU) → PR by attenuation, not PD.
    let a = assess(&choi_two_scans(vec![gist("T1", 55.0, 80.0)]), &[CHOI], &[]);
    assert_eq!(overall(&a, CHOI), ["BL", "PR"]);
}

#[test]
fn choi_density_boundary_is_fifteen_percent_of_the_mean_of_lesion_means() {
    // Same size; 100 → 85 HU = exactly −15 % → PR; 85.1 HU → SD.
    let a = assess(&choi_two_scans(vec![gist("T1", 50.0, 85.0)]), &[CHOI], &[]);
    assert_eq!(overall(&a, CHOI), ["BL", "PR"]);
    let a = assess(&choi_two_scans(vec![gist("T1", 50.0, 85.1)]), &[CHOI], &[]);
    assert_eq!(overall(&a, CHOI), ["BL", "SD"]);
    // Two lesions: baseline mean (100 + 50) / 2 = 75 HU; follow-up (80 + 47.5) / 2 = 63.75
    // = exactly 0.85 × 75 → PR (sizes unchanged).
    let doc = one_subject(json!([
        tp(0, vec![gist("T1", 50.0, 100.0), gist("T2", 30.0, 50.0)]),
        tp(56, vec![gist("T1", 50.0, 80.0), gist("T2", 30.0, 47.5)]),
    ]));
    let a = assess(&doc, &[CHOI], &[]);
    assert_eq!(overall(&a, CHOI), ["BL", "PR"]);
    // Modified Choi (both needed): −15 % density alone → SD.
    let a = assess(
        &choi_two_scans(vec![gist("T1", 50.0, 85.0)]),
        &[CHOI],
        &[("choi.pr_requires_both", "true")],
    );
    assert_eq!(overall(&a, CHOI), ["BL", "SD"]);
}

#[test]
fn choi_intratumoral_nodule_is_pd_and_missing_density_is_ne() {
    // A new intratumoral nodule with shrinking size → PD.
    let mut lesion = gist("T1", 40.0, 100.0);
    lesion["new_intratumoral_nodule"] = json!(true);
    let a = assess(&choi_two_scans(vec![lesion]), &[CHOI], &[]);
    assert_eq!(overall(&a, CHOI), ["BL", "PD"]);
    assert!(has_rule(&a, CHOI, 56, "choi.intratumoral_nodule"));
    // No mean_hu and no size PR (50 → 48 mm, −4 %) → NE + problem.
    let a = assess(
        &choi_two_scans(vec![target("T1", "T1", 48.0)]),
        &[CHOI],
        &[],
    );
    assert_eq!(overall(&a, CHOI), ["BL", "NE"]);
    assert!(has_rule(&a, CHOI, 56, "choi.density.missing"));
    assert!(problem_kinds(&a).contains(&"choi_mean_hu_missing".to_string()));
    // No mean_hu but −10 % size → PR decided by size alone.
    let a = assess(
        &choi_two_scans(vec![target("T1", "T1", 45.0)]),
        &[CHOI],
        &[],
    );
    assert_eq!(overall(&a, CHOI), ["BL", "PR"]);
}

// ---------------------------------------------------------------- PERCIST

/// A PET lesion with its SULpeak.
fn pet(id: &str, role: &str, sul: f64) -> Value {
    json!({ "lesion_id": id, "role": role, "organ": "lung", "sul_peak": sul })
}

fn pet_scan(day: i64, lesions: Vec<Value>, liver_mean: f64, liver_sd: f64) -> Value {
    json!({ "day": day, "lesions": lesions, "liver_sul_mean": liver_mean, "liver_sul_sd": liver_sd })
}

/// Baseline SULpeak `base` with liver 1.0 ± 0.1 (threshold 1.5 × 1.0 + 2 × 0.1 = 1.7), and
/// one follow-up with SULpeak `follow` (same liver).
fn percist_pair(base: f64, follow: f64) -> Value {
    one_subject(json!([
        pet_scan(0, vec![pet("L1", "target", base)], 1.0, 0.1),
        pet_scan(56, vec![pet("L1", "target", follow)], 1.0, 0.1),
    ]))
}

#[test]
fn percist_measurability_uses_the_liver_threshold() {
    // Liver 2.0 ± 0.3: threshold 1.5 × 2.0 + 2 × 0.3 = 3.6. Baseline 3.6 → measurable;
    // 3.59 → not measurable (rows NE, problem).
    let doc = |peak: f64| {
        one_subject(json!([
            pet_scan(0, vec![pet("L1", "target", peak)], 2.0, 0.3),
            pet_scan(56, vec![pet("L1", "target", peak)], 2.0, 0.3),
        ]))
    };
    let a = assess(&doc(3.6), &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "SMD"]);
    assert!(has_rule(&a, PERCIST, 0, "percist.baseline.measurable"));
    let a = assess(&doc(3.59), &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "NE"]);
    assert!(problem_kinds(&a).contains(&"percist_not_measurable".to_string()));
}

#[test]
fn percist_partial_response_needs_thirty_percent_and_point_eight() {
    // 10.0 → 7.0: −30 % exactly and −3.0 SUL → PMR; 7.01 → SMD.
    let a = assess(&percist_pair(10.0, 7.0), &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "PMR"]);
    assert_eq!(row(&a, PERCIST, 56).change_from_baseline_pct, Some(-30.0));
    let a = assess(&percist_pair(10.0, 7.01), &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "SMD"]);
    // 2.0 → 1.2: −40 % and exactly −0.8 SUL → PMR; 2.0 → 1.21: −0.79 SUL → SMD.
    let a = assess(&percist_pair(2.0, 1.2), &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "PMR"]);
    let a = assess(&percist_pair(2.0, 1.21), &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "SMD"]);
    // 2.6 → 1.82: exactly −30 % but only −0.78 SUL → SMD.
    let a = assess(&percist_pair(2.6, 1.82), &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "SMD"]);
}

#[test]
fn percist_progression_needs_more_than_thirty_percent_and_point_eight() {
    // 10.0 → 13.0: exactly +30 % (not > 30 %) → SMD; 13.01 → PMD.
    let a = assess(&percist_pair(10.0, 13.0), &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "SMD"]);
    let a = assess(&percist_pair(10.0, 13.01), &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "PMD"]);
    assert_eq!(progression_day(&a, PERCIST), Some(56));
    // With percist.pmd_strict = false, exactly +30 % (+3.0 SUL) is PMD.
    let a = assess(
        &percist_pair(10.0, 13.0),
        &[PERCIST],
        &[("percist.pmd_strict", "false")],
    );
    assert_eq!(overall(&a, PERCIST), ["BL", "PMD"]);
    // 2.0 → 2.8: +40 % but exactly +0.8 SUL (not > 0.8) → SMD; 2.81 → PMD.
    let a = assess(&percist_pair(2.0, 2.8), &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "SMD"]);
    let a = assess(&percist_pair(2.0, 2.81), &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "PMD"]);
}

#[test]
fn percist_complete_response_new_lesions_and_missing_inputs() {
    // 5.0 → 0.9 ≤ liver mean 1.0 → CMR.
    let a = assess(&percist_pair(5.0, 0.9), &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "CMR"]);
    // A new FDG-avid lesion → PMD whatever the hottest lesion does.
    let doc = one_subject(json!([
        pet_scan(0, vec![pet("L1", "target", 5.0)], 1.0, 0.1),
        pet_scan(
            56,
            vec![pet("L1", "target", 2.0), pet("N1", "new", 4.0)],
            1.0,
            0.1
        ),
    ]));
    let a = assess(&doc, &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "PMD"]);
    // The hottest lesion need not be the same: L2 (6.6 > 5.0 × 1.3 = 6.5, +1.6) → PMD.
    let doc = one_subject(json!([
        pet_scan(
            0,
            vec![pet("L1", "target", 5.0), pet("L2", "non_target", 3.0)],
            1.0,
            0.1
        ),
        pet_scan(
            56,
            vec![pet("L1", "target", 2.0), pet("L2", "non_target", 6.6)],
            1.0,
            0.1
        ),
    ]));
    let a = assess(&doc, &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "PMD"]);
    // No liver reference at baseline → not assessable: NE + problem, never a panic.
    let doc = one_subject(json!([
        { "day": 0, "lesions": [pet("L1", "target", 5.0)] },
        pet_scan(56, vec![pet("L1", "target", 2.0)], 1.0, 0.1),
    ]));
    let a = assess(&doc, &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "NE"]);
    assert!(problem_kinds(&a).contains(&"percist_liver_reference_missing".to_string()));
    // A follow-up lesion without sul_peak while the known one does not prove PMD → NE.
    let doc = one_subject(json!([
        pet_scan(
            0,
            vec![pet("L1", "target", 5.0), pet("L2", "target", 3.0)],
            1.0,
            0.1
        ),
        pet_scan(
            56,
            vec![
                pet("L1", "target", 4.0),
                json!({ "lesion_id": "L2", "role": "target", "long_axis_mm": 12.0 })
            ],
            1.0,
            0.1
        ),
    ]));
    let a = assess(&doc, &[PERCIST], &[]);
    assert_eq!(overall(&a, PERCIST), ["BL", "NE"]);
    assert!(problem_kinds(&a).contains(&"percist_sul_peak_missing".to_string()));
}

#[test]
fn new_keys_have_the_spec_defaults() {
    // Spec §7.4 (N1, N2, N3, N5, N6, N7, N8), §7.1 (PR 50 %, PD 25 %), §8.1–§8.3.
    let e = Config::default().effective();
    let expect = [
        ("rano.early_window_days", json!(84)),
        ("rano.early_increase_label", json!("sd")),
        ("rano.post_window_reference", json!("post_rt_min")),
        ("rano.pr_rel", json!(0.5)),
        ("rano.pd_rel", json!(0.25)),
        ("rano.max_targets", json!(5)),
        ("irano.window_days", json!(183)),
        ("irano.confirm_rule", json!("vs_initial_pd_scan")),
        ("rano2.max_targets", json!(3)),
        ("rano2.confirm_reference", json!("preliminary_scan")),
        ("mrecist.pd_abs_mm", json!(0.0)),
        ("mrecist.pr_rel", json!(0.3)),
        ("choi.size_pr_rel", json!(0.1)),
        ("choi.density_pr_rel", json!(0.15)),
        ("choi.size_pd_reference", json!("nadir")),
        ("percist.measurable_liver_factor", json!(1.5)),
        ("percist.measurable_liver_sd_factor", json!(2)),
        ("percist.pmr_rel", json!(0.3)),
        ("percist.pmr_abs_sul", json!(0.8)),
        ("percist.pmd_strict", json!(true)),
    ];
    for (key, value) in expect {
        assert_eq!(e.get(key), Some(&value), "{key}");
    }
    let mut c = Config::default();
    assert!(c.set_text("rano.nope", "1").is_err());
    assert!(c.set_text("percist.pmd_reference", "sometimes").is_err());
}

#[test]
fn a_plain_recist_timeline_gets_no_problems_from_criteria_whose_inputs_it_lacks() {
    // Long axes only, no context, no clinical data: the raw-lesion criteria give their
    // rows (NE where they cannot measure) but list no problems; RECIST 1.1 lists none
    // either (both targets measurable).
    let plain = targets_only(&[(0, &[30.0, 20.0]), (56, &[20.0, 14.0])]);
    let all = [
        RECIST,
        Criterion::Rano,
        Criterion::Irano,
        Criterion::Rano2,
        MRECIST,
        CHOI,
        PERCIST,
    ];
    let a = assess(&plain, &all, &[]);
    assert!(problem_kinds(&a).is_empty(), "{:?}", problem_kinds(&a));
    // 50 → 34 mm = −32 % → RECIST PR; no viable diameters → mRECIST NE; PERCIST NE.
    assert_eq!(overall(&a, RECIST), ["BL", "PR"]);
    assert_eq!(overall(&a, MRECIST), ["BL", "NE"]);
    assert_eq!(overall(&a, PERCIST), ["BL", "NE"]);
    // Choi still measures size: −32 % ≥ 10 % → PR without attenuation.
    assert_eq!(overall(&a, CHOI), ["BL", "PR"]);
    // A solid tumour with clinical data and an immunotherapy start is still not a glioma:
    // no RANO problems. The same lesions in a glioma subject are (targets lack a second
    // diameter, so they are assessed as non-measurable disease).
    let with_context = |disease: &str| {
        doc(json!([{ "subject_id": "S1",
            "context": { "disease": disease, "immunotherapy_start_day": 0 },
            "timepoints": [
                { "day": 0, "lesions": targets_at(&[30.0]), "clinical": { "steroid_dose_mg": 0.0 } },
                { "day": 56, "lesions": targets_at(&[20.0]) }
            ] }]))
    };
    let every_criterion = [("match_disease", "false")];
    let a = assess(&with_context("solid_tumor"), &all, &every_criterion);
    assert!(problem_kinds(&a).is_empty(), "{:?}", problem_kinds(&a));
    let a = assess(&with_context("high_grade_glioma"), &all, &every_criterion);
    assert_eq!(
        problem_kinds(&a),
        ["rano_target_unmeasured_at_baseline"],
        "{:?}",
        problem_kinds(&a)
    );
    assert_eq!(overall(&a, RECIST), ["BL", "PR"]);
    // By default (match_disease = true) each subject gets only the criteria written for
    // its declared disease; the others are named once as not applicable.
    let a = assess(&with_context("high_grade_glioma"), &all, &[]);
    assert_eq!(
        problem_kinds(&a),
        [
            "criterion_not_applicable",
            "rano_target_unmeasured_at_baseline"
        ],
        "{:?}",
        problem_kinds(&a)
    );
    assert!(overall(&a, RECIST).is_empty());
    assert!(overall(&a, CHOI).is_empty());
    assert_eq!(overall(&a, Criterion::Rano).len(), 2);
    let a = assess(&with_context("solid_tumor"), &all, &[]);
    assert_eq!(
        problem_kinds(&a),
        ["criterion_not_applicable"],
        "{:?}",
        problem_kinds(&a)
    );
    assert!(overall(&a, Criterion::Rano).is_empty());
    assert!(overall(&a, MRECIST).is_empty());
    assert_eq!(overall(&a, RECIST), ["BL", "PR"]);
    assert_eq!(overall(&a, PERCIST), ["BL", "NE"]);
}
