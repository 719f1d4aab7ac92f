//! irRECIST (spec §5.2–§5.3) and imRECIST (§6) rules, each expectation derived by hand.
//! Both are unidimensional: burden = RECIST target sum + new measurable lesions (LD ≥ 10 mm,
//! nodes SA ≥ 15 mm; at most 5 in total, 2 per organ). PR: `burden*10 <= baseline*7`;
//! PD: `burden*5 >= nadir*6` and `burden - nadir >= 5 mm`; PD confirmed by the next
//! evaluable assessment ≥ 28 days later still PD over the same nadir. irRECIST spells
//! responses irCR/irPR/irSD/irPD, imRECIST CR/PR/SD/PD.

mod common;

use common::*;
use serde_json::json;

/// Both criteria with their PD / PR strings.
const BOTH: [(oncoread_criteria::Criterion, &str, &str, &str); 2] = [
    (IRRECIST, "irPD", "irPR", "irSD"),
    (IMRECIST, "PD", "PR", "SD"),
];

#[test]
fn exactly_minus_30_percent_is_a_partial_response() {
    // 50 + 50 = 100 → 35 + 35 = 70: 700 <= 700 → PR. 35 + 35.1 = 70.1: 701 > 700 → SD.
    for (c, _, pr, sd) in BOTH {
        let a = assess(
            &targets_only(&[(0, &[50.0, 50.0]), (56, &[35.0, 35.0])]),
            &[c],
            &[],
        );
        assert_eq!(overall(&a, c), ["BL", pr], "{}", c.name());
        assert_eq!(row(&a, c, 56).change_from_baseline_pct, Some(-30.0));
        let a = assess(
            &targets_only(&[(0, &[50.0, 50.0]), (56, &[35.0, 35.1])]),
            &[c],
            &[],
        );
        assert_eq!(overall(&a, c), ["BL", sd], "{}", c.name());
    }
}

#[test]
fn exactly_plus_20_percent_and_5_mm_is_progression() {
    // 25 → 30: 150 >= 150 and +5.0 >= 5 → PD. 25 → 29.9: 149.5 < 150 → SD.
    for (c, pd, _, sd) in BOTH {
        let a = assess(&targets_only(&[(0, &[25.0]), (56, &[30.0])]), &[c], &[]);
        assert_eq!(overall(&a, c), ["BL", pd], "{}", c.name());
        assert_eq!(row(&a, c, 56).confirmed, Some(false));
        let a = assess(&targets_only(&[(0, &[25.0]), (56, &[29.9])]), &[c], &[]);
        assert_eq!(overall(&a, c), ["BL", sd], "{}", c.name());
    }
    // 20 → 24: +20 % but +4 mm < 5 → SD; without the floor (Nishino, pd_abs_mm = 0) irPD.
    let doc = targets_only(&[(0, &[20.0]), (56, &[24.0])]);
    let a = assess(&doc, &[IRRECIST, IMRECIST], &[]);
    assert_eq!(overall(&a, IRRECIST), ["BL", "irSD"]);
    assert_eq!(overall(&a, IMRECIST), ["BL", "SD"]);
    let a = assess(&doc, &[IRRECIST], &[("irrecist.pd_abs_mm", "0")]);
    assert_eq!(overall(&a, IRRECIST), ["BL", "irPD"]);
}

#[test]
fn new_measurable_lesion_joins_the_burden_a_smaller_one_does_not() {
    // 50 + 50 = 100 → 55 + 55 = 110 plus N1 10 mm (measurable) = 120: 600 >= 600 and
    // +20 → PD. N1 9.9 mm is not measurable: 110 → 550 < 600 → SD (RECIST 1.1 would call
    // both PD for the new lesion).
    for (c, pd, _, sd) in BOTH {
        for (ld, expected, burden) in [(10.0, pd, 120.0), (9.9, sd, 110.0)] {
            let mut d56 = targets_at(&[55.0, 55.0]);
            d56.push(new_lesion("N1", "bone", ld));
            let doc = one_subject(json!([tp(0, targets_at(&[50.0, 50.0])), tp(56, d56)]));
            let a = assess(&doc, &[RECIST, c], &[]);
            assert_eq!(overall(&a, c), ["BL", expected], "{} N1 {ld}", c.name());
            assert_eq!(row(&a, c, 56).target_sum_mm, Some(burden));
            assert_eq!(overall(&a, RECIST), ["BL", "PD"]);
        }
    }
}

#[test]
fn at_most_two_new_measurable_lesions_per_organ() {
    // Targets 50 + 50 = 100 → 40 + 40 = 80, three new bone-marrow lesions 12, 11, 10 mm: the two
    // largest join (B2, M2) → 103: 515 < 600 → not PD; 1030 > 700 → SD. (All three would
    // make 113.)
    for (c, _, _, sd) in BOTH {
        let mut d56 = targets_at(&[40.0, 40.0]);
        d56.push(new_lesion("N1", "bone marrow", 10.0));
        d56.push(new_lesion("N2", "bone marrow", 12.0));
        d56.push(new_lesion("N3", "bone marrow", 11.0));
        let doc = one_subject(json!([tp(0, targets_at(&[50.0, 50.0])), tp(56, d56)]));
        let a = assess(&doc, &[c], &[]);
        assert_eq!(overall(&a, c), ["BL", sd]);
        assert_eq!(row(&a, c, 56).target_sum_mm, Some(103.0));
    }
}

