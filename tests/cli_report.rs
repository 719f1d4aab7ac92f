//! End-to-end tests of `oncoread report`: `assess` then `report` on the bundled sample,
//! the CSV tables and the HTML page checked against counts derived by hand from
//! `fixtures/sample-timeline.json`, and the page rendered by a real browser (Chromium,
//! headless). Chromium is required: `scripts/test` installs it and sets ONCOREAD_CHROMIUM.

mod common;

use common::{oncoread, repo, temp_dir};

use std::path::{Path, PathBuf};
use std::process::Command;

/// Assesses the sample and writes its reports into a new folder; returns that folder.
fn sample_reports(name: &str, extra: &[&str]) -> PathBuf {
    let dir = temp_dir(name);
    let assessment = dir.join("assessment-in.json");
    let assessed = oncoread(&[
        "assess",
        "fixtures/sample-timeline.json",
        "--config",
        "pipeline.toml",
        // The hand counts below are for these two criteria (pipeline.toml enables more).
        "--criteria",
        "recist1.1,irecist",
        "-o",
        assessment.to_str().unwrap(),
    ]);
    assert!(
        assessed.status.success(),
        "{}",
        String::from_utf8_lossy(&assessed.stderr)
    );
    let out = dir.join("reports");
    let mut args = vec![
        "report",
        assessment.to_str().unwrap(),
        "--timeline",
        "fixtures/sample-timeline.json",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let reported = oncoread(&args);
    assert!(
        reported.status.success(),
        "{}",
        String::from_utf8_lossy(&reported.stderr)
    );
    out
}

/// A small RFC 4180 reader for the checks: quoted fields, doubled quotes, CRLF records.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            '\n' => panic!("a record ends with LF alone (RFC 4180 wants CRLF)"),
            c => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "the last record ends with CRLF"
    );
    records
}

/// The record whose columns `keys` hold `values`, as a column → value lookup.
fn find<'a>(table: &'a [Vec<String>], keys: &[(&str, &str)]) -> impl Fn(&str) -> &'a str {
    let header = &table[0];
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let row = table[1..]
        .iter()
        .find(|row| keys.iter().all(|(k, v)| row[column(k)] == *v))
        .unwrap_or_else(|| panic!("no row with {keys:?}"));
    let header = header.clone();
    move |name: &str| {
        let i = header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"));
        row[i].as_str()
    }
}

