//! Waterfall plot: one bar per subject × reader with a best change from baseline, sorted
//! from the largest increase to the largest decrease, coloured by best overall response,
//! with the RECIST reference lines at −30 % (partial response) and +20 % (progression).

use std::fmt;

use oncoread_criteria::assessment::{Assessment, Criterion};

use super::{
    class_legend, lanes, percent_domain, percent_tick, plot_id, Lane, BOTTOM, LEFT, RIGHT, TOP,
    WIDTH,
};
use crate::summary::best_change;
use crate::svg::{nice_ticks, Anchor, Scale, Svg};
use crate::text::percent;

const PLOT_HEIGHT: f64 = 320.0;
/// Subject labels are printed under the bars only when there is room for them.
const MAX_LABELLED_BARS: usize = 40;
/// Room under the axis for labels written at −45°: a subject and reader label of about 25
/// characters reaches some 130 px down.
const LABEL_ROOM: f64 = 140.0;
const MAX_SLOT: f64 = 60.0;

pub struct Waterfall {
    pub svg: String,
    pub bars: usize,
}

pub fn draw(assessment: &Assessment, criterion: Criterion) -> Result<Waterfall, fmt::Error> {
    let mut bars: Vec<(Lane, f64)> = lanes(assessment, criterion)
        .into_iter()
        .filter_map(|lane| best_change(lane.assessed).map(|change| (lane, change)))
        .collect();
    // Largest increase first; ties in label order so the output is stable.
    bars.sort_by(|(a, x), (b, y)| y.total_cmp(x).then_with(|| a.label.cmp(&b.label)));

    let labelled = bars.len() <= MAX_LABELLED_BARS;
    let label_room = if labelled { LABEL_ROOM } else { 0.0 };
    let height = TOP + PLOT_HEIGHT + label_room + BOTTOM;
    let id = plot_id("waterfall", criterion);
    let mut svg = Svg::new(
        &id,
        "waterfall",
        (WIDTH, height),
        &format!("Waterfall plot, {}: best change from baseline of the target sum", criterion.name()),
        &format!("{} bars, one per subject with a measured change, sorted from the largest increase to the largest decrease", bars.len()),
    )?;
    let domain = percent_domain(bars.iter().map(|(_, change)| *change));
    let y = Scale::new(domain, (TOP + PLOT_HEIGHT, TOP));
    let right = WIDTH - RIGHT;
    svg.y_axis(
        &y,
        &nice_ticks(domain.0, domain.1, 8),
        (LEFT, right),
        percent_tick,
        "best change from baseline",
    )?;
    svg.legend(
        (LEFT, 20.0),
        &class_legend(bars.iter().map(|(lane, _)| lane.best_class())),
    )?;

    // Bars no wider than MAX_SLOT, centred: a handful of subjects should not fill the width.
    let slot = ((right - LEFT) / bars.len().max(1) as f64).min(MAX_SLOT);
    let first = LEFT + ((right - LEFT) - slot * bars.len() as f64) / 2.0;
    // Separate bars while they are wide enough to tell apart.
    let gap = if slot > 6.0 { slot * 0.2 } else { 0.0 };
    let zero = y.map(0.0);
    svg.open_group("bars")?;
    for (i, (lane, change)) in bars.iter().enumerate() {
        let x = first + i as f64 * slot + gap / 2.0;
        let end = y.map_clamped(*change);
        let tooltip = format!(
            "{}: best change {}, best overall response {}",
            lane.label,
            percent(*change),
            lane.assessed.best_overall_response
        );
        svg.rect(
            (x, end.min(zero)),
            (slot - gap, (end - zero).abs()),
            &format!("bar {}", lane.best_class().css()),
            Some(&tooltip),
        )?;
    }
    svg.close_group()?;

    svg.line((LEFT, zero), (right, zero), "zero")?;
    for (reference, name) in [
        (-30.0, "\u{2212}30 % (partial response)"),
        (20.0, "+20 % (progression)"),
    ] {
        let at = y.map(reference);
        svg.line((LEFT, at), (right, at), "reference")?;
        svg.text(
            (right - 4.0, at - 4.0),
            Anchor::End,
            "reference-label",
            name,
        )?;
    }
    let bottom = TOP + PLOT_HEIGHT;
    if labelled {
        for (i, (lane, _)) in bars.iter().enumerate() {
            let x = first + (i as f64 + 0.5) * slot;
            svg.text_rotated((x + 4.0, bottom + 12.0), -45.0, "tick", &lane.label)?;
        }
    }
    svg.text(
        ((LEFT + right) / 2.0, bottom + label_room + 30.0),
        Anchor::Middle,
        "axis-title",
        "subjects, sorted by best change",
    )?;
    Ok(Waterfall {
        svg: svg.finish(),
        bars: bars.len(),
    })
}
