//! RECIST 1.1 rules, each expectation derived by hand from `shared/spec/criteria.md` §0.3
//! and §2 (not from the engine). Sums are in mm; "PD" means the §2.5 test
//! `SOD*5 >= nadir*6 && SOD - nadir >= 5 mm`, "PR" means `SOD*10 <= baseline*7`.
//! Defaults (§2.11): pr_sticky=true, sd_min_days=42, confirmation 28 days, no imputation.

mod common;

use common::*;
use oncoread_criteria::assessment::NewLesions;
use oncoread_criteria::InputError;
use serde_json::json;

// ------------------------------------------------------------ target thresholds (§2.5, §0.3)

#[test]
fn exactly_minus_30_percent_is_pr() {
    // Baseline 20.0 + 13.0 = 33.0; day 56: 15.0 + 8.1 = 23.1.
    // PR test: 23.1*10 = 231 <= 33.0*7 = 231 -> true (boundary inclusive, §0.3.5) -> PR.
    // PD test vs nadir 33.0: 23.1 < 33.0 -> no. Table A: PR, no NT, no new -> PR.
    let a = assess(
        &targets_only(&[(0, &[20.0, 13.0]), (56, &[15.0, 8.1])]),
        &[RECIST],
        &[],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "PR"]);
    let r = row(&a, RECIST, 56);
    assert_eq!(r.target.map(|t| t.as_str()), Some("PR"));
    assert_eq!(r.target_sum_mm, Some(23.1));
    // Display: (23.1 - 33.0)/33.0 = -30 % exactly -> -30.0 (§0.3.3).
    assert_eq!(r.change_from_baseline_pct, Some(-30.0));
}

#[test]
fn minus_29_9_percent_is_sd() {
    // Baseline 60.0 + 40.0 = 100.0; day 56: 42.1 + 28.0 = 70.1 (-29.9 %).
    // PR test: 70.1*10 = 701 <= 100*7 = 700 -> false. PD vs nadir 100: no. -> SD.
    // BOR: SD at day 56 >= 42 (sd_min_days) -> SD (§2.10 step 3).
    let a = assess(
        &targets_only(&[(0, &[60.0, 40.0]), (56, &[42.1, 28.0])]),
        &[RECIST],
        &[],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "SD"]);
    assert_eq!(bor(&a, RECIST), "SD");
}

#[test]
fn exactly_plus_20_percent_and_5mm_is_pd() {
    // Baseline 12.0 + 13.0 = 25.0 = nadir; day 56: 14.0 + 16.0 = 30.0.
    // PD: 30.0*5 = 150 >= 25.0*6 = 150 (exactly +20 %) and 30.0 - 25.0 = 5.0 >= 5.0 -> PD.
    let a = assess(
        &targets_only(&[(0, &[12.0, 13.0]), (56, &[14.0, 16.0])]),
        &[RECIST],
        &[],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "PD"]);
    assert_eq!(row(&a, RECIST, 56).target.map(|t| t.as_str()), Some("PD"));
    assert_eq!(progression_day(&a, RECIST), Some(56));
    assert_eq!(bor(&a, RECIST), "PD");
}

#[test]
fn plus_19_9_percent_is_not_pd() {
    // Baseline 60.0 + 40.0 = 100.0 = nadir; day 56: 71.9 + 48.0 = 119.9 (+19.9 %, +19.9 mm).
    // PD: 119.9*5 = 599.5 >= 100*6 = 600 -> false (the +5 mm part alone is not enough).
    // PR: 1199 <= 700 -> false -> SD.
    let a = assess(
        &targets_only(&[(0, &[60.0, 40.0]), (56, &[71.9, 48.0])]),
        &[RECIST],
        &[],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "SD"]);
    assert_eq!(progression_day(&a, RECIST), None);
}

#[test]
fn plus_20_percent_but_less_than_5mm_is_not_pd() {
    // Baseline 30.0; day 42: 10.0 -> PR (100 <= 210); nadir becomes 10.0.
    // Day 84: 12.0 vs nadir 10.0: 12*5 = 60 >= 10*6 = 60 (+20 %) but 12 - 10 = 2.0 < 5.0
    // -> not PD. PR vs baseline: 120 <= 210 -> PR (bare table, no sticky needed).
    let a = assess(
        &targets_only(&[(0, &[30.0]), (42, &[10.0]), (84, &[12.0])]),
        &[RECIST],
        &[],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "PR", "PR"]);
    assert_eq!(row(&a, RECIST, 84).nadir, Some(10.0));
}

