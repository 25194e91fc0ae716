//! Metric math: the language ([`parser`]), its values and the evaluator ([`eval`]),
//! SEARCH expressions ([`search`]) and Metrics Insights queries ([`insights`]).
//!
//! Semantics follow AWS's "Metric math syntax and functions": arithmetic and
//! comparisons between time series treat a missing value as 0, a division by zero
//! drops the data point, functions of one time series that summarise it (SUM, AVG, MIN,
//! MAX, STDDEV, DATAPOINT_COUNT) return a scalar, and of an array of time series a time
//! series per timestamp.

pub mod eval;
pub mod insights;
pub mod parser;
pub mod search;

use std::sync::Arc;

pub use eval::{evaluate, Env};
pub use parser::{parse, Expr};

/// Where a time series came from, for labels and `PERIOD()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub namespace: String,
    pub name: String,
    pub dimensions: Vec<(String, String)>,
    pub stat: String,
    pub period: i64,
}

/// A time series: (epoch ms, value) in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(i64, f64)>,
    /// Seconds between data points.
    pub period: i64,
    pub meta: Option<Arc<Meta>>,
}

impl Series {
    pub fn new(label: impl Into<String>, period: i64, points: Vec<(i64, f64)>) -> Self {
        Series { label: label.into(), points, period, meta: None }
    }

    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.points.iter().map(|(_, v)| *v)
    }

    pub fn get(&self, t: i64) -> Option<f64> {
        self.points.binary_search_by_key(&t, |(ts, _)| *ts).ok().map(|i| self.points[i].1)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(f64),
    Series(Series),
    Array(Vec<Series>),
    Str(String),
    Keyword(String),
}

impl Value {
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Scalar(_) => "a scalar",
            Value::Series(_) => "a time series",
            Value::Array(_) => "an array of time series",
            Value::Str(_) => "a string",
            Value::Keyword(_) => "a keyword",
        }
    }
}
