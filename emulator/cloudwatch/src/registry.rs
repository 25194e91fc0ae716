//! How each kind of registered operation is called. The table itself is generated from
//! `api-specs/operations.toml` into `generated/registry.rs`; this file gives its kinds
//! their meaning:
//!
//! - `read`: `fn(&CwState, &RequestContext, Input)`, under the partition's shared lock;
//! - `write`: `fn(&mut CwState, &RequestContext, Input)`; `write_effects` also takes the
//!   `Effects` (EC2 actions) that run once the partition's lock is released;
//! - `dashboards_read`, `dashboards_write`: `fn(&Dashboards | &mut Dashboards, ...)`, the
//!   account's dashboards, which are global;
//! - `service_read`, `service_write`: `fn(&CloudWatch, &RequestContext, Input)`, for the
//!   operations whose target decides where they act (tags by ARN).

use nimbus_core::protocol::typed::WireInput;
use nimbus_core::service::Output;
use nimbus_core::{ApiError, RequestContext};
use serde_json::Value;

pub(crate) use crate::generated::registry::REGISTRY;
use crate::CloudWatch;

pub(crate) type HandlerFn = fn(&CloudWatch, &RequestContext, Value) -> Result<Output, ApiError>;

/// The same handler on an input read straight from the wire (`protocol::typed`):
/// `None` when the fast path does not take it, and then nothing has run.
pub(crate) type WireFn = fn(&CloudWatch, &RequestContext, &WireInput<'_>) -> Option<Result<Output, ApiError>>;

/// A registered operation's handler, by whether it only reads.
pub(crate) enum Handler {
    Read(HandlerFn, WireFn),
    Write(HandlerFn, WireFn),
}

impl Handler {
    pub(crate) fn reads(&self) -> bool {
        matches!(self, Handler::Read(..))
    }

    pub(crate) fn call(&self, cw: &CloudWatch, ctx: &RequestContext, input: Value) -> Result<Output, ApiError> {
        match self {
            Handler::Read(f, _) | Handler::Write(f, _) => f(cw, ctx, input),
        }
    }

    pub(crate) fn call_wire(
        &self,
        cw: &CloudWatch,
        ctx: &RequestContext,
        input: &WireInput<'_>,
    ) -> Option<Result<Output, ApiError>> {
        match self {
            Handler::Read(_, f) | Handler::Write(_, f) => f(cw, ctx, input),
        }
    }
}

/// The handler of `operation`, if it is registered.
pub(crate) fn lookup(operation: &str) -> Option<&'static Handler> {
    nimbus_core::service::find_handler(&REGISTRY, operation)
}

/// Wraps a handler function as a table entry of its kind; the closure's annotations make
/// the compiler check the function against the operation's input and output types.
macro_rules! handler {
    (read $f:path, $input:ty, $output:ty) => {
        handler!(@paths Read, $input, $output, |cw, ctx, i| cw.read(ctx, |s| $f(s, ctx, i)))
    };
    (write $f:path, $input:ty, $output:ty) => {
        handler!(@paths Write, $input, $output, |cw, ctx, i| cw.write(ctx, |s, _| $f(s, ctx, i)))
    };
    (write_effects $f:path, $input:ty, $output:ty) => {
        handler!(@paths Write, $input, $output, |cw, ctx, i| cw.write(ctx, |s, effects| $f(s, ctx, i, effects)))
    };
    (dashboards_read $f:path, $input:ty, $output:ty) => {
        handler!(@paths Read, $input, $output, |cw, ctx, i| cw.dashboards.read(ctx.account(), crate::GLOBAL, |d| $f(d, ctx, i)))
    };
    (dashboards_write $f:path, $input:ty, $output:ty) => {
        handler!(@paths Write, $input, $output, |cw, ctx, i| cw.dashboards.write(ctx.account(), crate::GLOBAL, |d| $f(d, ctx, i)))
    };
    (service_read $f:path, $input:ty, $output:ty) => {
        handler!(@paths Read, $input, $output, |cw, ctx, i| $f(cw, ctx, i))
    };
    (service_write $f:path, $input:ty, $output:ty) => {
        handler!(@paths Write, $input, $output, |cw, ctx, i| $f(cw, ctx, i))
    };
    // The document path and the typed fast path run the same body; the fast path is
    // reached without `answer`, so it runs the due alarm evaluations itself.
    (@paths $kind:ident, $input:ty, $output:ty, |$cw:ident, $ctx:ident, $i:ident| $body:expr) => {
        Handler::$kind(
            |$cw, $ctx, input| {
                nimbus_core::service::invoke_typed(input, |$i: $input| -> Result<$output, nimbus_core::ApiError> {
                    $body
                })
            },
            |$cw, $ctx, input| {
                nimbus_core::protocol::typed::invoke(input, |$i: $input| -> Result<$output, nimbus_core::ApiError> {
                    $cw.catch_up($ctx);
                    $body
                })
            },
        )
    };
}
pub(crate) use handler;

