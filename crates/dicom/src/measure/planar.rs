//! In-plane diameters of a lesion outline, in millimetres.
//!
//! The longest diameter is the largest distance between two points of the outline (mask
//! pixel centres, or contour vertices); it is always reached by two vertices of the
//! convex hull, so only the hull is searched. The perpendicular diameter is the longest
//! chord of the hull at right angles to the longest diameter (RECIST's short axis, the
//! way calipers take it); across a convex polygon that chord is longest through one of
//! its vertices, so only those chords are tried.

/// A point in plane millimetres (x along rows, y along columns).
pub type Point = [f64; 2];

/// Diameters of one outline on one plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Diameters {
    pub longest_mm: f64,
    pub perpendicular_mm: f64,
    /// The two ends of the longest diameter.
    pub longest_ends: [Point; 2],
}

/// Diameters of a set of points (any order, duplicates allowed); `None` for no points.
/// One point measures 0 × 0; collinear points have a perpendicular diameter of 0.
pub fn diameters(points: &[Point]) -> Option<Diameters> {
    let hull = convex_hull(points);
    let first = *hull.first()?;
    let mut best = (0.0, [first, first]);
    for (i, a) in hull.iter().enumerate() {
        for b in &hull[i + 1..] {
            let d = distance(*a, *b);
            if d > best.0 {
                best = (d, [*a, *b]);
            }
        }
    }
    let (longest_mm, ends) = best;
    let perpendicular_mm = if longest_mm > 0.0 {
        let along = [
            (ends[1][0] - ends[0][0]) / longest_mm,
            (ends[1][1] - ends[0][1]) / longest_mm,
        ];
        longest_chord(&hull, [-along[1], along[0]])
    } else {
        0.0
    };
    Some(Diameters {
        longest_mm,
        perpendicular_mm,
        longest_ends: ends,
    })
}

/// Area of a simple polygon (shoelace), in the square of its units; vertex order and
/// closing point do not matter.
pub fn polygon_area(vertices: &[Point]) -> f64 {
    let n = vertices.len();
    let twice: f64 = (0..n)
        .map(|i| {
            let (a, b) = (vertices[i], vertices[(i + 1) % n]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum();
    twice.abs() / 2.0
}

/// Whether a point lies inside a polygon (even-odd rule).
pub fn inside_polygon(point: Point, vertices: &[Point]) -> bool {
    let n = vertices.len();
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (vertices[i], vertices[(i + n - 1) % n]);
        if (a[1] > point[1]) != (b[1] > point[1]) {
            let x = a[0] + (point[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            if point[0] < x {
                inside = !inside;
            }
        }
    }
    inside
}

fn distance(a: Point, b: Point) -> f64 {
    (b[0] - a[0]).hypot(b[1] - a[1])
}

fn cross(o: Point, a: Point, b: Point) -> f64 {
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

/// Convex hull by the monotone chain, counter-clockwise, without repeated points.
fn convex_hull(points: &[Point]) -> Vec<Point> {
    let mut sorted: Vec<Point> = points.to_vec();
    sorted.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    sorted.dedup();
    if sorted.len() <= 2 {
        return sorted;
    }
    let mut hull: Vec<Point> = Vec::with_capacity(sorted.len() + 1);
    for pass in [false, true] {
        let start = hull.len();
        let ordered: Box<dyn Iterator<Item = &Point>> = if pass {
            Box::new(sorted.iter().rev())
        } else {
            Box::new(sorted.iter())
        };
        for p in ordered {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], *p) <= 0.0
            {
                hull.pop();
            }
            hull.push(*p);
        }
        hull.pop();
    }
    hull
}

/// The longest chord of a convex polygon in direction `direction` (a unit vector).
fn longest_chord(hull: &[Point], direction: Point) -> f64 {
    let n = hull.len();
    if n < 2 {
        return 0.0;
    }
    let mut longest: f64 = 0.0;
    for p in hull {
        let (mut low, mut high) = (0.0_f64, 0.0_f64);
        for i in 0..n {
            let (a, b) = (hull[i], hull[(i + 1) % n]);
            let edge = [b[0] - a[0], b[1] - a[1]];
            let denominator = direction[0] * edge[1] - direction[1] * edge[0];
            if denominator.abs() < 1e-12 {
                continue; // parallel edge: its ends are met through the neighbouring edges
            }
            let to_a = [a[0] - p[0], a[1] - p[1]];
            let t = (to_a[0] * edge[1] - to_a[1] * edge[0]) / denominator;
            let s = (to_a[0] * direction[1] - to_a[1] * direction[0]) / denominator;
            if (-1e-9..=1.0 + 1e-9).contains(&s) {
                low = low.min(t);
                high = high.max(t);
            }
        }
        longest = longest.max(high - low);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a test or a test helper gives back: a failure is the error `?` met.
    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
    }

    #[test]
    fn rhombus_axes_are_its_diagonals() -> TestResult {
        // Lattice points with |x|/10 + |y|/5 ≤ 1: the hull is the rhombus (±10, 0), (0, ±5).
        // Longest = 20 (from (−10,0) to (10,0)); perpendicular chord through the centre = 10.
        let mut points = Vec::new();
        for x in -10..=10_i32 {
            for y in -5..=5_i32 {
                if 5 * x.abs() + 10 * y.abs() <= 50 {
                    points.push([f64::from(x), f64::from(y)]);
                }
            }
        }
        let d = diameters(&points).ok_or("diameters")?;
        close(d.longest_mm, 20.0);
        close(d.perpendicular_mm, 10.0);
        Ok(())
    }

    #[test]
    fn rectangle_400_by_300_has_a_500_diagonal_and_a_375_perpendicular() -> TestResult {
        // 3-4-5: diagonal 500. The longest chord at right angles to it runs from corner
        // (200, −150) in direction (−3, 4)/5 until y = 150: t = 300 / (4/5) = 375.
        let rect = [
            [-200.0, -150.0],
            [200.0, -150.0],
            [200.0, 150.0],
            [-200.0, 150.0],
        ];
        let d = diameters(&rect).ok_or("diameters")?;
        close(d.longest_mm, 500.0);
        close(d.perpendicular_mm, 375.0);
        close(polygon_area(&rect), 120_000.0);
        Ok(())
    }

    #[test]
    fn degenerate_outlines() -> TestResult {
        assert_eq!(diameters(&[]), None);
        let one = diameters(&[[3.0, 4.0], [3.0, 4.0]]).ok_or("one point")?;
        assert_eq!((one.longest_mm, one.perpendicular_mm), (0.0, 0.0));
        let line = diameters(&[[0.0, 0.0], [1.0, 1.0], [3.0, 3.0]]).ok_or("a line")?;
        close(line.longest_mm, 18.0_f64.sqrt());
        close(line.perpendicular_mm, 0.0);
        Ok(())
    }

    #[test]
    fn point_in_polygon() {
        let square = [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]];
        assert!(inside_polygon([1.0, 1.0], &square));
        assert!(!inside_polygon([5.0, 1.0], &square));
    }
}
