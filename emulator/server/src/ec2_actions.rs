//! Alarms' EC2 actions (`arn:aws:automate:<region>:ec2:stop|terminate|reboot|recover`) act
//! on nimbus's instances: CloudWatch runs them through this hook after its own lock is
//! released, as the account that owns the alarm, at the time of nimbus's clock.

use std::sync::Arc;

use nimbus_core::clock::Clock;
use nimbus_core::model::Protocol;
use nimbus_core::service::Caller;
use nimbus_core::{RequestContext, Service};
use serde_json::json;

pub struct Ec2Actions {
    pub ec2: Arc<nimbus_ec2::Ec2>,
    pub clock: Arc<Clock>,
}

impl nimbus_cloudwatch::Ec2ActionHook for Ec2Actions {
    fn run(&self, account: &str, region: &str, instance_id: &str, action: &str) -> Result<(), String> {
        let ctx = RequestContext {
            caller: Caller {
                account: account.to_string(),
                access_key: String::new(),
                arn: format!("arn:aws:iam::{account}:root"),
                user_id: account.to_string(),
                session_token: None,
            },
            region: region.to_string(),
            request_id: nimbus_core::ids::request_id(),
            now: self.clock.now(),
            protocol: Protocol::Query,
            endpoint: None,
        };
        let ids = json!({"InstanceIds": [instance_id]});
        let result = match action {
            "stop" => self.ec2.call(&ctx, "StopInstances", ids),
            "terminate" => self.ec2.call(&ctx, "TerminateInstances", ids),
            "reboot" => self.ec2.call(&ctx, "RebootInstances", ids),
            // nimbus's instances have no failing host to move away from: recovering one
            // that exists is done.
            "recover" => self.ec2.call(&ctx, "DescribeInstances", ids),
            other => return Err(format!("Unsupported EC2 action: {other}")),
        };
        result.map(|_| ()).map_err(|e| e.message)
    }
}
