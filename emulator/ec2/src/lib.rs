//! EC2 and VPC. `state.rs` holds one partition's resources; each resource family has
//! its own file of handlers; the generated registry (`registry.rs`) routes operations to
//! them, and this file applies what all EC2 actions share: the default VPC on first use, lifecycles brought up to the clock,
//! `DryRun` and `ClientToken`.

mod account;
mod catalogue;
mod compute;

pub use state::host;
mod connectivity;
mod ebs;
mod generated;
mod images;
mod insights;
mod ipam;
mod keys;
mod registry;
mod state;
mod tagging;
mod transit;
mod verified_access;
mod vpc;

use nimbus_core::model::{Protocol, ServiceModel};
use nimbus_core::protocol::DecodeError;
use nimbus_core::service::Output;
use nimbus_core::state::Partitioned;
use nimbus_core::{ApiError, RequestContext, Service};
use serde_json::Value;

pub use catalogue::names::{instance_type_shape, public_image_ids, public_image_name};
pub use catalogue::seed_images::{SeedImageError, SeedImages};
use generated::errors;
pub use generated::model::MODEL;
use registry::Handler;
use state::shared::Shared;
pub use state::shared::{ParameterRefusal, ParameterResolver};
pub use state::Ec2State;

pub struct Ec2 {
    state: Partitioned<Ec2State>,
    settings: Ec2Settings,
    /// Every partition's images and snapshots, for the accounts they are shared with and
    /// the owner's other regions (see `shared.rs`).
    shared: Shared,
}

/// How nimbus's EC2 behaves where AWS's timing and quotas are not the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ec2Settings {
    /// Seconds each lifecycle step takes on nimbus's clock (`pending` -> `running`,
    /// `stopping` -> `stopped`, ...). 0 by default: answers still say `pending`, the
    /// next Describe shows the settled state, so waiters and tools never wait.
    pub transition_delay_secs: u32,
    /// Instances an account may have in a region (AWS's On-Demand quota).
    pub instance_quota: usize,
    /// Seconds a terminated instance stays visible before it vanishes (AWS: about an hour).
    pub terminated_visible_secs: u32,
}

impl Default for Ec2Settings {
    fn default() -> Self {
        Ec2Settings {
            transition_delay_secs: 0,
            instance_quota: compute::instances::lifecycle::DEFAULT_INSTANCE_QUOTA,
            terminated_visible_secs: compute::instances::lifecycle::DEFAULT_TERMINATED_VISIBLE_SECS,
        }
    }
}

impl Default for Ec2 {
    fn default() -> Self {
        Ec2::new(Ec2Settings::default())
    }
}

impl Ec2 {
    pub fn new(settings: Ec2Settings) -> Self {
        Ec2 { state: Partitioned::new(), settings, shared: Shared::default() }
    }

    /// Instances run on `host` from now on (`--instances run`): GetConsoleOutput and
    /// DescribeInstanceStatus answer from it. `false` when a host was set before.
    pub fn set_instance_host(&self, host: std::sync::Arc<dyn host::InstanceHost>) -> bool {
        self.shared.set_host(host)
    }

    /// Where `resolve:ssm:` image ids are looked up (SSM, wired by the server).
    pub fn with_parameters(mut self, resolver: std::sync::Arc<dyn ParameterResolver>) -> Self {
        self.shared.set_parameters(resolver);
        self
    }
}

/// Runs a registered operation on the partition, as the registry says: a read sees it
/// shared, a write changes it.
fn dispatch(
    s: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    handler: &Handler,
    input: Value,
) -> Result<Output, ApiError> {
    match handler {
        Handler::Read(f) => f(s, ctx, shared, input),
        Handler::Write(f) => f(s, ctx, shared, input),
    }
}

/// A write, answered once per ClientToken: the same token with the same request gets the
/// first answer again; with another request, IdempotentParameterMismatch.
fn dispatch_write(
    s: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    (operation, handler): (&str, &Handler),
    input: Value,
    token: Option<String>,
) -> Result<Output, ApiError> {
    let Some(token) = token.filter(|_| !handler.reads()) else {
        return dispatch(s, ctx, shared, handler, input);
    };
    let key = (operation.to_string(), token.clone());
    if let Some((previous_input, previous_output)) = s.client_tokens.get(&key) {
        return if *previous_input == input {
            Ok(Output::Doc(previous_output.clone()))
        } else {
            Err(errors::idempotent_parameter_mismatch(&token))
        };
    }
    let output = dispatch(s, ctx, shared, handler, input.clone())?.into_value()?;
    s.client_tokens.insert(key, (input, output.clone()));
    Ok(Output::Doc(output))
}