/// The typed fast path (`protocol::typed`) against the document path the dispatcher
/// falls back on: whatever the fast path takes, the document path takes too, with the
/// same answer and the same state after; everything else is left to the document path.
#[cfg(test)]
mod wire_tests {
    use nimbus_core::ids;
    use nimbus_core::model::Protocol;
    use nimbus_core::protocol::{json, typed};
    use nimbus_core::{validate, Service};

    use super::*;
    use crate::MODEL;

    /// The dispatcher's document path, for one JSON body.
    fn document_path(cw: &CloudWatch, ctx: &RequestContext, op: &str, body: &[u8]) -> Result<Value, ApiError> {
        let shape = MODEL.operation(op).and_then(|o| o.input);
        let input = json::decode(&MODEL, shape, body).map_err(|e| cw.decode_error(&e, Protocol::Json10))?;
        if let Some(error) = shape.and_then(|s| validate::check(&MODEL, s, &input)) {
            return Err(error);
        }
        cw.answer(ctx, op, input)?.into_value()
    }

    fn bodies() -> Vec<Vec<u8>> {
        let now = chrono::Utc::now().timestamp();
        let mut bodies: Vec<Vec<u8>> = [
            "",
            "  ",
            "{}",
            "[]",
            "null",
            "{} x",
            "{\"Namespace\": \"App\"}",
            "{\"Namespace\": \"App\", \"MetricData\": [{\"MetricName\": \"M\", \"Value\": 1.5}]}",
            "{\"Namespace\": \"App\", \"MetricData\": [{\"MetricName\": \"M\", \"Value\": 1, \"Unit\": null, \"Other\": [1, {\"a\": null}]}]}",
            "{\"Namespace\": \"App\", \"MetricData\": [null, {\"MetricName\": \"M\", \"Value\": 1}]}",
            "{\"Namespace\": \"App\", \"MetricData\": [{\"MetricName\": \"M\", \"Value\": \"1\"}]}",
            "{\"Namespace\": \"App\", \"MetricData\": [{\"MetricName\": \"M\", \"Value\": 1, \"StorageResolution\": 1.0}]}",
            "{\"Namespace\": \"App\", \"MetricData\": [{\"MetricName\": \"M\", \"Value\": 1, \"StorageResolution\": 1e300}]}",
            "{\"Namespace\": \"App\", \"MetricData\": [{\"MetricName\": \"M\", \"Value\": 1, \"Unit\": \"Parsecs\"}]}",
            "{\"Namespace\": \"App\", \"MetricData\": [{\"MetricName\": \"\", \"Value\": 1}]}",
            "{\"Namespace\": \"App\", \"MetricData\": [{\"MetricName\": \"M\\u00e9\\ud83d\\ude00\", \"Value\": 1}]}",
            "{\"Namespace\": \"App\", \"MetricData\": [{\"MetricName\": \"M\", \"Value\": \"NaN\"}]}",
            "{\"Namespace\": \"App\", \"MetricData\": [{\"MetricName\": \"M\", \"Values\": [1, 2.5], \"Counts\": [1, 1]}]}",
            "{\"Namespace\": \"App\", \"MetricData\": [{\"MetricName\": \"M\", \"Value\": 1, \"Dimensions\": [{\"Name\": \"a\", \"Value\": \"b\"}, {\"Name\": \"a\", \"Value\": \"c\"}]}]}",
            "{\"Namespace\": \"App\", \"MetricData\": [{\"MetricName\": \"M\", \"Value\": 1, \"Dimensions\": [{\"Name\": \"a\"}]}]}",
            "{\"Namespace\": \"App\", \"Namespace\": \"Other\", \"MetricData\": [{\"MetricName\": \"M\", \"Value\": 1}]}",
            "{\"Namespace\": null, \"MetricData\": [{\"MetricName\": \"M\", \"Value\": 1}]}",
            "{\"Namespace\": \"AWS/EC2\", \"MetricData\": [{\"MetricName\": \"M\", \"Value\": 1}]}",
            "{\"Namespace\": \"App\", \"MetricData\": [{\"MetricName\": \"M\", \"StatisticValues\": {\"SampleCount\": 2, \"Sum\": 3, \"Minimum\": 1, \"Maximum\": 2}}]}",
            "{\"Namespace\": \"App\", \"MetricData\": {\"MetricName\": \"M\"}}",
            "{\"AlarmName\": \"a\", \"MetricName\": \"M\", \"Namespace\": \"N\", \"Statistic\": \"Average\", \"Period\": 60, \"EvaluationPeriods\": 1, \"Threshold\": 1, \"ComparisonOperator\": \"GreaterThanThreshold\", \"Tags\": [{\"Key\": \"k\", \"Value\": \"v\"}]}",
            "{\"AlarmName\": \"a\", \"MetricName\": \"M\", \"Namespace\": \"N\", \"Statistic\": \"Avg\", \"Period\": 0, \"EvaluationPeriods\": 1, \"Threshold\": 1, \"ComparisonOperator\": \"GreaterThanThreshold\"}",
            "{\"AlarmNames\": [\"a\", \"b\"], \"MaxRecords\": 5}",
            "{\"AlarmNames\": [\"a\"], \"MaxRecords\": 0}",
            "{\"MaxRecords\": 5.5}",
            "{\"MaxRecords\": 99999999999}",
            "{\"MetricDataQueries\": [{\"Id\": \"m1\", \"MetricStat\": {\"Metric\": {\"Namespace\": \"App\", \"MetricName\": \"M\"}, \"Period\": 60, \"Stat\": \"Sum\"}}], \"StartTime\": \"2026-01-01T00:00:00Z\", \"EndTime\": 1.9e9}",
            "{\"ResourceARN\": \"arn:aws:cloudwatch:us-east-1:000000000000:alarm:a\", \"Tags\": [{\"Key\": \"k\", \"Value\": \"v\"}]}",
            "{\"DashboardName\": \"d\", \"DashboardBody\": \"{\\\"widgets\\\": []}\"}",
            "{\"Names\": {\"a\": \"b\", \"a\": \"c\"}}",
            "{\"EndTime\": \"yesterday\"}",
            "{\"EndTime\": 1e14}",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        for (i, t) in [now, now - 3600].iter().enumerate() {
            bodies.push(
                format!("{{\"Namespace\": \"App\", \"MetricData\": [{{\"MetricName\": \"M{i}\", \"Timestamp\": {t}, \"Value\": 2}}, {{\"MetricName\": \"M{i}\", \"Timestamp\": \"{}\", \"Value\": 3}}]}}", chrono::DateTime::from_timestamp(*t, 0).unwrap().to_rfc3339())
                    .into_bytes(),
            );
        }
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/json_decoder");
        for entry in std::fs::read_dir(corpus).into_iter().flatten().flatten() {
            bodies.extend(std::fs::read(entry.path()));
        }
        bodies
    }

    /// Every body one byte away from a valid one: deleted, doubled, or replaced by a
    /// byte that changes a value's kind or the syntax.
    fn mutations(valid: &str) -> Vec<Vec<u8>> {
        let b = valid.as_bytes();
        let mut out = Vec::new();
        for i in 0..b.len() {
            out.push([&b[..i], &b[i + 1..]].concat());
            out.push([&b[..=i], &b[i..]].concat());
            for r in *b"\"0n[]{},:-.e9" {
                if r != b[i] {
                    out.push([&b[..i], &[r], &b[i + 1..]].concat());
                }
            }
        }
        out
    }

    /// Whatever the fast path takes, the document path takes with the same answer and
    /// state; whatever it does not take is left to the document path.
    fn agree(ops: &[&str], bodies: &[Vec<u8>]) -> (usize, usize) {
        let mut ctx = RequestContext::for_tests();
        ctx.protocol = Protocol::Json10;
        let (mut taken, mut left) = (0, 0);
        for body in bodies {
            for name in ops.iter().copied() {
                let Some(shape) = MODEL.operation(name).and_then(|o| o.input) else { continue };
                let (fast_cw, slow_cw) = (CloudWatch::new(), CloudWatch::new());
                let wire = typed::WireInput { protocol: Protocol::Json10, model: &MODEL, shape, body };
                let fast = ids::with_seed(&mut 7, || fast_cw.answer_wire(&ctx, name, &wire));
                let Some(fast) = fast else {
                    left += 1;
                    continue;
                };
                taken += 1;
                let slow = ids::with_seed(&mut 7, || document_path(&slow_cw, &ctx, name, body));
                let what = format!("{name} on {}", String::from_utf8_lossy(body));
                match (fast.and_then(Output::into_value), slow) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}"),
                    (Err(a), Err(b)) => assert_eq!((a.code, a.message), (b.code, b.message), "{what}"),
                    (a, b) => panic!("{what}: fast {a:?}, document {b:?}"),
                }
                assert_eq!(fast_cw.snapshot(), slow_cw.snapshot(), "{what}");
            }
        }
        (taken, left)
    }

    #[test]
    fn the_fast_path_takes_only_what_the_document_path_takes_and_agrees() {
        let ops: Vec<&str> = REGISTRY.iter().map(|(name, _)| *name).collect();
        let (taken, left) = agree(&ops, &bodies());
        assert!(taken > 100 && left > 100, "taken {taken}, left {left}");
    }

    #[test]
    fn bodies_a_byte_away_from_valid_ones_agree() {
        let put = r#"{"Namespace":"A","MetricData":[{"MetricName":"M","Dimensions":[{"Name":"h","Value":"a"}],"Value":1.5,"Unit":"Seconds","StorageResolution":1,"Values":[1],"Counts":[2]}]}"#;
        let alarm = r#"{"AlarmName":"a","MetricName":"M","Namespace":"N","Statistic":"Average","Period":60,"EvaluationPeriods":1,"Threshold":1,"ComparisonOperator":"GreaterThanThreshold","Tags":[{"Key":"k","Value":"v"}]}"#;
        let (taken, left) = agree(&["PutMetricData"], &mutations(put));
        assert!(taken > 50 && left > 500, "taken {taken}, left {left}");
        let (taken, left) = agree(&["PutMetricAlarm", "DescribeAlarms"], &mutations(alarm));
        assert!(taken > 50 && left > 500, "taken {taken}, left {left}");
    }

    #[test]
    fn put_metric_data_takes_the_fast_path() {
        let body = br#"{"Namespace":"App","MetricData":[{"MetricName":"M","Dimensions":[{"Name":"h","Value":"a"}],"Value":1.5,"Unit":"Seconds","StorageResolution":1}]}"#;
        let shape = MODEL.operation("PutMetricData").and_then(|o| o.input).unwrap();
        let wire = typed::WireInput { protocol: Protocol::Json10, model: &MODEL, shape, body };
        let input: crate::generated::dto::PutMetricDataInput = typed::decode(&wire).expect("taken");
        let datum = &input.metric_data.as_ref().unwrap()[0];
        assert_eq!(
            (datum.value, datum.storage_resolution, datum.unit.as_deref()),
            (Some(1.5), Some(1), Some("Seconds"))
        );
        // A value the document path refuses is left to it.
        let bad = br#"{"Namespace":"App","MetricData":[{"MetricName":"M","Value":1,"StorageResolution":"1"}]}"#;
        let wire = typed::WireInput { body: bad, ..wire };
        assert!(typed::decode::<crate::generated::dto::PutMetricDataInput>(&wire).is_none());
    }
}

