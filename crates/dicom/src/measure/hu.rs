//! Choi density: the mean CT number (HU) inside a lesion.

use super::region::{values_inside, Region};
use super::slices::ImageSlice;

/// Mean of a region's values on rescaled CT slices, with the number of pixels it covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanHu {
    pub mean_hu: f64,
    pub pixels: usize,
}

/// The mean HU inside `region`; an error when the region covers no pixel.
pub fn mean_hu(ct_slices: &[ImageSlice], region: &Region) -> Result<MeanHu, String> {
    let (sum, pixels) = values_inside(ct_slices, region)
        .fold((0.0_f64, 0_usize), |(s, n), v| (s + f64::from(v), n + 1));
    if pixels == 0 {
        return Err("the lesion region covers no pixel of the CT slices".into());
    }
    Ok(MeanHu {
        mean_hu: sum / pixels as f64,
        pixels,
    })
}