#[test]
fn from_27_0_to_32_4_is_exactly_plus_20_percent_and_5_4mm_pd() {
    // §0.3.2 example. Baseline 12.0 + 15.0 = 27.0; day 56: 14.3 + 18.1 = 32.4.
    // PD: 32.4*5 = 162.0 >= 27.0*6 = 162.0 and 32.4 - 27.0 = 5.4 >= 5.0 -> PD
    // (a float ratio 32.4/27.0 is not exactly 1.2).
    let a = assess(
        &targets_only(&[(0, &[12.0, 15.0]), (56, &[14.3, 18.1])]),
        &[RECIST],
        &[],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "PD"]);
}

// ------------------------------------------------------------ missing targets (§2.8)

#[test]
fn missing_target_with_partial_sum_proving_pd_is_pd() {
    // Paper example: baseline 20 + 15 + 15 = 50 (nadir 50). Day 56: T1 40, T2 40,
    // T3 not assessed -> partial sum 80. PD: 80*5 = 400 >= 50*6 = 300 and 80 - 50 = 30 >= 5,
    // the missing lesion cannot lower the sum -> target PD -> overall PD (§2.8 row 2).
    let d = one_subject(json!([
        tp(0, targets_at(&[20.0, 15.0, 15.0])),
        tp(
            56,
            vec![
                target("T1", "liver", 40.0),
                target("T2", "lung", 40.0),
                not_assessed("T3", "target", "kidney")
            ]
        ),
    ]));
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "PD"]);
    assert_eq!(row(&a, RECIST, 56).target.map(|t| t.as_str()), Some("PD"));
}

#[test]
fn missing_target_without_partial_sum_proving_pd_is_ne() {
    // Baseline 20 + 15 + 15 = 50. Day 56: T1 10, T2 10, T3 not assessed -> partial 20.
    // PD: 20*5 = 100 >= 300 -> false, so target NE (§2.5 first row, §2.8 row 3) even though
    // 20 <= 35 would look like PR (no imputation by default) -> overall NE; BOR NE.
    let d = one_subject(json!([
        tp(0, targets_at(&[20.0, 15.0, 15.0])),
        tp(
            56,
            vec![
                target("T1", "liver", 10.0),
                target("T2", "lung", 10.0),
                not_assessed("T3", "target", "kidney")
            ]
        ),
    ]));
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "NE"]);
    assert_eq!(row(&a, RECIST, 56).target.map(|t| t.as_str()), Some("NE"));
    assert_eq!(bor(&a, RECIST), "NE");
}

#[test]
fn missing_scan_is_ne() {
    // §2.8 row 1: no imaging at the visit -> NE. Baseline 30 + 20 = 50; day 42 missing;
    // day 84: 29 + 19 = 48 -> -4 %, no PD vs nadir 50 -> SD.
    let d = one_subject(json!([
        tp(0, targets_at(&[30.0, 20.0])),
        missing_scan(42),
        tp(84, targets_at(&[29.0, 19.0])),
    ]));
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "NE", "SD"]);
}

// ------------------------------------------------------------ nadir and PR reference (§2.5)

#[test]
fn pd_is_measured_from_nadir_after_baseline() {
    // Baseline 60 + 40 = 100. Day 42: 36 + 24 = 60 -> PR (600 <= 700); nadir = 60.
    // Day 84: 45 + 30 = 75: vs nadir 60: 75*5 = 375 >= 360 and 75 - 60 = 15 >= 5 -> PD,
    // although vs baseline it is only -25 %.
    let a = assess(
        &targets_only(&[(0, &[60.0, 40.0]), (42, &[36.0, 24.0]), (84, &[45.0, 30.0])]),
        &[RECIST],
        &[],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "PR", "PD"]);
    assert_eq!(progression_day(&a, RECIST), Some(84));
}

