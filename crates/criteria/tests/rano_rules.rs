//! RANO 2010, iRANO and RANO 2.0 (spec §7) on hand-made timelines. Every expectation is
//! derived by hand in the comment above it (products in mm², days since baseline).

mod common;

use common::*;
use oncoread_criteria::Criterion;
use serde_json::{json, Value};

const RANO: Criterion = Criterion::Rano;
const IRANO: Criterion = Criterion::Irano;
const RANO2: Criterion = Criterion::Rano2;

/// An enhancing target with both perpendicular diameters.
fn enh(id: &str, ld: f64, perp: f64) -> Value {
    json!({ "lesion_id": id, "role": "target", "organ": "brain", "long_axis_mm": ld, "short_axis_mm": perp })
}

/// A new enhancing lesion, inside or (mostly) outside the radiation field.
fn new_enh(id: &str, outside: bool) -> Value {
    json!({ "lesion_id": id, "role": "new", "organ": "brain", "long_axis_mm": 12.0,
            "short_axis_mm": 11.0, "outside_rt_field": outside })
}

/// A timepoint with lesions and clinical data.
fn visit(day: i64, lesions: Vec<Value>, clinical: Value) -> Value {
    json!({ "day": day, "lesions": lesions, "clinical": clinical })
}

/// One glioma subject `S1` with a context and timepoints.
fn glioma(context: Value, timepoints: Vec<Value>) -> Value {
    doc(json!([{ "subject_id": "S1", "context": context, "timepoints": timepoints }]))
}

fn has_rule(a: &oncoread_criteria::Assessment, c: Criterion, day: i64, rule: &str) -> bool {
    row(a, c, day).rules.iter().any(|r| r.rule == rule)
}

fn flags(a: &oncoread_criteria::Assessment) -> Vec<(String, String)> {
    subject(a, "S1")
        .flags
        .iter()
        .map(|f| (f.kind.clone(), f.message.clone()))
        .collect()
}

// ---------------------------------------------------------------- RANO 2010 thresholds

#[test]
fn pr_at_exactly_half_the_baseline_product_sum() {
    // Baseline T1 20×20 = 400, T2 10×10 = 100 → SPD 500 mm².
    // Day 60: T1 15×10 = 150, T2 100 → 250 = exactly 50 % of 500 → PR (≤ is inclusive).
    let doc = glioma(
        json!({}),
        vec![
            visit(
                0,
                vec![enh("T1", 20.0, 20.0), enh("T2", 10.0, 10.0)],
                json!({}),
            ),
            visit(
                60,
                vec![enh("T1", 15.0, 10.0), enh("T2", 10.0, 10.0)],
                json!({}),
            ),
        ],
    );
    let a = assess(&doc, &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "PR"]);
    let r = row(&a, RANO, 60);
    assert_eq!(r.burden_mm2, Some(250.0));
    assert_eq!(r.change_from_baseline_pct, Some(-50.0));
    assert!(has_rule(&a, RANO, 60, "rano.target.pr"));

    // 15.1×10 = 151 → SPD 251 > 250 → SD.
    let doc = glioma(
        json!({}),
        vec![
            visit(
                0,
                vec![enh("T1", 20.0, 20.0), enh("T2", 10.0, 10.0)],
                json!({}),
            ),
            visit(
                60,
                vec![enh("T1", 15.1, 10.0), enh("T2", 10.0, 10.0)],
                json!({}),
            ),
        ],
    );
    let a = assess(&doc, &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "SD"]);
}

