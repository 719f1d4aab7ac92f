//! irRC rules, each expectation derived by hand from `shared/spec/criteria.md` §4.
//! A lesion counts by LD × perpendicular (mm²); tumour burden TB = index products + new
//! measurable (both diameters ≥ 5 mm) products. irPR: `TB*2 <= baseline`; irPD:
//! `TB*4 >= nadir*5` (and TB > nadir); irPD confirmed by the next evaluable assessment
//! ≥ 28 days later still ≥ 1.25 × the same nadir. Defaults (§4.5): pd_precedence=true,
//! pd_confirm_rule=still_pd_vs_nadir, node_resolved_sa_lt_mm=10, pfs_date=first_pd.

mod common;

use common::*;
use serde_json::{json, Value};

/// One subject whose only lesion is target T1 (liver), given as (day, LD, perpendicular),
/// plus extra lesions per day.
fn t1_series(series: &[(i64, f64, f64)], extra: &[(i64, Value)]) -> Value {
    let timepoints: Vec<Value> = series
        .iter()
        .map(|(day, ld, perp)| {
            let mut lesions = vec![bi_target("T1", "liver", *ld, *perp)];
            lesions.extend(
                extra
                    .iter()
                    .filter(|(d, _)| d == day)
                    .map(|(_, l)| l.clone()),
            );
            tp(*day, lesions)
        })
        .collect();
    one_subject(Value::Array(timepoints))
}

#[test]
fn exactly_minus_50_percent_is_irpr_and_just_above_is_irsd() {
    // Baseline 20 × 20 = 400 mm². Day 56: 20 × 10 = 200: 200*2 = 400 <= 400 → irPR
    // (exactly −50 %). 20 × 10.1 = 202: 404 > 400 → irSD (and 202 < 1.25 × 400: no irPD).
    let a = assess(
        &t1_series(&[(0, 20.0, 20.0), (56, 20.0, 10.0)], &[]),
        &[IRRC],
        &[],
    );
    assert_eq!(overall(&a, IRRC), ["BL", "irPR"]);
    let r = row(&a, IRRC, 56);
    assert_eq!(r.burden_mm2, Some(200.0));
    assert_eq!(r.change_from_baseline_pct, Some(-50.0));
    assert_eq!(r.target_sum_mm, None);
    assert!(rule_names(r).contains(&"irrc.target.pr"), "{:?}", r.rules);

    let a = assess(
        &t1_series(&[(0, 20.0, 20.0), (56, 20.0, 10.1)], &[]),
        &[IRRC],
        &[],
    );
    assert_eq!(overall(&a, IRRC), ["BL", "irSD"]);
    assert_eq!(row(&a, IRRC, 56).burden_mm2, Some(202.0));
}

#[test]
fn exactly_plus_25_percent_over_the_nadir_is_irpd() {
    // Baseline 400; day 56: 16 × 16 = 256 (256*2 = 512 > 400: not PR; below the nadir:
    // irSD; nadir becomes 256). Day 112: 20 × 16 = 320: 320*4 = 1280 >= 256*5 = 1280 →
    // irPD (exactly +25 % over the nadir, although only −20 % from baseline).
    let a = assess(
        &t1_series(&[(0, 20.0, 20.0), (56, 16.0, 16.0), (112, 20.0, 16.0)], &[]),
        &[IRRC],
        &[],
    );
    assert_eq!(overall(&a, IRRC), ["BL", "irSD", "irPD"]);
    let r = row(&a, IRRC, 112);
    assert_eq!(r.nadir, Some(256.0));
    assert_eq!(r.change_from_nadir_pct, Some(25.0));
    assert_eq!(r.confirmed, Some(false));
    assert_eq!(
        rule_detail(r, "irrc.target.pd"),
        "tumour burden 320.0 mm² ≥ 1.25 × nadir 256.0 mm²; tumour burden 320.0 mm² > 0.5 × baseline 400.0 mm² → PD"
    );

    // 19.9 × 16 = 318.4: 1273.6 < 1280 → irSD.
    let a = assess(
        &t1_series(&[(0, 20.0, 20.0), (56, 16.0, 16.0), (112, 19.9, 16.0)], &[]),
        &[IRRC],
        &[],
    );
    assert_eq!(overall(&a, IRRC), ["BL", "irSD", "irSD"]);
}

