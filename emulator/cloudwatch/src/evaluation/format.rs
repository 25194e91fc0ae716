//! Times and numbers as CloudWatch writes them in alarm reasons and alarm JSON.

use chrono::{TimeZone, Utc};

/// `2024-10-26T19:00:38.853+0000`, as alarm JSON writes times.
pub fn json_time(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default().format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// `26/10/24 18:59:00`, as StateReason writes datapoint times.
pub(super) fn reason_time(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default().format("%d/%m/%y %H:%M:%S").to_string()
}

/// `Sunday 30 October, 2022 20:47:35 UTC`, as composite reasons write times.
pub(super) fn long_time(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default().format("%A %d %B, %Y %H:%M:%S UTC").to_string()
}

/// A number as Java's `Double.toString` writes it (`95.0`, `0.0175`, `1.0E7`), which
/// is how CloudWatch's reasons write values.
pub fn java_double(v: f64) -> String {
    if v == 0.0 {
        return "0.0".into();
    }
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if (1e-3..1e7).contains(&a) {
        let s = format!("{v}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let exp = a.log10().floor() as i32;
        let mut mantissa = v / 10f64.powi(exp);
        let mut exp = exp;
        if mantissa.abs() >= 10.0 {
            mantissa /= 10.0;
            exp += 1;
        }
        let m = format!("{mantissa}");
        let m = if m.contains('.') { m } else { format!("{m}.0") };
        format!("{m}E{exp}")
    }
}
