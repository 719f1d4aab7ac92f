//! One subject read's section: best responses, flags, the lesion measurements per
//! timepoint (from the timeline), and each criterion's timepoint rows with their rules.

use std::fmt::{self, Write};

use oncoread_criteria::assessment::{CriterionAssessment, Response, SubjectAssessment};
use oncoread_criteria::timeline::{Lesion, ScanStatus, Subject};

use super::summary::badge;
use crate::escape::esc;
use crate::key_images::KeyImageLinks;
use crate::response_class::ResponseClass;
use crate::subjects::{timepoint_day, timepoint_label};
use crate::text::{enum_name, number, percent};

pub fn write_subject(
    out: &mut String,
    number: usize,
    assessed: &SubjectAssessment,
    timeline: Option<&Subject>,
    key_images: &KeyImageLinks,
    open: bool,
) -> fmt::Result {
    write!(
        out,
        "<section class=\"subject\" id=\"subject-{number}\">\n<h3>{}",
        esc(&assessed.subject_id)
    )?;
    if let Some(reader) = &assessed.reader {
        write!(out, " <small>reader {}</small>", esc(reader))?;
    }
    out.push_str("</h3>\n<p>");
    for (i, criterion) in assessed.assessments.iter().enumerate() {
        if i > 0 {
            out.push_str(" · ");
        }
        write!(out, "{}: ", esc(criterion.criterion.name()))?;
        badge(out, criterion.best_overall_response)?;
        write!(
            out,
            " (confirmed {})",
            esc(criterion.confirmed_best_overall_response.as_str())
        )?;
        if let Some(p) = &criterion.progression {
            write!(
                out,
                ", progression day {} ({})",
                p.day,
                esc(&p.timepoint_id)
            )?;
        }
    }
    out.push_str("</p>\n");
    for flag in &assessed.flags {
        writeln!(
            out,
            "<p><strong>{}</strong>: {}</p>",
            esc(&flag.kind),
            esc(&flag.message)
        )?;
    }
    if !assessed.problems.is_empty() {
        writeln!(
            out,
            "<p>{} problem(s) recorded, listed under <a href=\"#problems\">Problems</a>.</p>",
            assessed.problems.len()
        )?;
    }
    let open = if open { " open" } else { "" };
    writeln!(
        out,
        "<details{open}><summary>Lesions and the why-trail</summary>"
    )?;
    if let Some(subject) = timeline {
        write_lesion_table(out, assessed, subject, key_images)?;
    }
    for criterion in &assessed.assessments {
        write_trail(out, criterion)?;
    }
    out.push_str("</details>\n</section>\n");
    Ok(())
}