#[test]
fn confirmation_at_day_27_is_not_used_at_day_28_it_confirms() {
    // 100 → 120 on day 56 (PD); day 83 (27 days): not used → still unconfirmed; day 84:
    // 120*5 >= 100*6 → confirmed, progression dated day 56.
    for (c, pd, _, _) in BOTH {
        let early = targets_only(&[(0, &[50.0, 50.0]), (56, &[60.0, 60.0]), (83, &[60.0, 60.0])]);
        let a = assess(&early, &[c], &[]);
        assert_eq!(overall(&a, c), ["BL", pd, pd]);
        assert_eq!(row(&a, c, 83).confirmed, Some(false));
        assert_eq!(progression_day(&a, c), None);

        let on_time = targets_only(&[(0, &[50.0, 50.0]), (56, &[60.0, 60.0]), (84, &[60.0, 60.0])]);
        let a = assess(&on_time, &[c], &[]);
        assert_eq!(overall(&a, c), ["BL", pd, pd]);
        assert_eq!(row(&a, c, 56).confirmed, Some(true));
        assert_eq!(progression_day(&a, c), Some(56));
        assert_eq!(bor(&a, c), pd);
    }
}

#[test]
fn unconfirmed_progression_is_ignored_and_a_later_response_counts() {
    // 100 → 120 (PD, day 56) → 60 on day 112: vs nadir 100 no PD → negated; 600 <= 700 →
    // PR. BOR PR (imRECIST "BOR may include responses after an unconfirmed PD"); no
    // progression date. RECIST 1.1 stops at its PD on day 56.
    for (c, pd, pr, _) in BOTH {
        let doc = targets_only(&[
            (0, &[50.0, 50.0]),
            (56, &[60.0, 60.0]),
            (112, &[30.0, 30.0]),
        ]);
        let a = assess(&doc, &[RECIST, c], &[]);
        assert_eq!(overall(&a, c), ["BL", pd, pr]);
        assert_eq!(bor(&a, c), pr);
        assert_eq!(progression_day(&a, c), None);
        assert_eq!(overall(&a, RECIST), ["BL", "PD"]);
    }
}

#[test]
fn non_target_progression_defines_irpd_only_when_configured() {
    // Target 50 unchanged; NT1 unequivocal progression on day 56. irRECIST default (B1
    // false) → irSD; with nt_progression_defines_pd=true → irPD (to confirm). imRECIST
    // never → SD.
    let doc = one_subject(json!([
        tp(
            0,
            vec![
                target("T1", "liver", 50.0),
                non_target("NT1", "bone", "present")
            ]
        ),
        tp(
            56,
            vec![
                target("T1", "liver", 50.0),
                non_target("NT1", "bone", "unequivocal_progression")
            ]
        )
    ]));
    let a = assess(&doc, &[IRRECIST, IMRECIST], &[]);
    assert_eq!(overall(&a, IRRECIST), ["BL", "irSD"]);
    assert_eq!(overall(&a, IMRECIST), ["BL", "SD"]);
    let a = assess(
        &doc,
        &[IRRECIST],
        &[("irrecist.nt_progression_defines_pd", "true")],
    );
    assert_eq!(overall(&a, IRRECIST), ["BL", "irPD"]);
    assert!(rule_names(row(&a, IRRECIST, 56)).contains(&"irrecist.non_target.pd"));
}

#[test]
fn irrecist_without_required_confirmation_ends_at_the_first_irpd() {
    // pd_confirmation_required=false: 100 → 120 is final at day 56, later rows not scored.
    let doc = targets_only(&[
        (0, &[50.0, 50.0]),
        (56, &[60.0, 60.0]),
        (112, &[30.0, 30.0]),
    ]);
    let a = assess(
        &doc,
        &[IRRECIST],
        &[("irrecist.pd_confirmation_required", "false")],
    );
    assert_eq!(overall(&a, IRRECIST), ["BL", "irPD"]);
    assert_eq!(progression_day(&a, IRRECIST), Some(56));
    assert_eq!(row(&a, IRRECIST, 56).confirmed, Some(true));
}

#[test]
fn new_non_measurable_lesion_prevents_complete_response() {
    // Targets gone (0 mm) with a 5 mm new lesion (non-measurable) → PR, not CR (§5.2, §6).
    let gone = json!({"lesion_id": "T1", "role": "target", "organ": "liver", "status": "absent"});
    let doc = one_subject(json!([
        tp(0, vec![target("T1", "liver", 30.0)]),
        tp(56, vec![gone, new_lesion("N1", "lung", 5.0)])
    ]));
    let a = assess(&doc, &[IRRECIST, IMRECIST], &[]);
    assert_eq!(overall(&a, IRRECIST), ["BL", "irPR"]);
    assert_eq!(overall(&a, IMRECIST), ["BL", "PR"]);
}
