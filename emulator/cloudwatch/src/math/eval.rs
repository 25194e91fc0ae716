//! Evaluating a parsed expression over time series.

use std::collections::BTreeMap;

use chrono::{Datelike, TimeZone, Timelike, Utc};

use super::parser::{BinOp, Expr};
use super::{Series, Value};

/// What an expression can reach: the other queries of the request, the metrics store
/// (SEARCH) and the time window.
pub trait Env {
    /// The value of another query of the request.
    fn resolve(&mut self, id: &str) -> Result<Value, String>;
    /// The results of the request's MetricStat queries whose id contains `filter`.
    fn metrics(&mut self, filter: &str) -> Result<Vec<Series>, String>;
    /// `SEARCH(query, stat, period)`.
    fn search(&mut self, query: &str, stat: &str, period: Option<i64>) -> Result<Vec<Series>, String>;
    /// The anomaly detection band (upper, lower) of a series, `width` standard deviations wide.
    fn band(&mut self, series: &Series, width: f64) -> Result<(Series, Series), String>;
    /// `[start, end)` of the request, epoch ms.
    fn window(&self) -> (i64, i64);
    /// The period (s) of the expression being evaluated, for functions that make a
    /// non-sparse time series.
    fn period(&self) -> i64;
}

type R = Result<Value, String>;

pub fn evaluate(expr: &Expr, env: &mut dyn Env) -> R {
    match expr {
        Expr::Num(n) => Ok(Value::Scalar(*n)),
        Expr::Str(s) => Ok(Value::Str(s.clone())),
        Expr::Keyword(k) => Ok(Value::Keyword(k.clone())),
        Expr::Id(id) => env.resolve(id),
        Expr::Neg(e) => {
            let v = evaluate(e, env)?;
            map_values(v, "-", |x| -x)
        }
        Expr::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match evaluate(item, env)? {
                    Value::Series(s) => out.push(s),
                    Value::Array(a) => out.extend(a),
                    other => return Err(format!("An array can hold only time series, not {}", other.kind())),
                }
            }
            Ok(Value::Array(out))
        }
        Expr::Bin(op, a, b) => {
            let a = evaluate(a, env)?;
            let b = evaluate(b, env)?;
            binary(*op, a, b)
        }
        Expr::Call(name, args) => call(name, args, env),
    }
}

fn finite(points: Vec<(i64, f64)>) -> Vec<(i64, f64)> {
    points.into_iter().filter(|(_, v)| v.is_finite()).collect()
}

fn with_points(s: &Series, points: Vec<(i64, f64)>) -> Series {
    Series { label: s.label.clone(), points: finite(points), period: s.period, meta: s.meta.clone() }
}

/// Applies `f` to every value of a scalar, a series or an array.
fn map_values(v: Value, what: &str, f: impl Fn(f64) -> f64) -> R {
    Ok(match v {
        Value::Scalar(x) => Value::Scalar(f(x)),
        Value::Series(s) => Value::Series(with_points(&s, s.points.iter().map(|(t, x)| (*t, f(*x))).collect())),
        Value::Array(a) => Value::Array(
            a.iter().map(|s| with_points(s, s.points.iter().map(|(t, x)| (*t, f(*x))).collect())).collect(),
        ),
        other => return Err(format!("{what} cannot be applied to {}", other.kind())),
    })
}

fn apply(op: BinOp, x: f64, y: f64) -> f64 {
    let truth = |b: bool| if b { 1.0 } else { 0.0 };
    match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        // Division by zero drops the data point.
        BinOp::Div => {
            if y == 0.0 {
                f64::NAN
            } else {
                x / y
            }
        }
        BinOp::Pow => x.powf(y),
        BinOp::Eq => truth(x == y),
        BinOp::Ne => truth(x != y),
        BinOp::Lt => truth(x < y),
        BinOp::Le => truth(x <= y),
        BinOp::Gt => truth(x > y),
        BinOp::Ge => truth(x >= y),
        BinOp::And => truth(x != 0.0 && y != 0.0),
        BinOp::Or => truth(x != 0.0 || y != 0.0),
    }
}

