//! The three trial plots, one SVG per criterion each: waterfall (best change per subject),
//! spider (change over time per subject) and swimmer (time on study with response and
//! progression marks). Shared here: the frame and the percent-change axis.

pub mod spider;
pub mod swimmer;
pub mod waterfall;

use oncoread_criteria::assessment::{
    Assessment, Criterion, CriterionAssessment, SubjectAssessment,
};

use crate::response_class::ResponseClass;
use crate::summary::criterion_of;
use crate::text::subject_label;

pub const WIDTH: f64 = 960.0;
pub const LEFT: f64 = 64.0;
pub const RIGHT: f64 = 16.0;
/// Room above the plot area for the legend.
pub const TOP: f64 = 40.0;
/// Room below the plot area for the x axis and its title.
pub const BOTTOM: f64 = 48.0;

/// A subject × reader assessed under the plotted criterion.
pub struct Lane<'a> {
    pub label: String,
    pub subject: &'a SubjectAssessment,
    pub assessed: &'a CriterionAssessment,
}

impl Lane<'_> {
    pub fn best_class(&self) -> ResponseClass {
        ResponseClass::of(self.assessed.best_overall_response)
    }
}

pub fn lanes(assessment: &Assessment, criterion: Criterion) -> Vec<Lane<'_>> {
    assessment
        .subjects
        .iter()
        .filter_map(|subject| {
            criterion_of(subject, criterion).map(|assessed| Lane {
                label: subject_label(subject),
                subject,
                assessed,
            })
        })
        .collect()
}

/// `waterfall-recist1-1`: an id without the dot, so CSS selectors need no escaping.
pub fn plot_id(kind: &str, criterion: Criterion) -> String {
    format!("{kind}-{}", criterion.name().replace('.', "-"))
}

/// The percent-change axis: from −100 % (everything gone) up to the largest increase,
/// at least +40 % so the +20 % line shows, and at most +200 % (larger increases are drawn
/// at the edge; their tooltips give the value).
pub fn percent_domain(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let largest = values.fold(0.0_f64, f64::max);
    let top = ((largest / 20.0).ceil() * 20.0).clamp(40.0, 200.0);
    (-100.0, top)
}

/// The legend entries for the classes present, in legend order.
pub fn class_legend(
    classes: impl Iterator<Item = ResponseClass>,
) -> Vec<(&'static str, &'static str)> {
    let mut present: Vec<ResponseClass> = classes.collect();
    present.sort();
    present.dedup();
    present.into_iter().map(|c| (c.label(), c.css())).collect()
}

/// `+20 %` / `−30 %` for axis ticks.
pub fn percent_tick(value: f64) -> String {
    if value > 0.0 {
        format!("+{value:.0} %")
    } else if value < 0.0 {
        format!("\u{2212}{:.0} %", -value)
    } else {
        "0".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_percent_axis_shows_both_reference_lines_and_caps_outliers() {
        assert_eq!(percent_domain([-38.3, 23.3].into_iter()), (-100.0, 40.0));
        assert_eq!(percent_domain([55.0].into_iter()), (-100.0, 60.0));
        assert_eq!(percent_domain([950.0].into_iter()), (-100.0, 200.0));
        assert_eq!(percent_domain(std::iter::empty()), (-100.0, 40.0));
    }
}
