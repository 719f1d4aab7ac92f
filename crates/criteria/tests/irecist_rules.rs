//! iRECIST rules, each expectation derived by hand from `shared/spec/criteria.md` §3 (with
//! the RECIST 1.1 thresholds of §2.5 it inherits). Sums in mm; target "PD" means
//! `SOM*5 >= nadir*6 && SOM - nadir >= 5 mm`, "PR" means `SOM*10 <= baseline*7`.
//! Defaults (§3.9): reset_with_persistent_new_lesions=target_decrease,
//! icpd_reference=first_iupd_of_run, confirmation window [28, 56], early_scan_exception=true,
//! pfs_date=iupd. iBOR below is the unconfirmed `best_overall_response` (paper Table 3 is
//! for randomised trials, no confirmation).

mod common;

use common::*;
use serde_json::{json, Value};

/// Baseline 50 + 30 = 80; day 56: 40 + 24 = 64 plus a new measurable lesion NEW1 12 mm
/// (an NLT, LD >= 10); day 112: 30 + 18 = 48 with NEW1 unchanged at 12 mm.
fn pseudoprogression_case() -> Value {
    let mut d56 = targets_at(&[40.0, 24.0]);
    d56.push(new_lesion("NEW1", "bone", 12.0));
    let mut d112 = targets_at(&[30.0, 18.0]);
    d112.push(new_lesion("NEW1", "bone", 12.0));
    one_subject(json!([
        tp(0, targets_at(&[50.0, 30.0])),
        tp(56, d56),
        tp(112, d112)
    ]))
}

#[test]
fn pseudoprogression_new_lesion_iupd_then_reset_to_ipr_while_recist_says_pd() {
    // Day 56: target 64 vs nadir 80 not PD, vs baseline 640 <= 560 no -> target SD; a
    // brand-new lesion -> iUPD (§3.2). RECIST 1.1: new lesion -> PD (§2.7), dated day 56.
    // Day 112 (56 days later, >= 28): target 48; nadir min(80, 64) = 64 -> not PD;
    // 480 <= 560 -> target PR. NLT-SOM 12 -> 12 (+0 < 5), no additional new lesion, no NT
    // -> no iCPD (§3.3). target_decrease reset (§3.4): 48 < 64 (previous), NEW1 did not
    // grow, none added -> reset; persisting new lesion only blocks iCR -> iPR.
    // iBOR: iUPD does not prevent a later iPR (§3.6) -> iPR; never confirmed -> no iRECIST
    // progression date. Subject flag pseudoprogression: RECIST PD, iRECIST later response.
    let a = assess(&pseudoprogression_case(), &[RECIST, IRECIST], &[]);
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iPR"]);
    assert_eq!(bor(&a, IRECIST), "iPR");
    assert_eq!(progression_day(&a, IRECIST), None);
    assert_eq!(row(&a, RECIST, 56).overall.as_str(), "PD");
    assert_eq!(progression_day(&a, RECIST), Some(56));
    let flags = &subject(&a, "S1").flags;
    assert!(
        flags.iter().any(|f| f.kind == "pseudoprogression"),
        "no pseudoprogression flag in {flags:?}"
    );
}

#[test]
fn persistent_new_lesion_with_reset_never_stays_iupd() {
    // Same timeline with irecist.reset_with_persistent_new_lesions=never (literal Table 2):
    // new lesions present and unchanged at the scan after iUPD -> iUPD (no growth, none
    // added -> not iCPD). Only iUPD TPRs -> iBOR iUPD (§3.6).
    let a = assess(
        &pseudoprogression_case(),
        &[IRECIST],
        &[("irecist.reset_with_persistent_new_lesions", "never")],
    );
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iUPD"]);
    assert_eq!(bor(&a, IRECIST), "iUPD");
}

