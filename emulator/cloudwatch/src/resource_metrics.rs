//! Resource metrics configurations: detailed metrics CloudWatch collects for one AWS
//! resource, all of them or the ones a selection names. One configuration per resource
//! ARN; the resource must be in the caller's account and Region (nimbus cannot look into
//! every service, so that is what "exists" means here).

use std::collections::BTreeMap;

use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};

use crate::generated::dto::{
    CreateResourceMetricsConfigurationInput, CreateResourceMetricsConfigurationOutput,
    DeleteResourceMetricsConfigurationInput, DeleteResourceMetricsConfigurationOutput,
    GetResourceMetricsConfigurationInput, GetResourceMetricsConfigurationOutput, ResourceMetricSelection,
    ResourceMetricsConfiguration, UpdateResourceMetricsConfigurationInput, UpdateResourceMetricsConfigurationOutput,
};
use crate::CwState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Configuration {
    pub selections: Option<Vec<ResourceMetricSelection>>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// The configurations of one account and Region, by resource ARN.
pub type Configurations = BTreeMap<String, Configuration>;

fn not_found(arn: &str) -> ApiError {
    ApiError::new("ResourceNotFoundException", format!("No resource metrics configuration exists for {arn}."), 404)
}

/// The resource's account and Region must be the caller's (a global resource has no Region).
fn check_resource(ctx: &RequestContext, arn: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ours = parts.len() == 6 && parts[4] == ctx.account() && (parts[3].is_empty() || parts[3] == ctx.region);
    if !ours {
        return Err(ApiError::new("ResourceNotFoundException", format!("The resource {arn} does not exist."), 404));
    }
    Ok(())
}

fn out(arn: &str, c: &Configuration) -> ResourceMetricsConfiguration {
    let ts = |ms: i64| Timestamp::from_epoch_millis(ms).unwrap_or_default();
    ResourceMetricsConfiguration {
        resource_arn: arn.to_string(),
        created_at: ts(c.created_ms),
        updated_at: ts(c.updated_ms),
        metric_selections: c.selections.clone(),
    }
}

pub fn create_resource_metrics_configuration(
    state: &mut CwState,
    ctx: &RequestContext,
    input: CreateResourceMetricsConfigurationInput,
) -> Result<CreateResourceMetricsConfigurationOutput, ApiError> {
    check_resource(ctx, &input.resource_arn)?;
    if state.resource_metrics.contains_key(&input.resource_arn) {
        return Err(ApiError::new(
            "ConflictException",
            format!(
                "A resource metrics configuration already exists for {}. Use UpdateResourceMetricsConfiguration to change it.",
                input.resource_arn
            ),
            409,
        ));
    }
    let now_ms = ctx.now.timestamp_millis();
    let c = Configuration { selections: input.metric_selections, created_ms: now_ms, updated_ms: now_ms };
    let resource_metrics_configuration = out(&input.resource_arn, &c);
    state.resource_metrics.insert(input.resource_arn, c);
    Ok(CreateResourceMetricsConfigurationOutput { resource_metrics_configuration })
}

pub fn get_resource_metrics_configuration(
    state: &CwState,
    _ctx: &RequestContext,
    input: GetResourceMetricsConfigurationInput,
) -> Result<GetResourceMetricsConfigurationOutput, ApiError> {
    let c = state.resource_metrics.get(&input.resource_arn).ok_or_else(|| not_found(&input.resource_arn))?;
    Ok(GetResourceMetricsConfigurationOutput { resource_metrics_configuration: out(&input.resource_arn, c) })
}

/// Replaces the selections (none: every detailed metric).
pub fn update_resource_metrics_configuration(
    state: &mut CwState,
    ctx: &RequestContext,
    input: UpdateResourceMetricsConfigurationInput,
) -> Result<UpdateResourceMetricsConfigurationOutput, ApiError> {
    let c = state.resource_metrics.get_mut(&input.resource_arn).ok_or_else(|| not_found(&input.resource_arn))?;
    c.selections = input.metric_selections;
    c.updated_ms = ctx.now.timestamp_millis();
    Ok(UpdateResourceMetricsConfigurationOutput { resource_metrics_configuration: out(&input.resource_arn, c) })
}

pub fn delete_resource_metrics_configuration(
    state: &mut CwState,
    _ctx: &RequestContext,
    input: DeleteResourceMetricsConfigurationInput,
) -> Result<DeleteResourceMetricsConfigurationOutput, ApiError> {
    state.resource_metrics.remove(&input.resource_arn).ok_or_else(|| not_found(&input.resource_arn))?;
    Ok(DeleteResourceMetricsConfigurationOutput::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_configuration_per_resource() {
        let mut ctx = RequestContext::for_tests();
        let mut s = CwState::default();
        let arn = format!("arn:aws:ec2:{}:{}:instance/i-0123456789abcdef0", ctx.region, ctx.account());
        let select = |m: &str| Some(vec![ResourceMetricSelection { include_metrics: vec![m.to_string()] }]);
        let create = |s: &mut CwState, ctx: &RequestContext, arn: &str| {
            create_resource_metrics_configuration(
                s,
                ctx,
                CreateResourceMetricsConfigurationInput {
                    resource_arn: arn.into(),
                    metric_selections: select("CPUUtilization"),
                },
            )
        };
        let made = create(&mut s, &ctx, &arn).unwrap().resource_metrics_configuration;
        assert_eq!(made.created_at, made.updated_at);
        assert_eq!(create(&mut s, &ctx, &arn).unwrap_err().status, 409);
        let elsewhere = "arn:aws:ec2:us-east-1:999999999999:instance/i-0123456789abcdef0";
        assert_eq!(create(&mut s, &ctx, elsewhere).unwrap_err().code, "ResourceNotFoundException");
        ctx.now += chrono::Duration::seconds(5);
        let updated = update_resource_metrics_configuration(
            &mut s,
            &ctx,
            UpdateResourceMetricsConfigurationInput { resource_arn: arn.clone(), metric_selections: None },
        )
        .unwrap()
        .resource_metrics_configuration;
        assert!(updated.metric_selections.is_none() && updated.updated_at != updated.created_at);
        let get = |s: &CwState| {
            get_resource_metrics_configuration(
                s,
                &ctx,
                GetResourceMetricsConfigurationInput { resource_arn: arn.clone() },
            )
        };
        assert_eq!(get(&s).unwrap().resource_metrics_configuration.created_at, made.created_at);
        let delete = |s: &mut CwState| {
            delete_resource_metrics_configuration(
                s,
                &ctx,
                DeleteResourceMetricsConfigurationInput { resource_arn: arn.clone() },
            )
        };
        delete(&mut s).unwrap();
        assert_eq!(delete(&mut s).unwrap_err().status, 404);
        assert_eq!(get(&s).unwrap_err().status, 404);
    }
}