#[test]
fn pd_at_exactly_a_quarter_over_the_nadir() {
    // Baseline 20×20 = 400. Day 60: 20×10 = 200 = 50 % → PR, nadir 200.
    // Day 120: 25×10 = 250 = exactly 1.25 × 200 → PD although below baseline.
    let doc = glioma(
        json!({}),
        vec![
            visit(0, vec![enh("T1", 20.0, 20.0)], json!({})),
            visit(60, vec![enh("T1", 20.0, 10.0)], json!({})),
            visit(120, vec![enh("T1", 25.0, 10.0)], json!({})),
        ],
    );
    let a = assess(&doc, &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "PR", "PD"]);
    assert!(has_rule(&a, RANO, 120, "rano.target.pd"));
    assert_eq!(row(&a, RANO, 120).nadir, Some(200.0));
    assert_eq!(progression_day(&a, RANO), Some(120));

    // 24.9×10 = 249 < 250 → not PD; 249 > 0.5 × 400 = 200 → SD (a target PR is not sticky).
    let doc = glioma(
        json!({}),
        vec![
            visit(0, vec![enh("T1", 20.0, 20.0)], json!({})),
            visit(60, vec![enh("T1", 20.0, 10.0)], json!({})),
            visit(120, vec![enh("T1", 24.9, 10.0)], json!({})),
        ],
    );
    let a = assess(&doc, &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "PR", "SD"]);
    assert_eq!(progression_day(&a, RANO), None);
}

// ---------------------------------------------------------------- the 12-week window

/// Baseline 20×20 = 400 mm² on day 0, radiotherapy ends on day 42, a follow-up on `day`
/// with 25×24 = 600 mm² (+50 %, in the field).
fn in_field_growth_on(day: i64) -> Value {
    glioma(
        json!({ "radiotherapy_end_day": 42 }),
        vec![
            visit(0, vec![enh("T1", 20.0, 20.0)], json!({})),
            visit(day, vec![enh("T1", 25.0, 24.0)], json!({})),
        ],
    )
}

#[test]
fn day_84_after_radiotherapy_is_inside_the_window_and_day_85_is_not() {
    // Day 126 = 42 + 84: inside the window (≤ 84, spec N1) → in-field growth is not PD,
    // the row is SD (rano.early_increase_label) and carries the in-field-growth rule.
    let a = assess(&in_field_growth_on(126), &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "SD"]);
    assert!(has_rule(&a, RANO, 126, "rano.early_window.in_field_growth"));
    assert_eq!(progression_day(&a, RANO), None);
    let f = flags(&a);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "rano_early_window");
    assert!(
        f[0].1.contains("TP2") && f[0].1.contains("day 126"),
        "{}",
        f[0].1
    );

    // Day 127 = 42 + 85: after the window. No earlier post-RT scan, so the reference is
    // the nadir 400: 600 ≥ 1.25 × 400 = 500 → PD.
    let a = assess(&in_field_growth_on(127), &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "PD"]);
    assert!(!has_rule(
        &a,
        RANO,
        127,
        "rano.early_window.in_field_growth"
    ));
    assert_eq!(progression_day(&a, RANO), Some(127));
    assert!(flags(&a).is_empty());
}

#[test]
fn the_window_length_is_a_key() {
    // With rano.early_window_days = 83, day 126 (84 days after) is outside → PD.
    let a = assess(
        &in_field_growth_on(126),
        &[RANO],
        &[("rano.early_window_days", "83")],
    );
    assert_eq!(overall(&a, RANO), ["BL", "PD"]);
    // And the label of blocked growth is a key too.
    let a = assess(
        &in_field_growth_on(126),
        &[RANO],
        &[("rano.early_increase_label", "ne")],
    );
    assert_eq!(overall(&a, RANO), ["BL", "NE"]);
}

#[test]
fn new_enhancement_inside_the_window_is_pd_only_outside_the_field() {
    // Day 100 is 58 days after radiotherapy (day 42). Target unchanged (400).
    let with_new = |outside: bool| {
        glioma(
            json!({ "radiotherapy_end_day": 42 }),
            vec![
                visit(0, vec![enh("T1", 20.0, 20.0)], json!({})),
                visit(
                    100,
                    vec![enh("T1", 20.0, 20.0), new_enh("N1", outside)],
                    json!({}),
                ),
            ],
        )
    };
    let a = assess(&with_new(true), &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "PD"]);
    assert!(has_rule(&a, RANO, 100, "rano.early_window.outside_field"));

    let a = assess(&with_new(false), &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "SD"]);
    assert!(has_rule(&a, RANO, 100, "rano.early_window.in_field_growth"));
}