#[test]
fn pr_is_measured_from_baseline_not_nadir() {
    // Baseline 100 (60 + 40). Day 42: 60 (36 + 24) -> PR. Day 84: 65 (39 + 26):
    // PD vs nadir 60: 65*5 = 325 >= 360 -> no. PR vs baseline: 650 <= 700 -> PR
    // (from the nadir it would be +8 %, i.e. SD). Bare table and sticky both give PR.
    let d = targets_only(&[(0, &[60.0, 40.0]), (42, &[36.0, 24.0]), (84, &[39.0, 26.0])]);
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "PR", "PR"]);
    let bare = assess(&d, &[RECIST], &[("recist.pr_sticky", "false")]);
    assert_eq!(overall(&bare, RECIST), ["BL", "PR", "PR"]);
}

#[test]
fn sticky_pr_default_keeps_pr_above_minus_30_percent() {
    // Baseline 100. Day 42: 60 -> PR. Day 84: 42.6 + 28.4 = 71.0:
    // PD vs nadir 60: 71*5 = 355 >= 360 -> no. PR: 710 <= 700 -> no (bare table SD).
    // Sticky PR (§2.5 note, R1 default true) -> PR.
    let d = targets_only(&[(0, &[60.0, 40.0]), (42, &[36.0, 24.0]), (84, &[42.6, 28.4])]);
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "PR", "PR"]);
}

#[test]
fn pr_sticky_false_gives_bare_table_sd() {
    // Same sums as above (100 / 60 / 71): with recist.pr_sticky=false the bare table gives SD.
    let d = targets_only(&[(0, &[60.0, 40.0]), (42, &[36.0, 24.0]), (84, &[42.6, 28.4])]);
    let a = assess(&d, &[RECIST], &[("recist.pr_sticky", "false")]);
    assert_eq!(overall(&a, RECIST), ["BL", "PR", "SD"]);
}

#[test]
fn sticky_pr_eortc_faq_100_70_70_80_80_80() {
    // EORTC FAQ "Managing PR": baseline 100 (60 + 40); 70 (42 + 28) at days 42 and 84
    // -> PR (700 <= 700); nadir 70. 80 (48 + 32) at days 126, 168, 210:
    // PD vs nadir 70: 80*5 = 400 >= 420 -> no; PR: 800 <= 700 -> no (bare SD) -> sticky PR.
    let a = assess(
        &targets_only(&[
            (0, &[60.0, 40.0]),
            (42, &[42.0, 28.0]),
            (84, &[42.0, 28.0]),
            (126, &[48.0, 32.0]),
            (168, &[48.0, 32.0]),
            (210, &[48.0, 32.0]),
        ]),
        &[RECIST],
        &[],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "PR", "PR", "PR", "PR", "PR"]);
    assert_eq!(bor(&a, RECIST), "PR");
}

// ------------------------------------------------------------ target CR (§2.4, §2.5)

#[test]
fn nodal_target_below_10mm_gives_cr_with_nonzero_sum() {
    // Baseline: node N1 SA 20 + T1 LD 30 = 50. Day 56: N1 SA 8, T1 absent (0).
    // Sum 8 + 0 = 8 (node keeps its actual SA, §2.4). CR: every non-nodal target 0 and every
    // nodal SA < 10 (8 < 10) -> target CR with sum 8; no NT, no new -> overall CR.
    let d = one_subject(json!([
        tp(
            0,
            vec![node_target("N1", 20.0), target("T1", "liver", 30.0)]
        ),
        tp(
            56,
            vec![node_target("N1", 8.0), absent_target("T1", "liver")]
        ),
    ]));
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "CR"]);
    let r = row(&a, RECIST, 56);
    assert_eq!(r.target.map(|t| t.as_str()), Some("CR"));
    assert_eq!(r.target_sum_mm, Some(8.0));
}

#[test]
fn target_cr_with_non_target_persisting_is_pr() {
    // T1 30 -> absent (target CR); NT1 present -> non-CR/non-PD. Table A row 2 -> PR.
    let d = one_subject(json!([
        tp(
            0,
            vec![
                target("T1", "liver", 30.0),
                non_target("NT1", "lung", "present")
            ]
        ),
        tp(
            56,
            vec![
                absent_target("T1", "liver"),
                non_target("NT1", "lung", "present")
            ]
        ),
    ]));
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "PR"]);
    let r = row(&a, RECIST, 56);
    assert_eq!(r.target.map(|t| t.as_str()), Some("CR"));
    assert_eq!(r.non_target.map(|t| t.as_str()), Some("non-CR/non-PD"));
}

