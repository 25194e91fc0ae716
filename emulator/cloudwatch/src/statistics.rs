//! Statistics: the names CloudWatch accepts, and their values over the samples of one
//! period, exactly (every raw value is kept).
//!
//! Definitions follow AWS's "CloudWatch statistics definitions":
//! - `pNN.NN` is the nearest-rank percentile: the smallest value such that at least
//!   NN.NN % of the samples are lower or equal (p0 is the minimum, p100 the maximum).
//! - `TM`, `WM`, `TC`, `TS` with percentage bounds `(a%:b%)` keep the samples ranked from
//!   ⌊a·n⌋ up to ⌈b·n⌉ (n samples in value order, 0-based, end exclusive): the upper end is
//!   the nearest-rank `pb`, so `p99` is the largest value `tm99` averages, and ⌊a·n⌋
//!   samples are dropped at the bottom, ⌊(1-b)·n⌋ at the top. `tm90` is `TM(:90%)`,
//!   `IQM` is `TM(25%:75%)`. With value bounds `(a:b)` the samples with a < v ≤ b are
//!   kept. `TM` is their mean, `TC` their count, `TS` their sum; `WM` replaces the
//!   dropped samples with the value at the nearest kept edge (the bound itself for value
//!   bounds) and averages all n.
//! - `PR(a:b)` is the percentage of samples with a < v ≤ b.
//! - These need raw values: a `StatisticValues` set only counts when its SampleCount is 1
//!   or its Minimum equals its Maximum; and they are not available when a value is
//!   negative (AWS's documented rule).
//!
//! `Values`/`Counts` data weigh each value by its count.