/// Whether a read can be answered from the partition as it is: set up (the default VPC
/// exists) and with no lifecycle due to move on. Otherwise the read writes first.
fn settled(s: &Ec2State, now: chrono::DateTime<chrono::Utc>) -> bool {
    s.initialized && (s.quiescent || !due_by(s, now))
}

/// Whether any lifecycle of the partition has a transition due by `now`.
fn due_by(s: &Ec2State, now: chrono::DateTime<chrono::Utc>) -> bool {
    vpc::nat_gateways::needs_settling(s, now)
        || compute::instances::lifecycle::needs_settling(s, now)
        || ebs::volumes::lifecycle::needs_settling(s, now)
        || ebs::snapshots::needs_settling(s, now)
        || images::lookup::needs_settling(s, now)
        || images::imports::needs_settling(s, now)
}

/// A century: later than any transition nimbus schedules (the longest is a terminated
/// instance's visibility), early enough for date arithmetic to stay in range.
const NEVER: chrono::Duration = chrono::Duration::days(36_500);

impl Service for Ec2 {
    fn model(&self) -> &'static ServiceModel {
        &MODEL
    }

    fn implemented(&self) -> &'static [&'static str] {
        generated::IMPLEMENTED
    }

    fn call(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, ApiError> {
        self.answer(ctx, operation, input)?.into_value()
    }

    fn answer(&self, ctx: &RequestContext, operation: &str, mut input: Value) -> Result<Output, ApiError> {
        let Some(handler) = registry::lookup(operation) else {
            return Err(ApiError::not_implemented("EC2", operation));
        };
        let dry_run = input.as_object_mut().and_then(|o| o.remove("DryRun")).and_then(|v| v.as_bool()) == Some(true);
        let token = input.get("ClientToken").and_then(Value::as_str).map(str::to_string);
        // Reads of a settled partition share its lock; everything else takes it alone.
        if let (Handler::Read(read), false) = (handler, dry_run) {
            let answered = self.state.read(ctx.account(), &ctx.region, |s| {
                settled(s, ctx.now).then(|| read(s, ctx, &self.shared, input.clone()))
            });
            if let Some(result) = answered {
                return result;
            }
        }
        self.state.write(ctx.account(), &ctx.region, |s| {
            let result = self.write_settled(s, ctx, (operation, handler), input, dry_run, token);
            // What the call scheduled decides whether reads must look for due transitions:
            // nothing due even a century from now means nothing is in transition.
            s.quiescent = !due_by(s, ctx.now + NEVER);
            #[cfg(debug_assertions)]
            s.check_index();
            result
        })
    }

    fn decode_error(&self, err: &DecodeError, protocol: Protocol) -> ApiError {
        match err {
            DecodeError::Missing(name) => errors::missing_parameter(name),
            DecodeError::Type { path, value, .. } => {
                errors::invalid_parameter_value(format!("Value ({value}) for parameter {path} is invalid."))
            }
            other => other.to_api_error(protocol),
        }
    }

    fn validates_constraints(&self) -> bool {
        false
    }

    fn reset(&self) {
        self.state.clear();
        self.shared.clear();
    }

    fn state(&self) -> Value {
        self.state.dump()
    }

    fn partitions(&self) -> Vec<(String, String)> {
        self.state.partitions().into_iter().map(|(key, _)| key).collect()
    }

    /// Writes, and reads that set up the partition or settle lifecycles on their way.
    fn mutates(&self, ctx: &RequestContext, operation: &str) -> bool {
        !registry::lookup(operation).is_some_and(Handler::reads)
            || !self.state.read(ctx.account(), &ctx.region, |s| settled(s, ctx.now))
    }

    fn snapshot(&self) -> Result<Value, String> {
        self.state.try_dump()
    }

    /// The partitions come back as they were; the cross-partition registry of images
    /// and snapshots is published again from them.
    fn restore(&self, snapshot: Value) -> Result<(), String> {
        self.state.restore(snapshot)?;
        self.shared.clear();
        for ((account, region), part) in self.state.partitions() {
            let mut state = nimbus_core::state::write(&part);
            let ids: Vec<String> = state
                .images
                .keys()
                .chain(state.snapshots.keys())
                .chain(state.transit.attachments.iter().filter(|(_, a)| a.peering().is_some()).map(|(id, _)| id))
                .chain(state.transit.gateways.keys())
                .chain(state.endpoint_services.services.keys())
                .chain(state.endpoint_services.requests.keys())
                .cloned()
                .collect();
            state.unpublished.extend(ids);
            self.shared.publish(&account, &region, &mut state);
        }
        Ok(())
    }
}

