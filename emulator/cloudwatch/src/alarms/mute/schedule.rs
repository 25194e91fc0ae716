//! A mute rule's schedule: `cron(m h dom mon dow)` or `at(yyyy-MM-ddThh:mm)`, an ISO 8601
//! duration from PT1M to P15D, and a time zone, as PutAlarmMuteRule documents them.
//!
//! Time zones: UTC and its aliases, `Etc/GMT±N`, and a table of common IANA zones with
//! their current offsets and daylight-saving rules (US, EU, southern Australia, New
//! Zealand); nimbus carries no tz database, so another zone name is refused.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};

const MINUTE_MS: i64 = 60_000;
const MAX_DURATION_MS: i64 = 15 * 86_400_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    /// Minutes, hours, days of month, months, days of week (0 = Sunday), each as the set
    /// of values the field allows; `dom_any`/`dow_any` say whether the field was `*`.
    Cron {
        minutes: Vec<u32>,
        hours: Vec<u32>,
        doms: Vec<u32>,
        months: Vec<u32>,
        dows: Vec<u32>,
        dom_any: bool,
        dow_any: bool,
    },
    At(NaiveDateTime),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub expression: Expression,
    pub duration_ms: i64,
    pub zone: Zone,
}

/// A time zone: its standard offset and daylight-saving rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Zone {
    std_offset_s: i32,
    dst: Dst,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Dst {
    None,
    /// Second Sunday of March 02:00 to first Sunday of November 02:00, local time.
    Us,
    /// Last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC.
    Eu,
    /// First Sunday of October 02:00 to first Sunday of April 03:00, local time.
    AuSouth,
    /// Last Sunday of September 02:00 to first Sunday of April 03:00, local time.
    Nz,
}

impl Schedule {
    pub fn parse(expression: &str, duration: &str, timezone: Option<&str>) -> Result<Schedule, String> {
        let zone = match timezone {
            None => Zone { std_offset_s: 0, dst: Dst::None },
            Some(z) => zone(z).ok_or_else(|| format!("Invalid timezone: {z}"))?,
        };
        Ok(Schedule { expression: parse_expression(expression)?, duration_ms: parse_duration(duration)?, zone })
    }

    /// The windows `[start, end)` (epoch ms) that contain `t`.
    pub fn windows_at(&self, t: i64) -> Vec<(i64, i64)> {
        self.starts_between(t - self.duration_ms + 1, t).into_iter().map(|s| (s, s + self.duration_ms)).collect()
    }

    /// The start of a one-time window.
    pub fn at_ms(&self) -> Option<i64> {
        match &self.expression {
            Expression::At(local) => Some(self.zone.to_utc(*local)),
            Expression::Cron { .. } => None,
        }
    }

    /// Window starts (epoch ms) in `[from, to]`.
    fn starts_between(&self, from: i64, to: i64) -> Vec<i64> {
        match &self.expression {
            Expression::At(_) => self.at_ms().filter(|s| (from..=to).contains(s)).into_iter().collect(),
            Expression::Cron { minutes, hours, doms, months, dows, dom_any, dow_any } => {
                let mut out = Vec::new();
                // Local dates around the range, a day either side for the offset.
                let first = self.zone.to_local(from).date() - Duration::days(1);
                let last = self.zone.to_local(to).date() + Duration::days(1);
                let mut day = first;
                while day <= last {
                    let dom_ok = doms.contains(&day.day());
                    let dow_ok = dows.contains(&day.weekday().num_days_from_sunday());
                    // Unix cron: with both day fields restricted, either may match.
                    let day_ok = match (dom_any, dow_any) {
                        (false, false) => dom_ok || dow_ok,
                        _ => dom_ok && dow_ok,
                    };
                    if day_ok && months.contains(&day.month()) {
                        for h in hours {
                            for m in minutes {
                                let Some(time) = NaiveTime::from_hms_opt(*h, *m, 0) else { continue };
                                let s = self.zone.to_utc(day.and_time(time));
                                if (from..=to).contains(&s) {
                                    out.push(s);
                                }
                            }
                        }
                    }
                    day += Duration::days(1);
                }
                out.sort_unstable();
                out
            }
        }
    }
}