#[test]
fn new_measurable_lesion_5_by_5_is_added_to_the_burden_but_4_9_is_not() {
    // Baseline 400. Day 56: T1 19 × 25 = 475 plus N1 5 × 5 = 25 (both diameters >= 5 mm:
    // measurable) → TB 500: 2000 >= 2000 → irPD. With N1 4.9 × 5 (not measurable) → TB
    // 475: 1900 < 2000 → irSD; the small new lesion is not progression (§4.1).
    let with = |ld: f64| {
        t1_series(
            &[(0, 20.0, 20.0), (56, 19.0, 25.0)],
            &[(56, bi_new("N1", "lung", ld, 5.0))],
        )
    };
    let a = assess(&with(5.0), &[IRRC], &[]);
    assert_eq!(overall(&a, IRRC), ["BL", "irPD"]);
    let r = row(&a, IRRC, 56);
    assert_eq!(r.burden_mm2, Some(500.0));
    assert!(rule_names(r).contains(&"irrc.new_lesion.measurable"));

    let a = assess(&with(4.9), &[IRRC], &[]);
    assert_eq!(overall(&a, IRRC), ["BL", "irSD"]);
    let r = row(&a, IRRC, 56);
    assert_eq!(r.burden_mm2, Some(475.0));
    assert!(rule_names(r).contains(&"irrc.new_lesion.non_measurable"));
}

#[test]
fn new_non_measurable_lesion_prevents_ircr() {
    // Day 56: T1 gone (0). Without new lesions: every index lesion resolved, no
    // non-index → irCR. With N1 4 × 4 (non-measurable): −100 % but a new non-measurable
    // lesion → irPR (§4.2 note), not irPD.
    let gone = json!({"lesion_id": "T1", "role": "target", "organ": "liver", "status": "absent"});
    let doc = |extra: Vec<Value>| {
        let mut d56 = vec![gone.clone()];
        d56.extend(extra);
        one_subject(json!([
            tp(0, vec![bi_target("T1", "liver", 20.0, 20.0)]),
            tp(56, d56)
        ]))
    };
    let a = assess(&doc(vec![]), &[IRRC], &[]);
    assert_eq!(overall(&a, IRRC), ["BL", "irCR"]);
    let a = assess(&doc(vec![bi_new("N1", "lung", 4.0, 4.0)]), &[IRRC], &[]);
    assert_eq!(overall(&a, IRRC), ["BL", "irPR"]);
}

#[test]
fn confirmation_needs_28_days_day_27_is_not_used() {
    // Baseline 400; day 56: 25 × 20 = 500 → irPD (2000 >= 2000), to confirm at day >= 84.
    // Day 83 (27 days later) with 500: not used to confirm → still irPD, unconfirmed;
    // no progression date; BOR irPD (reported unconfirmed, §4.4).
    let a = assess(
        &t1_series(&[(0, 20.0, 20.0), (56, 25.0, 20.0), (83, 25.0, 20.0)], &[]),
        &[IRRC],
        &[],
    );
    assert_eq!(overall(&a, IRRC), ["BL", "irPD", "irPD"]);
    assert!(rule_names(row(&a, IRRC, 83)).contains(&"irrc.pd_confirm.early_scan"));
    assert_eq!(row(&a, IRRC, 56).confirmed, Some(false));
    assert_eq!(row(&a, IRRC, 83).confirmed, Some(false));
    assert_eq!(progression_day(&a, IRRC), None);
    assert_eq!(bor(&a, IRRC), "irPD");

    // Day 84 (28 days later): 500*4 >= 400*5 still → confirmed; progression dated to the
    // first irPD (day 56); with pfs_date=confirming_scan to day 84.
    let doc = t1_series(&[(0, 20.0, 20.0), (56, 25.0, 20.0), (84, 25.0, 20.0)], &[]);
    let a = assess(&doc, &[IRRC], &[]);
    assert_eq!(overall(&a, IRRC), ["BL", "irPD", "irPD"]);
    assert_eq!(row(&a, IRRC, 56).confirmed, Some(true));
    assert_eq!(row(&a, IRRC, 84).confirmed, Some(true));
    assert!(rule_names(row(&a, IRRC, 84)).contains(&"irrc.pd_confirm.confirmed"));
    assert_eq!(progression_day(&a, IRRC), Some(56));
    assert_eq!(bor(&a, IRRC), "irPD");
    assert_eq!(confirmed_bor(&a, IRRC), "irPD");
    let a = assess(&doc, &[IRRC], &[("irrc.pfs_date", "confirming_scan")]);
    assert_eq!(progression_day(&a, IRRC), Some(84));
}

