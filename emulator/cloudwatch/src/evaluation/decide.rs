//! Deciding on an evaluation range, as AWS documents it (the table of "How CloudWatch
//! alarm evaluates missing datapoints").

use crate::alarms::is_band_operator;
use crate::generated::dto::PutMetricAlarmInput;

/// One datapoint of an evaluation range.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Dp {
    pub(super) t: i64,
    pub(super) value: Option<f64>,
    pub(super) sample_count: Option<f64>,
    pub(super) breaching: Option<bool>,
    pub(super) low_samples: bool,
    pub(super) band: Option<(f64, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Treat {
    Missing,
    Ignore,
    Breaching,
    NotBreaching,
}

impl Treat {
    pub(super) fn of(input: &PutMetricAlarmInput) -> Treat {
        match input.treat_missing_data.as_deref() {
            Some("breaching") => Treat::Breaching,
            Some("notBreaching") => Treat::NotBreaching,
            Some("ignore") => Treat::Ignore,
            _ => Treat::Missing,
        }
    }
}

/// How an evaluation decided.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Decision {
    /// Real datapoints decided (indexes into the range, newest first).
    Real { alarm: bool, used: Vec<usize> },
    /// Real datapoints plus `filled` missing ones treated as breaching or not.
    Filled { alarm: bool, used: Vec<usize>, filled: usize, breaching: bool },
    /// Every datapoint is missing.
    AllMissing(Treat),
    /// Only breaching datapoints, too few, but old enough: ALARM.
    Premature { used: Vec<usize> },
    /// The state stays.
    Retain,
}

pub(super) fn decide(dps: &[Dp], n: usize, m: usize, treat: Treat) -> Decision {
    let recent = &dps[..n.min(dps.len())];
    let breaching_in = |idx: &[usize]| idx.iter().filter(|i| dps[**i].breaching == Some(true)).count();
    if recent.len() == n && recent.iter().all(|d| d.breaching.is_some()) {
        let used: Vec<usize> = (0..n).collect();
        return Decision::Real { alarm: breaching_in(&used) >= m, used };
    }
    let real: Vec<usize> = (0..dps.len()).filter(|i| dps[*i].breaching.is_some()).collect();
    if real.len() >= n {
        let used = real[..n].to_vec();
        return Decision::Real { alarm: breaching_in(&used) >= m, used };
    }
    if real.is_empty() {
        return Decision::AllMissing(treat);
    }
    let filled = n - real.len();
    let breaching = breaching_in(&real);
    match treat {
        Treat::Breaching => Decision::Filled { alarm: breaching + filled >= m, used: real, filled, breaching: true },
        Treat::NotBreaching => Decision::Filled { alarm: breaching >= m, used: real, filled, breaching: false },
        Treat::Missing | Treat::Ignore => {
            if breaching >= m {
                return Decision::Real { alarm: true, used: real };
            }
            if breaching < real.len() {
                return Decision::Real { alarm: false, used: real };
            }
            // Only breaching datapoints: the premature-alarm rule.
            let oldest = recent.iter().rposition(|d| d.breaching == Some(true));
            match oldest {
                Some(j) if j + 1 >= m && treat == Treat::Missing => Decision::Premature { used: real },
                _ => Decision::Retain,
            }
        }
    }
}

pub(super) fn breaches(op: &str, v: f64, threshold: Option<f64>, band: Option<(f64, f64)>) -> Option<bool> {
    if is_band_operator(op) {
        let (upper, lower) = band?;
        return Some(match op {
            "LessThanLowerThreshold" => v < lower,
            "GreaterThanUpperThreshold" => v > upper,
            _ => v < lower || v > upper,
        });
    }
    let t = threshold?;
    Some(match op {
        "GreaterThanOrEqualToThreshold" => v >= t,
        "GreaterThanThreshold" => v > t,
        "LessThanThreshold" => v < t,
        _ => v <= t,
    })
}
