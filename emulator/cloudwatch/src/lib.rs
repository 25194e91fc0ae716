//! CloudWatch: metrics, statistics, metric math, alarms evaluated on nimbus's clock,
//! dashboards and tags, answered identically over awsQuery, JSON 1.0 and Smithy RPC v2
//! CBOR (the wire layer is generic).

mod alarms;
mod anomaly;
mod dashboards;
mod datasets;
mod enrichment;
mod evaluation;
mod generated;
mod insight_report;
mod managed_rules;
mod math;
mod metric_data;
mod metrics;
mod query;
mod query_definitions;
mod records;
mod registry;
mod resource_metrics;
mod snapshot;
mod statistics;
mod store;
mod tags;
mod widget;

use std::sync::Arc;

use nimbus_core::model::{Protocol, ServiceModel};
use nimbus_core::protocol::typed::WireInput;
use nimbus_core::protocol::DecodeError;
use nimbus_core::service::Output;
use nimbus_core::state::Partitioned;
use nimbus_core::{ApiError, RequestContext, Service};
use serde::Serialize;
use serde_json::Value;

pub use evaluation::Ec2Action;
pub use generated::model::MODEL;
pub use store::MetricStore;

/// Everything CloudWatch keeps for one account in one region.
#[derive(Debug, Default, Serialize)]
pub struct CwState {
    #[serde(rename = "series")]
    pub metrics: MetricStore,
    pub alarms: alarms::AlarmStore,
    pub tags: tags::Tags,
    pub anomaly_detectors: anomaly::Detectors,
    pub records: records::Records,
    pub query_definitions: query_definitions::Definitions,
    pub enrichment: enrichment::Enrichment,
    pub dataset: datasets::Dataset,
    pub resource_metrics: resource_metrics::Configurations,
}

/// Dashboards are global: one [`dashboards::Dashboards`] per account, kept under this
/// region name.
const GLOBAL: &str = "global";

/// What alarms' EC2 actions (`arn:aws:automate:<region>:ec2:stop|terminate|reboot|recover`)
/// do. The server wires it to the EC2 service (`nimbus-server`'s `ec2_actions.rs`); a
/// CloudWatch on its own records the action in the alarm's history as failed.
pub trait Ec2ActionHook: Send + Sync {
    /// Stops, terminates, reboots or recovers `instance_id` in the account and region.
    fn run(&self, account: &str, region: &str, instance_id: &str, action: &str) -> Result<(), String>;
}

/// The hook of a CloudWatch without EC2 (unit tests): no instance exists.
struct NoInstances;

impl Ec2ActionHook for NoInstances {
    fn run(&self, _: &str, _: &str, instance_id: &str, _: &str) -> Result<(), String> {
        Err(format!("The instance ID '{instance_id}' does not exist"))
    }
}

pub struct CloudWatch {
    state: Partitioned<CwState>,
    dashboards: Partitioned<dashboards::Dashboards>,
    ec2: Arc<dyn Ec2ActionHook>,
}

impl Default for CloudWatch {
    fn default() -> Self {
        CloudWatch { state: Partitioned::new(), dashboards: Partitioned::new(), ec2: Arc::new(NoInstances) }
    }
}

