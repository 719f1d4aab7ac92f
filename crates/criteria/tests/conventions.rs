//! The conventions the criteria leave open (spec §2.11, §3.9) and the less common lesion
//! states (§2.4): each with its hand derivation, under the default and the alternative.

mod common;

use common::*;
use serde_json::json;

const BOTH: [oncoread_criteria::Criterion; 2] = [RECIST, IRECIST];

#[test]
fn split_lesion_counts_the_sum_of_its_fragments() {
    // §2.4: fragments are summed. Baseline 40 + 20 = 60; follow-up A split into 12 + 9.5
    // = 21.5, B 20 → 41.5. 41.5 × 10 = 415 ≤ 60 × 7 = 420 → PR (−30.8 %).
    let doc = one_subject(json!([
        tp(0, targets_at(&[40.0, 20.0])),
        tp(
            56,
            vec![
                json!({"lesion_id": "T1", "role": "target", "organ": "liver", "fragments_mm": [12.0, 9.5]}),
                target("T2", "lung", 20.0),
            ]
        ),
    ]));
    let a = assess(&doc, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "PR"]);
    assert_eq!(row(&a, RECIST, 56).target_sum_mm, Some(41.5));
    assert_eq!(row(&a, RECIST, 56).change_from_baseline_pct, Some(-30.8));
}

#[test]
fn coalesced_lesion_counts_zero_and_the_merged_mass_counts_once() {
    // §2.4: T1 (30) and T2 (20) merge into one 45 mm mass recorded on T1; T2 counts 0.
    // Sum 45 vs baseline 50: 45 × 10 = 450 > 350 → not PR; vs nadir 50 → not PD → SD.
    let doc = one_subject(json!([
        tp(0, targets_at(&[30.0, 20.0])),
        tp(
            56,
            vec![
                target("T1", "liver", 45.0),
                json!({"lesion_id": "T2", "role": "target", "organ": "lung", "coalesced_into": "T1"}),
            ]
        ),
    ]));
    let a = assess(&doc, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "SD"]);
    assert_eq!(row(&a, RECIST, 56).target_sum_mm, Some(45.0));
}

#[test]
fn too_small_to_measure_counts_5mm_and_the_value_is_a_key() {
    // Baseline 20 + 20 = 40. Follow-up: T1 too small (5 mm by default), T2 8 → 13 mm;
    // 13 ≤ 28 → PR. With recist.too_small_mm = 0: T1 = 0, T2 = 8 → 8 → still PR, but the
    // sum shows the configured value.
    let followup = vec![
        json!({"lesion_id": "T1", "role": "target", "organ": "liver", "status": "too_small"}),
        target("T2", "lung", 8.0),
    ];
    let doc = one_subject(json!([tp(0, targets_at(&[20.0, 20.0])), tp(56, followup)]));
    let a = assess(&doc, &[RECIST], &[]);
    assert_eq!(row(&a, RECIST, 56).target_sum_mm, Some(13.0));
    let a = assess(&doc, &[RECIST], &[("recist.too_small_mm", "0")]);
    assert_eq!(row(&a, RECIST, 56).target_sum_mm, Some(8.0));
}

#[test]
fn reappearance_after_a_confirmed_cr_is_pd_only_when_configured() {
    // Baseline 30 (one lesion). Day 56: 0 → CR; day 112: 0 → CR, confirming the first
    // (56 days ≥ 28). Day 168: the lesion is back at 3 mm. Sum rule: nadir 0, 3 − 0 =
    // 3 mm < 5 mm → not PD; 3 ≤ 21 → PR. With the default
    // recist.reappearance_after_confirmed_cr_is_pd = true it is PD (§2.5, R2).
    let doc = targets_only(&[(0, &[30.0]), (56, &[0.0]), (112, &[0.0]), (168, &[3.0])]);
    let a = assess(&doc, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "CR", "CR", "PD"]);
    assert_eq!(progression_day(&a, RECIST), Some(168));
    let a = assess(
        &doc,
        &[RECIST],
        &[("recist.reappearance_after_confirmed_cr_is_pd", "false")],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "CR", "CR", "PR"]);
}

