//! The page's reader-agreement section: the concordance statistics per criterion (a
//! table), the two reads' baseline sums against each other (a plot), and the adjudication
//! list.

use std::fmt::Write;

use oncoread_criteria::concordance::{Agreement, Concordance, CriterionStatistics};

use crate::escape::esc;
use crate::plots::{BOTTOM, LEFT, RIGHT, TOP};
use crate::svg::{nice_ticks, round_out, Anchor, Scale, Svg};
use crate::text::{enum_name, number};
use crate::ReportError;

/// The plot is square: equal scales make the identity line the diagonal.
const SIDE: f64 = 420.0;

pub fn write_agreement(out: &mut String, readers: &Concordance) -> Result<(), ReportError> {
    let statistics = &readers.statistics;
    out.push_str("<section id=\"readers\">\n<h2>Reader agreement</h2>\n");
    if statistics.pairs == 0 {
        out.push_str("<p class=\"none\">No subject was read twice.</p>\n</section>\n");
        return Ok(());
    }
    write!(
        out,
        "<p>{} double-read subject(s). Progression dates count as discordant in one read \
         only or more than {} days apart.",
        statistics.pairs, readers.rules.progression_window_days
    )?;
    if let Some(selection) = &statistics.target_selection {
        write!(
            out,
            " Same target lesions (tracking identifier and organ): {}.",
            agreement(selection)
        )?;
    }
    out.push_str("</p>\n");
    out.push_str(
        "<table id=\"agreement\"><thead><tr><th>criterion</th><th>pairs</th>\
         <th>BOR agreement</th><th>BOR κ</th><th>confirmed BOR agreement</th>\
         <th>confirmed BOR κ</th><th>timepoint responses agreeing</th>\
         <th>discordant progression dates</th><th>mean |Δ| baseline sum</th></tr></thead><tbody>\n",
    );
    for row in &statistics.criteria {
        write_statistics_row(out, row)?;
    }
    out.push_str("</tbody></table>\n");
    write_plot(out, readers)?;
    write_adjudication_list(out, readers)?;
    for problem in &readers.problems {
        writeln!(out, "<p class=\"none\">{}</p>", esc(&problem.message))?;
    }
    out.push_str("</section>\n");
    Ok(())
}

fn agreement(value: &Agreement) -> String {
    match value.percent {
        Some(percent) => format!("{} / {} ({percent:.1} %)", value.agree, value.total),
        None => format!("{} / {}", value.agree, value.total),
    }
}

fn kappa(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |k| format!("{k:.3}"))
}

fn write_statistics_row(out: &mut String, row: &CriterionStatistics) -> Result<(), ReportError> {
    let mean = row
        .baseline_sum_mean_abs_diff_mm
        .map_or_else(|| "–".to_string(), |d| format!("{d:.1} mm"));
    writeln!(
        out,
        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
         <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
         <td class=\"n\">{}</td><td class=\"n\">{mean}</td></tr>",
        esc(row.criterion.name()),
        row.pairs,
        agreement(&row.bor),
        kappa(row.bor_kappa),
        agreement(&row.confirmed_bor),
        kappa(row.confirmed_bor_kappa),
        agreement(&row.timepoint_response),
        agreement(&row.progression_date_discordant),
    )?;
    Ok(())
}

