//! AWS/EC2 metrics from the running sandboxes into CloudWatch: every 5 minutes (basic
//! monitoring) or every minute (detailed), each instance's CPUUtilization, NetworkIn/Out,
//! NetworkPacketsIn/Out, DiskReadBytes/WriteBytes and StatusCheckFailed(_Instance,
//! _System) over the period just ended, dimension InstanceId, at nimbus's clock.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nimbus_core::clock::Clock;
use nimbus_core::model::Protocol;
use nimbus_core::service::Caller;
use nimbus_core::RequestContext;
use nimbus_runtime::desired::Instance;
use nimbus_runtime::metrics::{Period, Sample};
use nimbus_runtime::{Desired, Runtime};
use serde_json::{json, Value};

/// Publishes the instances' metrics as their periods end.
pub struct Publisher {
    cloudwatch: Arc<nimbus_cloudwatch::CloudWatch>,
    clock: Arc<Clock>,
    /// Overrides the monitoring period (tests).
    period: Option<Duration>,
    last: BTreeMap<String, Sample>,
    sampled: Option<Instant>,
}

impl Publisher {
    pub fn new(
        cloudwatch: Arc<nimbus_cloudwatch::CloudWatch>,
        clock: Arc<Clock>,
        period: Option<Duration>,
    ) -> Publisher {
        Publisher { cloudwatch, clock, period, last: BTreeMap::new(), sampled: None }
    }

    /// Samples (at most once a second) and publishes every period that ended.
    pub fn tick(&mut self, runtime: &Runtime, desired: &Desired) {
        if self.sampled.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return;
        }
        self.sampled = Some(Instant::now());
        let by_id: BTreeMap<&str, &Instance> = desired.instances.iter().map(|i| (i.id.as_str(), i)).collect();
        let samples = runtime.sample();
        self.last.retain(|id, _| samples.iter().any(|s| &s.instance_id == id));
        for sample in samples {
            let Some(inst) = by_id.get(sample.instance_id.as_str()) else { continue };
            let period = self.period.unwrap_or(if inst.identity.detailed_monitoring {
                Duration::from_secs(60)
            } else {
                Duration::from_secs(300)
            });
            let Some(prev) = self.last.get(&sample.instance_id) else {
                self.last.insert(sample.instance_id.clone(), sample);
                continue;
            };
            if sample.at.duration_since(prev.at).unwrap_or_default() < period {
                continue;
            }
            if let Some(p) = Period::between(prev, &sample) {
                self.publish(inst, &p);
            }
            self.last.insert(sample.instance_id.clone(), sample);
        }
    }

    fn publish(&self, inst: &Instance, p: &Period) {
        let account = inst.identity.account_id.clone();
        let ctx = RequestContext {
            caller: Caller {
                arn: format!("arn:aws:iam::{account}:root"),
                user_id: account.clone(),
                account,
                access_key: String::new(),
                session_token: None,
            },
            region: inst.identity.region.clone(),
            request_id: nimbus_core::ids::request_id(),
            now: self.clock.now(),
            protocol: Protocol::Query,
            endpoint: None,
        };
        if let Err(e) = self.cloudwatch.publish_service_metrics(&ctx, input(&inst.id, p)) {
            tracing::warn!(instance = %inst.id, error = %e.message, "publishing AWS/EC2 metrics");
        }
    }
}

/// PutMetricData's input for one instance's period.
pub fn input(instance_id: &str, p: &Period) -> Value {
    let dims = json!([{"Name": "InstanceId", "Value": instance_id}]);
    let failed = p.status_check_failed_instance.max(p.status_check_failed_system);
    let data: Vec<Value> = [
        ("CPUUtilization", p.cpu_utilization, "Percent"),
        ("NetworkIn", p.network_in as f64, "Bytes"),
        ("NetworkOut", p.network_out as f64, "Bytes"),
        ("NetworkPacketsIn", p.network_packets_in as f64, "Count"),
        ("NetworkPacketsOut", p.network_packets_out as f64, "Count"),
        ("DiskReadBytes", p.disk_read_bytes as f64, "Bytes"),
        ("DiskWriteBytes", p.disk_write_bytes as f64, "Bytes"),
        ("StatusCheckFailed", f64::from(failed), "Count"),
        ("StatusCheckFailed_Instance", f64::from(p.status_check_failed_instance), "Count"),
        ("StatusCheckFailed_System", f64::from(p.status_check_failed_system), "Count"),
    ]
    .into_iter()
    .map(|(name, value, unit)| json!({"MetricName": name, "Dimensions": dims, "Value": value, "Unit": unit}))
    .collect();
    json!({"Namespace": "AWS/EC2", "MetricData": data})
}