#[test]
fn reappearance_after_an_unconfirmed_cr_follows_the_sums() {
    // CR at day 56 only 21 days before the next scan (77): not confirmed (< 28 days), so
    // the 3 mm reappearance at day 77 follows the sum rules: +3 mm < 5 → PR.
    let doc = targets_only(&[(0, &[30.0]), (56, &[0.0]), (77, &[3.0])]);
    let a = assess(&doc, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "CR", "PR"]);
}

#[test]
fn missing_target_imputation_policies() {
    // Baseline 30 + 30 = 60; day 56: 20 + 20 = 40 (PR); day 112: T1 = 10, T2 not assessed.
    // ne (default): partial 10 does not prove PD → NE.
    // impute_last: T2 = 20 → 30 ≤ 42 → PR. impute_max: T2 = 30 → 40 ≤ 42 → PR.
    let doc = one_subject(json!([
        tp(0, targets_at(&[30.0, 30.0])),
        tp(56, targets_at(&[20.0, 20.0])),
        tp(
            112,
            vec![
                target("T1", "liver", 10.0),
                not_assessed("T2", "target", "lung")
            ]
        ),
    ]));
    let a = assess(&doc, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "PR", "NE"]);
    let a = assess(
        &doc,
        &[RECIST],
        &[("recist.missing_target_policy", "impute_last")],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "PR", "PR"]);
    assert_eq!(row(&a, RECIST, 112).target_sum_mm, Some(30.0));
    let a = assess(
        &doc,
        &[RECIST],
        &[("recist.missing_target_policy", "impute_max")],
    );
    assert_eq!(row(&a, RECIST, 112).target_sum_mm, Some(40.0));
}

#[test]
fn ne_partial_sums_are_not_a_nadir_unless_configured() {
    // Baseline 30 + 30 = 60. Day 56: T1 = 10, T2 missing → NE (partial sum 10).
    // Day 112: 20 + 30 = 50. Default nadir 60 → 50 is not PD (−16.7 %) → SD.
    // recist.nadir_excludes_ne = false: nadir 10 → 50 ≥ 12 and +40 ≥ 5 → PD.
    let doc = one_subject(json!([
        tp(0, targets_at(&[30.0, 30.0])),
        tp(
            56,
            vec![
                target("T1", "liver", 10.0),
                not_assessed("T2", "target", "lung")
            ]
        ),
        tp(112, targets_at(&[20.0, 30.0])),
    ]));
    let a = assess(&doc, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "NE", "SD"]);
    let a = assess(&doc, &[RECIST], &[("recist.nadir_excludes_ne", "false")]);
    assert_eq!(overall(&a, RECIST), ["BL", "NE", "PD"]);
}

#[test]
fn confirmation_rules_differ_on_intervening_and_ne_scans() {
    // PR at day 56, NE (missed scan) at day 70, PR at day 112.
    // next_evaluable: skips the NE → day 112 (56 days later) confirms → confirmed PR.
    // strictly_next: the very next row (day 70, NE) must confirm → not confirmed → the
    // PRs count as SD-level (day ≥ 42) → SD.
    let doc = one_subject(json!([
        tp(0, targets_at(&[50.0])),
        tp(56, targets_at(&[30.0])),
        missing_scan(70),
        tp(112, targets_at(&[30.0])),
    ]));
    let a = assess(&doc, &[RECIST], &[]);
    assert_eq!(confirmed_bor(&a, RECIST), "PR");
    let a = assess(
        &doc,
        &[RECIST],
        &[("recist.confirmation_rule", "strictly_next")],
    );
    assert_eq!(confirmed_bor(&a, RECIST), "SD");
    // any_later_without_intervening_pd: day 70 is NE (too close anyway), day 112 confirms.
    let a = assess(
        &doc,
        &[RECIST],
        &[(
            "recist.confirmation_rule",
            "any_later_without_intervening_pd",
        )],
    );
    assert_eq!(confirmed_bor(&a, RECIST), "PR");
}

#[test]
fn cr_then_pr_confirms_pr_or_only_sd() {
    // Node 20 mm → 8 (CR, day 56) → 12 (PR: 12 ≤ 14, day 112; not CR, 12 ≥ 10).
    // Default recist.cr_then_pr = pr → confirmed PR; = sd → the CR counts as SD.
    let doc = one_subject(json!([
        tp(0, vec![node_target("N1", 20.0)]),
        tp(56, vec![node_target("N1", 8.0)]),
        tp(112, vec![node_target("N1", 12.0)]),
    ]));
    let a = assess(&doc, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "CR", "PR"]);
    assert_eq!(confirmed_bor(&a, RECIST), "PR");
    let a = assess(&doc, &[RECIST], &[("recist.cr_then_pr", "sd")]);
    assert_eq!(confirmed_bor(&a, RECIST), "SD");
}