#[test]
fn after_the_window_the_reference_is_the_smallest_post_radiotherapy_scan() {
    // Baseline (pre-RT) 400; RT ends day 42; day 70 (in window): 40×20 = 800, in-field
    // growth → SD; day 154 (112 days after RT): 45×20 = 900. Reference = smallest
    // post-RT SPD = 800: 900 < 1000 → no PD; 900 > 200 → SD.
    let doc = glioma(
        json!({ "radiotherapy_end_day": 42 }),
        vec![
            visit(0, vec![enh("T1", 20.0, 20.0)], json!({})),
            visit(70, vec![enh("T1", 40.0, 20.0)], json!({})),
            visit(154, vec![enh("T1", 45.0, 20.0)], json!({})),
        ],
    );
    let a = assess(&doc, &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "SD", "SD"]);
    assert_eq!(row(&a, RANO, 154).nadir, Some(800.0));
    // With the plain nadir (400) as reference: 900 ≥ 500 → PD.
    let a = assess(&doc, &[RANO], &[("rano.post_window_reference", "nadir")]);
    assert_eq!(overall(&a, RANO), ["BL", "SD", "PD"]);
}

// ---------------------------------------------------------------- steroids and clinical status

#[test]
fn steroid_increase_without_progression_is_neither_sd_nor_pd_and_backdates_pd() {
    // Baseline 400 on 2 mg. Day 60: 400 on 4 mg → NE (neither SD nor PD). Day 120: 25×20 =
    // 500 = 1.25 × 400 → PD, dated to the first steroid increase (day 60).
    let doc = glioma(
        json!({}),
        vec![
            visit(
                0,
                vec![enh("T1", 20.0, 20.0)],
                json!({ "steroid_dose_mg": 2.0 }),
            ),
            visit(
                60,
                vec![enh("T1", 20.0, 20.0)],
                json!({ "steroid_dose_mg": 4.0 }),
            ),
            visit(
                120,
                vec![enh("T1", 25.0, 20.0)],
                json!({ "steroid_dose_mg": 4.0 }),
            ),
        ],
    );
    let a = assess(&doc, &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "NE", "PD"]);
    assert!(has_rule(&a, RANO, 60, "rano.steroids.increase"));
    assert!(has_rule(&a, RANO, 120, "rano.steroids.backdated"));
    assert_eq!(progression_day(&a, RANO), Some(60));

    // The same dose as baseline keeps SD; a steroid increase alone is never PD.
    let doc = glioma(
        json!({}),
        vec![
            visit(
                0,
                vec![enh("T1", 20.0, 20.0)],
                json!({ "steroid_dose_mg": 2.0 }),
            ),
            visit(
                60,
                vec![enh("T1", 20.0, 20.0)],
                json!({ "steroid_dose_mg": 2.0 }),
            ),
            visit(
                120,
                vec![enh("T1", 20.0, 20.0)],
                json!({ "steroid_dose_mg": 16.0 }),
            ),
        ],
    );
    let a = assess(&doc, &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "SD", "NE"]);
    assert_eq!(progression_day(&a, RANO), None);
}

#[test]
fn complete_response_needs_steroids_off() {
    // Target gone (SPD 0): off steroids → CR; on 2 mg (= baseline) → PR.
    let cr_on = |dose: f64| {
        glioma(
            json!({}),
            vec![
                visit(
                    0,
                    vec![enh("T1", 20.0, 20.0)],
                    json!({ "steroid_dose_mg": 2.0 }),
                ),
                visit(
                    60,
                    vec![json!({ "lesion_id": "T1", "role": "target", "status": "absent" })],
                    json!({ "steroid_dose_mg": dose }),
                ),
            ],
        )
    };
    let a = assess(&cr_on(0.0), &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "CR"]);
    let a = assess(&cr_on(2.0), &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "PR"]);
    assert!(has_rule(&a, RANO, 60, "rano.steroids.cr_needs_none"));
}