fn parse_expression(text: &str) -> Result<Expression, String> {
    let invalid = || format!("Invalid schedule expression: {text}");
    if let Some(inner) = text.strip_prefix("at(").and_then(|s| s.strip_suffix(')')) {
        return NaiveDateTime::parse_from_str(inner, "%Y-%m-%dT%H:%M").map(Expression::At).map_err(|_| invalid());
    }
    let inner = text.strip_prefix("cron(").and_then(|s| s.strip_suffix(')')).ok_or_else(invalid)?;
    let fields: Vec<&str> = inner.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(invalid());
    }
    const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let minutes = field(fields[0], 0, 59, &[], 0).ok_or_else(invalid)?;
    let hours = field(fields[1], 0, 23, &[], 0).ok_or_else(invalid)?;
    let doms = field(fields[2], 1, 31, &[], 0).ok_or_else(invalid)?;
    let months = field(fields[3], 1, 12, &MONTHS, 1).ok_or_else(invalid)?;
    // 0 and 7 are both Sunday.
    let mut dows: Vec<u32> = field(fields[4], 0, 7, &DAYS, 0).ok_or_else(invalid)?.into_iter().map(|d| d % 7).collect();
    dows.sort_unstable();
    dows.dedup();
    Ok(Expression::Cron { minutes, hours, doms, months, dows, dom_any: fields[2] == "*", dow_any: fields[4] == "*" })
}

/// One cron field: `*`, or a comma list of values and `a-b` ranges (names allowed where
/// `names` are given, the first being `base`).
fn field(text: &str, min: u32, max: u32, names: &[&str], base: u32) -> Option<Vec<u32>> {
    if text == "*" {
        return Some((min..=max).collect());
    }
    let value = |v: &str| -> Option<u32> {
        let n = match names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
            Some(i) => i as u32 + base,
            None => v.parse().ok()?,
        };
        (min..=max).contains(&n).then_some(n)
    };
    let mut out = Vec::new();
    for part in text.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (value(a)?, value(b)?);
                if a > b {
                    return None;
                }
                out.extend(a..=b);
            }
            None => out.push(value(part)?),
        }
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// `PT4H`, `P2DT12H`, `P7D`, `P1W`: at least a minute, at most 15 days.
fn parse_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("Invalid duration: {text}. Use an ISO 8601 duration from PT1M to P15D.");
    let rest = text.strip_prefix('P').ok_or_else(invalid)?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return Err(invalid()),
        None => (rest, None),
    };
    let mut ms = 0i64;
    let mut any = false;
    let mut take = |part: &str, units: &[(char, i64)]| -> Result<(), String> {
        let mut number = String::new();
        let mut last = 0usize;
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let i = units.iter().position(|(u, _)| *u == c).ok_or_else(invalid)?;
            if number.is_empty() || i < last {
                return Err(invalid());
            }
            let n: i64 = number.parse().map_err(|_| invalid())?;
            ms = ms.saturating_add(n.saturating_mul(units[i].1));
            number.clear();
            last = i + 1;
            any = true;
        }
        if number.is_empty() {
            Ok(())
        } else {
            Err(invalid())
        }
    };
    take(date, &[('W', 7 * 86_400_000), ('D', 86_400_000)])?;
    if let Some(t) = time {
        take(t, &[('H', 3_600_000), ('M', MINUTE_MS), ('S', 1000)])?;
    }
    if !any || !(MINUTE_MS..=MAX_DURATION_MS).contains(&ms) {
        return Err(invalid());
    }
    Ok(ms)
}

impl Zone {
    fn dst_at(&self, utc_ms: i64) -> bool {
        let Some(t) = DateTime::<Utc>::from_timestamp_millis(utc_ms) else { return false };
        let year = t.year();
        let local_std = |d: NaiveDate, h: u32| d.and_hms_opt(h, 0, 0).map(|l| l.and_utc().timestamp_millis());
        let std = self.std_offset_s as i64 * 1000;
        let at = |d: Option<NaiveDate>, h: u32| d.and_then(|d| local_std(d, h)).map(|l| l - std);
        match self.dst {
            Dst::None => false,
            Dst::Us => {
                let (Some(on), Some(off)) =
                    (at(nth_sunday(year, 3, 2), 2), at(nth_sunday(year, 11, 1), 2).map(|m| m - 3_600_000))
                else {
                    return false;
                };
                (on..off).contains(&utc_ms)
            }
            Dst::Eu => {
                let utc_at = |d: Option<NaiveDate>| d.and_then(|d| local_std(d, 1));
                let (Some(on), Some(off)) = (utc_at(last_sunday(year, 3)), utc_at(last_sunday(year, 10))) else {
                    return false;
                };
                (on..off).contains(&utc_ms)
            }
            Dst::AuSouth | Dst::Nz => {
                let on = if self.dst == Dst::Nz { at(last_sunday(year, 9), 2) } else { at(nth_sunday(year, 10, 1), 2) };
                // The end is 03:00 daylight time, 02:00 standard.
                let (Some(on), Some(off)) = (on, at(nth_sunday(year, 4, 1), 2)) else { return false };
                utc_ms >= on || utc_ms < off
            }
        }
    }