impl Ec2 {
    /// The write path: the partition set up and settled, then the operation.
    fn write_settled(
        &self,
        s: &mut Ec2State,
        ctx: &RequestContext,
        (operation, handler): (&str, &Handler),
        input: Value,
        dry_run: bool,
        token: Option<String>,
    ) -> Result<Output, ApiError> {
        vpc::vpcs::ensure_initialized(s, ctx);
        s.transition_delay_secs = self.settings.transition_delay_secs;
        s.instance_quota = self.settings.instance_quota;
        s.terminated_visible_secs = Some(self.settings.terminated_visible_secs);
        // Lifecycles move on with the clock before anything looks at them (the index
        // says which instances and volumes may move).
        s.build_index();
        vpc::nat_gateways::settle(s, ctx.now);
        compute::instances::lifecycle::settle(s, ctx.now);
        ebs::volumes::lifecycle::settle(s, ctx.now);
        ebs::snapshots::settle(s, ctx.now);
        images::lookup::settle(s, ctx.now);
        images::imports::settle(s, ctx);
        s.prune_moving();
        let shared = &self.shared;
        // Maintain fleets replace what the clock terminated or stopped.
        compute::fleets::engine::maintain_all(s, ctx, shared);
        if dry_run {
            // The request is checked in full, on a copy, then answered as AWS does.
            match handler {
                Handler::Read(read) => read(s, ctx, shared, input)?,
                Handler::Write(write) => write(&mut s.clone(), ctx, shared, input)?,
            };
            return Err(errors::dry_run_operation());
        }
        // What the request changes of the partition's images and snapshots is
        // published for the other partitions before the partition's lock is released.
        let result = dispatch_write(s, ctx, shared, (operation, handler), input, token);
        shared.publish(ctx.account(), &ctx.region, s);
        result
    }
}

