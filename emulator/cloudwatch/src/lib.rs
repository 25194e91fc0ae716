//! CloudWatch: the metrics store and the operations on it, answered identically over
//! awsQuery, JSON 1.0 and Smithy RPC v2 CBOR (the wire layer is generic).

mod generated;
mod math;
mod metric_data;
mod metrics;
mod query;
mod statistics;
mod store;

use nimbus_core::model::{Protocol, ServiceModel};
use nimbus_core::protocol::DecodeError;
use nimbus_core::service::invoke;
use nimbus_core::state::Partitioned;
use nimbus_core::{ApiError, RequestContext, Service};
use serde_json::Value;

pub use generated::model::MODEL;
pub use store::MetricStore;

#[derive(Default)]
pub struct CloudWatch {
    metrics: Partitioned<MetricStore>,
}

impl CloudWatch {
    pub fn new() -> Self {
        Self::default()
    }
}

/// `MetricData.1.MetricName` -> `MetricData.member.1.MetricName`, as CloudWatch
/// names parameters in its messages.
pub(crate) fn query_path(path: &str) -> String {
    path.split('.')
        .map(|p| if p.chars().all(|c| c.is_ascii_digit()) { format!("member.{p}") } else { p.to_string() })
        .collect::<Vec<_>>()
        .join(".")
}

impl Service for CloudWatch {
    fn model(&self) -> &'static ServiceModel {
        &MODEL
    }

    fn implemented(&self) -> &'static [&'static str] {
        generated::IMPLEMENTED
    }

    fn call(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, ApiError> {
        let (account, region) = (ctx.account(), ctx.region.as_str());
        match operation {
            "PutMetricData" => {
                invoke(input, |i| self.metrics.write(account, region, |s| metrics::put_metric_data(s, ctx, i)))
            }
            "ListMetrics" => {
                invoke(input, |i| self.metrics.read(account, region, |s| metrics::list_metrics(s, ctx, i)))
            }
            "GetMetricData" => {
                invoke(input, |i| self.metrics.read(account, region, |s| metric_data::get_metric_data(s, ctx, i)))
            }
            "GetMetricStatistics" => {
                invoke(input, |i| self.metrics.read(account, region, |s| metrics::get_metric_statistics(s, ctx, i)))
            }
            other => Err(ApiError::not_implemented("CloudWatch", other)),
        }
    }

    fn decode_error(&self, err: &DecodeError, protocol: Protocol) -> ApiError {
        match err {
            DecodeError::Missing(path) => {
                ApiError::missing_parameter(format!("The parameter {} is required.", query_path(path)))
            }
            other => other.to_api_error(protocol),
        }
    }

    fn reset(&self) {
        self.metrics.clear();
    }

    fn state(&self) -> Value {
        self.metrics.dump()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatches_every_listed_operation() {
        let cw = CloudWatch::new();
        let ctx = RequestContext::for_tests();
        for op in cw.implemented() {
            if let Err(e) = cw.call(&ctx, op, serde_json::json!({})) {
                assert_ne!(e.code, "NotImplemented", "{op} is listed but not dispatched");
            }
        }
    }

    #[test]
    fn query_paths_name_members() {
        assert_eq!(query_path("MetricData.1.Value"), "MetricData.member.1.Value");
        assert_eq!(query_path("Namespace"), "Namespace");
    }
}