#[test]
fn reset_then_second_iupd_is_confirmed_from_the_new_iupd() {
    // Baseline 50 + 50 = 100.
    // Day 56: 65 + 65 = 130: 650 >= 600 and +30 >= 5 -> target PD -> iUPD (reference 130).
    // Day 112: 50 + 50 = 100: vs 130 no growth; nadir min(100, 130) = 100 -> 500 >= 600 no
    //   -> no category in PD -> reset (§3.4); target 0 % -> SD -> iSD.
    // Day 168: 61 + 61 = 122 vs nadir 100: 610 >= 600 and +22 >= 5 -> new iUPD (reference 122).
    // Day 224: 64 + 63 = 127: 127 - 122 = 5 >= 5 -> iCPD. (From the old reference 130 it
    //   would be -3, no iCPD: confirmation is measured from the new iUPD.)
    // iBOR: best before iCPD = iSD (day 112 >= 42) -> iSD. Progression = iUPD that was
    // confirmed = day 168 (pfs_date=iupd).
    let a = assess(
        &targets_only(&[
            (0, &[50.0, 50.0]),
            (56, &[65.0, 65.0]),
            (112, &[50.0, 50.0]),
            (168, &[61.0, 61.0]),
            (224, &[64.0, 63.0]),
        ]),
        &[IRECIST],
        &[],
    );
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iSD", "iUPD", "iCPD"]);
    assert_eq!(bor(&a, IRECIST), "iSD");
    assert_eq!(progression_day(&a, IRECIST), Some(168));
}

fn new_lesion_growth_case(second_ld: f64) -> Value {
    // Baseline 50 + 30 = 80; targets unchanged at 80 afterwards (target SD, 0 %).
    // Day 56: NEW1 15 mm appears (NLT); day 112: NEW1 measures `second_ld`.
    let at = |day: i64, ld: f64| {
        let mut lesions = targets_at(&[50.0, 30.0]);
        lesions.push(new_lesion("NEW1", "bone", ld));
        tp(day, lesions)
    };
    one_subject(json!([
        tp(0, targets_at(&[50.0, 30.0])),
        at(56, 15.0),
        at(112, second_ld)
    ]))
}

#[test]
fn icpd_confirmed_by_new_lesion_growth_only() {
    // Day 56: brand-new lesion -> iUPD (NLT-SOM reference 15). Day 112: targets unchanged,
    // NLT-SOM 20: 20 - 15 = 5 >= 5 -> iCPD (§3.3 new-lesion row). Table 3 example 6:
    // iUPD, iCPD -> iBOR iCPD. Progression dated to the confirmed iUPD, day 56.
    let a = assess(&new_lesion_growth_case(20.0), &[IRECIST], &[]);
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iCPD"]);
    assert_eq!(bor(&a, IRECIST), "iCPD");
    assert_eq!(progression_day(&a, IRECIST), Some(56));
}

#[test]
fn new_lesion_growth_of_4_9mm_does_not_confirm() {
    // NLT-SOM 15 -> 19.9: +4.9 < 5 -> no iCPD. Targets 80 -> 80 did not decrease, so the
    // target_decrease reset is not allowed (and the new lesion persists) -> iUPD.
    let a = assess(&new_lesion_growth_case(19.9), &[IRECIST], &[]);
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iUPD"]);
}

fn cumulative_case() -> Value {
    // Baseline 100; 120 (day 56); 124 (day 112); 126 (day 168).
    targets_only(&[
        (0, &[50.0, 50.0]),
        (56, &[60.0, 60.0]),
        (112, &[62.0, 62.0]),
        (168, &[63.0, 63.0]),
    ])
}

#[test]
fn cumulative_5mm_from_first_iupd_of_run_confirms() {
    // Day 56: 120 vs nadir 100: 600 >= 600 and +20 -> iUPD (reference 120).
    // Day 112: 124 = +4 vs 120 -> not confirmed; still PD vs nadir 100 (620 >= 600, +24)
    //   -> iUPD.
    // Day 168: 126 = +6 vs 120 (only +2 vs 124) -> cumulative >= 5 -> iCPD (§3.3, I2).
    // Table 3 example 7: iUPD, iUPD, iCPD -> iBOR iCPD; progression = first iUPD, day 56.
    let a = assess(&cumulative_case(), &[IRECIST], &[]);
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iUPD", "iCPD"]);
    assert_eq!(bor(&a, IRECIST), "iCPD");
    assert_eq!(progression_day(&a, IRECIST), Some(56));
}

#[test]
fn non_cumulative_reference_does_not_confirm_2mm_step() {
    // irecist.icpd_reference=previous_iupd: day 168 is +2 vs the previous iUPD (124) -> no
    // iCPD; still target PD vs nadir 100 -> iUPD.
    let a = assess(
        &cumulative_case(),
        &[IRECIST],
        &[("irecist.icpd_reference", "previous_iupd")],
    );
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iUPD", "iUPD"]);
}

