//! PWG 5101.1 self-describing media size names (`iso_a4_210x297mm`).

/// A media size in hundredths of a millimetre, as IPP's `media-size` member carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaSize {
    /// `x-dimension`.
    pub x: i32,
    /// `y-dimension`.
    pub y: i32,
}

/// A media size name that is not of the form `class_name_WxHunit`.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum MediaSizeError {
    /// The name has no `_WxHunit` part.
    #[error("media name '{0}' has no dimensions part such as '_210x297mm' (PWG 5101.1 §5)")]
    NoDimensions(String),
    /// The unit is neither `mm` nor `in`.
    #[error("media name '{0}' has a unit other than 'mm' or 'in'")]
    BadUnit(String),
    /// A dimension is not a positive number.
    #[error("media name '{0}' has a dimension that is not a positive number")]
    BadNumber(String),
}

impl MediaSize {
    /// Dimensions from a PWG 5101.1 self-describing name.
    pub fn parse(name: &str) -> Result<MediaSize, MediaSizeError> {
        let dims = name
            .rsplit('_')
            .next()
            .filter(|d| d.contains('x'))
            .ok_or_else(|| MediaSizeError::NoDimensions(name.to_string()))?;
        let (scale, body) = if let Some(b) = dims.strip_suffix("mm") {
            (100.0, b)
        } else if let Some(b) = dims.strip_suffix("in") {
            (2540.0, b)
        } else {
            return Err(MediaSizeError::BadUnit(name.to_string()));
        };
        let (w, h) = body
            .split_once('x')
            .ok_or_else(|| MediaSizeError::NoDimensions(name.to_string()))?;
        let num = |s: &str| -> Result<i32, MediaSizeError> {
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 && v < 100_000.0 => {
                    Ok((v * scale).round() as i32)
                }
                _ => Err(MediaSizeError::BadNumber(name.to_string())),
            }
        };
        Ok(MediaSize {
            x: num(w)?,
            y: num(h)?,
        })
    }

    /// Whether `other` is this size within the PWG tolerance (±1 mm, i.e. 100 units).
    pub fn matches(&self, other: MediaSize) -> bool {
        (self.x - other.x).abs() <= 100 && (self.y - other.y).abs() <= 100
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names() {
        assert_eq!(
            MediaSize::parse("iso_a4_210x297mm"),
            Ok(MediaSize { x: 21000, y: 29700 })
        );
        assert_eq!(
            MediaSize::parse("na_letter_8.5x11in"),
            Ok(MediaSize { x: 21590, y: 27940 })
        );
        assert!(MediaSize::parse("letter").is_err());
        assert!(MediaSize::parse("x_1x2cm").is_err());
        assert!(MediaSize::parse("x_0x2mm").is_err());
    }
}