#[test]
fn clinical_deterioration_is_pd_after_the_window_but_not_inside_it() {
    // Stable imaging (400) with clinical status "worse".
    let worse_on = |day: i64| {
        glioma(
            json!({ "radiotherapy_end_day": 42 }),
            vec![
                visit(0, vec![enh("T1", 20.0, 20.0)], json!({})),
                visit(
                    day,
                    vec![enh("T1", 20.0, 20.0)],
                    json!({ "clinical_status": "worse" }),
                ),
            ],
        )
    };
    // Day 100: 58 days after RT (≤ 84) → decline alone is not PD → SD.
    let a = assess(&worse_on(100), &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "SD"]);
    assert!(has_rule(&a, RANO, 100, "rano.early_window.clinical_only"));
    // Day 200: 158 days after RT → PD.
    let a = assess(&worse_on(200), &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "PD"]);
    assert!(has_rule(&a, RANO, 200, "rano.clinical.pd"));
}

#[test]
fn t2flair_increase_is_pd_under_rano_2010_only() {
    // Stable enhancing disease, T2/FLAIR increased on day 60 (no radiotherapy context).
    let doc = glioma(
        json!({}),
        vec![
            visit(0, vec![enh("T1", 20.0, 20.0)], json!({})),
            visit(
                60,
                vec![enh("T1", 20.0, 20.0)],
                json!({ "t2flair": "increased" }),
            ),
        ],
    );
    let a = assess(&doc, &[RANO, RANO2], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "PD"]);
    // RANO 2.0 default: T2/FLAIR does not define progression → SD.
    assert_eq!(overall(&a, RANO2), ["BL", "SD"]);
    let a = assess(&doc, &[RANO2], &[("rano2.t2flair_defines_pd", "true")]);
    assert_eq!(overall(&a, RANO2), ["BL", "PD"]);
}

#[test]
fn only_non_measurable_disease_is_at_best_sd_and_missing_diameters_are_problems() {
    // T1 has no perpendicular diameter at baseline → non-measurable disease (problem).
    // NT2 persists → SD (CR/PR impossible); NT2 unequivocal progression → PD.
    let doc = glioma(
        json!({}),
        vec![
            visit(
                0,
                vec![
                    json!({ "lesion_id": "T1", "role": "target", "long_axis_mm": 20.0 }),
                    json!({ "lesion_id": "NT2", "role": "non_target", "status": "present" }),
                ],
                json!({}),
            ),
            visit(
                60,
                vec![
                    json!({ "lesion_id": "T1", "role": "target", "status": "present" }),
                    json!({ "lesion_id": "NT2", "role": "non_target", "status": "present" }),
                ],
                json!({}),
            ),
            visit(
                120,
                vec![
                    json!({ "lesion_id": "T1", "role": "target", "status": "present" }),
                    json!({ "lesion_id": "NT2", "role": "non_target", "status": "unequivocal_progression" }),
                ],
                json!({}),
            ),
        ],
    );
    let a = assess(&doc, &[RANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "SD", "PD"]);
    let s = subject(&a, "S1");
    assert!(
        s.problems
            .iter()
            .any(|p| p.kind == "rano_target_unmeasured_at_baseline"),
        "{:?}",
        s.problems
    );
    // RECIST problems do not apply when only RANO is assessed.
    assert!(!s
        .problems
        .iter()
        .any(|p| p.kind == "not_measurable_at_baseline"));
}

// ---------------------------------------------------------------- iRANO