fn non_target_case(change_at_112: &str) -> Value {
    // Target T1 50 throughout (SD); NT1 present at baseline, unequivocal progression at day 56
    // and at day 112 with the given change since day 56.
    one_subject(json!([
        tp(
            0,
            vec![
                target("T1", "liver", 50.0),
                non_target("NT1", "lung", "present")
            ]
        ),
        tp(
            56,
            vec![
                target("T1", "liver", 50.0),
                non_target("NT1", "lung", "unequivocal_progression")
            ]
        ),
        tp(
            112,
            vec![
                target("T1", "liver", 50.0),
                non_target_change("NT1", "lung", "unequivocal_progression", change_at_112)
            ]
        ),
    ]))
}

#[test]
fn non_target_iupd_confirmed_by_further_increase() {
    // Day 56: NT unequivocal progression -> iUPD (NT). Day 112 (56 days later):
    // change_since_last=increased -> any further NT increase confirms -> iCPD (§3.3, I4).
    let a = assess(&non_target_case("increased"), &[IRECIST], &[]);
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iCPD"]);
    assert_eq!(progression_day(&a, IRECIST), Some(56));
}

#[test]
fn non_target_iupd_unchanged_stays_iupd() {
    // Day 112: NT still unequivocally progressed but unchanged since day 56 -> no further
    // increase -> not iCPD; NT still in PD -> no reset -> iUPD (Table 2 row "iSD/iPR/iCR |
    // iUPD | none").
    let a = assess(&non_target_case("unchanged"), &[IRECIST], &[]);
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iUPD"]);
}

// ------------------------------------------------------------ early confirmation scans (§3.3)

#[test]
fn scan_less_than_28_days_after_iupd_is_not_used_for_confirmation() {
    // Day 56: 120 vs 100 -> iUPD (reference 120). Day 70 (14 < 28 days later, not
    // symptomatic): 65 + 65 = 130 (+10) but disregarded for confirmation -> iUPD.
    // Day 112 (56 days after iUPD): 130 = +10 >= 5 vs 120 -> iCPD; progression day 56.
    let a = assess(
        &targets_only(&[
            (0, &[50.0, 50.0]),
            (56, &[60.0, 60.0]),
            (70, &[65.0, 65.0]),
            (112, &[65.0, 65.0]),
        ]),
        &[IRECIST],
        &[],
    );
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iUPD", "iCPD"]);
    assert_eq!(progression_day(&a, IRECIST), Some(56));
}

#[test]
fn early_symptomatic_scan_with_additional_new_lesion_confirms() {
    // Day 56: 120 -> iUPD (target). Day 70 (14 days later), symptomatic: targets unchanged
    // at 120 plus a new lesion -> early-scan exception (symptomatic AND additional new
    // lesion); a category not in PD at iUPD (new lesions) now meets RECIST PD -> iCPD.
    let mut d70 = json!({ "day": 70, "symptomatic": true, "lesions": targets_at(&[60.0, 60.0]) });
    d70["lesions"]
        .as_array_mut()
        .unwrap()
        .push(new_lesion("NEW1", "bone", 12.0));
    let d = one_subject(json!([
        tp(0, targets_at(&[50.0, 50.0])),
        tp(56, targets_at(&[60.0, 60.0])),
        d70,
    ]));
    let a = assess(&d, &[IRECIST], &[]);
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iCPD"]);
}

#[test]
fn early_symptomatic_scan_without_new_lesion_does_not_confirm() {
    // Day 70 is symptomatic but shows only target growth (130, +10 vs 120), no additional
    // new lesion -> the exception needs both -> disregarded -> iUPD.
    let d = one_subject(json!([
        tp(0, targets_at(&[50.0, 50.0])),
        tp(56, targets_at(&[60.0, 60.0])),
        { "day": 70, "symptomatic": true, "lesions": targets_at(&[65.0, 65.0]) },
    ]));
    let a = assess(&d, &[IRECIST], &[]);
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iUPD"]);
}

// ------------------------------------------------------------ iBOR, paper Table 3 (§3.6)

#[test]
fn table3_example1_icr_icr_icr_iupd_icpd_gives_icr() {
    // T1 30 -> absent at days 56, 112, 168 -> iCR x3 (nadir 0).
    // Day 224: T1 10: 10*5 = 50 >= 0 and 10 - 0 = 10 >= 5 -> target PD -> iUPD (reference 10).
    // Day 280: T1 16: +6 >= 5 -> iCPD. iBOR = best before iCPD = iCR.
    let d = one_subject(json!([
        tp(0, vec![target("T1", "liver", 30.0)]),
        tp(56, vec![absent_target("T1", "liver")]),
        tp(112, vec![absent_target("T1", "liver")]),
        tp(168, vec![absent_target("T1", "liver")]),
        tp(224, vec![target("T1", "liver", 10.0)]),
        tp(280, vec![target("T1", "liver", 16.0)]),
    ]));
    let a = assess(&d, &[IRECIST], &[]);
    assert_eq!(
        overall(&a, IRECIST),
        ["BL", "iCR", "iCR", "iCR", "iUPD", "iCPD"]
    );
    assert_eq!(bor(&a, IRECIST), "iCR");
    assert_eq!(progression_day(&a, IRECIST), Some(224));
}