#[test]
fn target_cr_with_non_target_not_evaluated_is_pr() {
    // T1 30 -> absent (target CR); NT1 not assessed -> NT NE. Table A row 3 / §2.8 row 4
    // (targets complete, NT not all evaluated: target CR -> PR).
    let d = one_subject(json!([
        tp(
            0,
            vec![
                target("T1", "liver", 30.0),
                non_target("NT1", "lung", "present")
            ]
        ),
        tp(
            56,
            vec![
                absent_target("T1", "liver"),
                not_assessed("NT1", "non_target", "lung")
            ]
        ),
    ]));
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "PR"]);
    assert_eq!(
        row(&a, RECIST, 56).non_target.map(|t| t.as_str()),
        Some("NE")
    );
}

// ------------------------------------------------------------ non-target-only patients (§2.9 B)

fn nt_only(follow_up: Vec<serde_json::Value>) -> serde_json::Value {
    one_subject(json!([
        tp(
            0,
            vec![
                non_target("NT1", "liver", "present"),
                non_target("NT2", "lung", "present")
            ]
        ),
        tp(56, follow_up),
    ]))
}

#[test]
fn non_target_only_persisting_is_non_cr_non_pd() {
    // Table B: NT persist, no new lesion -> non-CR/non-PD (not SD). BOR: non-CR/non-PD at
    // day 56 >= 42 -> non-CR/non-PD (§2.10 step 3).
    let d = nt_only(vec![
        non_target("NT1", "liver", "present"),
        non_target("NT2", "lung", "present"),
    ]);
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "non-CR/non-PD"]);
    assert_eq!(bor(&a, RECIST), "non-CR/non-PD");
}

#[test]
fn non_target_only_all_gone_is_cr() {
    // Table B: all NT absent (no nodes involved), no new lesion -> CR.
    let d = nt_only(vec![
        non_target("NT1", "liver", "absent"),
        non_target("NT2", "lung", "absent"),
    ]);
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "CR"]);
}

#[test]
fn non_target_only_not_all_evaluated_is_ne() {
    // Table B / §2.8 last row: NT not all evaluated, no PD -> NE.
    let d = nt_only(vec![
        non_target("NT1", "liver", "present"),
        not_assessed("NT2", "non_target", "lung"),
    ]);
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "NE"]);
}

#[test]
fn non_target_only_unequivocal_progression_is_pd() {
    // Table B: unequivocal progression of an existing NT -> PD, dated day 56.
    let d = nt_only(vec![
        non_target("NT1", "liver", "unequivocal_progression"),
        non_target("NT2", "lung", "present"),
    ]);
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "PD"]);
    assert_eq!(progression_day(&a, RECIST), Some(56));
}

// ------------------------------------------------------------ new lesions (§2.7)

#[test]
fn new_lesion_is_pd() {
    // Baseline 30 + 20 = 50; day 56: 28 + 18 = 46 (-8 %, target SD) plus an unequivocal new
    // lesion -> Table A last row -> PD, dated day 56.
    let mut lesions = targets_at(&[28.0, 18.0]);
    lesions.push(new_lesion("NEW1", "bone", 12.0));
    let d = one_subject(json!([tp(0, targets_at(&[30.0, 20.0])), tp(56, lesions)]));
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "PD"]);
    assert_eq!(row(&a, RECIST, 56).new_lesions, Some(NewLesions::Present));
    assert_eq!(progression_day(&a, RECIST), Some(56));
}