#[test]
fn unconfirmed_irpd_is_negated_and_assessment_goes_on() {
    // Baseline 400; day 56: 500 → irPD. Day 84: 20 × 18 = 360: vs nadir 400 no PD → the
    // irPD is negated; 720 > 400 → irSD. Day 140: 10 × 10 = 100: 200 <= 400 → irPR.
    // BOR without confirmation irPR; with confirmation the last irPR has no confirming
    // scan → SD level, day 84 >= 42 → irSD. No progression.
    let a = assess(
        &t1_series(
            &[
                (0, 20.0, 20.0),
                (56, 25.0, 20.0),
                (84, 20.0, 18.0),
                (140, 10.0, 10.0),
            ],
            &[],
        ),
        &[IRRC],
        &[],
    );
    assert_eq!(overall(&a, IRRC), ["BL", "irPD", "irSD", "irPR"]);
    assert_eq!(row(&a, IRRC, 56).confirmed, Some(false));
    assert!(rule_names(row(&a, IRRC, 84)).contains(&"irrc.pd_confirm.not_confirmed"));
    assert_eq!(progression_day(&a, IRRC), None);
    assert_eq!(bor(&a, IRRC), "irPR");
    assert_eq!(confirmed_bor(&a, IRRC), "irSD");
}

#[test]
fn a_negated_irpd_does_not_count_for_the_best_response() {
    // recist.sd_min_days = 84. Day 28: 500 → irPD; day 56 (28 days later): 400, vs nadir
    // 400 no PD → negated, irSD (800 > 400) but day 56 < 84. Best response: no SD long
    // enough, no confirmed irPD, the negated irPD does not count (§4.3) → NE.
    let a = assess(
        &t1_series(&[(0, 20.0, 20.0), (28, 25.0, 20.0), (56, 20.0, 20.0)], &[]),
        &[IRRC],
        &[("recist.sd_min_days", "84")],
    );
    assert_eq!(overall(&a, IRRC), ["BL", "irPD", "irSD"]);
    assert_eq!(bor(&a, IRRC), "NE");
    assert_eq!(confirmed_bor(&a, IRRC), "NE");
}

#[test]
fn progression_wins_over_response_unless_configured() {
    // Baseline 400; day 56: 10 × 10 = 100 → irPR (nadir 100). Day 112: 14 × 14 = 196:
    // 784 >= 500 → PD over the nadir, and 392 <= 400 → PR from baseline. Default
    // pd_precedence=true → irPD; false → irPR.
    let doc = t1_series(&[(0, 20.0, 20.0), (56, 10.0, 10.0), (112, 14.0, 14.0)], &[]);
    let a = assess(&doc, &[IRRC], &[]);
    assert_eq!(overall(&a, IRRC), ["BL", "irPR", "irPD"]);
    assert!(rule_names(row(&a, IRRC, 112)).contains(&"irrc.pd_precedence"));
    let a = assess(&doc, &[IRRC], &[("irrc.pd_precedence", "false")]);
    assert_eq!(overall(&a, IRRC), ["BL", "irPR", "irPR"]);
}

#[test]
fn further_increase_rule_needs_growth_beyond_the_first_irpd() {
    // Baseline 400; day 56: 500 → irPD; day 84: 500 again. still_pd_vs_nadir: 2000 >=
    // 2000 → confirmed. further_increase: 500 > 500 is false → not confirmed, but the day-84
    // row is itself irPD (>= 1.25 × 400) and starts a new run awaiting confirmation.
    let doc = t1_series(&[(0, 20.0, 20.0), (56, 25.0, 20.0), (84, 25.0, 20.0)], &[]);
    let a = assess(
        &doc,
        &[IRRC],
        &[("irrc.pd_confirm_rule", "further_increase")],
    );
    assert_eq!(overall(&a, IRRC), ["BL", "irPD", "irPD"]);
    assert_eq!(row(&a, IRRC, 84).confirmed, Some(false));
    assert!(rule_names(row(&a, IRRC, 84)).contains(&"irrc.pd_confirm.pending"));
    assert_eq!(progression_day(&a, IRRC), None);
}