#[test]
fn table3_example2_iupd_ipr_icr_gives_icr() {
    // Baseline 100. Day 56: 120 -> iUPD. Day 112: 35 + 35 = 70: nadir 100 -> not PD;
    // 700 <= 700 -> PR -> reset -> iPR. Day 168: both absent -> iCR. iBOR iCR.
    let d = one_subject(json!([
        tp(0, targets_at(&[50.0, 50.0])),
        tp(56, targets_at(&[60.0, 60.0])),
        tp(112, targets_at(&[35.0, 35.0])),
        tp(
            168,
            vec![absent_target("T1", "liver"), absent_target("T2", "lung")]
        ),
    ]));
    let a = assess(&d, &[IRECIST], &[]);
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iPR", "iCR"]);
    assert_eq!(bor(&a, IRECIST), "iCR");
}

#[test]
fn table3_example3_iupd_then_ipr_gives_ipr() {
    // Baseline 100. Day 56: 120 -> iUPD. Day 112: 70 -> not PD vs nadir 100, 700 <= 700
    // -> PR; no category in PD -> reset -> iPR. iBOR iPR (iUPD does not prevent it).
    let a = assess(
        &targets_only(&[
            (0, &[50.0, 50.0]),
            (56, &[60.0, 60.0]),
            (112, &[35.0, 35.0]),
        ]),
        &[IRECIST],
        &[],
    );
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iPR"]);
    assert_eq!(bor(&a, IRECIST), "iPR");
}

#[test]
fn table3_example4_iupd_isd_ipr_gives_ipr() {
    // Baseline 100. Day 56: 120 -> iUPD. Day 112: 45 + 45 = 90: nadir 100 -> not PD,
    // 900 > 700 -> SD -> reset -> iSD. Day 168: 70 -> 700 <= 700 -> iPR. iBOR iPR.
    let a = assess(
        &targets_only(&[
            (0, &[50.0, 50.0]),
            (56, &[60.0, 60.0]),
            (112, &[45.0, 45.0]),
            (168, &[35.0, 35.0]),
        ]),
        &[IRECIST],
        &[],
    );
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iSD", "iPR"]);
    assert_eq!(bor(&a, IRECIST), "iPR");
}

#[test]
fn table3_example8_iupd_then_ne_ne_gives_iupd() {
    // Baseline 100. Day 56: 120 -> iUPD. Days 112..280: scan missing -> NE; the pending iUPD
    // is never confirmed nor reset -> iBOR iUPD (§3.5 note, §3.6 example 8).
    let d = one_subject(json!([
        tp(0, targets_at(&[50.0, 50.0])),
        tp(56, targets_at(&[60.0, 60.0])),
        missing_scan(112),
        missing_scan(168),
        missing_scan(224),
        missing_scan(280),
    ]));
    let a = assess(&d, &[IRECIST], &[]);
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "NE", "NE", "NE", "NE"]);
    assert_eq!(bor(&a, IRECIST), "iUPD");
}

// ------------------------------------------------------------ progression date (§3.6, I5)

#[test]
fn progression_day_is_the_confirmed_iupd_by_default_and_the_icpd_on_request() {
    // Baseline 100. Day 56: 120 -> iUPD (reference 120). Day 112: 63 + 63 = 126, +6 >= 5
    // -> iCPD. pfs_date=iupd (default) -> day 56; pfs_date=icpd -> day 112.
    let d = targets_only(&[
        (0, &[50.0, 50.0]),
        (56, &[60.0, 60.0]),
        (112, &[63.0, 63.0]),
    ]);
    let a = assess(&d, &[IRECIST], &[]);
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iCPD"]);
    assert_eq!(progression_day(&a, IRECIST), Some(56));
    let a = assess(&d, &[IRECIST], &[("irecist.pfs_date", "icpd")]);
    assert_eq!(progression_day(&a, IRECIST), Some(112));
}
