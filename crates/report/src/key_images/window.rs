//! Modality values → 8-bit grey levels: a window (DICOM's VOI LUT LINEAR function,
//! PS3.3 C.11.2.1.2.1) or, with no window to use, the slice's own minimum and maximum.

use oncoread_dicom::slice_pixels::SlicePixels;

/// Window width and centre (level), in modality units (HU for CT).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub width: f64,
    pub center: f64,
}

impl Window {
    /// The soft-tissue window key images use for CT unless configured otherwise.
    pub const CT_SOFT_TISSUE: Window = Window {
        width: 400.0,
        center: 40.0,
    };
}

/// How one slice's values become grey levels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Greyscale {
    Window(Window),
    /// Linear from the slice's minimum (black) to its maximum (white).
    MinMax {
        min: f32,
        max: f32,
    },
}

/// CT: `ct_window`. Other modalities (MR, PT, …): the file's first window, else min–max.
pub fn choose(pixels: &SlicePixels, ct_window: Window) -> Greyscale {
    if pixels.modality.as_deref() == Some("CT") {
        return Greyscale::Window(ct_window);
    }
    if let Some(w) = pixels.window.filter(|w| w.width > 0.0) {
        return Greyscale::Window(Window {
            width: w.width,
            center: w.center,
        });
    }
    let (min, max) = pixels
        .values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    Greyscale::MinMax { min, max }
}

/// The grey level (0 black … 255 white) of one modality value.
pub fn grey(value: f32, greyscale: Greyscale) -> u8 {
    let x = f64::from(value);
    let level = match greyscale {
        Greyscale::Window(Window { width, center }) => {
            // LINEAR needs width ≥ 1.
            let width = width.max(1.0);
            let low = center - 0.5 - (width - 1.0) / 2.0;
            let high = center - 0.5 + (width - 1.0) / 2.0;
            if x <= low {
                0.0
            } else if x > high {
                255.0
            } else {
                ((x - (center - 0.5)) / (width - 1.0) + 0.5) * 255.0
            }
        }
        Greyscale::MinMax { min, max } => {
            let range = f64::from(max) - f64::from(min);
            if range > 0.0 {
                (x - f64::from(min)) / range * 255.0
            } else {
                0.0
            }
        }
    };
    level.round().clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(modality: &str, values: Vec<f32>) -> SlicePixels {
        SlicePixels {
            rows: 1,
            columns: values.len() as u32,
            values,
            modality: Some(modality.into()),
            window: None,
            inverted: false,
        }
    }

    #[test]
    fn soft_tissue_window_by_hand() {
        // W400/L40: black up to 40 − 0.5 − 399/2 = −160, white above 40 − 0.5 + 399/2 = 239;
        // in between ((x − 39.5)/399 + 0.5) × 255.
        let w = Greyscale::Window(Window::CT_SOFT_TISSUE);
        assert_eq!(grey(-1000.0, w), 0);
        assert_eq!(grey(-160.0, w), 0);
        assert_eq!(grey(240.0, w), 255);
        // 40 HU: (0.5/399 + 0.5) × 255 = 127.82 → 128.
        assert_eq!(grey(40.0, w), 128);
        // 0 HU (water): (−39.5/399 + 0.5) × 255 = 102.26 → 102.
        assert_eq!(grey(0.0, w), 102);
    }

    #[test]
    fn ct_uses_the_configured_window_and_mr_its_own_or_min_max() {
        let ct = slice("CT", vec![0.0]);
        assert_eq!(
            choose(&ct, Window::CT_SOFT_TISSUE),
            Greyscale::Window(Window::CT_SOFT_TISSUE)
        );
        let mut mr = slice("MR", vec![10.0, 30.0, 20.0]);
        assert_eq!(
            choose(&mr, Window::CT_SOFT_TISSUE),
            Greyscale::MinMax {
                min: 10.0,
                max: 30.0
            }
        );
        // Min–max by hand: 20 is halfway, 127.5 → 128.
        assert_eq!(grey(20.0, choose(&mr, Window::CT_SOFT_TISSUE)), 128);
        mr.window = Some(oncoread_dicom::slice_pixels::VoiWindow {
            center: 600.0,
            width: 1200.0,
        });
        assert_eq!(
            choose(&mr, Window::CT_SOFT_TISSUE),
            Greyscale::Window(Window {
                width: 1200.0,
                center: 600.0
            })
        );
    }
}