    fn offset_ms(&self, utc_ms: i64) -> i64 {
        self.std_offset_s as i64 * 1000 + if self.dst_at(utc_ms) { 3_600_000 } else { 0 }
    }

    pub fn to_utc(self, local: NaiveDateTime) -> i64 {
        let naive = local.and_utc().timestamp_millis();
        let guess = naive - self.std_offset_s as i64 * 1000;
        naive - self.offset_ms(guess)
    }

    fn to_local(self, utc_ms: i64) -> NaiveDateTime {
        let t = Utc.timestamp_millis_opt(utc_ms + self.offset_ms(utc_ms)).single().unwrap_or_default();
        t.naive_utc()
    }
}

fn nth_sunday(year: i32, month: u32, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n)
}

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    nth_sunday(year, month, 5).or_else(|| nth_sunday(year, month, 4))
}

const ZONES: &[(&str, i32, Dst)] = &[
    ("UTC", 0, Dst::None),
    ("Etc/UTC", 0, Dst::None),
    ("GMT", 0, Dst::None),
    ("Etc/GMT", 0, Dst::None),
    ("America/New_York", -5 * 3600, Dst::Us),
    ("America/Detroit", -5 * 3600, Dst::Us),
    ("America/Toronto", -5 * 3600, Dst::Us),
    ("America/Chicago", -6 * 3600, Dst::Us),
    ("America/Denver", -7 * 3600, Dst::Us),
    ("America/Phoenix", -7 * 3600, Dst::None),
    ("America/Los_Angeles", -8 * 3600, Dst::Us),
    ("America/Vancouver", -8 * 3600, Dst::Us),
    ("America/Anchorage", -9 * 3600, Dst::Us),
    ("America/Halifax", -4 * 3600, Dst::Us),
    ("America/Sao_Paulo", -3 * 3600, Dst::None),
    ("America/Bogota", -5 * 3600, Dst::None),
    ("America/Lima", -5 * 3600, Dst::None),
    ("Pacific/Honolulu", -10 * 3600, Dst::None),
    ("Europe/London", 0, Dst::Eu),
    ("Europe/Dublin", 0, Dst::Eu),
    ("Europe/Lisbon", 0, Dst::Eu),
    ("Europe/Paris", 3600, Dst::Eu),
    ("Europe/Berlin", 3600, Dst::Eu),
    ("Europe/Madrid", 3600, Dst::Eu),
    ("Europe/Rome", 3600, Dst::Eu),
    ("Europe/Amsterdam", 3600, Dst::Eu),
    ("Europe/Brussels", 3600, Dst::Eu),
    ("Europe/Zurich", 3600, Dst::Eu),
    ("Europe/Vienna", 3600, Dst::Eu),
    ("Europe/Stockholm", 3600, Dst::Eu),
    ("Europe/Oslo", 3600, Dst::Eu),
    ("Europe/Copenhagen", 3600, Dst::Eu),
    ("Europe/Warsaw", 3600, Dst::Eu),
    ("Europe/Prague", 3600, Dst::Eu),
    ("Europe/Helsinki", 2 * 3600, Dst::Eu),
    ("Europe/Athens", 2 * 3600, Dst::Eu),
    ("Europe/Bucharest", 2 * 3600, Dst::Eu),
    ("Europe/Kyiv", 2 * 3600, Dst::Eu),
    ("Europe/Istanbul", 3 * 3600, Dst::None),
    ("Europe/Moscow", 3 * 3600, Dst::None),
    ("Africa/Johannesburg", 2 * 3600, Dst::None),
    ("Africa/Lagos", 3600, Dst::None),
    ("Africa/Cairo", 2 * 3600, Dst::None),
    ("Asia/Dubai", 4 * 3600, Dst::None),
    ("Asia/Kolkata", 5 * 3600 + 1800, Dst::None),
    ("Asia/Calcutta", 5 * 3600 + 1800, Dst::None),
    ("Asia/Bangkok", 7 * 3600, Dst::None),
    ("Asia/Jakarta", 7 * 3600, Dst::None),
    ("Asia/Shanghai", 8 * 3600, Dst::None),
    ("Asia/Hong_Kong", 8 * 3600, Dst::None),
    ("Asia/Singapore", 8 * 3600, Dst::None),
    ("Asia/Taipei", 8 * 3600, Dst::None),
    ("Asia/Manila", 8 * 3600, Dst::None),
    ("Asia/Seoul", 9 * 3600, Dst::None),
    ("Asia/Tokyo", 9 * 3600, Dst::None),
    ("Australia/Perth", 8 * 3600, Dst::None),
    ("Australia/Brisbane", 10 * 3600, Dst::None),
    ("Australia/Adelaide", 9 * 3600 + 1800, Dst::AuSouth),
    ("Australia/Sydney", 10 * 3600, Dst::AuSouth),
    ("Australia/Melbourne", 10 * 3600, Dst::AuSouth),
    ("Australia/Hobart", 10 * 3600, Dst::AuSouth),
    ("Pacific/Auckland", 12 * 3600, Dst::Nz),
];