use crate::store::Sample;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    SampleCount,
    Average,
    Sum,
    Minimum,
    Maximum,
    Ext(Extended),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Extended {
    /// `pNN.NN`
    Percentile(f64),
    /// `TM`, `WM`, `TC`, `TS` (and `IQM`).
    Trimmed(Trim, Bounds),
    /// `PR(a:b)`
    Rank(Option<f64>, Option<f64>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    Mean,
    Winsorized,
    Count,
    Sum,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bounds {
    /// Percentages, 0 ≤ lo < hi ≤ 100.
    Percent(f64, f64),
    /// Values: lo exclusive, hi inclusive.
    Value(Option<f64>, Option<f64>),
}

impl Stat {
    /// A statistic as named in `MetricStat.Stat`, alarms and dashboards: a standard
    /// statistic or an extended one.
    pub fn parse(name: &str) -> Option<Stat> {
        Some(match name {
            "SampleCount" => Stat::SampleCount,
            "Average" => Stat::Average,
            "Sum" => Stat::Sum,
            "Minimum" => Stat::Minimum,
            "Maximum" => Stat::Maximum,
            other => Stat::Ext(Extended::parse(other)?),
        })
    }

    pub fn is_standard(&self) -> bool {
        !matches!(self, Stat::Ext(_))
    }
}

/// A decimal number as CloudWatch writes bounds: digits, at most one point, up to ten
/// decimals; `signed` allows a leading minus.
fn number(text: &str, signed: bool) -> Option<f64> {
    let digits = if signed { text.strip_prefix('-').unwrap_or(text) } else { text };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let mut parts = digits.split('.');
    let int = parts.next()?;
    let frac = parts.next();
    if parts.next().is_some() || int.is_empty() || frac.is_some_and(|f| f.is_empty() || f.len() > 10) {
        return None;
    }
    text.parse().ok()
}

fn percent(text: &str) -> Option<f64> {
    number(text, false).filter(|p| (0.0..=100.0).contains(p))
}

impl Extended {
    pub fn parse(name: &str) -> Option<Extended> {
        if name == "IQM" {
            return Some(Extended::Trimmed(Trim::Mean, Bounds::Percent(25.0, 75.0)));
        }
        if let Some(p) = name.strip_prefix('p') {
            return percent(p).map(Extended::Percentile);
        }
        // One number, lower case: the upper percentage bound (`tm99` = `TM(:99%)`).
        for (prefix, trim) in [("tm", Trim::Mean), ("wm", Trim::Winsorized), ("tc", Trim::Count), ("ts", Trim::Sum)] {
            if let Some(p) = name.strip_prefix(prefix) {
                let p = percent(p)?;
                return (p > 0.0).then_some(Extended::Trimmed(trim, Bounds::Percent(0.0, p)));
            }
        }
        // Ranges, upper case: `TM(10%:90%)`, `TM(:95%)`, `TC(80:500)`, `PR(:300)`.
        let open = name.find('(')?;
        let (kind, rest) = name.split_at(open);
        let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
        let (lo, hi) = inner.split_once(':')?;
        if kind == "PR" {
            let lo = if lo.is_empty() { None } else { Some(number(lo, true)?) };
            let hi = if hi.is_empty() { None } else { Some(number(hi, true)?) };
            return match (lo, hi) {
                (None, None) => None,
                (Some(l), Some(h)) if l >= h => None,
                _ => Some(Extended::Rank(lo, hi)),
            };
        }
        let trim = match kind {
            "TM" => Trim::Mean,
            "WM" => Trim::Winsorized,
            "TC" => Trim::Count,
            "TS" => Trim::Sum,
            _ => return None,
        };
        let is_percent = |s: &str| s.ends_with('%');
        if lo.is_empty() && hi.is_empty() {
            return None;
        }
        let percents = (lo.is_empty() || is_percent(lo)) && (hi.is_empty() || is_percent(hi));
        let values = !is_percent(lo) && !is_percent(hi);
        if percents {
            let lo = if lo.is_empty() { 0.0 } else { percent(lo.strip_suffix('%')?)? };
            let hi = if hi.is_empty() { 100.0 } else { percent(hi.strip_suffix('%')?)? };
            return (lo < hi).then_some(Extended::Trimmed(trim, Bounds::Percent(lo, hi)));
        }
        if values {
            let lo = if lo.is_empty() { None } else { Some(number(lo, true)?) };
            let hi = if hi.is_empty() { None } else { Some(number(hi, true)?) };
            if let (Some(l), Some(h)) = (lo, hi) {
                if l >= h {
                    return None;
                }
            }
            return Some(Extended::Trimmed(trim, Bounds::Value(lo, hi)));
        }
        None
    }

    /// The percentile an alarm's low-sample-count rule looks at, when this is one.
    #[allow(dead_code)] // the alarm evaluation's, next
    pub fn percentile(&self) -> Option<f64> {
        match self {
            Extended::Percentile(p) => Some(*p),
            _ => None,
        }
    }
}

/// The samples of one period, folded: the standard statistics always, the raw values
/// when extended statistics are wanted.
#[derive(Debug, Clone)]
pub struct Agg {
    pub count: f64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    /// Number of stored points folded in.
    pub points: usize,
    collect: bool,
    values: Vec<(f64, f64)>,
    /// Some sample had no raw values (a statistic set), or a value was negative.
    no_raw: bool,
    sorted: bool,
}

impl Agg {
    pub fn new(collect: bool) -> Self {
        Agg {
            count: 0.0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            points: 0,
            collect,
            values: Vec::new(),
            no_raw: false,
            sorted: true,
        }
    }

    pub fn add(&mut self, sample: Sample<'_>) {
        self.points += 1;
        match sample {
            Sample::One(v) => self.value(v, 1.0),
            Sample::Weighted(values) => {
                for (v, n) in values {
                    self.value(*v, *n);
                }
            }
            Sample::Stats { count, sum, min, max } => {
                self.count += count;
                self.sum += sum;
                self.min = self.min.min(min);
                self.max = self.max.max(max);
                if min < 0.0 {
                    self.no_raw = true;
                }
                if self.collect && !self.no_raw {
                    if min == max {
                        self.values.push((min, count));
                        self.sorted = false;
                    } else {
                        self.no_raw = true;
                    }
                }
            }
        }
    }

    fn value(&mut self, v: f64, n: f64) {
        self.count += n;
        self.sum += v * n;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        if v < 0.0 {
            self.no_raw = true;
        }
        if self.collect && !self.no_raw {
            if self.values.last().is_some_and(|(last, _)| *last > v) {
                self.sorted = false;
            }
            self.values.push((v, n));
        }
    }

    /// Folds another period's samples in (for SEARCH and roll-ups).
    pub fn merge(&mut self, other: &Agg) {
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.points += other.points;
        self.no_raw |= other.no_raw;
        if self.collect && !self.no_raw {
            self.values.extend_from_slice(&other.values);
            self.sorted = false;
        }
    }

    fn sort(&mut self) {
        if !self.sorted {
            self.values.sort_by(|a, b| a.0.total_cmp(&b.0));
            self.sorted = true;
        }
    }

    pub fn get(&mut self, stat: &Stat) -> Option<f64> {
        if self.points == 0 {
            return None;
        }
        let v = match stat {
            Stat::SampleCount => Some(self.count),
            Stat::Sum => Some(self.sum),
            Stat::Average => (self.count > 0.0).then(|| self.sum / self.count),
            Stat::Minimum => self.min.is_finite().then_some(self.min),
            Stat::Maximum => self.max.is_finite().then_some(self.max),
            Stat::Ext(e) => self.extended(e),
        };
        v.filter(|v| v.is_finite())
    }

    fn total(&self) -> f64 {
        self.values.iter().map(|(_, n)| n).sum()
    }

    fn extended(&mut self, e: &Extended) -> Option<f64> {
        if !self.collect || self.no_raw {
            return None;
        }
        self.sort();
        let n = self.total();
        if n <= 0.0 {
            return None;
        }
        match *e {
            Extended::Percentile(p) => Some(self.rank_value(round9(p / 100.0 * n), n)),
            Extended::Rank(lo, hi) => {
                let inside: f64 = self
                    .values
                    .iter()
                    .filter(|(v, _)| lo.is_none_or(|l| *v > l) && hi.is_none_or(|h| *v <= h))
                    .map(|(_, w)| w)
                    .sum();
                Some(100.0 * inside / n)
            }
            Extended::Trimmed(trim, Bounds::Value(lo, hi)) => {
                let keep = |v: f64| lo.is_none_or(|l| v > l) && hi.is_none_or(|h| v <= h);
                let (count, sum) =
                    self.values.iter().filter(|(v, _)| keep(*v)).fold((0.0, 0.0), |(c, s), (v, w)| (c + w, s + v * w));
                match trim {
                    Trim::Count => Some(count),
                    Trim::Sum => Some(sum),
                    Trim::Mean => (count > 0.0).then(|| sum / count),
                    Trim::Winsorized => {
                        let clamp = |v: f64| {
                            let v = lo.map_or(v, |l| v.max(l));
                            hi.map_or(v, |h| v.min(h))
                        };
                        Some(self.values.iter().map(|(v, w)| clamp(*v) * w).sum::<f64>() / n)
                    }
                }
            }
            Extended::Trimmed(trim, Bounds::Percent(lo, hi)) => {
                let a = round9(lo / 100.0 * n).floor();
                let b = round9(hi / 100.0 * n).ceil().min(n);
                let (mut count, mut sum, mut cum) = (0.0, 0.0, 0.0);
                for (v, w) in &self.values {
                    let overlap = ((cum + w).min(b) - cum.max(a)).max(0.0);
                    count += overlap;
                    sum += v * overlap;
                    cum += w;
                }
                match trim {
                    Trim::Count => Some(count),
                    Trim::Sum => Some(sum),
                    Trim::Mean => (count > 0.0).then(|| sum / count),
                    Trim::Winsorized => {
                        if count <= 0.0 {
                            return None;
                        }
                        // The values at the kept edges: ranks a and b-1.
                        let low = self.value_at(a);
                        let high = self.value_at(b - 1.0);
                        Some((sum + a * low + (n - b) * high) / n)
                    }
                }
            }
        }
    }

    /// The value at 0-based rank `r` (fractional ranks fall in the item covering them).
    fn value_at(&self, r: f64) -> f64 {
        let mut cum = 0.0;
        for (v, w) in &self.values {
            cum += w;
            if cum > r {
                return *v;
            }
        }
        self.values.last().map_or(f64::NAN, |(v, _)| *v)
    }

    /// The nearest-rank value for a cumulative target count (`p/100 · n`).
    fn rank_value(&self, target: f64, _n: f64) -> f64 {
        if target <= 0.0 {
            return self.values[0].0;
        }
        let mut cum = 0.0;
        for (v, w) in &self.values {
            cum += w;
            if cum >= target {
                return *v;
            }
        }
        self.values.last().map_or(f64::NAN, |(v, _)| *v)
    }

    /// Whether the low-sample-count rule of a percentile alarm applies: fewer than
    /// 10/(1-p) samples for p ≥ 0.5, fewer than 10/p below.
    #[allow(dead_code)] // the alarm evaluation's, next
    pub fn low_sample_count(&self, percentile: f64) -> bool {
        let p = percentile / 100.0;
        let needed = if p >= 0.5 {
            if p >= 1.0 {
                return false;
            }
            10.0 / (1.0 - p)
        } else {
            if p <= 0.0 {
                return false;
            }
            10.0 / p
        };
        self.count < needed
    }
}

/// Rounds away float noise (0.95 · 20 = 18.999999999999996).
fn round9(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(values: &[f64]) -> Agg {
        let mut a = Agg::new(true);
        for v in values {
            a.add(Sample::One(*v));
        }
        a
    }

    fn get(a: &mut Agg, name: &str) -> Option<f64> {
        a.get(&Stat::parse(name).unwrap_or_else(|| panic!("{name} parses")))
    }

    #[test]
    fn parses_every_form_and_refuses_the_rest() {
        for ok in [
            "p99",
            "p99.9",
            "p0.0",
            "p100",
            "p50.1234567891",
            "tm99",
            "wm98",
            "tc90",
            "ts90",
            "IQM",
            "TM(2%:98%)",
            "TM(:95%)",
            "TM(10%:)",
            "TM(150:1000)",
            "TC(:0.5)",
            "TS(80%:)",
            "WM(10%:90%)",
            "PR(:300)",
            "PR(100:2000)",
            "PR(-5:5)",
            "Average",
        ] {
            assert!(Stat::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "p101",
            "p-1",
            "p",
            "P99",
            "p99.12345678901",
            "tm",
            "tm0",
            "TM(90%:10%)",
            "TM(:)",
            "TM(10%:500)",
            "tm(10%:90%)",
            "TM(10%:90%",
            "XX(1:2)",
            "PR(:)",
            "PR(5:1)",
            "average",
            "p9 9",
            "p1e2",
        ] {
            assert!(Stat::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(Stat::parse("IQM"), Stat::parse("TM(25%:75%)"));
        assert_eq!(Stat::parse("tm90"), Stat::parse("TM(:90%)"));
    }

    #[test]
    fn standard_statistics() {
        let mut a = agg(&[3.0, 1.0, 2.0]);
        assert_eq!(get(&mut a, "SampleCount"), Some(3.0));
        assert_eq!(get(&mut a, "Sum"), Some(6.0));
        assert_eq!(get(&mut a, "Average"), Some(2.0));
        assert_eq!(get(&mut a, "Minimum"), Some(1.0));
        assert_eq!(get(&mut a, "Maximum"), Some(3.0));
    }

    #[test]
    fn percentiles_are_nearest_rank_on_one_to_twenty() {
        // 1..=20: p50 is the 10th value, p95 the 19th, p99 the 20th, p5 the 1st.
        let data: Vec<f64> = (1..=20).map(f64::from).collect();
        let mut a = agg(&data);
        assert_eq!(get(&mut a, "p50"), Some(10.0));
        assert_eq!(get(&mut a, "p95"), Some(19.0));
        assert_eq!(get(&mut a, "p99"), Some(20.0));
        assert_eq!(get(&mut a, "p5"), Some(1.0));
        assert_eq!(get(&mut a, "p5.1"), Some(2.0));
        assert_eq!(get(&mut a, "p0"), Some(1.0));
        assert_eq!(get(&mut a, "p100"), Some(20.0));
        assert_eq!(get(&mut a, "p90"), Some(18.0));
    }

    #[test]
    fn trimmed_family_on_one_to_ten() {
        // 1..=10 shuffled.
        let mut a = agg(&[7.0, 2.0, 9.0, 1.0, 10.0, 4.0, 3.0, 8.0, 6.0, 5.0]);
        // tm90: drop the top value -> mean of 1..=9.
        assert_eq!(get(&mut a, "tm90"), Some(5.0));
        assert_eq!(get(&mut a, "tc90"), Some(9.0));
        assert_eq!(get(&mut a, "ts90"), Some(45.0));
        // TM(10%:90%): 2..=9.
        assert_eq!(get(&mut a, "TM(10%:90%)"), Some(5.5));
        assert_eq!(get(&mut a, "TC(10%:90%)"), Some(8.0));
        // IQM: ranks 2..8 (floor 2.5 .. ceil 7.5) -> 3..=8.
        assert_eq!(get(&mut a, "IQM"), Some(5.5));
        // WM(10%:90%): 1 -> 2, 10 -> 9: (2+2+3+...+9+9)/10 = 55/10.
        assert_eq!(get(&mut a, "WM(10%:90%)"), Some(5.5));
        // wm80: 9 and 10 -> 8: (36 + 8 + 8)/10.
        assert_eq!(get(&mut a, "wm80"), Some(5.2));
        // Value bounds: 3 < v <= 7.
        assert_eq!(get(&mut a, "TM(3:7)"), Some(5.5));
        assert_eq!(get(&mut a, "TC(3:7)"), Some(4.0));
        assert_eq!(get(&mut a, "TS(3:7)"), Some(22.0));
        assert_eq!(get(&mut a, "TC(:0.5)"), Some(0.0));
        assert_eq!(get(&mut a, "TM(:0.5)"), None);
        // WM(3:7): 1,2,3 -> 3; 8,9,10 -> 7: (9 + 4+5+6+7 + 21)/10.
        assert_eq!(get(&mut a, "WM(3:7)"), Some(5.2));
        // TS(80%:): the top two.
        assert_eq!(get(&mut a, "TS(80%:)"), Some(19.0));
        assert_eq!(get(&mut a, "PR(:3)"), Some(30.0));
        assert_eq!(get(&mut a, "PR(2:5)"), Some(30.0));
    }

    #[test]
    fn counts_weigh_values() {
        let mut a = Agg::new(true);
        a.add(Sample::Weighted(&[(1.0, 1.0), (2.0, 1.0), (3.0, 2.0)]));
        assert_eq!(get(&mut a, "SampleCount"), Some(4.0));
        assert_eq!(get(&mut a, "Sum"), Some(9.0));
        assert_eq!(get(&mut a, "p50"), Some(2.0));
        assert_eq!(get(&mut a, "p75"), Some(3.0));
        assert_eq!(get(&mut a, "tm75"), Some(2.0));
    }

    #[test]
    fn statistic_sets_have_percentiles_only_when_they_are_raw() {
        let mut a = Agg::new(true);
        a.add(Sample::Stats { count: 3.0, sum: 15.0, min: 5.0, max: 5.0 });
        a.add(Sample::One(1.0));
        assert_eq!(get(&mut a, "p50"), Some(5.0));
        assert_eq!(get(&mut a, "SampleCount"), Some(4.0));
        a.add(Sample::Stats { count: 2.0, sum: 3.0, min: 1.0, max: 2.0 });
        assert_eq!(get(&mut a, "p50"), None);
        assert_eq!(get(&mut a, "Maximum"), Some(5.0));
        let mut negative = agg(&[-1.0, 2.0]);
        assert_eq!(get(&mut negative, "p50"), None);
        assert_eq!(get(&mut negative, "Sum"), Some(1.0));
    }

    #[test]
    fn low_sample_count_rule() {
        let a = agg(&[1.0; 999]);
        assert!(a.low_sample_count(99.0));
        assert!(!agg(&[1.0; 1000]).low_sample_count(99.0));
        assert!(agg(&[1.0; 99]).low_sample_count(10.0));
        assert!(!agg(&[1.0; 100]).low_sample_count(10.0));
    }
}