/// One row per lesion (in order of first sighting), one column per timepoint; a cell links
/// the lesion's key image at that timepoint when one was made.
fn write_lesion_table(
    out: &mut String,
    assessed: &SubjectAssessment,
    subject: &Subject,
    key_images: &KeyImageLinks,
) -> fmt::Result {
    let mut lesion_ids: Vec<&str> = Vec::new();
    for timepoint in &subject.timepoints {
        for lesion in &timepoint.lesions {
            if !lesion_ids.contains(&lesion.lesion_id.as_str()) {
                lesion_ids.push(&lesion.lesion_id);
            }
        }
    }
    out.push_str("<h4>Lesion measurements (mm; LA long axis, SA short axis)</h4>\n<table class=\"lesions\"><thead><tr><th>lesion</th><th>role</th><th>organ</th>");
    for (position, timepoint) in subject.timepoints.iter().enumerate() {
        let label = timepoint_label(timepoint, position);
        write!(out, "<th>{}", esc(&label))?;
        if let Some(day) = timepoint_day(timepoint, &label, assessed) {
            write!(out, "<br>day {day}")?;
        }
        if timepoint.scan == ScanStatus::Missing {
            out.push_str("<br>scan missing");
        }
        out.push_str("</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    for lesion_id in lesion_ids {
        let sightings: Vec<Option<&Lesion>> = subject
            .timepoints
            .iter()
            .map(|tp| tp.lesions.iter().find(|l| l.lesion_id == lesion_id))
            .collect();
        let Some(first) = sightings.iter().flatten().next() else {
            continue;
        };
        write!(out, "<tr><th scope=\"row\">{}", esc(lesion_id))?;
        if let Some(label) = sightings.iter().flatten().find_map(|l| l.label.as_deref()) {
            write!(out, "<br><small>{}</small>", esc(label))?;
        }
        write!(
            out,
            "</th><td>{}{}</td><td>{}</td>",
            first.role.as_str().replace('_', "-"),
            if first.nodal { ", nodal" } else { "" },
            esc(first.organ.as_deref().unwrap_or(""))
        )?;
        for (position, sighting) in sightings.iter().enumerate() {
            match sighting {
                Some(lesion) => {
                    let image = key_images.get(subject, position, lesion_id);
                    write_measurement(out, lesion, image)?
                }
                None => out.push_str("<td></td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    Ok(())
}

/// A cell: the axis the criteria use (short axis for nodes), the status when given, and
/// the report instance in the tooltip when the lesion has a DICOM source, and a link to
/// its key image (a path relative to the page) when there is one.
fn write_measurement(out: &mut String, lesion: &Lesion, key_image: Option<&str>) -> fmt::Result {
    let mut parts = Vec::new();
    match (lesion.long_axis_mm, lesion.short_axis_mm) {
        // The usual case, a long axis alone, goes without a prefix.
        (Some(long), None) if !lesion.nodal => parts.push(number(long)),
        (long, short) => {
            // Nodes are measured by their short axis: it comes first.
            let short = short.map(|v| format!("SA {}", number(v)));
            let long = long.map(|v| format!("LA {}", number(v)));
            let ordered = if lesion.nodal {
                [short, long]
            } else {
                [long, short]
            };
            parts.extend(ordered.into_iter().flatten());
        }
    }
    if let Some(status) = &lesion.status {
        parts.push(enum_name(status).replace('_', " "));
    }
    if let Some(change) = &lesion.change_since_last {
        parts.push(enum_name(change));
    }
    let source = lesion
        .source
        .as_ref()
        .and_then(|s| s.get("sop_instance_uid"))
        .and_then(|v| v.as_str());
    match source {
        Some(uid) => write!(out, "<td title=\"SR {}\">", esc(uid))?,
        None => out.push_str("<td>"),
    }
    if parts.is_empty() {
        out.push('\u{2013}');
    } else {
        out.push_str(&esc(&parts.join(", ")).to_string());
    }
    if let Some(href) = key_image {
        write!(
            out,
            " <a class=\"key-image\" href=\"{}\" title=\"key image of {}\">image</a>",
            esc(href),
            esc(&lesion.lesion_id)
        )?;
    }
    out.push_str("</td>");
    Ok(())
}

fn optional(value: Option<f64>, show: impl Fn(f64) -> String) -> String {
    value.map(show).unwrap_or_default()
}

/// The criterion's timepoint rows with the rules that decided each.
fn write_trail(out: &mut String, criterion: &CriterionAssessment) -> fmt::Result {
    write!(
        out,
        "<h4>{}</h4>\n<table class=\"trail\"><thead><tr><th>timepoint</th><th>day</th>\
         <th>overall</th><th>target</th><th>non-target</th><th>new</th><th>sum mm</th>\
         <th>vs baseline</th><th>nadir mm</th><th>vs nadir</th><th>confirmed</th>\
         <th>why</th></tr></thead><tbody>\n",
        esc(criterion.criterion.name())
    )?;
    for row in &criterion.timepoints {
        let category = |r: Option<Response>| r.map(|r| r.as_str()).unwrap_or("");
        // Lean markup: these rows are most of a large report (alignment and colour come
        // from the style sheet's column rules and the overall cell's class).
        write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><ul class=\"rules\">",
            esc(&row.timepoint_id),
            row.day,
            ResponseClass::of(row.overall).css(),
            esc(row.overall.as_str()),
            esc(category(row.target)),
            esc(category(row.non_target)),
            row.new_lesions.as_ref().map(enum_name).unwrap_or_default(),
            optional(row.target_sum_mm, number),
            optional(row.change_from_baseline_pct, percent),
            optional(row.nadir, number),
            optional(row.change_from_nadir_pct, percent),
            match row.confirmed {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            },
        )?;
        for rule in &row.rules {
            write!(
                out,
                "<li><code>{}</code> {}</li>",
                esc(&rule.rule),
                esc(&rule.detail)
            )?;
        }
        out.push_str("</ul></td></tr>\n");
    }
    out.push_str("</tbody></table>\n");
    Ok(())
}
