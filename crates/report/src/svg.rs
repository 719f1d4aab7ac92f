//! A small SVG writer for the plots: shapes with hover tooltips (`<title>`), linear
//! scales with "nice" ticks, axes and a legend. Every text goes through the escaper.
//! Colours come from CSS classes the page defines, which keeps each mark short.

use std::fmt::{self, Write};

use crate::escape::esc;

/// A coordinate with one decimal: enough for screen pixels, and it keeps the file small.
struct C(f64);

impl fmt::Display for C {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rounded = (self.0 * 10.0).round() / 10.0;
        if rounded.fract() == 0.0 {
            write!(f, "{}", rounded as i64)
        } else {
            write!(f, "{rounded:.1}")
        }
    }
}

/// Maps a data interval onto a pixel interval (either direction).
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub domain: (f64, f64),
    pub range: (f64, f64),
}

impl Scale {
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> Self {
        Scale { domain, range }
    }

    pub fn map(&self, value: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        if d1 == d0 {
            return r0;
        }
        r0 + (value - d0) / (d1 - d0) * (r1 - r0)
    }

    /// The value clamped into the domain, then mapped (for data beyond a capped axis).
    pub fn map_clamped(&self, value: f64) -> f64 {
        let (lo, hi) = (
            self.domain.0.min(self.domain.1),
            self.domain.0.max(self.domain.1),
        );
        self.map(value.clamp(lo, hi))
    }
}

/// Tick values at a round step (1, 2 or 5 × 10^k) covering [min, max] with about
/// `count` ticks.
pub fn nice_ticks(min: f64, max: f64, count: usize) -> Vec<f64> {
    // Also catches NaN bounds, which compare false.
    let spans_an_interval = max > min;
    if !spans_an_interval || count == 0 {
        return vec![min];
    }
    let raw = (max - min) / count as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (min / step).ceil() as i64;
    let last = (max / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// Extends [min, max] outwards to multiples of `step`.
pub fn round_out(min: f64, max: f64, step: f64) -> (f64, f64) {
    ((min / step).floor() * step, (max / step).ceil() * step)
}

pub enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn attribute(&self) -> &'static str {
        match self {
            Anchor::Start => "",
            Anchor::Middle => " text-anchor=\"middle\"",
            Anchor::End => " text-anchor=\"end\"",
        }
    }
}

/// An `<svg>` element being written.
pub struct Svg {
    out: String,
}