/// Immunotherapy from day 0 (baseline 2024-01-01, SPD 20×20 = 400), growth to 30×20 = 600
/// on day 56 (+50 %, no new deficit), then the given follow-ups.
fn irano_case(followups: Vec<Value>) -> Value {
    let mut tps = vec![
        json!({ "date": "2024-01-01", "lesions": [enh("T1", 20.0, 20.0)] }),
        json!({ "date": "2024-02-26", "lesions": [enh("T1", 30.0, 20.0)],
                "clinical": { "new_neurological_deficit": false } }),
    ];
    tps.extend(followups);
    glioma(json!({ "immunotherapy_start_date": "2024-01-01" }), tps)
}

#[test]
fn irano_holds_early_progression_and_dates_the_confirmed_pd_back() {
    // 2024-01-01 + 56 days = 2024-02-26 (Jan 31 days: 30 + 26). Day 56 ≤ 183 after the
    // immunotherapy start, no new deficit → PD-unconfirmed; RANO 2010 says PD at once.
    // Day 140 (2024-05-20 = 2024-02-26 + 84: 3 + 31 + 30 + 20): 37.5×20 = 750 =
    // exactly 1.25 × 600 (the first unconfirmed scan) → PD, dated to day 56.
    let doc = irano_case(vec![
        json!({ "date": "2024-05-20", "lesions": [enh("T1", 37.5, 20.0)] }),
    ]);
    let a = assess(&doc, &[RANO, IRANO], &[]);
    assert_eq!(overall(&a, RANO), ["BL", "PD"]);
    assert_eq!(overall(&a, IRANO), ["BL", "PD-unconfirmed", "PD"]);
    assert_eq!(progression_day(&a, IRANO), Some(56));
    let p = criterion(&a, "S1", IRANO).progression.clone().unwrap();
    assert_eq!(p.date.as_deref(), Some("2024-02-26"));
    assert_eq!(row(&a, IRANO, 140).confirmed, Some(true));
    assert_eq!(row(&a, IRANO, 56).confirmed, Some(true));
    assert!(has_rule(&a, IRANO, 56, "irano.pd_unconfirmed"));
    assert!(has_rule(&a, IRANO, 140, "irano.confirmed"));
}

#[test]
fn irano_confirmation_needs_the_full_interval_and_growth_over_the_first_scan() {
    // Day 84 (2024-03-25: 2024-02-26 + 28): 40×20 = 800 ≥ 750 but only 28 days after the
    // first scan (< 84) → still PD-unconfirmed. Day 140: 40×20 = 800 ≥ 750 → PD (day 56).
    let doc = irano_case(vec![
        json!({ "date": "2024-03-25", "lesions": [enh("T1", 40.0, 20.0)] }),
        json!({ "date": "2024-05-20", "lesions": [enh("T1", 40.0, 20.0)] }),
    ]);
    let a = assess(&doc, &[IRANO], &[]);
    assert_eq!(
        overall(&a, IRANO),
        ["BL", "PD-unconfirmed", "PD-unconfirmed", "PD"]
    );
    assert!(has_rule(&a, IRANO, 84, "irano.awaiting_confirmation"));
    assert_eq!(progression_day(&a, IRANO), Some(56));

    // Day 140 back to 20×20 = 400: not confirmed (pseudo-progression) → assessed afresh:
    // 400 vs nadir 400 → SD; no progression date.
    let doc = irano_case(vec![
        json!({ "date": "2024-05-20", "lesions": [enh("T1", 20.0, 20.0)] }),
    ]);
    let a = assess(&doc, &[IRANO], &[]);
    assert_eq!(overall(&a, IRANO), ["BL", "PD-unconfirmed", "SD"]);
    assert!(has_rule(&a, IRANO, 140, "irano.not_confirmed"));
    assert_eq!(progression_day(&a, IRANO), None);
    assert_eq!(row(&a, IRANO, 56).confirmed, Some(false));
}

