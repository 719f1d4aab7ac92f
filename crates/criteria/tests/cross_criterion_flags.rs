//! Cross-criterion flags (schema `subject.flags`), expectations derived by hand from the
//! criteria (spec §2, §3, §4) and the flag definitions in `src/flags.rs`.

mod common;

use common::*;
use oncoread_criteria::assessment::Flag;
use serde_json::{json, Value};

fn flags_of(a: &oncoread_criteria::Assessment) -> &[Flag] {
    &subject(a, "S1").flags
}

fn with_kind<'a>(flags: &'a [Flag], kind: &str) -> Vec<&'a str> {
    flags
        .iter()
        .filter(|f| f.kind == kind)
        .map(|f| f.message.as_str())
        .collect()
}

#[test]
fn pseudo_progressor_recist_pd_then_irrc_irpr() {
    // Baseline T1 20 × 20 (RECIST 20 mm; irRC 400 mm²). V1 day 56: T1 unchanged plus a new
    // lesion N1 10 × 10: RECIST 1.1 → PD (new lesion), progression day 56. irRC: TB 400 +
    // 100 = 500: 2000 >= 2000 → irPD, to confirm. V2 day 112: T1 10 × 10 = 100, N1 gone:
    // vs nadir 400 not PD → irPD negated; 200 <= 400 → irPR. → pseudoprogression flag
    // naming V1 and irrc's irPR at V2.
    let doc = one_subject(json!([
        {"timepoint_id": "BL", "day": 0, "lesions": [bi_target("T1", "liver", 20.0, 20.0)]},
        {"timepoint_id": "V1", "day": 56, "lesions": [bi_target("T1", "liver", 20.0, 20.0), bi_new("N1", "lung", 10.0, 10.0)]},
        {"timepoint_id": "V2", "day": 112, "lesions": [bi_target("T1", "liver", 10.0, 10.0),
            {"lesion_id": "N1", "role": "new", "organ": "lung", "status": "absent"}]}
    ]));
    let a = assess(&doc, &[RECIST, IRRC], &[]);
    assert_eq!(overall(&a, IRRC), ["BL", "irPD", "irPR"]);
    assert_eq!(
        with_kind(flags_of(&a), "pseudoprogression"),
        ["RECIST 1.1 progression at V1 (day 56), but irrc shows irPR at V2 (day 112)"]
    );
    // Nothing is pending at the last timepoint, and irRC has no progression date.
    assert!(with_kind(flags_of(&a), "awaiting_confirmation").is_empty());
    assert!(with_kind(flags_of(&a), "discordant_progression_date").is_empty());
}

#[test]
fn awaiting_confirmation_names_the_due_day_and_date() {
    // BL 2025-01-01, T1 20 × 20. V1 2025-02-26 (day 56: Jan 31 + Feb 25 days): T1 25 × 20.
    // RECIST 1.1: 25 vs 20 is +25 % and +5 mm → PD. iRECIST → iUPD, window [28, 56] →
    // due days 84..112. irRC: 500 mm² vs 400: 2000 >= 2000 → irPD, due from day 84.
    // irRECIST / imRECIST: 25 → irPD / PD, due from day 84.
    // Day 84 = 2025-03-26 (59 days to Mar 1, + 25); day 112 = 2025-04-23 (90 to Apr 1, + 22).
    let doc = one_subject(json!([
        {"timepoint_id": "BL", "date": "2025-01-01", "lesions": [bi_target("T1", "liver", 20.0, 20.0)]},
        {"timepoint_id": "V1", "date": "2025-02-26", "lesions": [bi_target("T1", "liver", 25.0, 20.0)]}
    ]));
    let a = assess(&doc, &[RECIST, IRECIST, IRRC, IRRECIST, IMRECIST], &[]);
    let awaiting = with_kind(flags_of(&a), "awaiting_confirmation");
    assert_eq!(
        awaiting,
        [
            "irecist: iUPD at V1 (day 56) is not confirmed yet; confirming scan due from day 84 (2025-03-26) to day 112 (2025-04-23)",
            "irrc: irPD at V1 (day 56) is not confirmed yet; confirming scan due from day 84 (2025-03-26)",
            "irrecist: irPD at V1 (day 56) is not confirmed yet; confirming scan due from day 84 (2025-03-26)",
            "imrecist: PD at V1 (day 56) is not confirmed yet; confirming scan due from day 84 (2025-03-26)",
        ]
    );
    // The window follows the configuration: irrc.pd_confirm_min_days = 35 → day 91
    // (2025-04-02: 90 days to Apr 1, + 1).
    let a = assess(&doc, &[IRRC], &[("irrc.pd_confirm_min_days", "35")]);
    assert_eq!(
        with_kind(flags_of(&a), "awaiting_confirmation"),
        ["irrc: irPD at V1 (day 56) is not confirmed yet; confirming scan due from day 91 (2025-04-02)"]
    );
}

/// BL T1 20 × 20; V1 day 56 adds a 4 × 4 new lesion (RECIST 1.1 PD at V1; for irRC not
/// measurable, TB 400 → irSD); then T1 per visit from `later` (LD × 20).
fn discordance_case(later: &[f64]) -> Value {
    let mut timepoints = vec![
        json!({"timepoint_id": "BL", "day": 0, "lesions": [bi_target("T1", "liver", 20.0, 20.0)]}),
        json!({"timepoint_id": "V1", "day": 56, "lesions": [bi_target("T1", "liver", 20.0, 20.0), bi_new("N1", "lung", 4.0, 4.0)]}),
    ];
    for (i, ld) in later.iter().enumerate() {
        timepoints.push(
            json!({"timepoint_id": format!("V{}", i + 2), "day": 56 * (i as i64 + 2),
            "lesions": [bi_target("T1", "liver", *ld, 20.0), bi_new("N1", "lung", 4.0, 4.0)]}),
        );
    }
    one_subject(Value::Array(timepoints))
}

#[test]
fn discordant_progression_date_only_beyond_one_visit() {
    // Exactly one visit apart: V2 (day 112) T1 25 × 20 = 500 → irPD; V3 (day 168) still
    // 500 → confirmed, dated V2. RECIST at V1, irRC at V2: adjacent → no flag.
    let a = assess(&discordance_case(&[25.0, 25.0]), &[RECIST, IRRC], &[]);
    assert_eq!(overall(&a, IRRC), ["BL", "irSD", "irPD", "irPD"]);
    assert_eq!(progression_day(&a, RECIST), Some(56));
    assert_eq!(progression_day(&a, IRRC), Some(112));
    assert!(with_kind(flags_of(&a), "discordant_progression_date").is_empty());

    // Two visits apart: V2 unchanged (irSD), V3 (day 168) 500 → irPD, V4 (day 224) 500 →
    // confirmed, dated V3: V1 vs V3 → flag.
    let a = assess(&discordance_case(&[20.0, 25.0, 25.0]), &[RECIST, IRRC], &[]);
    assert_eq!(overall(&a, IRRC), ["BL", "irSD", "irSD", "irPD", "irPD"]);
    assert_eq!(
        with_kind(flags_of(&a), "discordant_progression_date"),
        ["RECIST 1.1 progression on day 56 (V1), irrc on day 168 (V3): 2 visits apart"]
    );
}
