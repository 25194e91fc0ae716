//! Managed Contributor Insights rules: ListManagedInsightRules and PutManagedInsightRules.
//!
//! AWS offers managed rules for VPC endpoint services (AWS PrivateLink): four templates
//! per service, in the order ListManagedInsightRules gives them. Enabling one creates an
//! insight rule (DescribeInsightRules shows it with ManagedRule true) that
//! Enable/Disable/DeleteInsightRules manage and PutInsightRule cannot change; calling
//! PutManagedInsightRules again re-enables a disabled one. Like every insight rule in
//! nimbus, it analyses nothing (GetInsightRuleReport answers zeros).

use nimbus_core::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};

use crate::generated::dto::{
    ListManagedInsightRulesInput, ListManagedInsightRulesOutput, ManagedRuleDescription, ManagedRuleState,
    PartialFailure, PutManagedInsightRulesInput, PutManagedInsightRulesOutput,
};
use crate::records::{page_offset, page_token, Rule};
use crate::CwState;

/// The managed rule templates of a VPC endpoint service.
pub const ENDPOINT_SERVICE_TEMPLATES: [&str; 4] = [
    "VpcEndpointService-NewConnectionsByEndpointId-v1",
    "VpcEndpointService-BytesByEndpointId-v1",
    "VpcEndpointService-RstPacketsByEndpointId-v1",
    "VpcEndpointService-ActiveConnectionsByEndpointId-v1",
];

/// Where a managed rule comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    pub template: String,
    pub resource_arn: String,
}

/// The templates offered for `arn`: those of a VPC endpoint service in the caller's
/// account and region, none for another resource; a string that is no ARN is refused.
fn templates_for(ctx: &RequestContext, arn: &str) -> Result<&'static [&'static str], ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[1].is_empty() || parts[2].is_empty() || parts[5].is_empty() {
        return Err(ApiError::invalid_parameter_value(format!(
            "The value {arn} for parameter ResourceARN is not a valid ARN."
        )));
    }
    let service = parts[5].strip_prefix("vpc-endpoint-service/");
    let ours = parts[3] == ctx.region && parts[4] == ctx.account();
    Ok(match service {
        Some(id) if parts[2] == "ec2" && ours && id.starts_with("vpce-svc-") => &ENDPOINT_SERVICE_TEMPLATES,
        _ => &[],
    })
}

/// The insight rule a template makes for a resource: `<template>-<resource id>`.
fn rule_name(template: &str, arn: &str) -> String {
    let id = arn.rsplit('/').next().unwrap_or(arn);
    format!("{template}-{id}")
}

pub fn list_managed_insight_rules(
    state: &CwState,
    ctx: &RequestContext,
    input: ListManagedInsightRulesInput,
) -> Result<ListManagedInsightRulesOutput, ApiError> {
    let templates = templates_for(ctx, &input.resource_arn)?;
    let offset = page_offset("managed-rules", &input.next_token)?;
    let max = input.max_results.map_or(100, |m| m.max(1) as usize);
    let all: Vec<ManagedRuleDescription> = templates
        .iter()
        .map(|t| {
            let rule = state.records.rules.get(&rule_name(t, &input.resource_arn));
            ManagedRuleDescription {
                template_name: Some(t.to_string()),
                resource_arn: Some(input.resource_arn.clone()),
                rule_state: rule.map(|r| ManagedRuleState { rule_name: r.name.clone(), state: r.state.clone() }),
            }
        })
        .collect();
    Ok(ListManagedInsightRulesOutput {
        next_token: (offset + max < all.len()).then(|| page_token("managed-rules", offset + max)),
        managed_rules: Some(all.into_iter().skip(offset).take(max).collect()),
    })
}