/// Two series, point by point over the union of their timestamps, a missing value
/// counting as 0.
fn zip(op: BinOp, a: &Series, b: &Series) -> Vec<(i64, f64)> {
    let mut out = Vec::with_capacity(a.points.len().max(b.points.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.points.len() || j < b.points.len() {
        let ta = a.points.get(i).map(|p| p.0);
        let tb = b.points.get(j).map(|p| p.0);
        let (t, x, y) = match (ta, tb) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
                (x, a.points[i - 1].1, b.points[j - 1].1)
            }
            (Some(x), Some(y)) if x < y => {
                i += 1;
                (x, a.points[i - 1].1, 0.0)
            }
            (Some(x), None) => {
                i += 1;
                (x, a.points[i - 1].1, 0.0)
            }
            (_, Some(y)) => {
                j += 1;
                (y, 0.0, b.points[j - 1].1)
            }
            (None, None) => break,
        };
        out.push((t, apply(op, x, y)));
    }
    out
}

fn binary(op: BinOp, a: Value, b: Value) -> R {
    Ok(match (a, b) {
        (Value::Scalar(x), Value::Scalar(y)) => Value::Scalar(apply(op, x, y)),
        (Value::Series(s), Value::Scalar(y)) => {
            Value::Series(with_points(&s, s.points.iter().map(|(t, x)| (*t, apply(op, *x, y))).collect()))
        }
        (Value::Scalar(x), Value::Series(s)) => {
            Value::Series(with_points(&s, s.points.iter().map(|(t, y)| (*t, apply(op, x, *y))).collect()))
        }
        (Value::Series(a), Value::Series(b)) => {
            let points = zip(op, &a, &b);
            Value::Series(Series { label: a.label.clone(), points: finite(points), period: a.period, meta: None })
        }
        (a @ Value::Array(_), b @ Value::Array(_)) => {
            return Err(format!("The operator cannot combine {} and {}", a.kind(), b.kind()))
        }
        (Value::Array(arr), other) => Value::Array(
            arr.into_iter()
                .map(|s| match binary(op, Value::Series(s), other.clone())? {
                    Value::Series(s) => Ok(s),
                    v => Err(format!("Unexpected {}", v.kind())),
                })
                .collect::<Result<_, String>>()?,
        ),
        (other, Value::Array(arr)) => Value::Array(
            arr.into_iter()
                .map(|s| match binary(op, other.clone(), Value::Series(s))? {
                    Value::Series(s) => Ok(s),
                    v => Err(format!("Unexpected {}", v.kind())),
                })
                .collect::<Result<_, String>>()?,
        ),
        (a, b) => return Err(format!("The operator cannot combine {} and {}", a.kind(), b.kind())),
    })
}

fn arg(name: &str, args: &[Expr], i: usize, env: &mut dyn Env) -> R {
    match args.get(i) {
        Some(e) => evaluate(e, env),
        None => Err(format!("{name} needs at least {} argument{}", i + 1, if i == 0 { "" } else { "s" })),
    }
}

fn arity(name: &str, args: &[Expr], min: usize, max: usize) -> Result<(), String> {
    if args.len() < min || args.len() > max {
        let want = if min == max { format!("{min}") } else { format!("{min} to {max}") };
        return Err(format!("{name} takes {want} argument{}, not {}", if max == 1 { "" } else { "s" }, args.len()));
    }
    Ok(())
}

fn array_of(name: &str, v: Value) -> Result<Vec<Series>, String> {
    match v {
        Value::Array(a) => Ok(a),
        Value::Series(s) => Ok(vec![s]),
        other => Err(format!("{name} expects an array of time series, not {}", other.kind())),
    }
}

/// The timestamps of the request's window at `period` seconds.
fn grid(env: &dyn Env, period: i64) -> Vec<i64> {
    let (start, end) = env.window();
    let step = period.max(1) * 1000;
    let mut out = Vec::new();
    let mut t = start;
    while t < end && out.len() < 1_000_000 {
        out.push(t);
        t += step;
    }
    out
}