#[test]
fn csv_tables_have_the_hand_counted_rows() {
    let out = sample_reports("csv", &["--format", "csv"]);

    // Timepoint rows (rows stop at RECIST PD and at iRECIST iCPD):
    // SUBJ-001 PR throughout: recist BL W8 W16 W24 = 4, irecist 4            →  8
    // SUBJ-002 PD at W8: recist BL W8 = 2; irecist BL W8 W14 W22 = 4          →  6
    // SUBJ-003 PD at W8: recist BL W8 = 2; irecist BL W8(iUPD) W14(iCPD) = 3  →  5
    // SUBJ-004 BL W8 W16(missing, NE) W24 under both = 4 + 4                  →  8
    // total 27 data rows, plus the header.
    let timepoints = read_csv(&out.join("timepoints.csv"));
    assert_eq!(timepoints.len(), 1 + 27);
    assert!(timepoints.iter().all(|r| r.len() == 18), "18 columns each");
    // SUBJ-001 W8: 30.1 + 12 + 11 = 53.1 mm, (53.1 − 76) / 76 = −30.13 % → −30.1.
    let w8 = find(
        &timepoints,
        &[
            ("subject_id", "SUBJ-001"),
            ("criterion", "recist1.1"),
            ("timepoint_id", "W8"),
        ],
    );
    assert_eq!(w8("overall"), "PR");
    assert_eq!(w8("target_sum_mm"), "53.1");
    assert_eq!(w8("change_from_baseline_pct"), "-30.1");
    assert_eq!(w8("day"), "56");
    assert_eq!(w8("date"), "2025-03-03");
    // Three rules (target, non-target, overall table) joined with " | ".
    assert_eq!(w8("rules").matches(" | ").count(), 2, "{}", w8("rules"));
    assert!(
        w8("rules").starts_with("recist.target.pr: "),
        "{}",
        w8("rules")
    );

    // Subject rows: 4 subjects × 2 criteria = 8.
    let subjects = read_csv(&out.join("subjects.csv"));
    assert_eq!(subjects.len(), 1 + 8);
    let s2 = find(
        &subjects,
        &[("subject_id", "SUBJ-002"), ("criterion", "recist1.1")],
    );
    assert_eq!(s2("best_overall_response"), "PD");
    assert_eq!(s2("progression_timepoint_id"), "W8");
    assert_eq!(s2("progression_day"), "56");
    assert_eq!(s2("progression_date"), "2025-03-05");
    assert!(
        s2("flags").starts_with("pseudoprogression: "),
        "{}",
        s2("flags")
    );
    let s2i = find(
        &subjects,
        &[("subject_id", "SUBJ-002"), ("criterion", "irecist")],
    );
    assert_eq!(s2i("best_overall_response"), "iPR");
    assert_eq!(s2i("confirmed_best_overall_response"), "iSD");
    assert_eq!(s2i("progression_day"), "");

    // Lesion observations in the timeline:
    // SUBJ-001 4 lesions × 4 visits = 16; SUBJ-002 2 + 3 + 3 + 3 = 11;
    // SUBJ-003 2 × 3 = 6; SUBJ-004 2 + 2 + 0 (scan missing) + 2 = 6; total 39.
    let lesions = read_csv(&out.join("lesions.csv"));
    assert_eq!(lesions.len(), 1 + 39);
    let node = find(
        &lesions,
        &[
            ("subject_id", "SUBJ-004"),
            ("timepoint_id", "W24"),
            ("lesion_id", "NT2"),
        ],
    );
    assert_eq!(node("nodal"), "true");
    assert_eq!(node("short_axis_mm"), "8.0");
    assert_eq!(node("role"), "non_target");
    // SUBJ-002's W22 has only a date: its day comes from the iRECIST row,
    // 2025-01-08 → 2025-06-11 = 23 + 28 + 31 + 30 + 31 + 11 = 154 days.
    let w22 = find(
        &lesions,
        &[
            ("subject_id", "SUBJ-002"),
            ("timepoint_id", "W22"),
            ("lesion_id", "NEW1"),
        ],
    );
    assert_eq!(w22("day"), "154");
    assert_eq!(w22("status"), "absent");
    assert_eq!(w22("role"), "new");
    for column in ["sop_instance_uid", "series_instance_uid", "source_other"] {
        assert!(lesions[0].iter().any(|h| h == column), "{column}");
    }

    // The sample records no problems: the header alone.
    assert_eq!(read_csv(&out.join("problems.csv")).len(), 1);
    // Only the CSV format was asked for.
    assert!(!out.join("report.html").exists());
    assert!(!out.join("assessment.json").exists());
}

/// The `<svg ...>` element with this id, up to its end tag.
fn svg_by_id<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element with id {id}"));
    let open = html[..start].rfind("<svg").expect("the id is on an <svg>");
    let end = html[open..].find("</svg>").expect("the svg is closed") + open;
    &html[open..end]
}