#[test]
fn sd_minimum_can_be_anchored_at_therapy_start() {
    // SD at day 35 (< 42 from the baseline scan) then lost → BOR NE by default.
    // Therapy started 10 days before the baseline scan (day −10): 35 − (−10) = 45 ≥ 42
    // → SD with recist.sd_anchor = therapy_start.
    let mut doc = targets_only(&[(0, &[40.0]), (35, &[38.0])]);
    doc["subjects"][0]["context"] = json!({"therapy_start_day": -10});
    let a = assess(&doc, &[RECIST], &[]);
    assert_eq!(bor(&a, RECIST), "NE");
    let a = assess(&doc, &[RECIST], &[("recist.sd_anchor", "therapy_start")]);
    assert_eq!(bor(&a, RECIST), "SD");
}

#[test]
fn whole_millimetre_rounding_is_a_key() {
    // Baseline 27.4 → 27 mm when rounded; follow-up 32.4 → 32 mm.
    // As recorded: 32.4 vs 27.4: 32.4 × 5 = 162 < 27.4 × 6 = 164.4 → not PD → SD.
    // nearest_mm: 32 × 5 = 160 < 27 × 6 = 162 → not PD either; but 32.5 → 33 (half away):
    // 33 × 5 = 165 ≥ 162 and +6 ≥ 5 → PD, while 32.5 as recorded is 162.5 < 164.4 → SD.
    let doc = targets_only(&[(0, &[27.4]), (56, &[32.5])]);
    let a = assess(&doc, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "SD"]);
    let a = assess(&doc, &[RECIST], &[("measurement_rounding", "nearest_mm")]);
    assert_eq!(overall(&a, RECIST), ["BL", "PD"]);
}

#[test]
fn measurability_and_selection_problems_are_reported_not_fixed() {
    // T1 12 mm on 7 mm slices: minimum max(10, 2 × 7 = 14) = 14 → not measurable.
    // A node with 13 mm short axis: < 15 → not measurable. Three liver targets: > 2 per
    // organ. Six targets in all: > 5. All are still assessed as recorded.
    let baseline = vec![
        json!({"lesion_id": "T1", "role": "target", "organ": "liver", "long_axis_mm": 12.0, "slice_thickness_mm": 7.0}),
        target("T2", "liver", 30.0),
        target("T3", "liver", 25.0),
        target("T4", "lung", 20.0),
        target("T5", "bone", 20.0),
        node_target("N1", 13.0),
    ];
    let doc = one_subject(json!([tp(0, baseline.clone()), tp(56, baseline)]));
    let a = assess(&doc, &[RECIST], &[]);
    let kinds: Vec<(&str, &str)> = subject(&a, "S1")
        .problems
        .iter()
        .map(|p| (p.kind.as_str(), p.message.as_str()))
        .collect();
    assert!(
        kinds.iter().any(|(k, m)| *k == "not_measurable_at_baseline"
            && m.contains("T1")
            && m.contains("14.0 mm")),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().any(|(k, m)| *k == "not_measurable_at_baseline"
            && m.contains("N1")
            && m.contains("15.0 mm")),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|(k, m)| *k == "target_selection" && m.contains("6 target lesions")),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|(k, m)| *k == "target_selection" && m.contains("\"liver\"")),
        "{kinds:?}"
    );
    // 12 + 30 + 25 + 20 + 20 + 13 = 120 at both timepoints → SD.
    assert_eq!(row(&a, RECIST, 56).target_sum_mm, Some(120.0));
    assert_eq!(overall(&a, RECIST), ["BL", "SD"]);
}

