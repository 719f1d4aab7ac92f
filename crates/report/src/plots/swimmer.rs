//! Swimmer plot: one lane per subject × reader, as long as the subject's time on study
//! (its last assessed day), coloured by best overall response, with marks for the first
//! response, a progression awaiting confirmation, and the progression.

use std::fmt;

use oncoread_criteria::assessment::{Assessment, Criterion};

use super::{class_legend, lanes, plot_id, BOTTOM, LEFT, RIGHT, TOP, WIDTH};
use crate::summary::{first_response_day, first_unconfirmed_progression_day, time_on_study};
use crate::svg::{nice_ticks, round_out, Anchor, Scale, Svg};

/// Subject labels fit only beside wide lanes; past that lanes shrink to stay scrollable.
const MAX_LABELLED_LANES: usize = 40;
const LABEL_ROOM: f64 = 110.0;

fn lane_height(lanes: usize) -> f64 {
    match lanes {
        0..=40 => 18.0,
        41..=200 => 6.0,
        _ => 3.0,
    }
}

pub struct Swimmer {
    pub svg: String,
    pub lanes: usize,
}

pub fn draw(assessment: &Assessment, criterion: Criterion) -> Result<Swimmer, fmt::Error> {
    let mut lanes: Vec<_> = lanes(assessment, criterion)
        .into_iter()
        .map(|lane| (time_on_study(lane.subject), lane))
        .collect();
    // Longest on study first; ties in label order.
    lanes.sort_by(|(a, x), (b, y)| b.cmp(a).then_with(|| x.label.cmp(&y.label)));

    let labelled = lanes.len() <= MAX_LABELLED_LANES;
    let left = if labelled { LABEL_ROOM } else { LEFT };
    let step = lane_height(lanes.len());
    let plot_height = (step * lanes.len() as f64).max(step);
    let id = plot_id("swimmer", criterion);
    let mut svg = Svg::new(
        &id,
        "swimmer",
        (WIDTH, TOP + plot_height + BOTTOM),
        &format!(
            "Swimmer plot, {}: time on study per subject with response and progression",
            criterion.name()
        ),
        &format!("{} lanes, longest time on study first", lanes.len()),
    )?;
    let longest = lanes.first().map(|(days, _)| *days).unwrap_or(0).max(7);
    let (_, last_day) = round_out(0.0, longest as f64, 7.0);
    let right = WIDTH - RIGHT;
    let x = Scale::new((0.0, last_day), (left, right));
    let bottom = TOP + plot_height;
    svg.x_axis(
        &x,
        &nice_ticks(0.0, last_day, 10),
        bottom,
        |d| format!("{d:.0}"),
        "days since baseline",
    )?;
    let mut legend = class_legend(lanes.iter().map(|(_, lane)| lane.best_class()));
    legend.extend([
        // Marks are named by their glyph; no swatch (an empty class).
        ("\u{25b2} first response", ""),
        ("\u{25cb} unconfirmed progression", ""),
        ("\u{25c6} progression", ""),
    ]);
    svg.legend((LEFT, 20.0), &legend)?;

    // Marks stay visible on thin lanes (they may overlap the neighbours a little).
    let mark = (step.min(12.0) / 2.0).max(2.5);
    svg.open_group("lanes")?;
    for (i, (days, lane)) in lanes.iter().enumerate() {
        let top = TOP + i as f64 * step;
        let middle = top + step / 2.0;
        // A gap between lanes, however thin, keeps neighbours apart.
        let bar_height = step * if step > 4.0 { 0.6 } else { 0.75 };
        svg.rect(
            (left, middle - bar_height / 2.0),
            (x.map(*days as f64) - left, bar_height),
            &format!("lane {}", lane.best_class().css()),
            Some(&format!(
                "{}: {days} days on study, best overall response {}",
                lane.label, lane.assessed.best_overall_response
            )),
        )?;
        if labelled {
            svg.text((left - 6.0, middle + 4.0), Anchor::End, "tick", &lane.label)?;
        }
        if let Some(day) = first_response_day(lane.assessed) {
            let cx = x.map(day as f64);
            let triangle = [
                (cx, middle - mark),
                (cx + mark, middle + mark),
                (cx - mark, middle + mark),
            ];
            let tip = format!("{}: first response on day {day}", lane.label);
            svg.polygon(&triangle, "mark-response", Some(&tip))?;
        }
        if let Some(day) = first_unconfirmed_progression_day(lane.assessed) {
            let tip = format!("{}: unconfirmed progression on day {day}", lane.label);
            svg.circle(
                (x.map(day as f64), middle),
                mark * 0.8,
                "mark-unconfirmed",
                Some(&tip),
            )?;
        }
        if let Some(progression) = &lane.assessed.progression {
            let cx = x.map(progression.day as f64);
            let diamond = [
                (cx, middle - mark),
                (cx + mark, middle),
                (cx, middle + mark),
                (cx - mark, middle),
            ];
            let tip = format!(
                "{}: progression on day {} ({})",
                lane.label, progression.day, progression.timepoint_id
            );
            svg.polygon(&diamond, "mark-progression", Some(&tip))?;
        }
    }
    svg.close_group()?;
    Ok(Swimmer {
        svg: svg.finish(),
        lanes: lanes.len(),
    })
}