impl Svg {
    /// Opens the element with an accessible name (`<title>`) and description.
    pub fn new(
        id: &str,
        class: &str,
        size: (f64, f64),
        title: &str,
        description: &str,
    ) -> Result<Self, fmt::Error> {
        let mut out = String::new();
        write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{id}\" class=\"plot {class}\" \
             viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
             aria-labelledby=\"{id}-t\"><title id=\"{id}-t\">{title}</title><desc>{desc}</desc>",
            id = esc(id),
            class = esc(class),
            w = C(size.0),
            h = C(size.1),
            title = esc(title),
            desc = esc(description),
        )?;
        Ok(Svg { out })
    }

    pub fn open_group(&mut self, class: &str) -> fmt::Result {
        write!(self.out, "<g class=\"{}\">", esc(class))
    }

    pub fn close_group(&mut self) -> fmt::Result {
        self.out.write_str("</g>")
    }

    /// Closes a shape: with a tooltip as a `<title>` child, else self-closing.
    fn end_shape(&mut self, element: &str, tooltip: Option<&str>) -> fmt::Result {
        match tooltip {
            Some(text) => write!(self.out, "><title>{}</title></{element}>", esc(text)),
            None => self.out.write_str("/>"),
        }
    }

    pub fn rect(
        &mut self,
        (x, y): (f64, f64),
        (width, height): (f64, f64),
        class: &str,
        tooltip: Option<&str>,
    ) -> fmt::Result {
        write!(
            self.out,
            "<rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
            esc(class),
            C(x),
            C(y),
            C(width.max(0.0)),
            C(height.max(0.0))
        )?;
        self.end_shape("rect", tooltip)
    }

    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), class: &str) -> fmt::Result {
        write!(
            self.out,
            "<line class=\"{}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
            esc(class),
            C(from.0),
            C(from.1),
            C(to.0),
            C(to.1)
        )
    }

    pub fn polyline(
        &mut self,
        points: &[(f64, f64)],
        class: &str,
        tooltip: Option<&str>,
    ) -> fmt::Result {
        write!(self.out, "<polyline class=\"{}\" points=\"", esc(class))?;
        for (i, (x, y)) in points.iter().enumerate() {
            if i > 0 {
                self.out.push(' ');
            }
            write!(self.out, "{},{}", C(*x), C(*y))?;
        }
        self.out.push('"');
        self.end_shape("polyline", tooltip)
    }

    pub fn circle(
        &mut self,
        (cx, cy): (f64, f64),
        radius: f64,
        class: &str,
        tooltip: Option<&str>,
    ) -> fmt::Result {
        write!(
            self.out,
            "<circle class=\"{}\" cx=\"{}\" cy=\"{}\" r=\"{}\"",
            esc(class),
            C(cx),
            C(cy),
            C(radius)
        )?;
        self.end_shape("circle", tooltip)
    }

    /// A closed polygon through `points` (marks such as triangles and diamonds).
    pub fn polygon(
        &mut self,
        points: &[(f64, f64)],
        class: &str,
        tooltip: Option<&str>,
    ) -> fmt::Result {
        write!(self.out, "<polygon class=\"{}\" points=\"", esc(class))?;
        for (i, (x, y)) in points.iter().enumerate() {
            if i > 0 {
                self.out.push(' ');
            }
            write!(self.out, "{},{}", C(*x), C(*y))?;
        }
        self.out.push('"');
        self.end_shape("polygon", tooltip)
    }

    pub fn text(
        &mut self,
        (x, y): (f64, f64),
        anchor: Anchor,
        class: &str,
        text: &str,
    ) -> fmt::Result {
        write!(
            self.out,
            "<text class=\"{}\" x=\"{}\" y=\"{}\"{}>{}</text>",
            esc(class),
            C(x),
            C(y),
            anchor.attribute(),
            esc(text)
        )
    }

    /// Text rotated about its anchor point (labels under narrow bars).
    pub fn text_rotated(
        &mut self,
        (x, y): (f64, f64),
        degrees: f64,
        class: &str,
        text: &str,
    ) -> fmt::Result {
        write!(
            self.out,
            "<text class=\"{}\" x=\"{x}\" y=\"{y}\" text-anchor=\"end\" transform=\"rotate({} {x} {y})\">{}</text>",
            esc(class),
            C(degrees),
            esc(text),
            x = C(x),
            y = C(y),
        )
    }

    /// A vertical axis at `x` with horizontal grid lines across to `grid_to`, tick labels
    /// from `label`, and the axis title rotated along it.
    pub fn y_axis(
        &mut self,
        scale: &Scale,
        ticks: &[f64],
        (x, grid_to): (f64, f64),
        label: impl Fn(f64) -> String,
        title: &str,
    ) -> fmt::Result {
        self.open_group("axis y")?;
        for &tick in ticks {
            let y = scale.map(tick);
            self.line((x, y), (grid_to, y), "grid")?;
            self.text((x - 4.0, y + 4.0), Anchor::End, "tick", &label(tick))?;
        }
        self.line((x, scale.range.0), (x, scale.range.1), "domain")?;
        let middle = (scale.range.0 + scale.range.1) / 2.0;
        write!(
            self.out,
            "<text class=\"axis-title\" x=\"14\" y=\"{m}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {m})\">{}</text>",
            esc(title),
            m = C(middle)
        )?;
        self.close_group()
    }

    /// A horizontal axis at `y` with tick marks, labels and a title below.
    pub fn x_axis(
        &mut self,
        scale: &Scale,
        ticks: &[f64],
        y: f64,
        label: impl Fn(f64) -> String,
        title: &str,
    ) -> fmt::Result {
        self.open_group("axis x")?;
        self.line((scale.range.0, y), (scale.range.1, y), "domain")?;
        for &tick in ticks {
            let x = scale.map(tick);
            self.line((x, y), (x, y + 5.0), "domain")?;
            self.text((x, y + 17.0), Anchor::Middle, "tick", &label(tick))?;
        }
        let middle = (scale.range.0 + scale.range.1) / 2.0;
        self.text((middle, y + 34.0), Anchor::Middle, "axis-title", title)?;
        self.close_group()
    }

    /// A one-row legend starting at (x, y): each item a swatch coloured by its `class`
    /// and a label; an empty class means a label alone (e.g. a mark named by its glyph).
    pub fn legend(&mut self, (x, y): (f64, f64), items: &[(&str, &str)]) -> fmt::Result {
        self.open_group("legend")?;
        let mut at = x;
        for (label, class) in items {
            if !class.is_empty() {
                let swatch = format!("swatch {class}");
                self.rect((at, y - 9.0), (10.0, 10.0), &swatch, None)?;
                at += 14.0;
            }
            self.text((at, y), Anchor::Start, "legend-label", label)?;
            // Legend labels are short: about 6.5 px per character at the legend's size.
            at += 14.0 + 6.5 * label.chars().count() as f64;
        }
        self.close_group()
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn ticks_fall_on_round_steps() {
        assert_eq!(
            nice_ticks(-100.0, 40.0, 7),
            [-100.0, -80.0, -60.0, -40.0, -20.0, 0.0, 20.0, 40.0]
        );
        assert_eq!(nice_ticks(0.0, 168.0, 6), [0.0, 50.0, 100.0, 150.0]);
        assert_eq!(round_out(-38.3, 23.3, 20.0), (-40.0, 40.0));
    }

    #[test]
    fn scales_map_both_directions() {
        let y = Scale::new((-100.0, 100.0), (300.0, 100.0));
        assert_eq!(y.map(0.0), 200.0);
        assert_eq!(y.map(-100.0), 300.0);
        assert_eq!(y.map_clamped(500.0), 100.0);
    }

    #[test]
    fn shapes_escape_their_tooltips_and_round_coordinates() -> TestResult {
        let mut svg = Svg::new("p", "waterfall", (100.0, 50.0), "A <plot>", "d")?;
        svg.rect(
            (1.04, 2.0),
            (3.25, 4.0),
            "bar r-partial",
            Some("S&1: −30 %"),
        )?;
        let text = svg.finish();
        assert!(
            text.contains("<title id=\"p-t\">A &lt;plot></title>"),
            "{text}"
        );
        assert!(
            text.contains("<rect class=\"bar r-partial\" x=\"1\" y=\"2\" width=\"3.3\" height=\"4\"><title>S&amp;1: −30 %</title></rect>"),
            "{text}"
        );
        assert!(text.ends_with("</svg>"));
        Ok(())
    }
}