/// Baseline sum of the first read against the second's, under the review's criterion;
/// red marks disagree on the best overall response.
fn write_plot(out: &mut String, readers: &Concordance) -> Result<(), ReportError> {
    let criterion = readers.rules.criterion;
    let points: Vec<(f64, f64, bool, String)> = readers
        .pairs
        .iter()
        .filter_map(|pair| {
            let compared = pair.criteria.iter().find(|c| c.criterion == criterion)?;
            let [Some(a), Some(b)] = compared.baseline_sum_mm else {
                return None;
            };
            let agree = compared.bor[0] == compared.bor[1];
            let tip = format!(
                "{}: {} {} mm ({}), {} {} mm ({})",
                pair.subject_id,
                pair.readers[0],
                number(a),
                compared.bor[0],
                pair.readers[1],
                number(b),
                compared.bor[1]
            );
            Some((a, b, agree, tip))
        })
        .collect();
    if points.is_empty() {
        return Ok(());
    }
    let high = points.iter().map(|p| p.0.max(p.1)).fold(0.0, f64::max);
    let step = nice_ticks(0.0, high.max(10.0), 6)
        .windows(2)
        .map(|w| w[1] - w[0])
        .next()
        .unwrap_or(10.0);
    let domain = round_out(0.0, high.max(10.0), step);
    let (width, height) = (LEFT + SIDE + RIGHT, TOP + SIDE + BOTTOM);
    let x = Scale::new(domain, (LEFT, LEFT + SIDE));
    let y = Scale::new(domain, (TOP + SIDE, TOP));
    let id = format!("readers-baseline-{}", criterion.name().replace('.', "-"));
    let mut svg = Svg::new(
        &id,
        "readers",
        (width, height),
        &format!(
            "Baseline sum of diameters, first read against second read, {}",
            criterion.name()
        ),
        &format!(
            "{} double-read subjects; points on the diagonal agree exactly",
            points.len()
        ),
    )?;
    let ticks = nice_ticks(domain.0, domain.1, 6);
    let mm = |v: f64| format!("{v:.0}");
    svg.y_axis(&y, &ticks, (LEFT, LEFT + SIDE), mm, "second read (mm)")?;
    svg.x_axis(&x, &ticks, TOP + SIDE, mm, "first read (mm)")?;
    svg.line(
        (x.map(domain.0), y.map(domain.0)),
        (x.map(domain.1), y.map(domain.1)),
        "reference",
    )?;
    svg.legend(
        (LEFT, 20.0),
        &[("● same BOR", ""), ("● different BOR (red)", "")],
    )?;
    for (a, b, agree, tip) in &points {
        let class = if *agree {
            "mark-response"
        } else {
            "mark-progression"
        };
        svg.circle((x.map(*a), y.map(*b)), 4.0, class, Some(tip))?;
    }
    svg.text(
        (x.map(domain.1) - 4.0, y.map(domain.1) + 14.0),
        Anchor::End,
        "reference-label",
        "same sum",
    )?;
    writeln!(
        out,
        "<figure>{}<figcaption>Baseline sum of diameters under {}: each double-read \
         subject's first read (x) against its second (y); red points disagree on the best \
         overall response.</figcaption></figure>",
        svg.finish(),
        esc(criterion.name())
    )?;
    Ok(())
}

fn write_adjudication_list(out: &mut String, readers: &Concordance) -> Result<(), ReportError> {
    out.push_str("<h3 id=\"adjudication\">Adjudication</h3>\n");
    if readers.adjudication.is_empty() {
        out.push_str("<p class=\"none\">No subject needs adjudication.</p>\n");
        return Ok(());
    }
    out.push_str(
        "<table id=\"adjudication-list\"><thead><tr><th>subject</th><th>why</th>\
         <th>reads</th><th>status</th><th>accepted</th></tr></thead><tbody>\n",
    );
    for case in &readers.adjudication {
        let reasons: Vec<String> = case
            .reasons
            .iter()
            .map(|r| format!("{}: {}", r.trigger, r.detail))
            .collect();
        let reads: Vec<String> = case
            .reads
            .iter()
            .map(|read| {
                format!(
                    "{}: {} (confirmed {}), progression {}, baseline {}",
                    read.reader,
                    read.best_overall_response,
                    read.confirmed_best_overall_response,
                    read.progression.as_ref().map_or_else(
                        || "none".to_string(),
                        |p| format!("day {} ({})", p.day, p.timepoint_id)
                    ),
                    read.baseline_sum_mm
                        .map_or_else(|| "–".to_string(), |s| format!("{} mm", number(s)))
                )
            })
            .collect();
        writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&case.subject_id),
            esc(&reasons.join("; ")),
            esc(&reads.join("; ")),
            esc(&enum_name(&case.status)),
            esc(&match (&case.accepted_reader, &case.decision) {
                (Some(reader), Some(why)) => format!("{reader} ({why})"),
                (Some(reader), None) => reader.clone(),
                _ => "–".to_string(),
            }),
        )?;
    }
    out.push_str("</tbody></table>\n");
    Ok(())
}