impl CloudWatch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes alarms' EC2 actions to the EC2 service.
    pub fn with_ec2_actions(mut self, hook: Arc<dyn Ec2ActionHook>) -> Self {
        self.ec2 = hook;
        self
    }

    /// Datapoints an AWS service publishes about its resources (`AWS/EC2` from nimbus's
    /// instance runtime), in PutMetricData's input shape, stored as PutMetricData stores
    /// them in `ctx`'s account and region; alarms on them evaluate as any request to the
    /// partition runs the due evaluations. Not journaled: they are observations.
    pub fn publish_service_metrics(&self, ctx: &RequestContext, input: serde_json::Value) -> Result<(), ApiError> {
        let input: generated::dto::PutMetricDataInput =
            serde_json::from_value(input).map_err(|e| ApiError::client("InvalidParameterValue", e.to_string()))?;
        self.catch_up(ctx);
        self.write(ctx, |s, _| metrics::store_metric_data(s, ctx, input))
    }

    /// Runs a write on the partition, then what it left to do outside the lock (EC2
    /// actions), recording their outcome in the alarms' history.
    fn write<R>(
        &self,
        ctx: &RequestContext,
        f: impl FnOnce(&mut CwState, &mut evaluation::Effects) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        let (account, region) = (ctx.account(), ctx.region.as_str());
        let mut effects = evaluation::Effects::default();
        let result = self.state.write(account, region, |s| f(s, &mut effects));
        self.after(ctx, effects);
        result
    }

    fn after(&self, ctx: &RequestContext, effects: evaluation::Effects) {
        if effects.ec2.is_empty() {
            return;
        }
        let (account, region) = (ctx.account(), ctx.region.as_str());
        let outcomes: Vec<(Ec2Action, Result<(), String>)> = effects
            .ec2
            .into_iter()
            .map(|a| {
                let outcome = match &a.instance_id {
                    Some(id) => self.ec2.run(account, region, id, &a.action),
                    None => Err("The alarm has no InstanceId dimension to act on".to_string()),
                };
                (a, outcome)
            })
            .collect();
        let _ = self.state.write(account, region, |s| -> Result<(), ()> {
            for (a, outcome) in outcomes {
                evaluation::record_ec2_outcome(s, &a, outcome);
            }
            Ok(())
        });
    }

    /// Whether evaluations are due in the caller's partition (which any request runs).
    fn evaluations_due(&self, ctx: &RequestContext) -> bool {
        let now_ms = ctx.now.timestamp_millis();
        self.state.read(ctx.account(), &ctx.region, |s| {
            s.alarms
                .alarms
                .values()
                .any(|a| a.next_eval_ms <= now_ms || a.muted.as_ref().is_some_and(|m| m.until_ms <= now_ms))
        })
    }

    /// Runs the alarm evaluations due up to `now` (only where alarms exist: a partition
    /// is never created by this).
    fn catch_up(&self, ctx: &RequestContext) {
        if !self.evaluations_due(ctx) {
            return;
        }
        let (account, region) = (ctx.account(), ctx.region.as_str());
        let now_ms = ctx.now.timestamp_millis();
        let mut effects = evaluation::Effects::default();
        let _ = self.state.write(account, region, |s| -> Result<(), ()> {
            evaluation::catch_up(s, now_ms, &mut effects);
            Ok(())
        });
        self.after(ctx, effects);
    }

    fn read<R>(&self, ctx: &RequestContext, f: impl FnOnce(&CwState) -> R) -> R {
        self.state.read(ctx.account(), ctx.region.as_str(), f)
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
        self.answer(ctx, operation, input)?.into_value()
    }

    fn answer(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Output, ApiError> {
        // Alarms are evaluated lazily: whatever arrives for the partition first runs the
        // evaluations that were due.
        self.catch_up(ctx);
        match registry::lookup(operation) {
            Some(handler) => handler.call(self, ctx, input),
            None => Err(ApiError::not_implemented("CloudWatch", operation)),
        }
    }

    fn answer_wire(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &WireInput<'_>,
    ) -> Option<Result<Output, ApiError>> {
        // The handler runs the due evaluations (as `answer` does) once its input is read:
        // an input the fast path does not take has run nothing.
        registry::lookup(operation)?.call_wire(self, ctx, input)
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
        self.state.clear();
        self.dashboards.clear();
    }

    /// A read that runs due alarm evaluations changes state (alarm states, history, EC2
    /// actions), so it is journaled too and replays at the same instant.
    fn mutates(&self, ctx: &RequestContext, operation: &str) -> bool {
        !registry::lookup(operation).is_some_and(registry::Handler::reads) || self.evaluations_due(ctx)
    }

    fn snapshot(&self) -> Result<Value, String> {
        Ok(serde_json::json!({
            "regions": self.state.save_with(snapshot::save)?,
            "dashboards": self.dashboards.try_dump()?,
        }))
    }

    /// Both parts are read before either is replaced, so a bad snapshot changes nothing.
    fn restore(&self, mut snapshot: Value) -> Result<(), String> {
        let regions = Partitioned::<CwState>::new();
        regions.restore_with(snapshot["regions"].take(), snapshot::load)?;
        let dashboards = Partitioned::<dashboards::Dashboards>::new();
        dashboards.restore(snapshot["dashboards"].take())?;
        self.state.replace_with(regions);
        self.dashboards.replace_with(dashboards);
        Ok(())
    }

    fn partitions(&self) -> Vec<(String, String)> {
        self.state.partitions().into_iter().map(|(key, _)| key).collect()
    }

    /// `{ account: { region: state, "global": dashboards } }`.
    fn state(&self) -> Value {
        let mut out = self.state.dump();
        if let (Value::Object(accounts), Value::Object(global)) = (&mut out, self.dashboards.dump()) {
            for (account, regions) in global {
                if let (Value::Object(into), Value::Object(from)) =
                    (accounts.entry(account).or_insert_with(|| Value::Object(Default::default())), regions)
                {
                    into.extend(from);
                }
            }
        }
        out
    }
}

impl CloudWatch {
    /// A taggable resource that exists (true for a dashboard, which is global), or
    /// ResourceNotFoundException.
    fn check_resource(&self, ctx: &RequestContext, arn: &str) -> Result<bool, ApiError> {
        let r = tags::parse_arn(arn)?;
        let exists = match r.kind {
            "alarm" => self.read(ctx, |s| s.alarms.alarms.get(&r.name).is_some_and(|a| a.arn == arn)),
            "dashboard" => {
                self.dashboards.read(ctx.account(), GLOBAL, |d| d.dashboards.get(&r.name).is_some_and(|x| x.arn == arn))
            }
            "metric-stream" => self.read(ctx, |s| s.records.streams.get(&r.name).is_some_and(|x| x.arn == arn)),
            "alarm-mute-rule" => {
                self.read(ctx, |s| s.alarms.mute_rules.rules.get(&r.name).is_some_and(|x| x.arn == arn))
            }
            "metric-query-definition" => {
                self.read(ctx, |s| s.query_definitions.by_id.get(&r.name).is_some_and(|x| x.arn == arn))
            }
            _ => self.read(ctx, |s| s.records.rules.get(&r.name).is_some_and(|x| x.arn == arn)),
        };
        if exists {
            Ok(r.kind == "dashboard")
        } else {
            Err(tags::not_found(arn, &r))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every model operation is registered (and reaches its handler) or answers
    /// NotImplemented.
    #[test]
    fn the_registry_covers_the_model() {
        let names: Vec<&str> = registry::REGISTRY.iter().map(|(name, _)| *name).collect();
        nimbus_core::service::assert_registry_covers_model(&CloudWatch::new(), &names);
    }

    #[test]
    fn query_paths_name_members() {
        assert_eq!(query_path("MetricData.1.Value"), "MetricData.member.1.Value");
        assert_eq!(query_path("Namespace"), "Namespace");
    }
}