#[test]
fn irano_latest_unconfirmed_progression_is_flagged_with_its_due_date() {
    // Only the unconfirmed scan on day 56 (2024-02-26): the confirming scan is due from
    // day 56 + 84 = 140, i.e. 2024-05-20 (derived above).
    let a = assess(&irano_case(vec![]), &[IRANO], &[]);
    assert_eq!(overall(&a, IRANO), ["BL", "PD-unconfirmed"]);
    assert_eq!(bor(&a, IRANO), "PD-unconfirmed");
    assert_eq!(progression_day(&a, IRANO), None);
    let f = flags(&a);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "awaiting_confirmation");
    assert!(
        f[0].1.contains("day 140") && f[0].1.contains("2024-05-20"),
        "{}",
        f[0].1
    );
}

#[test]
fn irano_new_deficit_or_late_progression_is_pd_at_once() {
    // A new neurological deficit with the growth on day 56 → PD without waiting.
    let doc = glioma(
        json!({ "immunotherapy_start_day": 0 }),
        vec![
            visit(0, vec![enh("T1", 20.0, 20.0)], json!({})),
            visit(
                56,
                vec![enh("T1", 30.0, 20.0)],
                json!({ "new_neurological_deficit": true }),
            ),
        ],
    );
    let a = assess(&doc, &[IRANO], &[]);
    assert_eq!(overall(&a, IRANO), ["BL", "PD"]);
    assert_eq!(progression_day(&a, IRANO), Some(56));
    // Day 184 is 184 days after the immunotherapy start (> 183) → RANO applies: PD.
    let doc = glioma(
        json!({ "immunotherapy_start_day": 0 }),
        vec![
            visit(0, vec![enh("T1", 20.0, 20.0)], json!({})),
            visit(184, vec![enh("T1", 30.0, 20.0)], json!({})),
        ],
    );
    let a = assess(&doc, &[IRANO], &[]);
    assert_eq!(overall(&a, IRANO), ["BL", "PD"]);
    // ... but day 183 is inside the 6-month window → PD-unconfirmed.
    let doc = glioma(
        json!({ "immunotherapy_start_day": 0 }),
        vec![
            visit(0, vec![enh("T1", 20.0, 20.0)], json!({})),
            visit(183, vec![enh("T1", 30.0, 20.0)], json!({})),
        ],
    );
    let a = assess(&doc, &[IRANO], &[]);
    assert_eq!(overall(&a, IRANO), ["BL", "PD-unconfirmed"]);
}

// ---------------------------------------------------------------- RANO 2.0

/// Pre-RT baseline 20×20 = 400 (day 0), RT ends day 42, post-RT scan day 70 with 20×15 =
/// 300, growth on day 98 (56 days after RT, in the window) to 25×15 = 375 = 1.25 × 300.
fn rano2_case(followups: Vec<Value>) -> Value {
    let mut tps = vec![
        visit(0, vec![enh("T1", 20.0, 20.0)], json!({})),
        visit(70, vec![enh("T1", 20.0, 15.0)], json!({})),
        visit(98, vec![enh("T1", 25.0, 15.0)], json!({})),
    ];
    tps.extend(followups);
    glioma(json!({ "radiotherapy_end_day": 42 }), tps)
}

