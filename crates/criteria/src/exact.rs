//! Exact arithmetic for threshold decisions (house rule 1).
//!
//! Lengths are integer micrometres, areas integer square micrometres, and relative
//! thresholds are exact decimal fractions. Every comparison is a cross-multiplication in
//! `i128`, so 33.0 → 23.1 mm is exactly −30 % and 27.0 → 32.4 mm exactly +20 %.

use std::fmt;

/// A length in integer micrometres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Micrometres(pub i64);

impl Micrometres {
    pub const ZERO: Micrometres = Micrometres(0);

    /// Converts a recorded millimetre value; rounds to the nearest micrometre, which is
    /// far below any recorded precision and removes binary-fraction noise (23.1 → 23100).
    /// Returns `None` for values that are not finite, negative, or absurdly large.
    pub fn from_mm(mm: f64) -> Option<Micrometres> {
        if !mm.is_finite() || !(0.0..=1.0e9).contains(&mm) {
            return None;
        }
        Some(Micrometres((mm * 1000.0).round() as i64))
    }

    /// Rounds to the nearest whole millimetre, half away from zero (`measurement_rounding = nearest_mm`).
    pub fn rounded_to_mm(self) -> Micrometres {
        Micrometres((self.0 + 500).div_euclid(1000) * 1000)
    }

