//! The output contract `oncoread.assessment/1` (see `shared/schemas/assessment.schema.json`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const ASSESSMENT_SCHEMA: &str = "oncoread.assessment/1";

/// The criterion names of the command line and of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Criterion {
    #[serde(rename = "recist1.1")]
    Recist11,
    #[serde(rename = "irecist")]
    Irecist,
    #[serde(rename = "irrc")]
    Irrc,
    #[serde(rename = "irrecist")]
    Irrecist,
    #[serde(rename = "imrecist")]
    Imrecist,
    #[serde(rename = "rano")]
    Rano,
    #[serde(rename = "irano")]
    Irano,
    #[serde(rename = "rano2")]
    Rano2,
    #[serde(rename = "mrecist")]
    Mrecist,
    #[serde(rename = "choi")]
    Choi,
    #[serde(rename = "percist")]
    Percist,
    #[serde(rename = "lugano")]
    Lugano,
    #[serde(rename = "lyric")]
    Lyric,
}

impl Criterion {
    pub const ALL_NAMED: [Criterion; 11] = [
        Criterion::Recist11,
        Criterion::Irecist,
        Criterion::Irrc,
        Criterion::Irrecist,
        Criterion::Imrecist,
        Criterion::Rano,
        Criterion::Irano,
        Criterion::Rano2,
        Criterion::Mrecist,
        Criterion::Choi,
        Criterion::Percist,
    ];

    /// The criteria this version of the engine implements.
    pub const IMPLEMENTED: [Criterion; 11] = [
        Criterion::Recist11,
        Criterion::Irecist,
        Criterion::Irrc,
        Criterion::Irrecist,
        Criterion::Imrecist,
        Criterion::Rano,
        Criterion::Irano,
        Criterion::Rano2,
        Criterion::Mrecist,
        Criterion::Choi,
        Criterion::Percist,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Criterion::Recist11 => "recist1.1",
            Criterion::Irecist => "irecist",
            Criterion::Irrc => "irrc",
            Criterion::Irrecist => "irrecist",
            Criterion::Imrecist => "imrecist",
            Criterion::Rano => "rano",
            Criterion::Irano => "irano",
            Criterion::Rano2 => "rano2",
            Criterion::Mrecist => "mrecist",
            Criterion::Choi => "choi",
            Criterion::Percist => "percist",
            Criterion::Lugano => "lugano",
            Criterion::Lyric => "lyric",
        }
    }

    pub fn from_name(name: &str) -> Option<Criterion> {
        let all = Criterion::ALL_NAMED
            .iter()
            .chain([Criterion::Lugano, Criterion::Lyric].iter());
        all.copied().find(|c| c.name() == name)
    }
}

/// Every response string of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Response {
    #[serde(rename = "BL")]
    Baseline,
    CR,
    PR,
    SD,
    PD,
    NE,
    #[serde(rename = "non-CR/non-PD")]
    NonCrNonPd,
    #[serde(rename = "iCR")]
    ICR,
    #[serde(rename = "iPR")]
    IPR,
    #[serde(rename = "iSD")]
    ISD,
    #[serde(rename = "iUPD")]
    IUPD,
    #[serde(rename = "iCPD")]
    ICPD,
    #[serde(rename = "non-iCR/non-iUPD")]
    NonICrNonIUpd,
    #[serde(rename = "irCR")]
    IrCR,
    #[serde(rename = "irPR")]
    IrPR,
    #[serde(rename = "irSD")]
    IrSD,
    #[serde(rename = "irPD")]
    IrPD,
    #[serde(rename = "PD-unconfirmed")]
    PdUnconfirmed,
    CMR,
    PMR,
    SMD,
    PMD,
}

impl Response {
    pub fn as_str(self) -> &'static str {
        match self {
            Response::Baseline => "BL",
            Response::CR => "CR",
            Response::PR => "PR",
            Response::SD => "SD",
            Response::PD => "PD",
            Response::NE => "NE",
            Response::NonCrNonPd => "non-CR/non-PD",
            Response::ICR => "iCR",
            Response::IPR => "iPR",
            Response::ISD => "iSD",
            Response::IUPD => "iUPD",
            Response::ICPD => "iCPD",
            Response::NonICrNonIUpd => "non-iCR/non-iUPD",
            Response::IrCR => "irCR",
            Response::IrPR => "irPR",
            Response::IrSD => "irSD",
            Response::IrPD => "irPD",
            Response::PdUnconfirmed => "PD-unconfirmed",
            Response::CMR => "CMR",
            Response::PMR => "PMR",
            Response::SMD => "SMD",
            Response::PMD => "PMD",
        }
    }
}

impl std::fmt::Display for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NewLesions {
    None,
    Present,
    Equivocal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub schema: String,
    pub generator: Generator,
    pub config: BTreeMap<String, serde_json::Value>,
    pub subjects: Vec<SubjectAssessment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generator {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubjectAssessment {
    pub subject_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader: Option<String>,
    pub assessments: Vec<CriterionAssessment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
    /// What the assessment of this subject found to review but could assess around
    /// (measurability, target-selection limits, ignored observations). The schema's
    /// top level is closed, so problems live with their subject.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<crate::timeline::Problem>,
    /// With several reads of one subject: whether this read is the accepted one (set by
    /// the reader review, [`crate::concordance::review_reads`]); absent for a single read
    /// or while adjudication is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionAssessment {
    pub criterion: Criterion,
    pub timepoints: Vec<TimepointAssessment>,
    pub best_overall_response: Response,
    pub confirmed_best_overall_response: Response,
    pub progression: Option<Progression>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progression {
    pub timepoint_id: String,
    pub day: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimepointAssessment {
    pub timepoint_id: String,
    pub day: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub overall: Response,
    pub target: Option<Response>,
    pub non_target: Option<Response>,
    pub new_lesions: Option<NewLesions>,
    pub target_sum_mm: Option<f64>,
    pub burden_mm2: Option<f64>,
    pub change_from_baseline_pct: Option<f64>,
    pub nadir: Option<f64>,
    pub change_from_nadir_pct: Option<f64>,
    pub confirmed: Option<bool>,
    pub rules: Vec<Rule>,
}

/// One reason: the rule's stable name and the numbers it compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// A stable name such as `recist.target.pd` (borrowed: rows are built by the million).
    pub rule: std::borrow::Cow<'static, str>,
    pub detail: String,
}

impl Rule {
    pub fn new(rule: &'static str, detail: String) -> Self {
        Rule {
            rule: std::borrow::Cow::Borrowed(rule),
            detail,
        }
    }
}
