//! The trial summary: counts, response rates per criterion, and one row per subject.

use std::fmt::{self, Write};

use oncoread_criteria::assessment::{Assessment, Response};

use crate::escape::esc;
use crate::response_class::ResponseClass;
use crate::summary::{
    best_change, criteria, criterion_of, criterion_summaries, distinct_subjects, rate, readers,
};
use crate::text::percent;

/// A response as a coloured badge.
pub fn badge(out: &mut String, response: Response) -> fmt::Result {
    write!(
        out,
        "<span class=\"badge {}\">{}</span>",
        ResponseClass::of(response).css(),
        esc(response.as_str())
    )
}

pub fn write_summary(out: &mut String, assessment: &Assessment) -> fmt::Result {
    let criteria = criteria(assessment);
    let readers = readers(assessment);
    let rows: usize = assessment
        .subjects
        .iter()
        .flat_map(|s| &s.assessments)
        .map(|a| a.timepoints.len())
        .sum();
    out.push_str(
        "<section id=\"summary\">\n<h2>Trial summary</h2>\n<table class=\"facts\"><tbody>\n",
    );
    writeln!(
        out,
        "<tr><th scope=\"row\">Subjects</th><td class=\"n\">{}</td></tr>",
        distinct_subjects(assessment)
    )?;
    writeln!(
        out,
        "<tr><th scope=\"row\">Subject reads (subject \u{d7} reader)</th><td class=\"n\">{}</td></tr>",
        assessment.subjects.len()
    )?;
    let reader_list = if readers.is_empty() {
        "none named".to_string()
    } else {
        readers.join(", ")
    };
    writeln!(
        out,
        "<tr><th scope=\"row\">Readers</th><td>{} ({})</td></tr>",
        readers.len(),
        esc(&reader_list)
    )?;
    let names: Vec<&str> = criteria.iter().map(|c| c.name()).collect();
    writeln!(
        out,
        "<tr><th scope=\"row\">Criteria</th><td>{}</td></tr>",
        esc(&names.join(", "))
    )?;
    writeln!(
        out,
        "<tr><th scope=\"row\">Timepoint rows</th><td class=\"n\">{rows}</td></tr>"
    )?;
    out.push_str("</tbody></table>\n");

    out.push_str(
        "<h3>Response rates</h3>\n<table class=\"rates\"><thead><tr><th>criterion</th>\
         <th>assessed</th><th>evaluable</th><th>best overall responses</th><th>ORR</th>\
         <th>ORR, confirmed</th><th>DCR</th><th>DCR, confirmed</th></tr></thead><tbody>\n",
    );
    for summary in criterion_summaries(assessment) {
        let counts = summary
            .by_response
            .iter()
            .map(|(name, count)| format!("{name} {count}"))
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(summary.criterion.name()),
            summary.assessed,
            summary.evaluable,
            esc(&counts),
            rate(summary.responders, summary.evaluable),
            rate(summary.confirmed_responders, summary.evaluable),
            rate(summary.controlled, summary.evaluable),
            rate(summary.confirmed_controlled, summary.evaluable),
        )?;
    }
    out.push_str(
        "</tbody></table>\n<p class=\"meta\">ORR: best overall response a complete or partial \
         response (CR/PR, iCR/iPR, irCR/irPR, CMR/PMR). DCR: ORR plus stable disease (SD, iSD, \
         irSD, SMD, non-CR/non-PD, non-iCR/non-iUPD). Both over the evaluable subject reads \
         (best overall response other than NE); \u{201c}confirmed\u{201d} uses the best overall \
         response with confirmation.</p>\n</section>\n",
    );
    Ok(())
}

/// One row per subject read: best responses, best change, progression day, flags; each
/// links to the subject's section.
pub fn write_subject_table(out: &mut String, assessment: &Assessment) -> fmt::Result {
    let criteria = criteria(assessment);
    out.push_str("<table id=\"subject-table\"><thead><tr><th>subject</th><th>reader</th>");
    for criterion in &criteria {
        write!(
            out,
            "<th>{0}: best (confirmed)</th><th>{0}: best change</th><th>{0}: progression day</th>",
            esc(criterion.name())
        )?;
    }
    out.push_str("<th>flags</th></tr></thead><tbody>\n");
    for (number, subject) in assessment.subjects.iter().enumerate() {
        write!(
            out,
            "<tr class=\"subject-row\"><th scope=\"row\"><a href=\"#subject-{}\">{}</a></th><td>{}</td>",
            number + 1,
            esc(&subject.subject_id),
            esc(subject.reader.as_deref().unwrap_or(""))
        )?;
        for &criterion in &criteria {
            match criterion_of(subject, criterion) {
                Some(assessed) => {
                    out.push_str("<td>");
                    badge(out, assessed.best_overall_response)?;
                    write!(
                        out,
                        " ({})</td>",
                        esc(assessed.confirmed_best_overall_response.as_str())
                    )?;
                    let change = best_change(assessed).map(percent).unwrap_or_default();
                    let day = assessed
                        .progression
                        .as_ref()
                        .map(|p| p.day.to_string())
                        .unwrap_or_default();
                    write!(
                        out,
                        "<td class=\"n\">{change}</td><td class=\"n\">{day}</td>"
                    )?;
                }
                None => out.push_str("<td></td><td></td><td></td>"),
            }
        }
        let kinds: Vec<&str> = subject.flags.iter().map(|f| f.kind.as_str()).collect();
        writeln!(out, "<td>{}</td></tr>", esc(&kinds.join(", ")))?;
    }
    out.push_str("</tbody></table>\n");
    Ok(())
}