    pub fn as_mm(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl std::ops::Add for Micrometres {
    type Output = Micrometres;
    fn add(self, other: Micrometres) -> Micrometres {
        Micrometres(self.0.saturating_add(other.0))
    }
}

impl std::ops::Sub for Micrometres {
    type Output = Micrometres;
    fn sub(self, other: Micrometres) -> Micrometres {
        Micrometres(self.0.saturating_sub(other.0))
    }
}

impl std::iter::Sum for Micrometres {
    fn sum<I: Iterator<Item = Micrometres>>(iter: I) -> Micrometres {
        iter.fold(Micrometres::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Micrometres {
    /// Millimetres with at least one decimal and as many as the value needs (80.0, 23.15).
    /// Written into a stack buffer and handed over once: rule texts format millions of
    /// these, and `write!` with three arguments costs several times more.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Sign, up to 17 whole-millimetre digits (i64::MAX µm), point, 3 decimals.
        let mut buf = [0u8; 24];
        let mut end = buf.len();
        let abs = self.0.unsigned_abs();
        let (mut whole, frac) = (abs / 1000, abs % 1000);
        let decimals: &[u64] = if frac % 100 == 0 {
            &[frac / 100]
        } else if frac % 10 == 0 {
            &[frac % 100 / 10, frac / 100]
        } else {
            &[frac % 10, frac % 100 / 10, frac / 100]
        };
        for digit in decimals {
            end -= 1;
            buf[end] = b'0' + *digit as u8;
        }
        end -= 1;
        buf[end] = b'.';
        loop {
            end -= 1;
            buf[end] = b'0' + (whole % 10) as u8;
            whole /= 10;
            if whole == 0 {
                break;
            }
        }
        if self.0 < 0 {
            end -= 1;
            buf[end] = b'-';
        }
        f.write_str(std::str::from_utf8(&buf[end..]).map_err(|_| fmt::Error)?)
    }
}

/// An exact non-negative decimal fraction such as 0.2 (stored as 2/10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fraction {
    pub num: i64,
    pub den: i64,
}

impl Fraction {
    /// Parses a plain decimal (`0.2`, `1`, `0.25`) exactly. No exponents, no sign.
    pub fn parse_decimal(text: &str) -> Option<Fraction> {
        let text = text.trim();
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if whole.len() + frac.len() > 15 {
            return None;
        }
        let den = 10i64.checked_pow(frac.len() as u32)?;
        let whole_value: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let frac_value: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        Some(Fraction {
            num: whole_value.checked_mul(den)?.checked_add(frac_value)?,
            den,
        })
    }

    /// `value ≥ (1 + self) × reference`, exactly.
    pub fn grown_by_at_least(self, value: i64, reference: i64) -> bool {
        value as i128 * self.den as i128 >= reference as i128 * (self.den + self.num) as i128
    }

    /// `value ≤ (1 − self) × reference`, exactly.
    pub fn shrunk_by_at_least(self, value: i64, reference: i64) -> bool {
        value as i128 * self.den as i128 <= reference as i128 * (self.den - self.num) as i128
    }

    /// `1 + self` for explanations ("1.2"); formats without allocating.
    pub fn one_plus(self) -> Decimal {
        Decimal {
            num: self.den + self.num,
            den: self.den,
        }
    }

    /// `1 − self` for explanations ("0.7").
    pub fn one_minus(self) -> Decimal {
        Decimal {
            num: self.den - self.num,
            den: self.den,
        }
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Decimal {
            num: self.num,
            den: self.den,
        }
        .fmt(f)
    }
}

/// `num / den` with `den` a power of ten, displayed as a plain decimal: at least one
/// decimal when `den > 1`, no trailing zeros beyond it ("1.2", "0.25", "1.0", "2").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    num: i64,
    den: i64,
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.num < 0 {
            f.write_str("-")?;
        }
        let abs = self.num.unsigned_abs();
        let den = self.den.max(1) as u64;
        write!(f, "{}", abs / den)?;
        if den == 1 {
            return Ok(());
        }
        let mut digits = den.ilog10();
        let mut frac = abs % den;
        // Drop trailing zeros but keep one decimal.
        while digits > 1 && frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        write!(f, ".{frac:0width$}", width = digits as usize)
    }
}

/// Percent change from `reference` to `value`, rounded half away from zero to one decimal,
/// for display only (never fed back into a decision). `None` when the reference is zero.
pub fn display_percent_change(value: i64, reference: i64) -> Option<f64> {
    if reference == 0 {
        return None;
    }
    let numerator = (value as i128 - reference as i128) * 1000;
    let denominator = reference as i128;
    let tenths = round_half_away(numerator, denominator);
    Some(tenths as f64 / 10.0)
}

fn round_half_away(numerator: i128, denominator: i128) -> i128 {
    let (n, d) = if denominator < 0 {
        (-numerator, -denominator)
    } else {
        (numerator, denominator)
    };
    let magnitude = (2 * n.abs() + d) / (2 * d);
    if n < 0 {
        -magnitude
    } else {
        magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn millimetres_convert_without_binary_noise() {
        // 23.1 is 23.100000000000001421... in binary; it must be exactly 23 100 µm.
        assert_eq!(Micrometres::from_mm(23.1), Some(Micrometres(23_100)));
        assert_eq!(Micrometres::from_mm(32.4), Some(Micrometres(32_400)));
        assert_eq!(Micrometres::from_mm(-1.0), None);
        assert_eq!(Micrometres::from_mm(f64::NAN), None);
    }

    #[test]
    fn boundaries_are_exact() -> TestResult {
        let decimal =
            |text: &str| Fraction::parse_decimal(text).ok_or(format!("{text:?} should parse"));
        let twenty = decimal("0.2")?;
        let thirty = decimal("0.3")?;
        // 27.0 → 32.4 mm is exactly +20 %.
        assert!(twenty.grown_by_at_least(32_400, 27_000));
        assert!(!twenty.grown_by_at_least(32_399, 27_000));
        // 33.0 → 23.1 mm is exactly −30 %.
        assert!(thirty.shrunk_by_at_least(23_100, 33_000));
        assert!(!thirty.shrunk_by_at_least(23_101, 33_000));
        assert_eq!(twenty.one_plus().to_string(), "1.2");
        assert_eq!(thirty.one_minus().to_string(), "0.7");
        assert_eq!(decimal("0.25")?.one_plus().to_string(), "1.25");
        assert_eq!(decimal("1.0")?.to_string(), "1.0");
        assert_eq!(decimal("0.05")?.one_minus().to_string(), "0.95");
        assert_eq!(decimal("1")?.to_string(), "1");
        assert_eq!(Fraction::parse_decimal("-0.2"), None);
        assert_eq!(Fraction::parse_decimal("1e3"), None);
        Ok(())
    }

    #[test]
    fn display_percent_rounds_half_away_from_zero() {
        // (23.1 − 33.0) / 33.0 = −30 % exactly.
        assert_eq!(display_percent_change(23_100, 33_000), Some(-30.0));
        // 1/3 = 33.333… % → 33.3 ; 1/8 of a percent step: 100.05 → 0.05 % → 0.1 (half away).
        assert_eq!(display_percent_change(40_000, 30_000), Some(33.3));
        assert_eq!(display_percent_change(100_050, 100_000), Some(0.1));
        assert_eq!(display_percent_change(99_950, 100_000), Some(-0.1));
        assert_eq!(display_percent_change(1, 0), None);
    }

    #[test]
    fn millimetres_display_with_needed_decimals() {
        assert_eq!(Micrometres(80_000).to_string(), "80.0");
        assert_eq!(Micrometres(23_150).to_string(), "23.15");
        assert_eq!(Micrometres(5).to_string(), "0.005");
        assert_eq!(Micrometres(-5_400).to_string(), "-5.4");
        assert_eq!(Micrometres(0).to_string(), "0.0");
        assert_eq!(Micrometres(10).to_string(), "0.01");
        assert_eq!(Micrometres(-1_001).to_string(), "-1.001");
        assert_eq!(Micrometres(i64::MIN).to_string(), "-9223372036854775.808");
        assert_eq!(Micrometres(i64::MAX).to_string(), "9223372036854775.807");
        assert_eq!(Micrometres(9_500).rounded_to_mm(), Micrometres(10_000));
        assert_eq!(Micrometres(9_499).rounded_to_mm(), Micrometres(9_000));
    }
}