#[test]
fn node_below_10_mm_perpendicular_is_resolved_for_ircr() {
    // Index node 20 × 15 (product 300). Day 56: 12 × 9: perpendicular 9 < 10 → resolved
    // (C4) → irCR although the burden is 108 mm². With node_resolved_sa_lt_mm = 8 it is not
    // resolved: 108*2 = 216 <= 300 → irPR.
    let node = |ld: f64, sa: f64| {
        json!({"lesion_id": "T1", "role": "target", "organ": "lymph node", "nodal": true,
               "long_axis_mm": ld, "short_axis_mm": sa})
    };
    let doc = one_subject(json!([
        tp(0, vec![node(20.0, 15.0)]),
        tp(56, vec![node(12.0, 9.0)])
    ]));
    let a = assess(&doc, &[IRRC], &[]);
    assert_eq!(overall(&a, IRRC), ["BL", "irCR"]);
    assert_eq!(row(&a, IRRC, 56).burden_mm2, Some(108.0));
    let a = assess(&doc, &[IRRC], &[("irrc.node_resolved_sa_lt_mm", "8")]);
    assert_eq!(overall(&a, IRRC), ["BL", "irPR"]);
}

#[test]
fn new_measurable_lesion_stays_in_the_burden_when_it_shrinks() {
    // Day 56: T1 400 + N1 6 × 6 = 36 → 436 (1744 < 2000, 872 > 400 → irSD).
    // Day 112: T1 400 + N1 4 × 4 = 16 → 416: still counted (C6).
    let a = assess(
        &t1_series(
            &[(0, 20.0, 20.0), (56, 20.0, 20.0), (112, 20.0, 20.0)],
            &[
                (56, bi_new("N1", "lung", 6.0, 6.0)),
                (112, bi_new("N1", "lung", 4.0, 4.0)),
            ],
        ),
        &[IRRC],
        &[],
    );
    assert_eq!(overall(&a, IRRC), ["BL", "irSD", "irSD"]);
    assert_eq!(row(&a, IRRC, 56).burden_mm2, Some(436.0));
    assert_eq!(row(&a, IRRC, 112).burden_mm2, Some(416.0));
}

#[test]
fn non_index_progression_does_not_define_irpd() {
    // T1 unchanged; non-index NT1 unequivocally progressing → irSD (§4.1: non-index
    // lesions only matter for irCR); the non-target column shows the progression.
    let doc = one_subject(json!([
        tp(
            0,
            vec![
                bi_target("T1", "liver", 20.0, 20.0),
                non_target("NT1", "bone", "present")
            ]
        ),
        tp(
            56,
            vec![
                bi_target("T1", "liver", 20.0, 20.0),
                non_target("NT1", "bone", "unequivocal_progression")
            ]
        )
    ]));
    let a = assess(&doc, &[IRRC], &[]);
    assert_eq!(overall(&a, IRRC), ["BL", "irSD"]);
    assert_eq!(
        row(&a, IRRC, 56).non_target.map(|r| r.as_str()),
        Some("irPD")
    );
}

#[test]
fn index_lesion_without_perpendicular_makes_irrc_rows_ne() {
    // T1 has only a long axis: no product → irRC cannot be assessed (rows NE, the baseline
    // row says why); RECIST 1.1 on the same document is unaffected (40 → 20: PR).
    let doc = targets_only(&[(0, &[40.0]), (56, &[20.0])]);
    let a = assess(&doc, &[RECIST, IRRC], &[]);
    assert_eq!(overall(&a, IRRC), ["BL", "NE"]);
    assert_eq!(overall(&a, RECIST), ["BL", "PR"]);
    assert!(rule_detail(row(&a, IRRC, 0), "irrc.baseline").contains("1 of 1 target lesion(s)"));
    assert!(subject(&a, "S1").problems.is_empty());
}

#[test]
fn index_lesion_below_the_minimum_is_reported_and_kept() {
    // C1: 4 × 6 mm is below 5 × 5 (4 < 5) → an irRC problem; the lesion stays in the
    // burden (24 mm²). With irrc.index_min_mm = 4 no irRC problem. (RECIST's own 10 mm
    // measurability problem is reported whatever the criteria.)
    let doc = t1_series(&[(0, 4.0, 6.0), (56, 4.0, 6.0)], &[]);
    let irrc_problems = |a: &oncoread_criteria::Assessment| -> Vec<String> {
        subject(a, "S1")
            .problems
            .iter()
            .filter(|p| p.kind == "irrc_index_lesions")
            .map(|p| p.message.clone())
            .collect()
    };
    let a = assess(&doc, &[IRRC], &[]);
    assert_eq!(
        irrc_problems(&a),
        ["irRC: index lesion T1 is 4.0 × 6.0 mm at baseline, below 5.0 × 5.0 mm; kept as recorded"]
    );
    assert_eq!(row(&a, IRRC, 0).burden_mm2, Some(24.0));
    let a = assess(&doc, &[IRRC], &[("irrc.index_min_mm", "4")]);
    assert!(irrc_problems(&a).is_empty());
}