#[test]
fn equivocal_new_lesion_confirmed_later_dates_pd_to_first_sighting() {
    // Baseline 30 + 20 = 50. Day 42: 29 + 19 = 48 (-4 %, SD) and an equivocal new lesion
    // (6 mm) -> not a PD trigger yet -> SD. Day 84: 29 + 18 = 47, the same lesion now
    // unequivocal (11 mm) -> PD. §2.7 / §2.10: PD is dated to the scan where it was first
    // seen -> progression day 42 (the first PD timepoint is still day 84).
    let mut day42 = targets_at(&[29.0, 19.0]);
    day42.push(json!({ "lesion_id": "NEW1", "role": "new", "organ": "bone",
                       "long_axis_mm": 6.0, "status": "equivocal" }));
    let mut day84 = targets_at(&[29.0, 18.0]);
    day84.push(new_lesion("NEW1", "bone", 11.0));
    let d = one_subject(json!([
        tp(0, targets_at(&[30.0, 20.0])),
        tp(42, day42),
        tp(84, day84)
    ]));
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "SD", "PD"]);
    assert_eq!(row(&a, RECIST, 42).new_lesions, Some(NewLesions::Equivocal));
    assert_eq!(progression_day(&a, RECIST), Some(42));
}

fn new_node_case(sa: f64) -> serde_json::Value {
    // Baseline 30 + 20 = 50; day 56: 29 + 19 = 48 (-4 %, target SD) plus a new lymph node.
    let mut lesions = targets_at(&[29.0, 19.0]);
    lesions.push(
        json!({ "lesion_id": "NEWN", "role": "new", "organ": "lymph node",
                         "nodal": true, "short_axis_mm": sa, "long_axis_mm": sa + 6.0 }),
    );
    one_subject(json!([tp(0, targets_at(&[30.0, 20.0])), tp(56, lesions)]))
}

#[test]
fn new_lymph_node_with_short_axis_8mm_is_not_a_new_lesion() {
    // §2.7: a new node counts only if SA >= 10 mm (new_node_min_sa_mm=10); 8 < 10 -> no new
    // lesion -> target SD, overall SD; BOR SD (day 56 >= 42).
    let a = assess(&new_node_case(8.0), &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "SD"]);
    assert_ne!(row(&a, RECIST, 56).new_lesions, Some(NewLesions::Present));
    assert_eq!(bor(&a, RECIST), "SD");
}

#[test]
fn new_lymph_node_with_short_axis_10mm_is_a_new_lesion() {
    // §2.7 / §0.3.5: SA >= 10 mm is inclusive; 10.0 >= 10 -> new lesion -> PD.
    let a = assess(&new_node_case(10.0), &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "PD"]);
}

// ------------------------------------------------------------ BOR without confirmation (§2.10)

#[test]
fn bor_sd_before_42_days_then_pd_is_pd() {
    // Baseline 30 + 20 = 50. Day 35: 29 + 19 = 48 -> SD (-4 %), nadir 48. Day 70: 36 + 24 = 60:
    // vs nadir 48: 60*5 = 300 >= 288 and 60 - 48 = 12 >= 5 -> PD.
    // BOR: no CR/PR; the only SD is at day 35 < 42 -> not SD; a PD follows -> PD.
    let a = assess(
        &targets_only(&[(0, &[30.0, 20.0]), (35, &[29.0, 19.0]), (70, &[36.0, 24.0])]),
        &[RECIST],
        &[],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "SD", "PD"]);
    assert_eq!(bor(&a, RECIST), "PD");
    assert_eq!(confirmed_bor(&a, RECIST), "PD");
}

#[test]
fn bor_sd_before_42_days_then_lost_is_ne() {
    // SD at day 35 < 42 only, then the patient is lost -> §2.10 step 4: no PD follows -> NE.
    let lost = targets_only(&[(0, &[30.0, 20.0]), (35, &[29.0, 19.0])]);
    let a = assess(&lost, &[RECIST], &[]);
    assert_eq!(bor(&a, RECIST), "NE");
    // Same with a follow-up visit whose scan is missing (TPR NE).
    let ne = one_subject(json!([
        tp(0, targets_at(&[30.0, 20.0])),
        tp(35, targets_at(&[29.0, 19.0])),
        missing_scan(70),
    ]));
    let a = assess(&ne, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "SD", "NE"]);
    assert_eq!(bor(&a, RECIST), "NE");
}