#[test]
fn rano2_uses_the_post_radiotherapy_baseline_and_confirms_preliminary_pd() {
    // RANO 2.0: day 70 is the baseline (BL). Day 98: 375 ≥ 1.25 × 300 → preliminary PD.
    // Day 126 (28 days later): 25×18.75 = 468.75 = exactly 1.25 × 375 → confirmed PD,
    // dated to day 98.
    let doc = rano2_case(vec![visit(126, vec![enh("T1", 25.0, 18.75)], json!({}))]);
    let a = assess(&doc, &[RANO, RANO2], &[]);
    assert_eq!(overall(&a, RANO2), ["BL", "BL", "PD-unconfirmed", "PD"]);
    assert!(has_rule(&a, RANO2, 70, "rano2.baseline.post_rt"));
    assert!(has_rule(&a, RANO2, 98, "rano.early_window.in_field_growth"));
    assert!(has_rule(&a, RANO2, 98, "rano2.preliminary_pd"));
    assert_eq!(progression_day(&a, RANO2), Some(98));
    // RANO 2010 on the same scans: baseline 400; day 70: 300 > 200 → SD; day 98 in the
    // window, 375 ≥ 1.25 × 300 → in-field growth → SD; day 126 (84 days after RT, still
    // in the window): 468.75 ≥ 375 → in-field growth → SD.
    assert_eq!(overall(&a, RANO), ["BL", "SD", "SD", "SD"]);
    let kinds: Vec<String> = flags(&a).into_iter().map(|f| f.0).collect();
    assert!(
        kinds.iter().filter(|k| *k == "rano_early_window").count() >= 3,
        "{kinds:?}"
    );
}

#[test]
fn rano2_preliminary_pd_not_confirmed_is_pseudo_progression() {
    // Day 126: 25×18.74 = 468.5 < 468.75 → not confirmed → assessed afresh; still in the
    // window and 468.5 ≥ 1.25 × 300 → a new preliminary PD (same run restarts on day 126).
    let doc = rano2_case(vec![visit(126, vec![enh("T1", 25.0, 18.74)], json!({}))]);
    let a = assess(&doc, &[RANO2], &[]);
    assert_eq!(
        overall(&a, RANO2),
        ["BL", "BL", "PD-unconfirmed", "PD-unconfirmed"]
    );
    assert!(has_rule(&a, RANO2, 126, "rano2.not_confirmed"));
    // The pending progression is the one that started on day 126: due from 126 + 28 = 154.
    let waiting: Vec<String> = flags(&a)
        .into_iter()
        .filter(|f| f.0 == "awaiting_confirmation")
        .map(|f| f.1)
        .collect();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert!(
        waiting[0].contains("(day 126)") && waiting[0].contains("day 154"),
        "{}",
        waiting[0]
    );
    // Back to 20×15 = 300 on day 126: not confirmed, 300 vs nadir 300 → SD.
    let doc = rano2_case(vec![visit(126, vec![enh("T1", 20.0, 15.0)], json!({}))]);
    let a = assess(&doc, &[RANO2], &[]);
    assert_eq!(overall(&a, RANO2), ["BL", "BL", "PD-unconfirmed", "SD"]);
    assert_eq!(progression_day(&a, RANO2), None);
}

#[test]
fn rano2_allows_three_targets_and_can_use_the_protocol_baseline() {
    // Four targets are one too many for RANO 2.0 (3) but fine for RANO 2010 (5).
    let four = vec![
        enh("T1", 20.0, 20.0),
        enh("T2", 15.0, 15.0),
        enh("T3", 12.0, 12.0),
        enh("T4", 11.0, 11.0),
    ];
    let doc = glioma(
        json!({}),
        vec![
            visit(0, four.clone(), json!({})),
            visit(60, four, json!({})),
        ],
    );
    let a = assess(&doc, &[RANO, RANO2], &[]);
    let s = subject(&a, "S1");
    let selections: Vec<&str> = s
        .problems
        .iter()
        .filter(|p| p.kind == "rano_target_selection")
        .map(|p| p.message.as_str())
        .collect();
    assert_eq!(selections.len(), 1, "{selections:?}");
    assert!(selections[0].starts_with("rano2:"));
    // Protocol baseline: day 98 (375) vs day 0 (400) and nadir 300 (day 70): 375 ≥ 375
    // → preliminary PD in the window all the same; day 70 is SD (300 > 200), not BL.
    let a = assess(
        &rano2_case(vec![]),
        &[RANO2],
        &[("rano2.baseline", "protocol")],
    );
    assert_eq!(overall(&a, RANO2), ["BL", "SD", "PD-unconfirmed"]);
}
