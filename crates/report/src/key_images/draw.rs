//! Drawing on a key image: the measurement line and the lesion label.
//!
//! Coordinates are DICOM image coordinates (PS3.3 C.10.5.1.2): (column, row) with
//! (0, 0) the top-left corner of the top-left pixel, so pixel (c, r) covers the square
//! [c, c + 1) × [r, r + 1). The line colours every pixel its segment passes through.

use image::{Rgb, RgbImage};

use super::font::{glyph, GLYPH_HEIGHT, GLYPH_WIDTH};

/// The measurement line and the label text: a yellow no grey level can be.
pub const MARK: Rgb<u8> = Rgb([255, 255, 0]);
/// The outline that keeps the label readable on bright tissue.
pub const OUTLINE: Rgb<u8> = Rgb([0, 0, 0]);

/// Colours every pixel whose square the segment from `a` to `b` (column, row) touches.
pub fn draw_segment(image: &mut RgbImage, a: (f64, f64), b: (f64, f64)) {
    let (width, height) = (f64::from(image.width()), f64::from(image.height()));
    let columns = pixel_span(a.0.min(b.0), a.0.max(b.0), width);
    let rows = pixel_span(a.1.min(b.1), a.1.max(b.1), height);
    for row in rows.clone() {
        for column in columns.clone() {
            let square = (f64::from(column), f64::from(row));
            if segment_touches_square(a, b, square) {
                image.put_pixel(column, row, MARK);
            }
        }
    }
}

/// The pixel indices whose squares overlap [low, high], clipped to the image.
fn pixel_span(low: f64, high: f64, size: f64) -> std::ops::Range<u32> {
    let first = low.floor().clamp(0.0, size);
    let last = (high.floor() + 1.0).clamp(0.0, size);
    first as u32..last as u32
}

/// Liang–Barsky clipping of the segment against the closed square
/// [x, x + 1] × [y, y + 1]: true when some part of the segment lies in it.
fn segment_touches_square(a: (f64, f64), b: (f64, f64), (x, y): (f64, f64)) -> bool {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut enter: f64 = 0.0;
    let mut leave: f64 = 1.0;
    for (p, q) in [
        (-dx, a.0 - x),
        (dx, x + 1.0 - a.0),
        (-dy, a.1 - y),
        (dy, y + 1.0 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                enter = enter.max(t);
            } else {
                leave = leave.min(t);
            }
        }
    }
    enter <= leave
}

/// Writes `text` with its top-left corner at (`left`, `top`) in glyphs `scale` pixels per
/// dot, outlined, clipped to the image.
pub fn draw_label(image: &mut RgbImage, text: &str, left: i64, top: i64, scale: u32) {
    let scale = i64::from(scale.max(1));
    let advance = (GLYPH_WIDTH as i64 + 1) * scale;
    // Outline first, then the dots over it.
    for (pass, colour) in [(0, OUTLINE), (1, MARK)] {
        for (index, character) in text.chars().enumerate() {
            let glyph_left = left + index as i64 * advance;
            let rows = glyph(character);
            for (dot_row, bits) in rows.iter().enumerate() {
                for dot_column in 0..GLYPH_WIDTH {
                    if bits & (1 << (GLYPH_WIDTH - 1 - dot_column)) == 0 {
                        continue;
                    }
                    let x = glyph_left + dot_column as i64 * scale;
                    let y = top + dot_row as i64 * scale;
                    let grow = if pass == 0 { 1 } else { 0 };
                    fill(image, x - grow, y - grow, scale + 2 * grow, colour);
                }
            }
        }
    }
}

/// The width and height in pixels of `text` drawn by [`draw_label`].
pub fn label_size(text: &str, scale: u32) -> (u32, u32) {
    let scale = scale.max(1);
    let characters = text.chars().count() as u32;
    (
        characters * (GLYPH_WIDTH as u32 + 1) * scale,
        GLYPH_HEIGHT as u32 * scale,
    )
}

fn fill(image: &mut RgbImage, left: i64, top: i64, size: i64, colour: Rgb<u8>) {
    for y in top.max(0)..(top + size).min(i64::from(image.height())) {
        for x in left.max(0)..(left + size).min(i64::from(image.width())) {
            image.put_pixel(x as u32, y as u32, colour);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(image: &RgbImage) -> Vec<(u32, u32)> {
        image
            .enumerate_pixels()
            .filter(|(_, _, p)| **p == MARK)
            .map(|(x, y, _)| (x, y))
            .collect()
    }

    #[test]
    fn a_horizontal_line_through_pixel_centres_marks_one_row() {
        let mut image = RgbImage::new(10, 10);
        // Row centre 3.5: only row 3; columns 2.5 … 6.5 → pixels 2 to 6.
        draw_segment(&mut image, (2.5, 3.5), (6.5, 3.5));
        assert_eq!(marked(&image), vec![(2, 3), (3, 3), (4, 3), (5, 3), (6, 3)]);
    }

    #[test]
    fn a_diagonal_marks_every_square_it_crosses() {
        let mut image = RgbImage::new(4, 4);
        // From (0.5, 0.5) to (3.5, 3.5): the diagonal passes through the pixel corners
        // (1,1), (2,2), (3,3), which touch the neighbouring squares too.
        draw_segment(&mut image, (0.5, 0.5), (3.5, 3.5));
        let pixels = marked(&image);
        for k in 0..4 {
            assert!(pixels.contains(&(k, k)), "{pixels:?}");
        }
        assert!(!pixels.contains(&(3, 0)) && !pixels.contains(&(0, 3)));
    }

    #[test]
    fn a_line_partly_outside_is_clipped() {
        let mut image = RgbImage::new(4, 4);
        draw_segment(&mut image, (-5.0, 1.5), (2.5, 1.5));
        assert_eq!(marked(&image), vec![(0, 1), (1, 1), (2, 1)]);
    }

    #[test]
    fn a_label_draws_the_glyph_dots_outlined() {
        let grey = Rgb([100, 100, 100]);
        let mut image = RgbImage::from_pixel(20, 12, grey);
        draw_label(&mut image, "T", 2, 2, 1);
        // "T": the top row of five dots (columns 2–6), then the stem in the middle column 4.
        for x in 2..7 {
            assert_eq!(*image.get_pixel(x, 2), MARK);
        }
        for y in 3..9 {
            assert_eq!(*image.get_pixel(4, y), MARK);
            // One pixel of outline each side of the stem, nothing further out.
            assert_eq!(*image.get_pixel(3, y), OUTLINE);
            assert_eq!(*image.get_pixel(5, y), OUTLINE);
        }
        assert_eq!(*image.get_pixel(2, 5), grey);
        assert_eq!(*image.get_pixel(1, 1), OUTLINE);
        assert_eq!(*image.get_pixel(4, 10), grey);
        assert_eq!(label_size("T1", 2), (24, 14));
    }
}
