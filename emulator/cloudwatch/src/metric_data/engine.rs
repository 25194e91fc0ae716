//! The engine of GetMetricData and of metric-math alarms: queries checked and parsed
//! once, then evaluated on demand (each at most once) over the window.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use nimbus_core::ApiError;

use crate::generated::dto::MetricDataQuery;
use crate::math::{self, insights, search::Search, Env, Expr, Meta, Series, Value};
use crate::query::{self, periods};
use crate::statistics::{Agg, Stat};
use crate::store::{unit_index, MetricKey, MetricStore};

use super::{validation, MAX_SERIES, SEARCH_HORIZON_MS};

enum Parsed {
    Stat(Stat),
    Math(Expr),
    Insights(insights::Query),
}

/// Evaluates the queries of one request (or one alarm evaluation) over a window.
pub struct Engine<'a> {
    store: &'a MetricStore,
    queries: &'a [MetricDataQuery],
    parsed: Vec<Parsed>,
    index: HashMap<&'a str, usize>,
    start_ms: i64,
    end_ms: i64,
    now_ms: i64,
    memo: HashMap<usize, Value>,
    busy: HashSet<usize>,
    default_period: i64,
    /// Round StartTime as GetMetricData does (alarms evaluate exact windows).
    round: bool,
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl<'a> Engine<'a> {
    /// Checks and parses the queries; `prefix` names them in messages
    /// (`MetricDataQueries` or `Metrics`).
    pub fn new(
        store: &'a MetricStore,
        queries: &'a [MetricDataQuery],
        prefix: &str,
        start_ms: i64,
        end_ms: i64,
        now_ms: i64,
    ) -> Result<Self, ApiError> {
        let mut problems = Vec::new();
        let mut index = HashMap::new();
        let mut parsed = Vec::with_capacity(queries.len());
        let mut insights_queries = 0;
        for (i, q) in queries.iter().enumerate() {
            let n = i + 1;
            if !valid_id(&q.id) {
                problems.push(format!(
                    "The value {} for parameter {prefix}.member.{n}.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.",
                    q.id
                ));
            }
            if index.insert(q.id.as_str(), i).is_some() {
                return Err(validation(format!("The values for parameter id in {prefix} are not unique.")));
            }
            match (&q.metric_stat, &q.expression) {
                (Some(_), Some(_)) => {
                    return Err(validation(format!(
                        "The parameters {prefix}.member.{n}.Expression and {prefix}.member.{n}.MetricStat are mutually exclusive and you have specified both."
                    )))
                }
                (None, None) => {
                    return Err(validation(format!(
                        "The parameter {prefix}.member.{n}.Expression or {prefix}.member.{n}.MetricStat is required."
                    )))
                }
                (Some(ms), None) => {
                    if !query::valid_period(i64::from(ms.period)) {
                        problems.push(format!(
                            "The parameter {prefix}.member.{n}.MetricStat.Period must be 1, 5, 10, 20, 30 or a multiple of 60."
                        ));
                    }
                    if let Some(u) = &ms.unit {
                        if unit_index(u).is_none() {
                            problems.push(format!("The value {u} for parameter {prefix}.member.{n}.MetricStat.Unit is invalid."));
                        }
                    }
                    match Stat::parse(&ms.stat) {
                        Some(s) => parsed.push(Parsed::Stat(s)),
                        None => {
                            problems.push(format!(
                                "The value {} for parameter {prefix}.member.{n}.MetricStat.Stat is not a valid statistic.",
                                ms.stat
                            ));
                            parsed.push(Parsed::Stat(Stat::Sum));
                        }
                    }
                }
                (None, Some(e)) => {
                    if let Some(p) = q.period {
                        if !query::valid_period(i64::from(p)) {
                            problems.push(format!(
                                "The parameter {prefix}.member.{n}.Period must be 1, 5, 10, 20, 30 or a multiple of 60."
                            ));
                        }
                    }
                    if insights::is_query(e) {
                        insights_queries += 1;
                        if insights_queries > 1 {
                            return Err(validation("Only one Metrics Insights query is allowed per request."));
                        }
                        if q.period.is_none() {
                            return Err(validation(format!(
                                "Error in expression {}: Period is a required field when using a Metrics Insights query.",
                                q.id
                            )));
                        }
                        let parsed_query = insights::parse(e).map_err(|m| {
                            validation(format!("Error in expression {}: The Metrics Insights query has {m}.", q.id))
                        })?;
                        parsed.push(Parsed::Insights(parsed_query));
                    } else {
                        let expr = math::parse(e)
                            .map_err(|m| validation(format!("Error in expression {}: {m}.", q.id)))?;
                        parsed.push(Parsed::Math(expr));
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(validation(problems.join("\n")));
        }
        // References to ids that do not exist.
        for (q, p) in queries.iter().zip(&parsed) {
            if let Parsed::Math(e) = p {
                let mut ids = Vec::new();
                e.ids(&mut ids);
                if let Some(missing) = ids.iter().find(|id| !index.contains_key(id.as_str())) {
                    return Err(validation(format!(
                        "Error in expression {}: Unrecognized metric or expression id {missing}.",
                        q.id
                    )));
                }
            }
        }
        let default_period = queries
            .iter()
            .filter_map(|q| q.metric_stat.as_ref().map(|m| i64::from(m.period)))
            .min()
            .or_else(|| queries.iter().filter_map(|q| q.period.map(i64::from)).min())
            .unwrap_or(60);
        Ok(Engine {
            store,
            queries,
            parsed,
            index,
            start_ms,
            end_ms,
            now_ms,
            memo: HashMap::new(),
            busy: HashSet::new(),
            default_period,
            round: true,
        })
    }

    /// Evaluates over exactly `[start, end)`, without GetMetricData's rounding (alarms).
    pub fn exact(mut self) -> Self {
        self.round = false;
        self
    }

    /// The period (s) of the query with this id.
    pub fn period_of_id(&self, id: &str) -> Option<i64> {
        self.index.get(id).map(|i| self.period_of(*i))
    }

    fn period_of(&self, i: usize) -> i64 {
        let q = &self.queries[i];
        q.metric_stat.as_ref().map(|m| i64::from(m.period)).or(q.period.map(i64::from)).unwrap_or(self.default_period)
    }

    fn start_for(&self, period: i64) -> i64 {
        if self.round {
            query::round_start(self.start_ms, self.now_ms, period)
        } else {
            self.start_ms
        }
    }

    /// Aggregates of one metric over the window, per period.
    pub fn metric_periods(
        &self,
        key: &MetricKey,
        period: i64,
        unit: Option<u8>,
        collect: bool,
    ) -> BTreeMap<(i64, u8), Agg> {
        match self.store.get(key) {
            Some(series) => {
                periods(series, self.start_for(period), self.end_ms, period, unit, false, collect, self.now_ms)
            }
            None => BTreeMap::new(),
        }
    }

    fn metric_series(&self, i: usize) -> Series {
        let q = &self.queries[i];
        let ms = q.metric_stat.as_ref().expect("a MetricStat query");
        let Parsed::Stat(stat) = &self.parsed[i] else { unreachable!("MetricStat queries parse to a Stat") };
        let period = i64::from(ms.period);
        let dims: Vec<(String, String)> =
            ms.metric.dimensions.iter().flatten().map(|d| (d.name.clone(), d.value.clone())).collect();
        let name = ms.metric.metric_name.clone().unwrap_or_default();
        let namespace = ms.metric.namespace.clone().unwrap_or_default();
        let key = MetricKey::new(&namespace, &name, dims.clone());
        let unit = ms.unit.as_deref().and_then(unit_index);
        let points = self
            .metric_periods(&key, period, unit, !stat.is_standard())
            .into_iter()
            .filter_map(|((t, _), mut agg)| agg.get(stat).map(|v| (t, v)))
            .collect();
        Series {
            label: q.label.clone().unwrap_or_else(|| name.clone()),
            points,
            period,
            meta: Some(Arc::new(Meta { namespace, name, dimensions: dims, stat: ms.stat.clone(), period })),
        }
    }

    /// The value of query `i` (memoised; cycles are refused).
    fn value_of(&mut self, i: usize) -> Result<Value, String> {
        if let Some(v) = self.memo.get(&i) {
            return Ok(v.clone());
        }
        if !self.busy.insert(i) {
            return Err(format!("Circular dependency involving {}", self.queries[i].id));
        }
        let v = match &self.parsed[i] {
            Parsed::Stat(_) => Value::Series(self.metric_series(i)),
            Parsed::Insights(q) => {
                let q = q.clone();
                self.insights(&q, self.period_of(i))?
            }
            Parsed::Math(e) => {
                let e = e.clone();
                let period = self.period_of(i);
                let mut env = ExprEnv { engine: self, period };
                let mut v = math::evaluate(&e, &mut env)?;
                // An expression's own single result is labelled by its query.
                if let Value::Series(s) = &mut v {
                    s.label = self.queries[i].label.clone().unwrap_or_else(|| self.queries[i].id.clone());
                    s.meta = None;
                }
                v
            }
        };
        self.busy.remove(&i);
        self.memo.insert(i, v.clone());
        Ok(v)
    }

    /// The value of the query with this id; math errors are `ValidationError`s naming it.
    pub fn value(&mut self, id: &str) -> Result<Value, ApiError> {
        let Some(&i) = self.index.get(id) else {
            return Err(validation(format!("Unrecognized metric or expression id {id}.")));
        };
        self.value_of(i).map_err(|m| validation(format!("Error in expression {id}: {m}.")))
    }

    fn search(
        &mut self,
        text: &str,
        stat: &str,
        period: Option<i64>,
        fallback_period: i64,
    ) -> Result<Vec<Series>, String> {
        let search = Search::parse(text)?;
        let stat_parsed =
            Stat::parse(stat).ok_or_else(|| format!("Invalid statistic {stat} in the search expression"))?;
        let period = period.unwrap_or(fallback_period);
        if !query::valid_period(period) {
            return Err(format!("Invalid period {period} in the search expression"));
        }
        let since = self.now_ms - SEARCH_HORIZON_MS;
        let keys: Vec<MetricKey> = self
            .store
            .series
            .iter()
            .filter(|(k, s)| s.last_put_ms >= since && search.matches(k))
            .take(MAX_SERIES)
            .map(|(k, _)| k.clone())
            .collect();
        let names: HashSet<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        let several_names = names.len() > 1;
        let mut out = Vec::with_capacity(keys.len());
        for key in &keys {
            let points = self
                .metric_periods(key, period, None, !stat_parsed.is_standard())
                .into_iter()
                .filter_map(|((t, _), mut agg)| agg.get(&stat_parsed).map(|v| (t, v)))
                .collect();
            let mut parts: Vec<&str> = key.dimensions.iter().map(|(_, v)| v.as_str()).collect();
            if parts.is_empty() || several_names {
                parts.push(&key.name);
            }
            out.push(Series {
                label: parts.join(" "),
                points,
                period,
                meta: Some(Arc::new(Meta {
                    namespace: key.namespace.clone(),
                    name: key.name.clone(),
                    dimensions: key.dimensions.clone(),
                    stat: stat.to_string(),
                    period,
                })),
            });
        }
        Ok(out)
    }

    fn insights(&mut self, q: &insights::Query, period: i64) -> Result<Value, String> {
        let since = self.now_ms - SEARCH_HORIZON_MS;
        let stat = Stat::parse(q.func.stat()).expect("a standard statistic");
        let mut groups: BTreeMap<Vec<String>, BTreeMap<i64, Agg>> = BTreeMap::new();
        let start = self.start_for(period);
        for (key, series) in &self.store.series {
            if series.last_put_ms < since || !q.matches(key) {
                continue;
            }
            let group = groups.entry(q.group(key)).or_default();
            for ((t, _), agg) in periods(series, start, self.end_ms, period, None, false, false, self.now_ms) {
                match group.get_mut(&t) {
                    Some(existing) => existing.merge(&agg),
                    None => {
                        group.insert(t, agg);
                    }
                }
            }
        }
        let mut out: Vec<Series> = groups
            .into_iter()
            .map(|(labels, by_time)| {
                let points = by_time.into_iter().filter_map(|(t, mut a)| a.get(&stat).map(|v| (t, v))).collect();
                Series::new(labels.join(" "), period, points)
            })
            .collect();
        if let Some((f, desc)) = &q.order_by {
            let key = |s: &Series| {
                let values: Vec<f64> = s.values().collect();
                let n = values.len() as f64;
                match f.summary() {
                    "AVG" => (n > 0.0).then(|| values.iter().sum::<f64>() / n),
                    "DATAPOINT_COUNT" => Some(n),
                    "MAX" => values.iter().copied().reduce(f64::max),
                    "MIN" => values.iter().copied().reduce(f64::min),
                    _ => Some(values.iter().sum()),
                }
            };
            out.sort_by(|a, b| {
                let (x, y) = (key(a).unwrap_or(f64::NAN), key(b).unwrap_or(f64::NAN));
                if *desc {
                    y.total_cmp(&x)
                } else {
                    x.total_cmp(&y)
                }
            });
        }
        out.truncate(q.limit.min(MAX_SERIES));
        if q.group_by.is_empty() {
            let mut s = out.pop().unwrap_or_else(|| Series::new("", period, Vec::new()));
            s.label = String::new();
            return Ok(Value::Series(s));
        }
        Ok(Value::Array(out))
    }

    /// The anomaly detection band of a series (nimbus's model; AWS trains a seasonal
    /// one): at each timestamp, the mean of the metric's values over the two weeks
    /// before it, plus or minus `width` standard deviations. Timestamps with fewer than
    /// two earlier values have no band.
    fn band(&self, s: &Series, width: f64) -> (Series, Series) {
        let first = s.points.first().map_or(self.end_ms, |p| p.0);
        let history: Vec<(i64, f64)> = match &s.meta {
            Some(meta) => {
                let key = MetricKey::new(&meta.namespace, &meta.name, meta.dimensions.clone());
                let stat = Stat::parse(&meta.stat).unwrap_or(Stat::Average);
                let start = first - SEARCH_HORIZON_MS;
                let start = start - start.rem_euclid(meta.period * 1000) + first.rem_euclid(meta.period * 1000);
                match self.store.get(&key) {
                    Some(series) => {
                        periods(series, start, self.end_ms, meta.period, None, false, !stat.is_standard(), self.now_ms)
                            .into_iter()
                            .filter_map(|((t, _), mut a)| a.get(&stat).map(|v| (t, v)))
                            .collect()
                    }
                    None => Vec::new(),
                }
            }
            None => s.points.clone(),
        };
        let (mut upper, mut lower) = (Vec::new(), Vec::new());
        let (mut from, mut to) = (0, 0);
        let (mut sum, mut sumsq) = (0.0, 0.0);
        for (t, _) in &s.points {
            while to < history.len() && history[to].0 < *t {
                sum += history[to].1;
                sumsq += history[to].1 * history[to].1;
                to += 1;
            }
            while from < to && history[from].0 < t - SEARCH_HORIZON_MS {
                sum -= history[from].1;
                sumsq -= history[from].1 * history[from].1;
                from += 1;
            }
            let n = (to - from) as f64;
            if n < 2.0 {
                continue;
            }
            let mean = sum / n;
            let sd = (sumsq / n - mean * mean).max(0.0).sqrt();
            upper.push((*t, mean + width * sd));
            lower.push((*t, mean - width * sd));
        }
        (Series::new(s.label.clone(), s.period, upper), Series::new(s.label.clone(), s.period, lower))
    }

    /// The ids to return, in request order, with their ReturnData.
    pub fn returned(&self) -> Vec<&'a MetricDataQuery> {
        self.queries.iter().filter(|q| q.return_data != Some(false)).collect()
    }
}

/// One returned time series: query id, label, points.
pub(super) type Returned = (String, String, Vec<(i64, f64)>);

struct ExprEnv<'e, 'a> {
    engine: &'e mut Engine<'a>,
    period: i64,
}

impl Env for ExprEnv<'_, '_> {
    fn resolve(&mut self, id: &str) -> Result<Value, String> {
        let i = *self.engine.index.get(id).ok_or_else(|| format!("Unrecognized metric or expression id {id}"))?;
        self.engine.value_of(i)
    }

    fn metrics(&mut self, filter: &str) -> Result<Vec<Series>, String> {
        let ids: Vec<usize> = (0..self.engine.queries.len())
            .filter(|i| self.engine.queries[*i].metric_stat.is_some() && self.engine.queries[*i].id.contains(filter))
            .collect();
        let mut out = Vec::new();
        for i in ids {
            if let Value::Series(s) = self.engine.value_of(i)? {
                out.push(s);
            }
        }
        Ok(out)
    }

    fn search(&mut self, query: &str, stat: &str, period: Option<i64>) -> Result<Vec<Series>, String> {
        self.engine.search(query, stat, period, self.period)
    }

    fn band(&mut self, series: &Series, width: f64) -> Result<(Series, Series), String> {
        Ok(self.engine.band(series, width))
    }

    fn window(&self) -> (i64, i64) {
        (self.engine.start_for(self.period), self.engine.end_ms)
    }

    fn period(&self) -> i64 {
        self.period
    }
}
