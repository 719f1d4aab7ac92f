//! Spider plot: the percent change of the target sum from baseline over time (days), one
//! line per subject × reader, coloured by best overall response.

use std::fmt;

use oncoread_criteria::assessment::{Assessment, Criterion, Response};

use super::{
    class_legend, lanes, percent_domain, percent_tick, plot_id, BOTTOM, LEFT, RIGHT, TOP, WIDTH,
};
use crate::svg::{nice_ticks, round_out, Scale, Svg};
use crate::text::percent;

const PLOT_HEIGHT: f64 = 360.0;
/// Point markers help a few lines; on hundreds they are only clutter (and bytes).
const MAX_MARKED_LINES: usize = 50;

pub struct Spider {
    pub svg: String,
    pub lines: usize,
}

pub fn draw(assessment: &Assessment, criterion: Criterion) -> Result<Spider, fmt::Error> {
    // (lane, points as (day, change)): baseline at 0 %, then every row with a change.
    let series: Vec<_> = lanes(assessment, criterion)
        .into_iter()
        .filter_map(|lane| {
            let rows = &lane.assessed.timepoints;
            let baseline = rows.iter().find(|r| r.overall == Response::Baseline)?;
            let mut points = vec![(baseline.day, 0.0)];
            points.extend(
                rows.iter()
                    .filter(|r| r.overall != Response::Baseline)
                    .filter_map(|r| r.change_from_baseline_pct.map(|c| (r.day, c))),
            );
            (points.len() > 1).then_some((lane, points))
        })
        .collect();

    let id = plot_id("spider", criterion);
    let mut svg = Svg::new(
        &id,
        // Hundreds of lines: thinner and lighter (the style sheet's `dense`), so the
        // bundle's shape shows instead of a solid block.
        if series.len() > MAX_MARKED_LINES {
            "spider dense"
        } else {
            "spider"
        },
        (WIDTH, TOP + PLOT_HEIGHT + BOTTOM),
        &format!(
            "Spider plot, {}: change from baseline of the target sum over time",
            criterion.name()
        ),
        &format!(
            "{} lines, one per subject with a measured change",
            series.len()
        ),
    )?;
    let last_day = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|(day, _)| *day))
        .max()
        .unwrap_or(0)
        .max(7);
    let (first_day, last_day) = round_out(0.0, last_day as f64, 7.0);
    let right = WIDTH - RIGHT;
    let x = Scale::new((first_day, last_day), (LEFT, right));
    let domain = percent_domain(series.iter().flat_map(|(_, p)| p.iter().map(|(_, c)| *c)));
    let y = Scale::new(domain, (TOP + PLOT_HEIGHT, TOP));
    svg.y_axis(
        &y,
        &nice_ticks(domain.0, domain.1, 8),
        (LEFT, right),
        percent_tick,
        "change from baseline",
    )?;
    svg.x_axis(
        &x,
        &nice_ticks(first_day, last_day, 10),
        TOP + PLOT_HEIGHT,
        |day| format!("{day:.0}"),
        "days since baseline",
    )?;
    svg.legend(
        (LEFT, 20.0),
        &class_legend(series.iter().map(|(lane, _)| lane.best_class())),
    )?;
    for (reference, class) in [(-30.0, "reference"), (20.0, "reference"), (0.0, "zero")] {
        let at = y.map(reference);
        svg.line((LEFT, at), (right, at), class)?;
    }

    let marked = series.len() <= MAX_MARKED_LINES;
    svg.open_group("lines")?;
    for (lane, points) in &series {
        let class = lane.best_class().css();
        let pixels: Vec<(f64, f64)> = points
            .iter()
            .map(|(day, change)| (x.map(*day as f64), y.map_clamped(*change)))
            .collect();
        let trail = points
            .iter()
            .skip(1)
            .map(|(day, change)| format!("day {day} {}", percent(*change)))
            .collect::<Vec<_>>()
            .join(", ");
        let tooltip = format!(
            "{}: {trail}; best overall response {}",
            lane.label, lane.assessed.best_overall_response
        );
        svg.polyline(&pixels, &format!("line {class}"), Some(&tooltip))?;
        if marked {
            for ((day, change), point) in points.iter().zip(&pixels) {
                let tip = format!("{}: day {day}, {}", lane.label, percent(*change));
                svg.circle(*point, 3.0, &format!("point {class}"), Some(&tip))?;
            }
        }
    }
    svg.close_group()?;
    Ok(Spider {
        svg: svg.finish(),
        lines: series.len(),
    })
}
