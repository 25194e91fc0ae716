//! EC2 and VPC. `state.rs` holds one partition's resources; each resource family has
//! its own file of handlers; `lib.rs` only dispatches.

mod filters;
mod generated;
mod regions;
mod state;

use nimbus_core::model::{Protocol, ServiceModel};
use nimbus_core::protocol::DecodeError;
use nimbus_core::service::invoke;
use nimbus_core::state::Partitioned;
use nimbus_core::{ApiError, RequestContext, Service};
use serde_json::Value;

use generated::errors;
pub use generated::model::MODEL;
pub use state::Ec2State;

#[derive(Default)]
pub struct Ec2 {
    state: Partitioned<Ec2State>,
}

impl Ec2 {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Service for Ec2 {
    fn model(&self) -> &'static ServiceModel {
        &MODEL
    }

    fn implemented(&self) -> &'static [&'static str] {
        generated::IMPLEMENTED
    }

    fn call(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, ApiError> {
        // Every EC2 action takes DryRun: answer as AWS does once the input is valid.
        if input.get("DryRun").and_then(Value::as_bool) == Some(true) {
            return Err(errors::dry_run_operation());
        }
        match operation {
            "DescribeRegions" => invoke(input, |i| regions::describe_regions(ctx, i)),
            "DescribeAvailabilityZones" => invoke(input, |i| regions::describe_availability_zones(ctx, i)),
            other => Err(ApiError::not_implemented("EC2", other)),
        }
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
    }

    fn state(&self) -> Value {
        self.state.dump()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatches_every_listed_operation() {
        let ec2 = Ec2::new();
        let ctx = RequestContext::for_tests();
        for op in ec2.implemented() {
            if let Err(e) = ec2.call(&ctx, op, serde_json::json!({})) {
                assert_ne!(e.code, "NotImplemented", "{op} is listed but not dispatched");
            }
        }
    }

    #[test]
    fn dry_run_answers_dry_run_operation() {
        let ec2 = Ec2::new();
        let err =
            ec2.call(&RequestContext::for_tests(), "DescribeRegions", serde_json::json!({"DryRun": true})).unwrap_err();
        assert_eq!((err.code.as_str(), err.status), ("DryRunOperation", 412));
    }
}