#[test]
fn bor_sd_at_42_days_is_sd_and_at_41_days_is_ne() {
    // sd_min_days = 42, "day >= 42" inclusive. 50 -> 48 is SD.
    let at42 = assess(
        &targets_only(&[(0, &[30.0, 20.0]), (42, &[29.0, 19.0])]),
        &[RECIST],
        &[],
    );
    assert_eq!(bor(&at42, RECIST), "SD");
    let at41 = assess(
        &targets_only(&[(0, &[30.0, 20.0]), (41, &[29.0, 19.0])]),
        &[RECIST],
        &[],
    );
    assert_eq!(bor(&at41, RECIST), "NE");
}

// ------------------------------------------------------------ BOR with confirmation (§2.10)

#[test]
fn confirmed_bor_pr_then_pr_28_days_later_is_pr() {
    // 100 -> 60 (day 42, PR) -> 60 (day 84, PR). Day 84 is 42 >= 28 days later and PR
    // -> the PR is confirmed: both BOR fields PR.
    let a = assess(
        &targets_only(&[(0, &[60.0, 40.0]), (42, &[36.0, 24.0]), (84, &[36.0, 24.0])]),
        &[RECIST],
        &[],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "PR", "PR"]);
    assert_eq!(bor(&a, RECIST), "PR");
    assert_eq!(confirmed_bor(&a, RECIST), "PR");
}

#[test]
fn confirmed_bor_needs_a_scan_at_least_28_days_later() {
    // 100 -> 60 (day 42, PR) -> 60 (day 63, PR, only 21 days later), then nothing.
    // No assessment >= 28 days after either PR -> unconfirmed -> counts as SD; SD minimum
    // met (day 42 >= 42) -> confirmed BOR SD. Unconfirmed BOR PR.
    let a = assess(
        &targets_only(&[(0, &[60.0, 40.0]), (42, &[36.0, 24.0]), (63, &[36.0, 24.0])]),
        &[RECIST],
        &[],
    );
    assert_eq!(bor(&a, RECIST), "PR");
    assert_eq!(confirmed_bor(&a, RECIST), "SD");
}

#[test]
fn confirmed_bor_pr_then_sd_is_sd_while_unconfirmed_bor_is_pr() {
    // pr_sticky=false so the second TPR is the bare SD. 100 -> 60 (day 42: PR) -> 71
    // (day 84: 71*5 = 355 < 360 not PD, 710 > 700 not PR -> SD).
    // best_overall_response: any PR -> PR. confirmed_best_overall_response: the first
    // evaluable scan >= 28 days after the PR is SD -> PR unconfirmed -> SD (day 42 >= 42).
    let a = assess(
        &targets_only(&[(0, &[60.0, 40.0]), (42, &[36.0, 24.0]), (84, &[42.6, 28.4])]),
        &[RECIST],
        &[("recist.pr_sticky", "false")],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "PR", "SD"]);
    assert_eq!(bor(&a, RECIST), "PR");
    assert_eq!(confirmed_bor(&a, RECIST), "SD");
}

#[test]
fn confirmed_bor_cr_then_cr_is_cr() {
    // T1 30 -> absent (day 42, CR) -> absent (day 84, CR, 42 >= 28 days later) -> CR.
    let d = one_subject(json!([
        tp(0, vec![target("T1", "liver", 30.0)]),
        tp(42, vec![absent_target("T1", "liver")]),
        tp(84, vec![absent_target("T1", "liver")]),
    ]));
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "CR", "CR"]);
    assert_eq!(bor(&a, RECIST), "CR");
    assert_eq!(confirmed_bor(&a, RECIST), "CR");
}

#[test]
fn confirmed_bor_cr_then_pr_is_pr_by_default() {
    // Nodal target only. Baseline SA 20. Day 42: SA 8 < 10 -> CR; nadir 8.
    // Day 84: SA 11 (>= 10, not CR). PD vs nadir 8: 11*5 = 55 >= 48 but 11 - 8 = 3 < 5 -> no;
    // the CR was not confirmed, so the reappearance rule does not make it PD.
    // PR vs baseline: 110 <= 140 -> PR. Unconfirmed BOR: CR. Confirmed (cr_then_pr=pr):
    // CR then PR >= 28 days later -> PR.
    let d = one_subject(json!([
        tp(0, vec![node_target("N1", 20.0)]),
        tp(42, vec![node_target("N1", 8.0)]),
        tp(84, vec![node_target("N1", 11.0)]),
    ]));
    let a = assess(&d, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "CR", "PR"]);
    assert_eq!(bor(&a, RECIST), "CR");
    assert_eq!(confirmed_bor(&a, RECIST), "PR");
}