fn summary(kind: &str, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return if kind == "SUM" || kind == "DATAPOINT_COUNT" { Some(0.0) } else { None };
    }
    let n = values.len() as f64;
    Some(match kind {
        "SUM" => values.iter().sum(),
        "AVG" => values.iter().sum::<f64>() / n,
        "MIN" => values.iter().copied().fold(f64::INFINITY, f64::min),
        "MAX" => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "STDDEV" => {
            let mean = values.iter().sum::<f64>() / n;
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
        }
        "DATAPOINT_COUNT" => n,
        _ => return None,
    })
}

/// SUM, AVG, MIN, MAX, STDDEV, DATAPOINT_COUNT across an array, per timestamp. AVG (and
/// SUM) count a missing value as 0; MIN, MAX and STDDEV use the values present.
fn across(kind: &str, arr: &[Series]) -> Series {
    let mut at: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for s in arr {
        for (t, v) in &s.points {
            at.entry(*t).or_default().push(*v);
        }
    }
    let n = arr.len() as f64;
    let points = at
        .into_iter()
        .filter_map(|(t, vs)| {
            let v = match kind {
                "AVG" => vs.iter().sum::<f64>() / n,
                other => summary(other, &vs)?,
            };
            Some((t, v))
        })
        .collect();
    Series::new("", arr.first().map_or(60, |s| s.period), finite(points))
}

fn per_series(v: Value, name: &str, f: impl Fn(&Series) -> Vec<(i64, f64)>) -> R {
    match v {
        Value::Series(s) => Ok(Value::Series(with_points(&s, f(&s)))),
        Value::Array(a) => Ok(Value::Array(a.iter().map(|s| with_points(s, f(s))).collect())),
        other => Err(format!("{name} expects a time series or an array of time series, not {}", other.kind())),
    }
}

fn fill(s: &Series, with: &Value, env: &dyn Env) -> Result<Vec<(i64, f64)>, String> {
    let times = grid(env, s.period);
    let real: Vec<(i64, f64)> = s.points.clone();
    let mut out = Vec::with_capacity(times.len());
    for t in &times {
        if let Some(v) = s.get(*t) {
            out.push((*t, v));
            continue;
        }
        let filled = match with {
            Value::Scalar(x) => Some(*x),
            Value::Series(other) => other.get(*t),
            Value::Keyword(k) if k == "REPEAT" => {
                let before = real.iter().rev().find(|(rt, _)| rt < t);
                before.or_else(|| real.first()).map(|(_, v)| *v)
            }
            Value::Keyword(k) if k == "LINEAR" => {
                let before = real.iter().rev().find(|(rt, _)| rt < t);
                let after = real.iter().find(|(rt, _)| rt > t);
                match (before, after) {
                    (Some((t0, v0)), Some((t1, v1))) => Some(v0 + (v1 - v0) * (*t - t0) as f64 / (t1 - t0) as f64),
                    (Some((_, v)), None) | (None, Some((_, v))) => Some(*v),
                    (None, None) => None,
                }
            }
            other => return Err(format!("FILL cannot fill with {}", other.kind())),
        };
        if let Some(v) = filled {
            out.push((*t, v));
        }
    }
    // Points off the grid (another period) stay as they were.
    for p in &s.points {
        if out.binary_search_by_key(&p.0, |(t, _)| *t).is_err() {
            out.push(*p);
        }
    }
    out.sort_by_key(|(t, _)| *t);
    Ok(out)
}

fn if_value(cond: Value, yes: Value, no: Option<Value>) -> R {
    let pick = |v: &Value, t: i64, missing_is_zero: bool| -> Option<f64> {
        match v {
            Value::Scalar(x) => Some(*x),
            Value::Series(s) => s.get(t).or(if missing_is_zero { Some(0.0) } else { None }),
            _ => None,
        }
    };
    for v in std::iter::once(&yes).chain(no.iter()) {
        if !matches!(v, Value::Scalar(_) | Value::Series(_)) {
            return Err(format!("IF cannot return {}", v.kind()));
        }
    }
    match cond {
        Value::Scalar(c) => {
            Ok(if c != 0.0 { yes } else { no.unwrap_or_else(|| Value::Series(Series::new("", 60, Vec::new()))) })
        }
        Value::Series(c) => {
            let mut points = Vec::with_capacity(c.points.len());
            for (t, cv) in &c.points {
                let v = if *cv != 0.0 { pick(&yes, *t, true) } else { no.as_ref().and_then(|n| pick(n, *t, false)) };
                if let Some(v) = v {
                    points.push((*t, v));
                }
            }
            Ok(Value::Series(Series { label: c.label.clone(), points: finite(points), period: c.period, meta: None }))
        }
        other => Err(format!("The condition of IF must be a time series or a scalar, not {}", other.kind())),
    }
}