/// The cells of the rates table's row for `criterion`.
fn rates_row(html: &str, criterion: &str) -> Vec<String> {
    let table = &html[html.find("<table class=\"rates\">").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let row = table
        .split("<tr>")
        .find(|r| r.starts_with(&format!("<th scope=\"row\">{criterion}</th>")))
        .unwrap_or_else(|| panic!("no rates row for {criterion}"));
    row.split("<td")
        .skip(1)
        .map(|cell| {
            let text = &cell[cell.find('>').unwrap() + 1..];
            text[..text.find("</td>").unwrap()].to_string()
        })
        .collect()
}

#[test]
fn html_page_has_a_section_per_subject_and_the_three_plots() {
    let out = sample_reports("html", &[]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>Tumour response report: 4 subject(s)</title>"));
    // Self-contained: nothing fetched, no script; the only URLs are the SVG namespace of
    // the six plots.
    for forbidden in ["<script", "https://", "<link", "src=", "url("] {
        assert!(!html.contains(forbidden), "the page contains {forbidden}");
    }
    let svg_namespaces = html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
    assert_eq!(svg_namespaces, 6);
    assert_eq!(html.matches("http://").count(), svg_namespaces);

    // One section (lesion table and why-trail) per subject read: 4.
    assert_eq!(html.matches("<section class=\"subject\"").count(), 4);
    assert_eq!(html.matches("<table class=\"lesions\">").count(), 4);
    // A why-trail table per subject × criterion: 4 × 2.
    assert_eq!(html.matches("<table class=\"trail\">").count(), 8);
    assert_eq!(html.matches("<tr class=\"subject-row\">").count(), 4);

    // Waterfall bars: subjects with a best change. SUBJ-001, -002, -003 have target
    // sums; SUBJ-004 has non-target disease only → 3 bars under each criterion.
    for criterion in ["recist1-1", "irecist"] {
        let waterfall = svg_by_id(&html, &format!("waterfall-{criterion}"));
        assert_eq!(
            waterfall.matches("<rect class=\"bar ").count(),
            3,
            "{criterion}"
        );
        let spider = svg_by_id(&html, &format!("spider-{criterion}"));
        assert_eq!(spider.matches("<polyline class=\"line ").count(), 3);
        // Swimmer lanes: every subject read, 4.
        let swimmer = svg_by_id(&html, &format!("swimmer-{criterion}"));
        assert_eq!(swimmer.matches("<rect class=\"lane ").count(), 4);
    }
    // The best bar of RECIST 1.1: SUBJ-001 at (35.5 − 76) / 76 = −53.3 %, a PR.
    assert!(html.contains(
        "<title>SUBJ-001 (R1): best change \u{2212}53.3 %, best overall response PR</title>"
    ));
    // SUBJ-002 is listed as pseudo-progression.
    let pseudo = &html[html.find("<table id=\"pseudoprogression\">").unwrap()..];
    let pseudo = &pseudo[..pseudo.find("</table>").unwrap()];
    assert_eq!(pseudo.matches("<tr><td>").count(), 1);
    assert!(pseudo.contains("SUBJ-002"));

    // Rates. RECIST 1.1 BOR: PR, PD, PD, CR → ORR 2/4, DCR 2/4; confirmed PR, PD, PD,
    // non-CR/non-PD → ORR 1/4, DCR 2/4. iRECIST BOR: iPR, iPR, iCPD, iCR → ORR 3/4,
    // DCR 3/4; confirmed iPR, iSD, iCPD, non-iCR/non-iUPD → ORR 1/4, DCR 3/4.
    assert_eq!(
        rates_row(&html, "recist1.1"),
        [
            "4",
            "4",
            "CR 1, PD 2, PR 1",
            "2/4 (50.0 %)",
            "1/4 (25.0 %)",
            "2/4 (50.0 %)",
            "2/4 (50.0 %)"
        ]
    );
    assert_eq!(
        rates_row(&html, "irecist"),
        [
            "4",
            "4",
            "iCPD 1, iCR 1, iPR 2",
            "3/4 (75.0 %)",
            "1/4 (25.0 %)",
            "3/4 (75.0 %)",
            "3/4 (75.0 %)"
        ]
    );
    // The lesion table of SUBJ-001 shows the node by its short axis first.
    assert!(html.contains("<td>SA 16.0, LA 24.0</td>"));
    assert!(html.contains("<h2>Problems (0)</h2>"));
}

#[test]
fn same_input_gives_the_same_bytes() {
    let first = sample_reports("same-a", &[]);
    let second = sample_reports("same-b", &[]);
    let mut names: Vec<String> = std::fs::read_dir(&first)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // csv: 4 tables (lesions.csv since a timeline is given), html, json.
    assert_eq!(
        names,
        [
            "assessment.json",
            "lesions.csv",
            "problems.csv",
            "report.html",
            "subjects.csv",
            "timepoints.csv"
        ]
    );
    for name in names {
        assert_eq!(
            std::fs::read(first.join(&name)).unwrap(),
            std::fs::read(second.join(&name)).unwrap(),
            "{name} differs between two runs"
        );
    }
}

#[test]
fn an_unknown_format_is_one_line_and_exit_2() {
    let dir = temp_dir("format");
    let output = oncoread(&[
        "report",
        "fixtures/sample-timeline.json",
        "--out",
        dir.to_str().unwrap(),
        "--format",
        "csv,pdf",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("`pdf`"), "{stderr}");
}

#[test]
fn a_document_that_is_not_an_assessment_is_one_line_and_exit_2() {
    let dir = temp_dir("not-assessment");
    // A timeline is not an assessment: its first subject (ending on line 33) has no
    // `assessments`, and the message names that path.
    let output = oncoread(&[
        "report",
        "fixtures/sample-timeline.json",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("subjects[0]: missing field `assessments`"),
        "{stderr}"
    );
}

// ------------------------------------------------------------------ the browser

/// The Chromium to run: ONCOREAD_CHROMIUM, else `chromium` on PATH. Missing, the test
/// fails (never skips) and says how to get it.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("ONCOREAD_CHROMIUM") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|candidate| candidate.is_file())
    });
    on_path.unwrap_or_else(|| {
        panic!(
            "Chromium is needed to test report.html in a browser: run scripts/test (it \
             installs Debian's chromium), or `apt-get install -y chromium`, or set \
             ONCOREAD_CHROMIUM to a Chromium binary"
        )
    })
}

/// Runs headless Chromium on `page` with `args`; returns (stdout, stderr).
fn run_chromium(page: &Path, profile: &Path, args: &[&str]) -> (String, String) {
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("Chromium starts");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "Chromium failed: {stderr}");
    (String::from_utf8_lossy(&output.stdout).into_owned(), stderr)
}