fn zone(name: &str) -> Option<Zone> {
    if let Some((_, off, dst)) = ZONES.iter().find(|(n, ..)| *n == name) {
        return Some(Zone { std_offset_s: *off, dst: *dst });
    }
    // POSIX-style signs: Etc/GMT+5 is five hours behind UTC.
    let n: i32 = name.strip_prefix("Etc/GMT")?.parse().ok()?;
    (-14..=12).contains(&n).then_some(Zone { std_offset_s: -n * 3600, dst: Dst::None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT4H"), Ok(4 * 3_600_000));
        assert_eq!(parse_duration("P2DT12H"), Ok(60 * 3_600_000));
        assert_eq!(parse_duration("P15D"), Ok(MAX_DURATION_MS));
        assert_eq!(parse_duration("PT1M"), Ok(MINUTE_MS));
        for bad in ["PT30S", "P16D", "4H", "P", "PT", "PTH", "P1H", "PT1D", "P3W"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cron_fields() {
        let Expression::Cron { minutes, hours, dows, months, .. } =
            parse_expression("cron(0,30 9-11 * JAN-MAR mon-fri)").unwrap()
        else {
            panic!()
        };
        assert_eq!((minutes, hours, months, dows), (vec![0, 30], vec![9, 10, 11], vec![1, 2, 3], vec![1, 2, 3, 4, 5]));
        for bad in [
            "cron(0 2 * *)",
            "cron(60 2 * * *)",
            "cron(0 2 * * MOO)",
            "cron(5-1 2 * * *)",
            "rate(5 minutes)",
            "at(2026-13-01T00:00)",
        ] {
            assert!(parse_expression(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn daily_windows_in_utc() {
        let s = Schedule::parse("cron(0 2 * * *)", "PT4H", None).unwrap();
        assert_eq!(
            s.windows_at(ms("2026-12-07T03:00:00Z")),
            vec![(ms("2026-12-07T02:00:00Z"), ms("2026-12-07T06:00:00Z"))]
        );
        assert!(s.windows_at(ms("2026-12-07T06:00:00Z")).is_empty());
        assert!(s.windows_at(ms("2026-12-07T01:59:00Z")).is_empty());
    }

    #[test]
    fn zones_follow_daylight_saving() {
        let s = Schedule::parse("cron(0 2 * * *)", "PT1H", Some("America/New_York")).unwrap();
        // EST in December (UTC-5), EDT in July (UTC-4).
        assert_eq!(
            s.windows_at(ms("2026-12-07T07:30:00Z")),
            vec![(ms("2026-12-07T07:00:00Z"), ms("2026-12-07T08:00:00Z"))]
        );
        assert_eq!(
            s.windows_at(ms("2026-07-07T06:30:00Z")),
            vec![(ms("2026-07-07T06:00:00Z"), ms("2026-07-07T07:00:00Z"))]
        );
        let london = Schedule::parse("at(2026-07-01T12:00)", "PT1H", Some("Europe/London")).unwrap();
        assert_eq!(london.at_ms(), Some(ms("2026-07-01T11:00:00Z")));
        let sydney = Schedule::parse("at(2026-01-15T12:00)", "PT1H", Some("Australia/Sydney")).unwrap();
        assert_eq!(sydney.at_ms(), Some(ms("2026-01-15T01:00:00Z")));
        assert!(Schedule::parse("at(2026-01-15T12:00)", "PT1H", Some("Mars/Olympus")).is_err());
        assert_eq!(zone("Etc/GMT+5").unwrap().std_offset_s, -5 * 3600);
    }

    #[test]
    fn weekly_and_day_of_month() {
        // 2026-12-06 is a Sunday.
        let s = Schedule::parse("cron(0 18 * * FRI)", "P2DT12H", None).unwrap();
        assert_eq!(
            s.windows_at(ms("2026-12-06T12:00:00Z")),
            vec![(ms("2026-12-04T18:00:00Z"), ms("2026-12-07T06:00:00Z"))]
        );
        let s = Schedule::parse("cron(0 1 1 * *)", "PT6H", None).unwrap();
        assert_eq!(s.windows_at(ms("2026-12-01T02:00:00Z")).len(), 1);
        assert!(s.windows_at(ms("2026-12-02T02:00:00Z")).is_empty());
    }
}
