//! `report.html`: one self-contained page (inline CSS and SVG, no script, no network):
//! trial summary, flags, the three plots per criterion, one section per subject with its
//! lesion table and why-trail, the problems and the effective configuration.

mod agreement;
mod lists;
mod style;
mod subject;
mod summary;

use std::fmt::Write;

use oncoread_criteria::assessment::Assessment;
use oncoread_criteria::timeline::Timeline;

use crate::escape::esc;
use crate::key_images::KeyImageLinks;
use crate::plots::{spider, swimmer, waterfall};
use crate::subjects::TimelineIndex;
use crate::summary::criteria;
use crate::{ReportError, ReportOptions};

/// Subject reads up to which the per-subject details are unfolded.
const OPEN_DETAILS_UP_TO: usize = 10;

pub fn page(
    assessment: &Assessment,
    timeline: Option<&Timeline>,
    options: &ReportOptions,
    key_images: &KeyImageLinks,
) -> Result<String, ReportError> {
    let mut out = String::with_capacity(64 * 1024 + assessment.subjects.len() * 4096);
    let subject_count = crate::summary::distinct_subjects(assessment);
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Tumour response report: {subject_count} subject(s)</title>\n"
    )?;
    style::write_style(&mut out)?;
    out.push_str("</head>\n<body>\n<header>\n<h1>Tumour response report</h1>\n");
    write!(
        out,
        "<p class=\"meta\">{} {}",
        esc(&assessment.generator.name),
        esc(&assessment.generator.version)
    )?;
    if let Some(at) = &options.generated_at {
        write!(out, " · generated at {}", esc(at))?;
    }
    out.push_str("</p>\n</header>\n");
    out.push_str(
        "<nav aria-label=\"Contents\"><ul>\
         <li><a href=\"#summary\">Summary</a></li>\
         <li><a href=\"#flags\">Pseudo-progression and flags</a></li>",
    );
    if options.readers.is_some() {
        out.push_str("<li><a href=\"#readers\">Reader agreement</a></li>");
    }
    out.push_str(
        "<li><a href=\"#waterfall\">Waterfall</a></li>\
         <li><a href=\"#spider\">Spider</a></li>\
         <li><a href=\"#swimmer\">Swimmer</a></li>\
         <li><a href=\"#subjects\">Subjects</a></li>\
         <li><a href=\"#problems\">Problems</a></li>\
         <li><a href=\"#configuration\">Configuration</a></li>\
         </ul></nav>\n<main>\n",
    );
    summary::write_summary(&mut out, assessment)?;
    lists::write_flags(&mut out, assessment)?;
    if let Some(readers) = &options.readers {
        agreement::write_agreement(&mut out, readers)?;
    }
    write_plots(&mut out, assessment)?;

    out.push_str("<section id=\"subjects\">\n<h2>Subjects</h2>\n");
    summary::write_subject_table(&mut out, assessment)?;
    if timeline.is_none() {
        out.push_str(
            "<p class=\"none\">No timeline was given, so the lesion measurements are not \
             shown (pass <code>--timeline FILE</code>).</p>\n",
        );
    }
    let index = TimelineIndex::new(timeline);
    // A small trial shows every detail; a large one keeps them folded to stay readable.
    let open = assessment.subjects.len() <= OPEN_DETAILS_UP_TO;
    for (number, subject) in assessment.subjects.iter().enumerate() {
        subject::write_subject(
            &mut out,
            number + 1,
            subject,
            index.subject(subject),
            key_images,
            open,
        )?;
    }
    out.push_str("</section>\n");
    lists::write_problems(&mut out, assessment, timeline, options)?;
    lists::write_configuration(&mut out, assessment)?;
    out.push_str("</main>\n<footer><p class=\"meta\">Percentages are rounded for display; \
                  every decision was taken on exact values (see the rules of each timepoint).</p></footer>\n</body>\n</html>\n");
    Ok(out)
}

/// The waterfall, spider and swimmer sections, one figure per criterion in each.
fn write_plots(out: &mut String, assessment: &Assessment) -> Result<(), ReportError> {
    let criteria = criteria(assessment);
    out.push_str("<section id=\"waterfall\">\n<h2>Waterfall: best change from baseline</h2>\n");
    for &criterion in &criteria {
        let plot = waterfall::draw(assessment, criterion)?;
        writeln!(
            out,
            "<h3>{}</h3><figure>{}<figcaption>{}: best (lowest) percent change of the target sum from \
             baseline, one bar per subject with a measured change ({} bars), coloured by best \
             overall response; dashed lines at \u{2212}30 % and +20 %.</figcaption></figure>",
            esc(criterion.name()),
            plot.svg,
            esc(criterion.name()),
            plot.bars
        )?;
    }
    out.push_str(
        "</section>\n<section id=\"spider\">\n<h2>Spider: change from baseline over time</h2>\n",
    );
    for &criterion in &criteria {
        let plot = spider::draw(assessment, criterion)?;
        writeln!(
            out,
            "<h3>{}</h3><figure>{}<figcaption>{}: percent change of the target sum from baseline by day, \
             one line per subject ({} lines), coloured by best overall response.</figcaption></figure>",
            esc(criterion.name()),
            plot.svg,
            esc(criterion.name()),
            plot.lines
        )?;
    }
    out.push_str("</section>\n<section id=\"swimmer\">\n<h2>Swimmer: time on study</h2>\n");
    for &criterion in &criteria {
        let plot = swimmer::draw(assessment, criterion)?;
        writeln!(
            out,
            "<h3>{}</h3><figure>{}<figcaption>{}: days from baseline to the last assessment, one lane per \
             subject ({} lanes), coloured by best overall response; \u{25b2} first response, \
             \u{25cb} progression awaiting confirmation, \u{25c6} progression.</figcaption></figure>",
            esc(criterion.name()),
            plot.svg,
            esc(criterion.name()),
            plot.lanes
        )?;
    }
    out.push_str("</section>\n");
    Ok(())
}