// ------------------------------------------------------------ dates (§0.3.1)

#[test]
fn dates_give_days_since_baseline_across_a_leap_year() {
    // L: 2024-02-01 -> 2024-03-14 = 29 (Feb 2024) + 13 = 42 days -> SD at day 42 -> BOR SD.
    // N: 2023-02-01 -> 2023-03-14 = 28 (Feb 2023) + 13 = 41 days -> SD before 42 -> BOR NE.
    // Both: 30 + 20 = 50 -> 29 + 19 = 48 (-4 %) -> SD.
    let subject = |id: &str, d0: &str, d1: &str| {
        json!({ "subject_id": id, "timepoints": [
            { "date": d0, "lesions": targets_at(&[30.0, 20.0]) },
            { "date": d1, "lesions": targets_at(&[29.0, 19.0]) },
        ]})
    };
    let d = doc(json!([
        subject("L", "2024-02-01", "2024-03-14"),
        subject("N", "2023-02-01", "2023-03-14"),
    ]));
    let a = assess(&d, &[RECIST], &[]);
    let days = |id: &str| -> Vec<i64> {
        criterion(&a, id, RECIST)
            .timepoints
            .iter()
            .map(|t| t.day)
            .collect()
    };
    assert_eq!(days("L"), [0, 42]);
    assert_eq!(days("N"), [0, 41]);
    assert_eq!(overall_of(&a, "L", RECIST), ["BL", "SD"]);
    assert_eq!(bor_of(&a, "L", RECIST), "SD");
    assert_eq!(bor_of(&a, "N", RECIST), "NE");
}

// ------------------------------------------------------------ input errors

#[test]
fn unknown_field_is_rejected_with_its_json_path() {
    let d = one_subject(json!([
        tp(0, targets_at(&[30.0])),
        { "day": 42, "lesions": [
            { "lesion_id": "T1", "role": "target", "organ": "liver", "long_axis_mm": 29.0,
              "colour": "red" } ] },
    ]));
    let err = parse(&d).expect_err("an unknown field must be rejected");
    match &err {
        InputError::Document { path, message } => {
            assert!(
                path.starts_with("subjects[0].timepoints[1].lesions[0]"),
                "path {path:?} does not point at the lesion"
            );
            assert!(err.to_string().contains("colour"), "message {message:?}");
        }
        other => panic!("expected a document error, got {other:?}"),
    }
}

#[test]
fn target_without_measurement_at_baseline_is_an_input_error() {
    // A non-nodal target's RECIST measure is its long axis; none at baseline -> no SOD.
    let d = one_subject(json!([
        tp(
            0,
            vec![json!({ "lesion_id": "T1", "role": "target", "organ": "liver" })]
        ),
        tp(42, targets_at(&[29.0])),
    ]));
    let err = try_assess(&d, &[RECIST], &[]).expect_err("must be an input error");
    assert!(
        names_field(&err, "long_axis_mm"),
        "error does not name long_axis_mm: {err}"
    );
}

#[test]
fn lesion_changing_role_is_an_input_error() {
    // T1 is a target at baseline and a non-target at day 42.
    let d = one_subject(json!([
        tp(
            0,
            vec![target("T1", "liver", 30.0), target("T2", "lung", 20.0)]
        ),
        tp(
            42,
            vec![
                non_target("T1", "liver", "present"),
                target("T2", "lung", 20.0)
            ]
        ),
    ]));
    let err = try_assess(&d, &[RECIST], &[]).expect_err("must be an input error");
    assert!(names_field(&err, "role"), "error does not name role: {err}");
}

#[test]
fn impossible_date_is_an_input_error() {
    // 2025-02-30 matches the YYYY-MM-DD pattern but is not a calendar date.
    let d = one_subject(json!([
        { "date": "2025-01-05", "lesions": targets_at(&[30.0]) },
        { "date": "2025-02-30", "lesions": targets_at(&[29.0]) },
    ]));
    let err = try_assess(&d, &[RECIST], &[]).expect_err("must be an input error");
    assert!(names_field(&err, "date"), "error does not name date: {err}");
}