/// Lines of Chromium's log that report the page's console output or an uncaught error.
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.contains(":CONSOLE") || line.contains("Uncaught"))
        .collect()
}

#[test]
fn chromium_renders_the_page_without_console_errors() {
    let out = sample_reports("browser", &["--format", "html"]);
    let work = temp_dir("browser-profile");
    let page = out.join("report.html");

    // The console check must be able to see something: a probe page that logs proves
    // this Chromium writes console messages where we look.
    let probe = work.join("probe.html");
    std::fs::write(
        &probe,
        "<!DOCTYPE html><title>probe</title><script>console.error('oncoread-probe')</script>",
    )
    .unwrap();
    let (_, probe_log) = run_chromium(&probe, &work.join("profile-probe"), &["--dump-dom"]);
    assert!(
        console_lines(&probe_log)
            .iter()
            .any(|l| l.contains("oncoread-probe")),
        "Chromium's log shows no console line for the probe page:\n{probe_log}"
    );

    // A screenshot: a valid PNG of the window's size, with real content.
    let png = work.join("report.png");
    let (_, log) = run_chromium(
        &page,
        &work.join("profile-shot"),
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,2000",
        ],
    );
    assert!(console_lines(&log).is_empty(), "{log}");
    let bytes = std::fs::read(&png).expect("the screenshot was written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG signature");
    // IHDR: width and height, big-endian, at bytes 16..24.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 2000));
    // A blank 1280 × 2000 page compresses to a few kB; tables and plots do not.
    assert!(bytes.len() > 10_000, "{} bytes only", bytes.len());

    // The DOM as the browser built it: the plots and one row per subject are there.
    let (dom, log) = run_chromium(&page, &work.join("profile-dom"), &["--dump-dom"]);
    assert!(console_lines(&log).is_empty(), "{log}");
    for id in [
        "waterfall-recist1-1",
        "spider-recist1-1",
        "swimmer-recist1-1",
        "waterfall-irecist",
        "spider-irecist",
        "swimmer-irecist",
    ] {
        assert!(svg_by_id(&dom, id).starts_with("<svg"), "{id}");
    }
    assert_eq!(dom.matches("<tr class=\"subject-row\">").count(), 4);
    assert_eq!(dom.matches("<figcaption>").count(), 6);
    assert_eq!(dom.matches("<section class=\"subject\"").count(), 4);
    // The browser profiles are tens of megabytes: do not leave them behind.
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn the_reference_screenshot_exists() {
    // docs/report-screenshot.png, shown in the README, is the sample's page.
    let bytes = std::fs::read(repo().join("docs/report-screenshot.png")).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}