/// What reading a PutMetricData of 20 datapoints costs on each path, for
/// docs/benchmarks.md: `NIMBUS_DECODE_PATH=document|typed cargo test --release -p
/// nimbus-cloudwatch --lib decode_cost -- --ignored --nocapture` (under `perf stat -e
/// instructions:u` for a figure the machine's load does not move).
#[cfg(test)]
mod decode_cost {
    use nimbus_core::model::Protocol;
    use nimbus_core::protocol::{json, typed};
    use nimbus_core::validate;

    use crate::generated::dto::PutMetricDataInput;
    use crate::MODEL;

    #[test]
    #[ignore = "a measurement, not a test"]
    fn decode_cost() {
        let data: Vec<String> = (0..20)
            .map(|i| {
                format!(
                    r#"{{"MetricName":"Latency","Dimensions":[{{"Name":"Host","Value":"web-1"}},{{"Name":"Stage","Value":"prod"}}],"Timestamp":{}.{:03},"Value":{}.25,"Unit":"Milliseconds"}}"#,
                    1_765_000_000 + i * 7,
                    i * 13 % 1000,
                    i
                )
            })
            .collect();
        let body = format!(r#"{{"Namespace":"Bench/App","MetricData":[{}]}}"#, data.join(","));
        let shape = MODEL.operation("PutMetricData").and_then(|o| o.input).unwrap();
        let wire = typed::WireInput { protocol: Protocol::Json10, model: &MODEL, shape, body: body.as_bytes() };
        let path = std::env::var("NIMBUS_DECODE_PATH").unwrap_or_else(|_| "typed".into());
        let n: usize = std::env::var("NIMBUS_DECODE_N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
        let started = std::time::Instant::now();
        let mut points = 0;
        for _ in 0..n {
            let input: PutMetricDataInput = if path == "document" {
                let doc = json::decode(&MODEL, Some(shape), body.as_bytes()).unwrap();
                assert!(validate::check(&MODEL, shape, &doc).is_none());
                serde_json::from_value(doc).unwrap()
            } else {
                typed::decode(&wire).unwrap()
            };
            points += input.metric_data.map_or(0, |d| d.len());
        }
        let ns = started.elapsed().as_nanos() as f64 / n as f64;
        assert_eq!(points, 20 * n);
        println!("{path}: {n} decodes of {} bytes, {ns:.0} ns each", body.len());
    }
}