fn call(name: &str, args: &[Expr], env: &mut dyn Env) -> R {
    match name {
        "ABS" | "CEIL" | "FLOOR" | "LOG" | "LOG10" => {
            arity(name, args, 1, 1)?;
            let f: fn(f64) -> f64 = match name {
                "ABS" => f64::abs,
                "CEIL" => f64::ceil,
                "FLOOR" => f64::floor,
                "LOG" => f64::ln,
                _ => f64::log10,
            };
            map_values(arg(name, args, 0, env)?, name, f)
        }
        "SUM" | "AVG" | "MIN" | "MAX" | "STDDEV" | "DATAPOINT_COUNT" => {
            arity(name, args, 1, 1)?;
            match arg(name, args, 0, env)? {
                Value::Scalar(x) => Ok(Value::Scalar(if name == "STDDEV" { 0.0 } else { x })),
                Value::Series(s) => {
                    let values: Vec<f64> = s.values().collect();
                    Ok(Value::Scalar(summary(name, &values).unwrap_or(f64::NAN)))
                }
                Value::Array(a) => Ok(Value::Series(across(name, &a))),
                other => Err(format!("{name} cannot be applied to {}", other.kind())),
            }
        }
        "METRIC_COUNT" => {
            arity(name, args, 1, 1)?;
            Ok(Value::Scalar(array_of(name, arg(name, args, 0, env)?)?.len() as f64))
        }
        "METRICS" => {
            arity(name, args, 0, 1)?;
            let filter = match args.first() {
                None => String::new(),
                Some(e) => match evaluate(e, env)? {
                    Value::Str(s) => s,
                    other => return Err(format!("METRICS takes a string, not {}", other.kind())),
                },
            };
            Ok(Value::Array(env.metrics(&filter)?))
        }
        "FILL" => {
            arity(name, args, 2, 2)?;
            let target = arg(name, args, 0, env)?;
            let with = arg(name, args, 1, env)?;
            if let Value::Keyword(k) = &with {
                if k != "REPEAT" && k != "LINEAR" {
                    return Err(format!("FILL fills with a number, a time series, REPEAT or LINEAR, not {k}"));
                }
            }
            match target {
                Value::Series(s) => Ok(Value::Series(with_points(&s, fill(&s, &with, env)?))),
                Value::Array(a) => {
                    let mut out = Vec::with_capacity(a.len());
                    for s in &a {
                        out.push(with_points(s, fill(s, &with, env)?));
                    }
                    Ok(Value::Array(out))
                }
                other => Err(format!("FILL expects a time series or an array of time series, not {}", other.kind())),
            }
        }
        "DIFF" | "RATE" | "DIFF_TIME" | "RUNNING_SUM" => {
            arity(name, args, 1, 1)?;
            let kind = name.to_string();
            per_series(arg(name, args, 0, env)?, name, move |s| {
                let p = &s.points;
                match kind.as_str() {
                    "DIFF" => p.windows(2).map(|w| (w[1].0, w[1].1 - w[0].1)).collect(),
                    "RATE" => p
                        .windows(2)
                        .map(|w| (w[1].0, (w[1].1 - w[0].1) / ((w[1].0 - w[0].0) as f64 / 1000.0)))
                        .collect(),
                    "DIFF_TIME" => p.windows(2).map(|w| (w[1].0, (w[1].0 - w[0].0) as f64 / 1000.0)).collect(),
                    _ => {
                        let mut sum = 0.0;
                        p.iter()
                            .map(|(t, v)| {
                                sum += v;
                                (*t, sum)
                            })
                            .collect()
                    }
                }
            })
        }
        "IF" => {
            arity(name, args, 2, 3)?;
            let cond = arg(name, args, 0, env)?;
            let yes = arg(name, args, 1, env)?;
            let no = if args.len() == 3 { Some(arg(name, args, 2, env)?) } else { None };
            if_value(cond, yes, no)
        }
        "PERIOD" => {
            arity(name, args, 1, 1)?;
            match arg(name, args, 0, env)? {
                Value::Series(s) => Ok(Value::Scalar(s.period as f64)),
                other => Err(format!("PERIOD expects a metric, not {}", other.kind())),
            }
        }
        "TIME_SERIES" => {
            arity(name, args, 1, 1)?;
            match arg(name, args, 0, env)? {
                Value::Scalar(x) => {
                    let period = env.period();
                    let points = grid(env, period).into_iter().map(|t| (t, x)).collect();
                    Ok(Value::Series(Series::new("", period, finite(points))))
                }
                other => Err(format!("TIME_SERIES expects a scalar, not {}", other.kind())),
            }
        }
        "MINUTE" | "HOUR" | "DAY" | "DATE" | "MONTH" | "YEAR" | "EPOCH" => {
            arity(name, args, 1, 1)?;
            let kind = name.to_string();
            match arg(name, args, 0, env)? {
                Value::Series(s) => {
                    let points = grid(env, s.period)
                        .into_iter()
                        .map(|t| {
                            let d = Utc.timestamp_millis_opt(t).single().unwrap_or_default();
                            let v = match kind.as_str() {
                                "MINUTE" => f64::from(d.minute()),
                                "HOUR" => f64::from(d.hour()),
                                "DAY" => f64::from(d.weekday().number_from_monday()),
                                "DATE" => f64::from(d.day()),
                                "MONTH" => f64::from(d.month()),
                                "YEAR" => f64::from(d.year()),
                                _ => (t / 1000) as f64,
                            };
                            (t, v)
                        })
                        .collect();
                    Ok(Value::Series(Series { label: s.label.clone(), points, period: s.period, meta: None }))
                }
                other => Err(format!("{name} expects a time series, not {}", other.kind())),
            }
        }
        "FIRST" | "LAST" => {
            arity(name, args, 1, 1)?;
            let arr = array_of(name, arg(name, args, 0, env)?)?;
            let s = if name == "FIRST" { arr.into_iter().next() } else { arr.into_iter().last() };
            Ok(Value::Series(s.unwrap_or_else(|| Series::new("", env.period(), Vec::new()))))
        }
        "REMOVE_EMPTY" => {
            arity(name, args, 1, 1)?;
            let arr = array_of(name, arg(name, args, 0, env)?)?;
            Ok(Value::Array(arr.into_iter().filter(|s| !s.points.is_empty()).collect()))
        }
        "SORT" => {
            arity(name, args, 3, 4)?;
            let mut arr = array_of(name, arg(name, args, 0, env)?)?;
            let func = match arg(name, args, 1, env)? {
                Value::Keyword(k) if matches!(k.as_str(), "AVG" | "MIN" | "MAX" | "SUM") => k,
                other => return Err(format!("SORT sorts by AVG, MIN, MAX or SUM, not {}", describe(&other))),
            };
            let desc = match arg(name, args, 2, env)? {
                Value::Keyword(k) if k == "ASC" => false,
                Value::Keyword(k) if k == "DESC" => true,
                other => return Err(format!("SORT's order is ASC or DESC, not {}", describe(&other))),
            };
            let key = |s: &Series| summary(&func, &s.values().collect::<Vec<_>>());
            arr.sort_by(|a, b| match (key(a), key(b)) {
                (Some(x), Some(y)) => {
                    if desc {
                        y.total_cmp(&x)
                    } else {
                        x.total_cmp(&y)
                    }
                }
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
            if args.len() == 4 {
                match arg(name, args, 3, env)? {
                    Value::Scalar(n) if n >= 0.0 => arr.truncate(n as usize),
                    other => {
                        return Err(format!("SORT's limit must be a non-negative number, not {}", describe(&other)))
                    }
                }
            }
            Ok(Value::Array(arr))
        }
        "SLICE" => {
            arity(name, args, 2, 3)?;
            let arr = array_of(name, arg(name, args, 0, env)?)?;
            let index = |v: Value| match v {
                Value::Scalar(n) if n >= 0.0 => Ok(n as usize),
                other => Err(format!("SLICE's bounds must be non-negative numbers, not {}", describe(&other))),
            };
            let from = index(arg(name, args, 1, env)?)?.min(arr.len());
            let to = if args.len() == 3 { index(arg(name, args, 2, env)?)?.min(arr.len()) } else { arr.len() };
            Ok(Value::Array(arr.into_iter().skip(from).take(to.saturating_sub(from)).collect()))
        }
        "SEARCH" => {
            arity(name, args, 2, 3)?;
            let query = match arg(name, args, 0, env)? {
                Value::Str(s) => s,
                other => return Err(format!("SEARCH's first argument is a string, not {}", other.kind())),
            };
            let stat = match arg(name, args, 1, env)? {
                Value::Str(s) => s,
                other => {
                    return Err(format!("SEARCH's second argument is a statistic in quotes, not {}", other.kind()))
                }
            };
            let period = if args.len() == 3 {
                match arg(name, args, 2, env)? {
                    Value::Scalar(p) => Some(p as i64),
                    other => return Err(format!("SEARCH's period is a number, not {}", other.kind())),
                }
            } else {
                None
            };
            Ok(Value::Array(env.search(&query, &stat, period)?))
        }
        "ANOMALY_DETECTION_BAND" => {
            arity(name, args, 1, 2)?;
            let s = match arg(name, args, 0, env)? {
                Value::Series(s) => s,
                other => return Err(format!("ANOMALY_DETECTION_BAND expects a time series, not {}", other.kind())),
            };
            let width = if args.len() == 2 {
                match arg(name, args, 1, env)? {
                    Value::Scalar(w) => w,
                    other => return Err(format!("The band width is a number, not {}", other.kind())),
                }
            } else {
                2.0
            };
            let (upper, lower) = env.band(&s, width)?;
            Ok(Value::Array(vec![upper, lower]))
        }
        "INSIGHT_RULE_METRIC" | "SERVICE_QUOTA" | "LAMBDA" => {
            Err(format!("The function {name} is not supported by nimbus"))
        }
        other => Err(format!("Unknown function {other}")),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Keyword(k) => k.clone(),
        Value::Scalar(x) => x.to_string(),
        Value::Str(s) => format!("'{s}'"),
        other => other.kind().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::parse;

    const M: i64 = 60_000;

    struct TestEnv {
        series: Vec<(String, Series)>,
    }

    fn ts(values: &[Option<f64>]) -> Series {
        Series::new("", 60, values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i as i64 * M, v))).collect())
    }

    impl Env for TestEnv {
        fn resolve(&mut self, id: &str) -> Result<Value, String> {
            self.series
                .iter()
                .find(|(i, _)| i == id)
                .map(|(_, s)| Value::Series(s.clone()))
                .ok_or_else(|| format!("Unknown id {id}"))
        }
        fn metrics(&mut self, filter: &str) -> Result<Vec<Series>, String> {
            Ok(self.series.iter().filter(|(i, _)| i.contains(filter)).map(|(_, s)| s.clone()).collect())
        }
        fn search(&mut self, _: &str, _: &str, _: Option<i64>) -> Result<Vec<Series>, String> {
            Ok(vec![])
        }
        fn band(&mut self, s: &Series, w: f64) -> Result<(Series, Series), String> {
            Ok((with_points(s, s.points.iter().map(|(t, v)| (*t, v + w)).collect()), s.clone()))
        }
        fn window(&self) -> (i64, i64) {
            (0, 5 * M)
        }
        fn period(&self) -> i64 {
            60
        }
    }

    fn env() -> TestEnv {
        // The examples of AWS's documentation.
        TestEnv {
            series: vec![
                ("metric1".into(), ts(&[Some(30.0), Some(20.0), Some(0.0), Some(0.0)])),
                ("metric2".into(), ts(&[Some(20.0), None, Some(20.0), None])),
                ("ifa".into(), ts(&[Some(1.0), Some(1.0), Some(0.0), Some(0.0), None])),
                ("ifb".into(), ts(&[Some(30.0), None, Some(0.0), Some(0.0), Some(30.0)])),
                ("ifc".into(), ts(&[Some(0.0), Some(0.0), Some(20.0), None, Some(20.0)])),
                ("gaps".into(), ts(&[None, Some(2.0), None, None, Some(8.0)])),
            ],
        }
    }

    fn run(src: &str) -> Value {
        evaluate(&parse(src).unwrap(), &mut env()).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    fn values(src: &str) -> Vec<Option<f64>> {
        match run(src) {
            Value::Series(s) => (0..5).map(|i| s.get(i * M)).collect(),
            other => panic!("{src}: {other:?}"),
        }
    }

    fn scalar(src: &str) -> f64 {
        match run(src) {
            Value::Scalar(x) => x,
            other => panic!("{src}: {other:?}"),
        }
    }

    #[test]
    fn comparisons_as_documented() {
        assert_eq!(values("metric1 < metric2"), vec![Some(0.0), Some(0.0), Some(1.0), Some(0.0), None]);
        assert_eq!(values("metric1 >= 30"), vec![Some(1.0), Some(0.0), Some(0.0), Some(0.0), None]);
        assert_eq!(values("metric1 > 15 AND metric2 > 15"), vec![Some(1.0), Some(0.0), Some(0.0), Some(0.0), None]);
    }

    #[test]
    fn if_as_documented() {
        assert_eq!(values("IF(ifa, ifb, ifc)"), vec![Some(30.0), Some(0.0), Some(20.0), None, None]);
        assert_eq!(values("IF(ifa, 5, ifc)"), vec![Some(5.0), Some(5.0), Some(20.0), None, None]);
        assert_eq!(values("IF(ifa, ifb, 5)"), vec![Some(30.0), Some(0.0), Some(5.0), Some(5.0), None]);
        assert_eq!(values("IF(metric1 < 25, metric1)"), vec![None, Some(20.0), Some(0.0), Some(0.0), None]);
        assert_eq!(values("IF(1, metric2)"), vec![Some(20.0), None, Some(20.0), None, None]);
    }

    #[test]
    fn arithmetic_and_missing_values() {
        assert_eq!(values("metric1 + metric2"), vec![Some(50.0), Some(20.0), Some(20.0), Some(0.0), None]);
        assert_eq!(values("metric2 / metric1"), vec![Some(20.0 / 30.0), Some(0.0), None, None, None]);
        assert_eq!(values("-metric1 * 2 + 1"), vec![Some(-59.0), Some(-39.0), Some(1.0), Some(1.0), None]);
        assert_eq!(values("metric1 - AVG(metric1)"), vec![Some(17.5), Some(7.5), Some(-12.5), Some(-12.5), None]);
        assert_eq!(scalar("2 ^ 3 ^ 2"), 512.0);
        assert_eq!(scalar("SUM(metric1)"), 50.0);
        assert_eq!(scalar("MAX(metric1)"), 30.0);
        assert_eq!(scalar("MIN(metric1)"), 0.0);
        assert_eq!(scalar("DATAPOINT_COUNT(metric2)"), 2.0);
        assert_eq!(
            scalar("STDDEV(metric1)"),
            (((30.0f64 - 12.5).powi(2) + 7.5f64.powi(2) + 2.0 * 12.5f64.powi(2)) / 4.0).sqrt()
        );
        assert_eq!(scalar("PERIOD(metric1)"), 60.0);
        assert_eq!(scalar("METRIC_COUNT(METRICS(\"if\"))"), 3.0);
    }

    #[test]
    fn functions_over_arrays() {
        assert_eq!(values("SUM([metric1, metric2])"), vec![Some(50.0), Some(20.0), Some(20.0), Some(0.0), None]);
        // AVG counts a missing value as 0.
        assert_eq!(values("AVG([metric1, metric2])"), vec![Some(25.0), Some(10.0), Some(10.0), Some(0.0), None]);
        assert_eq!(values("MAX([metric1, metric2])"), vec![Some(30.0), Some(20.0), Some(20.0), Some(0.0), None]);
        assert_eq!(values("MIN([metric1, metric2])"), vec![Some(20.0), Some(20.0), Some(0.0), Some(0.0), None]);
        match run("METRICS(\"metric\") * 10") {
            Value::Array(a) => assert_eq!(a[1].points, vec![(0, 200.0), (2 * M, 200.0)]),
            other => panic!("{other:?}"),
        }
        assert_eq!(values("FIRST(SORT(METRICS(\"metric\"), SUM, ASC))"), values("metric2"));
        assert_eq!(values("LAST(SORT(METRICS(\"metric\"), SUM, ASC))"), values("metric1"));
        assert_eq!(values("FIRST(SORT(METRICS(\"metric\"), SUM, DESC, 1))"), values("metric1"));
        assert_eq!(values("FIRST(SLICE(METRICS(\"metric\"), 1))"), values("metric2"));
        assert_eq!(scalar("METRIC_COUNT(REMOVE_EMPTY(METRICS()))"), 6.0);
        assert_eq!(values("FIRST(ANOMALY_DETECTION_BAND(metric2, 3))"), vec![Some(23.0), None, Some(23.0), None, None]);
    }

    #[test]
    fn fill_and_friends() {
        assert_eq!(values("FILL(gaps, 0)"), vec![Some(0.0), Some(2.0), Some(0.0), Some(0.0), Some(8.0)]);
        assert_eq!(values("FILL(gaps, REPEAT)"), vec![Some(2.0), Some(2.0), Some(2.0), Some(2.0), Some(8.0)]);
        assert_eq!(values("FILL(gaps, LINEAR)"), vec![Some(2.0), Some(2.0), Some(4.0), Some(6.0), Some(8.0)]);
        assert_eq!(values("FILL(gaps, metric1)"), vec![Some(30.0), Some(2.0), Some(0.0), Some(0.0), Some(8.0)]);
        assert_eq!(values("DIFF(gaps)"), vec![None, None, None, None, Some(6.0)]);
        assert_eq!(values("RATE(gaps)"), vec![None, None, None, None, Some(6.0 / 180.0)]);
        assert_eq!(values("DIFF_TIME(gaps)"), vec![None, None, None, None, Some(180.0)]);
        assert_eq!(values("RUNNING_SUM(metric1)"), vec![Some(30.0), Some(50.0), Some(50.0), Some(50.0), None]);
        assert_eq!(values("ABS(0 - metric1)"), values("metric1"));
        assert_eq!(values("CEIL(metric2 / 3)"), vec![Some(7.0), None, Some(7.0), None, None]);
        assert_eq!(values("FLOOR(metric2 / 3)"), vec![Some(6.0), None, Some(6.0), None, None]);
        assert_eq!(values("TIME_SERIES(7)"), vec![Some(7.0); 5]);
        assert_eq!(values("MINUTE(metric1)"), vec![Some(0.0), Some(1.0), Some(2.0), Some(3.0), Some(4.0)]);
        // 1970-01-01 was a Thursday.
        assert_eq!(values("DAY(metric1)")[0], Some(4.0));
        assert_eq!(values("LOG10(metric1)")[0], Some(30f64.log10()));
    }

    #[test]
    fn errors() {
        let err = |src: &str| evaluate(&parse(src).unwrap(), &mut env()).unwrap_err();
        assert_eq!(err("nope + 1"), "Unknown id nope");
        assert_eq!(err("FOO(metric1)"), "Unknown function FOO");
        assert_eq!(err("FILL(metric1)"), "FILL takes 2 arguments, not 1");
        assert_eq!(err("SORT(METRICS(), AVERAGE, ASC)"), "SORT sorts by AVG, MIN, MAX or SUM, not AVERAGE");
        assert_eq!(
            err("METRICS() + METRICS()"),
            "The operator cannot combine an array of time series and an array of time series"
        );
    }
}
