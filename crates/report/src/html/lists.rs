//! The page's lists: pseudo-progression and other flags, problems, the configuration.

use std::fmt::{self, Write};

use oncoread_criteria::assessment::Assessment;
use oncoread_criteria::timeline::Timeline;

use crate::escape::esc;
use crate::subjects::all_problems;
use crate::ReportOptions;

const PSEUDOPROGRESSION: &str = "pseudoprogression";

pub fn write_flags(out: &mut String, assessment: &Assessment) -> fmt::Result {
    out.push_str("<section id=\"flags\">\n<h2>Pseudo-progression</h2>\n");
    let flagged = |pseudo: bool| {
        assessment
            .subjects
            .iter()
            .enumerate()
            .flat_map(move |(i, subject)| {
                subject
                    .flags
                    .iter()
                    .filter(move |f| (f.kind == PSEUDOPROGRESSION) == pseudo)
                    .map(move |flag| (i + 1, subject, flag))
            })
    };
    let pseudo: Vec<_> = flagged(true).collect();
    if pseudo.is_empty() {
        out.push_str("<p class=\"none\">No pseudo-progression flagged.</p>\n");
    } else {
        writeln!(
            out,
            "<p>{} subject read(s) with progression under one criterion that an immune-aware \
             criterion did not confirm:</p>",
            pseudo.len()
        )?;
        out.push_str("<table id=\"pseudoprogression\"><thead><tr><th>subject</th><th>reader</th><th>what</th></tr></thead><tbody>\n");
        for (number, subject, flag) in pseudo {
            writeln!(
                out,
                "<tr><td><a href=\"#subject-{number}\">{}</a></td><td>{}</td><td>{}</td></tr>",
                esc(&subject.subject_id),
                esc(subject.reader.as_deref().unwrap_or("")),
                esc(&flag.message)
            )?;
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("<h3>Other flags</h3>\n");
    let mut others: Vec<_> = flagged(false).collect();
    // Grouped by kind; within a kind, in subject order.
    others.sort_by(|a, b| a.2.kind.cmp(&b.2.kind).then(a.0.cmp(&b.0)));
    if others.is_empty() {
        out.push_str("<p class=\"none\">None.</p>\n");
    } else {
        out.push_str("<table id=\"other-flags\"><thead><tr><th>kind</th><th>subject</th><th>reader</th><th>what</th></tr></thead><tbody>\n");
        for (number, subject, flag) in others {
            writeln!(
                out,
                "<tr><td>{}</td><td><a href=\"#subject-{number}\">{}</a></td><td>{}</td><td>{}</td></tr>",
                esc(&flag.kind),
                esc(&subject.subject_id),
                esc(subject.reader.as_deref().unwrap_or("")),
                esc(&flag.message)
            )?;
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");
    Ok(())
}

pub fn write_problems(
    out: &mut String,
    assessment: &Assessment,
    timeline: Option<&Timeline>,
    options: &ReportOptions,
) -> fmt::Result {
    let problems = all_problems(assessment, timeline, options);
    writeln!(
        out,
        "<section id=\"problems\">\n<h2>Problems ({})</h2>",
        problems.len()
    )?;
    if problems.is_empty() {
        out.push_str("<p class=\"none\">No problems were recorded.</p>\n</section>\n");
        return Ok(());
    }
    out.push_str(
        "<table><thead><tr><th>recorded by</th><th>subject</th><th>reader</th><th>kind</th>\
         <th>message</th><th>file / SOP instance</th></tr></thead><tbody>\n",
    );
    for listed in problems {
        let problem = listed.problem;
        let place: Vec<&str> = [problem.path.as_deref(), problem.sop_instance_uid.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            listed.origin,
            esc(listed.subject_id.unwrap_or("")),
            esc(listed.reader.unwrap_or("")),
            esc(&problem.kind),
            esc(&problem.message),
            esc(&place.join(" "))
        )?;
    }
    out.push_str("</tbody></table>\n</section>\n");
    Ok(())
}

pub fn write_configuration(out: &mut String, assessment: &Assessment) -> fmt::Result {
    out.push_str("<section id=\"configuration\">\n<h2>Configuration</h2>\n");
    let generator = &assessment.generator;
    for (what, hash) in [
        ("input", &generator.input_sha256),
        ("configuration", &generator.config_sha256),
    ] {
        if let Some(hash) = hash {
            writeln!(
                out,
                "<p class=\"meta\">SHA-256 of the {what}: <code>{}</code></p>",
                esc(hash)
            )?;
        }
    }
    writeln!(
        out,
        "<details><summary>Effective configuration ({} keys)</summary>\n\
         <table><thead><tr><th>key</th><th>value</th></tr></thead><tbody>",
        assessment.config.len()
    )?;
    for (key, value) in &assessment.config {
        writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            esc(key),
            esc(&value.to_string())
        )?;
    }
    out.push_str("</tbody></table></details>\n</section>\n");
    Ok(())
}