pub fn put_managed_insight_rules(
    state: &mut CwState,
    ctx: &RequestContext,
    input: PutManagedInsightRulesInput,
) -> Result<PutManagedInsightRulesOutput, ApiError> {
    let mut failures = Vec::new();
    for m in input.managed_rules {
        let templates = templates_for(ctx, &m.resource_arn)?;
        if !templates.contains(&m.template_name.as_str()) {
            failures.push(PartialFailure {
                failure_resource: Some(m.template_name.clone()),
                exception_type: Some("InvalidParameterValueException".into()),
                failure_code: Some("400".into()),
                failure_description: Some(format!(
                    "The template {} is not available for the resource {}.",
                    m.template_name, m.resource_arn
                )),
            });
            continue;
        }
        let name = rule_name(&m.template_name, &m.resource_arn);
        if let Some(existing) = state.records.rules.get_mut(&name) {
            // Tags of an existing rule are left as they are.
            existing.state = "ENABLED".into();
            continue;
        }
        let arn = format!("arn:aws:cloudwatch:{}:{}:insight-rule/{name}", ctx.region, ctx.account());
        state.tags.set(&arn, m.tags.iter().flatten().map(|t| (t.key.clone(), t.value.clone())).collect());
        let definition = serde_json::json!({
            "Schema": {"Name": "CloudWatchManagedRule", "Version": 1},
            "TemplateName": m.template_name,
            "ResourceARN": m.resource_arn,
        });
        state.records.rules.insert(
            name.clone(),
            Rule {
                name,
                arn,
                state: "ENABLED".into(),
                schema: "CloudWatchManagedRule/1".into(),
                definition: definition.to_string(),
                apply_on_transformed_logs: None,
                managed: Some(Origin { template: m.template_name, resource_arn: m.resource_arn }),
            },
        );
    }
    Ok(PutManagedInsightRulesOutput { failures: Some(failures) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::{
        DescribeInsightRulesInput, DisableInsightRulesInput, ManagedRule, PutInsightRuleInput,
    };
    use crate::records;

    const SERVICE: &str = "arn:aws:ec2:us-east-1:000000000000:vpc-endpoint-service/vpce-svc-0123456789abcdef0";

    fn list(s: &CwState, arn: &str) -> Vec<ManagedRuleDescription> {
        let input = ListManagedInsightRulesInput { resource_arn: arn.into(), ..Default::default() };
        list_managed_insight_rules(s, &RequestContext::for_tests(), input).unwrap().managed_rules.unwrap()
    }

    fn put(s: &mut CwState, template: &str) -> Vec<PartialFailure> {
        let rule = ManagedRule { template_name: template.into(), resource_arn: SERVICE.into(), tags: None };
        let input = PutManagedInsightRulesInput { managed_rules: vec![rule] };
        put_managed_insight_rules(s, &RequestContext::for_tests(), input).unwrap().failures.unwrap()
    }

    #[test]
    fn templates_enable_managed_rules() {
        let (mut s, ctx) = (CwState::default(), RequestContext::for_tests());
        let before = list(&s, SERVICE);
        assert_eq!(before.len(), 4);
        assert!(before.iter().all(|r| r.rule_state.is_none()));
        assert!(put(&mut s, ENDPOINT_SERVICE_TEMPLATES[1]).is_empty());
        let after = list(&s, SERVICE);
        let state = after[1].rule_state.as_ref().unwrap();
        assert_eq!(state.rule_name, "VpcEndpointService-BytesByEndpointId-v1-vpce-svc-0123456789abcdef0");
        assert_eq!(state.state, "ENABLED");
        let described = records::describe_insight_rules(&s, &ctx, DescribeInsightRulesInput::default()).unwrap();
        assert_eq!(described.insight_rules.unwrap()[0].managed_rule, Some(true));
        // Disabled, then enabled again by PutManagedInsightRules; never by PutInsightRule.
        let name = state.rule_name.clone();
        records::disable_insight_rules(&mut s, &ctx, DisableInsightRulesInput { rule_names: vec![name.clone()] })
            .unwrap();
        assert_eq!(list(&s, SERVICE)[1].rule_state.as_ref().unwrap().state, "DISABLED");
        put(&mut s, ENDPOINT_SERVICE_TEMPLATES[1]);
        assert_eq!(list(&s, SERVICE)[1].rule_state.as_ref().unwrap().state, "ENABLED");
        let edit = PutInsightRuleInput { rule_name: name, rule_definition: "{}".into(), ..Default::default() };
        assert_eq!(records::put_insight_rule(&mut s, &ctx, edit).unwrap_err().code, "InvalidParameterValue");
    }

    #[test]
    fn other_resources_and_bad_input() {
        let mut s = CwState::default();
        assert!(list(&s, "arn:aws:ecs:us-east-1:000000000000:service/x").is_empty());
        assert!(
            list(&s, "arn:aws:ec2:eu-west-1:000000000000:vpc-endpoint-service/vpce-svc-0123456789abcdef0").is_empty()
        );
        let failures = put(&mut s, "DynamoDBContributorInsights-PKC-v1");
        assert_eq!(failures[0].exception_type.as_deref(), Some("InvalidParameterValueException"));
        let input = ListManagedInsightRulesInput { resource_arn: "not-an-arn".into(), ..Default::default() };
        let err = list_managed_insight_rules(&s, &RequestContext::for_tests(), input).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        let paged =
            ListManagedInsightRulesInput { resource_arn: SERVICE.into(), max_results: Some(3), ..Default::default() };
        let first = list_managed_insight_rules(&s, &RequestContext::for_tests(), paged.clone()).unwrap();
        assert_eq!(first.managed_rules.unwrap().len(), 3);
        let rest = ListManagedInsightRulesInput { next_token: first.next_token, ..paged };
        assert_eq!(
            list_managed_insight_rules(&s, &RequestContext::for_tests(), rest).unwrap().managed_rules.unwrap().len(),
            1
        );
    }
}