/// Drives the service as the dispatcher does, for the handlers' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use nimbus_core::{RequestContext, Service};
    use serde_json::{json, Value};

    use crate::Ec2;

    pub fn call(ec2: &Ec2, ctx: &RequestContext, op: &str, input: Value) -> Value {
        ec2.call(ctx, op, input.clone()).unwrap_or_else(|e| panic!("{op} {input}: {} {}", e.code, e.message))
    }

    /// The error code an operation is refused with.
    pub fn refused(ec2: &Ec2, ctx: &RequestContext, op: &str, input: Value) -> String {
        match ec2.call(ctx, op, input.clone()) {
            Ok(out) => panic!("{op} {input} succeeded: {out}"),
            Err(e) => e.code,
        }
    }

    /// A VPC with one subnet (and, with `igw`, an internet gateway attached).
    pub fn network(ec2: &Ec2, ctx: &RequestContext, subnet_cidr: &str, igw: bool) -> (String, String) {
        let vpc = call(ec2, ctx, "CreateVpc", json!({"CidrBlock": "10.0.0.0/16"}))["Vpc"]["VpcId"]
            .as_str()
            .unwrap()
            .to_string();
        let subnet = call(ec2, ctx, "CreateSubnet", json!({"VpcId": vpc, "CidrBlock": subnet_cidr}))["Subnet"]
            ["SubnetId"]
            .as_str()
            .unwrap()
            .to_string();
        if igw {
            let g = call(ec2, ctx, "CreateInternetGateway", json!({}))["InternetGateway"]["InternetGatewayId"].clone();
            call(ec2, ctx, "AttachInternetGateway", json!({"InternetGatewayId": g, "VpcId": vpc}));
        }
        (vpc, subnet)
    }

    pub fn available_ips(ec2: &Ec2, ctx: &RequestContext, subnet: &str) -> i64 {
        call(ec2, ctx, "DescribeSubnets", json!({"SubnetIds": [subnet]}))["Subnets"][0]["AvailableIpAddressCount"]
            .as_i64()
            .unwrap()
    }

    /// The context `secs` seconds later on nimbus's clock.
    pub fn later(ctx: &RequestContext, secs: i64) -> RequestContext {
        let mut c = ctx.clone();
        c.now += chrono::Duration::seconds(secs);
        c
    }

    /// A service whose lifecycles take `secs` per step (0 by default).
    pub fn with_delay(secs: u32) -> Ec2 {
        Ec2::new(crate::Ec2Settings { transition_delay_secs: secs, ..Default::default() })
    }

    /// A public AL2023 x86_64 image of the context's region.
    pub fn al2023(ec2: &Ec2, ctx: &RequestContext) -> String {
        let filters = json!([{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}]);
        let out = call(ec2, ctx, "DescribeImages", json!({"Owners": ["amazon"], "Filters": filters}));
        str_at(&out, "/Images/0/ImageId")
    }

    /// Launches one instance (with `extra` merged into the request): (instance id, zone).
    pub fn launch(ec2: &Ec2, ctx: &RequestContext, image: &str, extra: Value) -> (String, String) {
        let mut input = json!({"ImageId": image, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro"});
        for (k, v) in extra.as_object().into_iter().flatten() {
            input[k] = v.clone();
        }
        let out = call(ec2, ctx, "RunInstances", input);
        (str_at(&out, "/Instances/0/InstanceId"), str_at(&out, "/Instances/0/Placement/AvailabilityZone"))
    }

    pub fn str_at(v: &Value, pointer: &str) -> String {
        v.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("no {pointer} in {v}")).to_string()
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
        nimbus_core::service::assert_registry_covers_model(&Ec2::default(), &names);
    }

    #[test]
    fn dry_run_answers_dry_run_operation_and_changes_nothing() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let err = ec2.call(&ctx, "DescribeRegions", serde_json::json!({"DryRun": true})).unwrap_err();
        assert_eq!((err.code.as_str(), err.status), ("DryRunOperation", 412));
        let err =
            ec2.call(&ctx, "CreateVpc", serde_json::json!({"DryRun": true, "CidrBlock": "10.0.0.0/16"})).unwrap_err();
        assert_eq!(err.code, "DryRunOperation");
        let err =
            ec2.call(&ctx, "CreateVpc", serde_json::json!({"DryRun": true, "CidrBlock": "10.0.0.0/8"})).unwrap_err();
        assert_eq!(err.code, "InvalidVpc.Range");
        let vpcs = ec2.call(&ctx, "DescribeVpcs", serde_json::json!({})).unwrap();
        assert_eq!(vpcs["Vpcs"].as_array().unwrap().len(), 1, "only the default VPC");
    }

    /// Reads skip the scan for due transitions when the last write left nothing in
    /// transition; at every instant that shortcut must agree with the scan.
    #[test]
    fn the_quiescent_shortcut_agrees_with_the_scan() {
        use crate::testing;
        let ec2 = testing::with_delay(5);
        let ctx = RequestContext::for_tests();
        let agrees = |ctx: &RequestContext| {
            for secs in [0, 4, 6, 3_599, 3_601, 86_400] {
                let at = ctx.now + chrono::Duration::seconds(secs);
                ec2.state.read(ctx.account(), &ctx.region, |s| {
                    assert_eq!(settled(s, at), s.initialized && !due_by(s, at), "at +{secs}s");
                });
            }
        };
        let image = testing::al2023(&ec2, &ctx);
        let (id, _) = testing::launch(&ec2, &ctx, &image, serde_json::json!({}));
        agrees(&ctx);
        let quiescent = |ctx: &RequestContext| ec2.state.read(ctx.account(), &ctx.region, |s| s.quiescent);
        assert!(!quiescent(&ctx), "a pending instance is in transition");
        let later = testing::later(&ctx, 10);
        testing::call(&ec2, &later, "DescribeInstances", serde_json::json!({}));
        assert!(quiescent(&later), "running, nothing in transition");
        agrees(&later);
        testing::call(&ec2, &later, "StopInstances", serde_json::json!({ "InstanceIds": [id] }));
        assert!(!quiescent(&later), "stopping");
        agrees(&later);
        let stopped = testing::later(&later, 10);
        let answer = testing::call(&ec2, &stopped, "DescribeInstances", serde_json::json!({}));
        assert_eq!(testing::str_at(&answer, "/Reservations/0/Instances/0/State/Name"), "stopped");
        testing::call(&ec2, &stopped, "TerminateInstances", serde_json::json!({ "InstanceIds": [id] }));
        let gone = testing::later(&stopped, 4_000);
        testing::call(&ec2, &gone, "DescribeVpcs", serde_json::json!({}));
        agrees(&gone);
        let answer = testing::call(&ec2, &gone, "DescribeInstances", serde_json::json!({}));
        assert_eq!(answer["Reservations"], serde_json::json!([]), "terminated instances vanish after an hour");
    }

    /// The index of what is in transition (`state/index.rs`) lets a write settle only
    /// what may move; over random launches, stops, starts, terminations, volumes created,
    /// attached and detached and the clock moving on, what it finds due agrees with a
    /// scan of every resource, at every instant looked at (and every write checks in
    /// debug builds that it misses nothing).
    #[test]
    fn the_index_of_moving_resources_agrees_with_the_full_scan() {
        use crate::testing::{self, call, str_at};
        use serde_json::json;
        let ec2 = testing::with_delay(5);
        let mut ctx = RequestContext::for_tests();
        let image = testing::al2023(&ec2, &ctx);
        let (_, subnet) = testing::network(&ec2, &ctx, "10.0.0.0/24", false);
        let mut seed = 14u64;
        let mut below = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n.max(1) as u64) as usize
        };
        let (mut instances, mut volumes): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        for step in 0..300 {
            let pick = |list: &Vec<String>, i: usize| list.get(i % list.len().max(1)).cloned();
            let n = below(1_000);
            let _ = match below(9) {
                0 | 1 => {
                    let (id, _) = testing::launch(&ec2, &ctx, &image, json!({"SubnetId": subnet}));
                    instances.push(id);
                    Ok(json!({}))
                }
                2 => pick(&instances, n)
                    .map_or(Ok(json!({})), |id| ec2.call(&ctx, "StopInstances", json!({"InstanceIds": [id]}))),
                3 => pick(&instances, n)
                    .map_or(Ok(json!({})), |id| ec2.call(&ctx, "StartInstances", json!({"InstanceIds": [id]}))),
                4 => pick(&instances, n)
                    .map_or(Ok(json!({})), |id| ec2.call(&ctx, "TerminateInstances", json!({"InstanceIds": [id]}))),
                5 => {
                    let zone = "us-east-1a";
                    let out = call(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": zone, "Size": 8}));
                    volumes.push(str_at(&out, "/VolumeId"));
                    Ok(out)
                }
                6 => match (pick(&volumes, n), pick(&instances, n / 7)) {
                    (Some(v), Some(i)) => ec2.call(
                        &ctx,
                        "AttachVolume",
                        json!({"VolumeId": v, "InstanceId": i, "Device": format!("/dev/sd{}", ['f', 'g', 'h'][n % 3])}),
                    ),
                    _ => Ok(json!({})),
                },
                7 => {
                    pick(&volumes, n).map_or(Ok(json!({})), |v| ec2.call(&ctx, "DetachVolume", json!({"VolumeId": v})))
                }
                _ => {
                    let secs = if n < 20 { 4_000 } else { (n % 8) as i64 };
                    ctx = testing::later(&ctx, secs);
                    ec2.call(&ctx, "DescribeVpcs", json!({}))
                }
            };
            ec2.state.read(ctx.account(), &ctx.region, |s| {
                let mut scanned = s.clone();
                scanned.index = Default::default();
                assert_eq!(s.live_instances(), scanned.live_instances(), "step {step}");
                for secs in [0, 1, 4, 5, 6, 11, 3_601, 4_000] {
                    let at = ctx.now + chrono::Duration::seconds(secs);
                    assert_eq!(due_by(s, at), due_by(&scanned, at), "step {step}, at +{secs}s");
                }
                for id in &instances {
                    let attached = |s: &Ec2State| {
                        let interfaces = compute::instances::lifecycle::attached_interfaces(s, id);
                        (interfaces, ebs::volumes::records::attached_to(s, id))
                    };
                    assert_eq!(attached(s), attached(&scanned), "step {step}, {id}");
                }
            });
        }
    }
}