#[test]
fn new_node_between_10_and_15mm_can_be_made_equivocal() {
    // A new node with 12 mm short axis counts as a new lesion (≥ 10) → PD by default.
    // With recist.new_node_equivocal_below_mm = 15 it is equivocal → no PD (SD).
    let doc = one_subject(json!([
        tp(0, targets_at(&[40.0])),
        tp(
            56,
            vec![
                target("T1", "liver", 40.0),
                json!({"lesion_id": "NN", "role": "new", "organ": "lymph node", "nodal": true, "short_axis_mm": 12.0}),
            ]
        ),
    ]));
    let a = assess(&doc, &[RECIST], &[]);
    assert_eq!(overall(&a, RECIST), ["BL", "PD"]);
    let a = assess(
        &doc,
        &[RECIST],
        &[("recist.new_node_equivocal_below_mm", "15")],
    );
    assert_eq!(overall(&a, RECIST), ["BL", "SD"]);
    assert_eq!(
        serde_json::to_value(row(&a, RECIST, 56).new_lesions).unwrap(),
        json!("equivocal")
    );
}

#[test]
fn irecist_new_lesion_targets_are_capped_at_two_per_organ() {
    // Day 56: three measurable new liver lesions (30, 20, 12 mm) → iUPD. By default the two
    // largest become new-lesion targets (2 per organ) and N3 a new non-target.
    // Day 112: N3 grows 12 → 20 mm (no "increased" flag), N1/N2 unchanged, target 50 → 40.
    //   Default: NLT sum 30 + 20 = 50 → 50 (+0 < 5); N3 is an NLNT without an increase
    //   flag → no iCPD; target sum fell (40 < 50) → reset; 40 > 0.7 × 50 = 35 → iSD.
    //   3 per organ: NLT sum 30 + 20 + 12 = 62 → 70, +8 mm ≥ 5 → iCPD.
    let doc = one_subject(json!([
        tp(0, targets_at(&[50.0])),
        tp(
            56,
            vec![
                target("T1", "liver", 50.0),
                new_lesion("N1", "liver", 30.0),
                new_lesion("N2", "liver", 20.0),
                new_lesion("N3", "liver", 12.0)
            ]
        ),
        tp(
            112,
            vec![
                target("T1", "liver", 40.0),
                new_lesion("N1", "liver", 30.0),
                new_lesion("N2", "liver", 20.0),
                new_lesion("N3", "liver", 20.0)
            ]
        ),
    ]));
    let a = assess(&doc, &[IRECIST], &[]);
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iSD"]);
    let rules: Vec<String> = row(&a, IRECIST, 56)
        .rules
        .iter()
        .map(|r| r.detail.clone())
        .collect();
    assert!(
        rules
            .iter()
            .any(|d| d.contains("new lesion N1, N2 measurable")),
        "{rules:?}"
    );
    assert!(
        rules
            .iter()
            .any(|d| d.contains("new lesion N3 → new lesion non-target")),
        "{rules:?}"
    );
    let a = assess(
        &doc,
        &[IRECIST],
        &[("irecist.max_new_targets_per_organ", "3")],
    );
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iCPD"]);
}

#[test]
fn irecist_nlnt_growth_confirms_when_flagged_increased() {
    // A non-measurable new lesion (no size) triggers iUPD at day 56. At day 112 the reader
    // marks it increased: "any increase of a NLNT" confirms → iCPD (progression day 56).
    let doc = one_subject(json!([
        tp(0, targets_at(&[50.0])),
        tp(
            56,
            vec![
                target("T1", "liver", 50.0),
                json!({"lesion_id": "N1", "role": "new", "organ": "peritoneum", "status": "present"})
            ]
        ),
        tp(
            112,
            vec![
                target("T1", "liver", 50.0),
                json!({"lesion_id": "N1", "role": "new", "organ": "peritoneum", "status": "present", "change_since_last": "increased"})
            ]
        ),
    ]));
    let a = assess(&doc, &BOTH, &[]);
    assert_eq!(overall(&a, IRECIST), ["BL", "iUPD", "iCPD"]);
    assert_eq!(progression_day(&a, IRECIST), Some(56));
    assert_eq!(overall(&a, RECIST), ["BL", "PD"]);
}

#[test]
fn rules_explain_the_numbers_compared() {
    // 50 → 80: 80 ≥ 1.2 × 50 = 60 and +30 ≥ 5 → PD; the detail says exactly that.
    let doc = targets_only(&[(0, &[50.0]), (56, &[80.0])]);
    let a = assess(&doc, &[RECIST], &[]);
    let detail = &row(&a, RECIST, 56).rules[0].detail;
    assert_eq!(
        detail,
        "sum 80.0 mm ≥ 1.2 × nadir 50.0 mm and +30.0 mm ≥ 5.0 mm → PD"
    );
}
