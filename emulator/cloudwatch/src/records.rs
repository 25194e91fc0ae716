//! Metric streams and Contributor Insights rules, kept as records: they are created,
//! described, started, stopped, enabled, disabled and deleted as at AWS, but nimbus
//! streams nothing to Firehose and analyses no logs.

use std::collections::BTreeMap;

use base64::Engine as _;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::generated::dto::{
    DeleteInsightRulesInput, DeleteInsightRulesOutput, DeleteMetricStreamInput, DeleteMetricStreamOutput,
    DescribeInsightRulesInput, DescribeInsightRulesOutput, DisableInsightRulesInput, DisableInsightRulesOutput,
    EnableInsightRulesInput, EnableInsightRulesOutput, GetMetricStreamInput, GetMetricStreamOutput, InsightRule,
    ListMetricStreamsInput, ListMetricStreamsOutput, MetricStreamEntry, PartialFailure, PutInsightRuleInput,
    PutInsightRuleOutput, PutMetricStreamInput, PutMetricStreamOutput, StartMetricStreamsInput,
    StartMetricStreamsOutput, StopMetricStreamsInput, StopMetricStreamsOutput,
};
use crate::CwState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricStream {
    pub input: PutMetricStreamInput,
    pub arn: String,
    #[serde(deserialize_with = "crate::snapshot::known")]
    pub state: crate::snapshot::Known,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub arn: String,
    pub state: String,
    pub schema: String,
    pub definition: String,
    pub apply_on_transformed_logs: Option<bool>,
    /// A managed rule's template and resource (PutManagedInsightRules).
    #[serde(default)]
    pub managed: Option<crate::managed_rules::Origin>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Records {
    pub streams: BTreeMap<String, MetricStream>,
    pub rules: BTreeMap<String, Rule>,
}

pub(crate) fn page_token(kind: &str, offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("nimbus-{kind}:{offset}"))
}

pub(crate) fn page_offset(kind: &str, token: &Option<String>) -> Result<usize, ApiError> {
    match token {
        None => Ok(0),
        Some(t) => base64::engine::general_purpose::STANDARD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix(&format!("nimbus-{kind}:")).and_then(|n| n.parse().ok()))
            .ok_or_else(|| ApiError::client("InvalidNextToken", format!("The NextToken '{t}' is invalid."))),
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn stream_not_found(name: &str) -> ApiError {
    ApiError::new("ResourceNotFoundException", format!("Metric stream {name} does not exist."), 404)
        .with_details(serde_json::json!({"ResourceType": "MetricStream", "ResourceId": name}))
}

pub fn put_metric_stream(
    state: &mut CwState,
    ctx: &RequestContext,
    mut input: PutMetricStreamInput,
) -> Result<PutMetricStreamOutput, ApiError> {
    let (records, tags) = (&mut state.records, &mut state.tags);
    if !valid_name(&input.name) {
        return Err(ApiError::invalid_parameter_value(format!(
            "The value {} for parameter Name is invalid: use letters, digits, '-' and '_'.",
            input.name
        )));
    }
    if input.include_filters.as_ref().is_some_and(|f| !f.is_empty())
        && input.exclude_filters.as_ref().is_some_and(|f| !f.is_empty())
    {
        return Err(ApiError::client(
            "InvalidParameterCombination",
            "The parameters IncludeFilters and ExcludeFilters are mutually exclusive and you have specified both.",
        ));
    }
    for arn in [&input.firehose_arn, &input.role_arn] {
        if !arn.starts_with("arn:") {
            return Err(ApiError::invalid_parameter_value(format!("The value {arn} is not a valid ARN.")));
        }
    }
    let now_ms = ctx.now.timestamp_millis();
    let arn = format!("arn:aws:cloudwatch:{}:{}:metric-stream/{}", ctx.region, ctx.account(), input.name);
    let new_tags = input.tags.take();
    let created_ms = records.streams.get(&input.name).map_or(now_ms, |s| s.created_ms);
    if !records.streams.contains_key(&input.name) {
        tags.set(&arn, new_tags.iter().flatten().map(|t| (t.key.clone(), t.value.clone())).collect());
    }
    let state = records.streams.get(&input.name).map_or("running", |s| s.state);
    records
        .streams
        .insert(input.name.clone(), MetricStream { input, arn: arn.clone(), state, created_ms, updated_ms: now_ms });
    Ok(PutMetricStreamOutput { arn: Some(arn) })
}

pub fn get_metric_stream(
    state: &CwState,
    _ctx: &RequestContext,
    input: GetMetricStreamInput,
) -> Result<GetMetricStreamOutput, ApiError> {
    let records = &state.records;
    let s = records.streams.get(&input.name).ok_or_else(|| stream_not_found(&input.name))?;
    Ok(GetMetricStreamOutput {
        arn: Some(s.arn.clone()),
        name: Some(s.input.name.clone()),
        include_filters: Some(s.input.include_filters.clone().unwrap_or_default()),
        exclude_filters: Some(s.input.exclude_filters.clone().unwrap_or_default()),
        firehose_arn: Some(s.input.firehose_arn.clone()),
        role_arn: Some(s.input.role_arn.clone()),
        state: Some(s.state.to_string()),
        creation_date: Timestamp::from_epoch_millis(s.created_ms),
        last_update_date: Timestamp::from_epoch_millis(s.updated_ms),
        output_format: Some(s.input.output_format.clone()),
        statistics_configurations: Some(s.input.statistics_configurations.clone().unwrap_or_default()),
        include_linked_accounts_metrics: Some(s.input.include_linked_accounts_metrics.unwrap_or(false)),
    })
}

pub fn list_metric_streams(
    state: &CwState,
    _ctx: &RequestContext,
    input: ListMetricStreamsInput,
) -> Result<ListMetricStreamsOutput, ApiError> {
    let records = &state.records;
    let max = input.max_results.map_or(100, |m| m.max(1) as usize);
    let offset = page_offset("metric-streams", &input.next_token)?;
    let all: Vec<&MetricStream> = records.streams.values().collect();
    let entries = all
        .iter()
        .skip(offset)
        .take(max)
        .map(|s| MetricStreamEntry {
            arn: Some(s.arn.clone()),
            creation_date: Timestamp::from_epoch_millis(s.created_ms),
            last_update_date: Timestamp::from_epoch_millis(s.updated_ms),
            name: Some(s.input.name.clone()),
            firehose_arn: Some(s.input.firehose_arn.clone()),
            state: Some(s.state.to_string()),
            output_format: Some(s.input.output_format.clone()),
        })
        .collect();
    Ok(ListMetricStreamsOutput {
        entries: Some(entries),
        next_token: (offset + max < all.len()).then(|| page_token("metric-streams", offset + max)),
    })
}

pub fn delete_metric_stream(
    state: &mut CwState,
    _ctx: &RequestContext,
    input: DeleteMetricStreamInput,
) -> Result<DeleteMetricStreamOutput, ApiError> {
    let (records, tags) = (&mut state.records, &mut state.tags);
    // Deleting a stream that does not exist succeeds, as at AWS.
    if let Some(s) = records.streams.remove(&input.name) {
        tags.remove(&s.arn);
    }
    Ok(DeleteMetricStreamOutput::default())
}

fn set_stream_state(records: &mut Records, names: &[String], state: &'static str, now_ms: i64) -> Result<(), ApiError> {
    if let Some(missing) = names.iter().find(|n| !records.streams.contains_key(n.as_str())) {
        return Err(stream_not_found(missing));
    }
    for n in names {
        if let Some(s) = records.streams.get_mut(n) {
            s.state = state;
            s.updated_ms = now_ms;
        }
    }
    Ok(())
}

pub fn start_metric_streams(
    state: &mut CwState,
    ctx: &RequestContext,
    input: StartMetricStreamsInput,
) -> Result<StartMetricStreamsOutput, ApiError> {
    let records = &mut state.records;
    set_stream_state(records, &input.names, "running", ctx.now.timestamp_millis())?;
    Ok(StartMetricStreamsOutput::default())
}

pub fn stop_metric_streams(
    state: &mut CwState,
    ctx: &RequestContext,
    input: StopMetricStreamsInput,
) -> Result<StopMetricStreamsOutput, ApiError> {
    let records = &mut state.records;
    set_stream_state(records, &input.names, "stopped", ctx.now.timestamp_millis())?;
    Ok(StopMetricStreamsOutput::default())
}

pub fn put_insight_rule(
    state: &mut CwState,
    ctx: &RequestContext,
    input: PutInsightRuleInput,
) -> Result<PutInsightRuleOutput, ApiError> {
    let (records, tags) = (&mut state.records, &mut state.tags);
    if !input.rule_name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) || input.rule_name.is_empty() {
        return Err(ApiError::invalid_parameter_value(format!(
            "The value {} for parameter RuleName is invalid.",
            input.rule_name
        )));
    }
    let definition: Value = serde_json::from_str(&input.rule_definition)
        .map_err(|e| ApiError::invalid_parameter_value(format!("The rule definition is not valid JSON: {e}")))?;
    let schema = definition.get("Schema").and_then(|s| {
        let name = s.get("Name")?.as_str()?;
        let version = s.get("Version")?;
        Some(format!("{name}/{version}"))
    });
    let Some(schema) = schema else {
        return Err(ApiError::invalid_parameter_value(
            "The rule definition must have a Schema with a Name and a Version.",
        ));
    };
    if records.rules.get(&input.rule_name).is_some_and(|r| r.managed.is_some()) {
        return Err(ApiError::invalid_parameter_value(format!(
            "The rule {} is a managed rule: it cannot be changed with PutInsightRule.",
            input.rule_name
        )));
    }
    let state = input.rule_state.clone().unwrap_or_else(|| "ENABLED".into());
    if state != "ENABLED" && state != "DISABLED" {
        return Err(ApiError::invalid_parameter_value(format!(
            "The value {state} for parameter RuleState is invalid."
        )));
    }
    let arn = format!("arn:aws:cloudwatch:{}:{}:insight-rule/{}", ctx.region, ctx.account(), input.rule_name);
    if !records.rules.contains_key(&input.rule_name) {
        tags.set(&arn, input.tags.iter().flatten().map(|t| (t.key.clone(), t.value.clone())).collect());
    }
    records.rules.insert(
        input.rule_name.clone(),
        Rule {
            name: input.rule_name,
            arn,
            state,
            schema,
            definition: input.rule_definition,
            apply_on_transformed_logs: input.apply_on_transformed_logs,
            managed: None,
        },
    );
    Ok(PutInsightRuleOutput::default())
}

pub fn describe_insight_rules(
    state: &CwState,
    _ctx: &RequestContext,
    input: DescribeInsightRulesInput,
) -> Result<DescribeInsightRulesOutput, ApiError> {
    let records = &state.records;
    let max = input.max_results.map_or(500, |m| m.max(1) as usize);
    let offset = page_offset("insight-rules", &input.next_token)?;
    let all: Vec<&Rule> = records.rules.values().collect();
    let rules = all
        .iter()
        .skip(offset)
        .take(max)
        .map(|r| InsightRule {
            name: r.name.clone(),
            state: r.state.clone(),
            schema: r.schema.clone(),
            definition: r.definition.clone(),
            managed_rule: Some(r.managed.is_some()),
            apply_on_transformed_logs: r.apply_on_transformed_logs,
        })
        .collect();
    Ok(DescribeInsightRulesOutput {
        insight_rules: Some(rules),
        next_token: (offset + max < all.len()).then(|| page_token("insight-rules", offset + max)),
    })
}

fn missing_rules(records: &Records, names: &[String]) -> Vec<PartialFailure> {
    names
        .iter()
        .filter(|n| !records.rules.contains_key(n.as_str()))
        .map(|n| PartialFailure {
            failure_resource: Some(n.clone()),
            exception_type: Some("ResourceNotFoundException".into()),
            failure_code: Some("404".into()),
            failure_description: Some(format!("Rule {n} does not exist.")),
        })
        .collect()
}

pub fn delete_insight_rules(
    state: &mut CwState,
    _ctx: &RequestContext,
    input: DeleteInsightRulesInput,
) -> Result<DeleteInsightRulesOutput, ApiError> {
    let (records, tags) = (&mut state.records, &mut state.tags);
    let failures = missing_rules(records, &input.rule_names);
    for n in &input.rule_names {
        if let Some(r) = records.rules.remove(n) {
            tags.remove(&r.arn);
        }
    }
    Ok(DeleteInsightRulesOutput { failures: Some(failures) })
}

fn set_rule_state(records: &mut Records, names: &[String], state: &str) -> Vec<PartialFailure> {
    let failures = missing_rules(records, names);
    for n in names {
        if let Some(r) = records.rules.get_mut(n) {
            r.state = state.to_string();
        }
    }
    failures
}

pub fn enable_insight_rules(
    state: &mut CwState,
    _ctx: &RequestContext,
    input: EnableInsightRulesInput,
) -> Result<EnableInsightRulesOutput, ApiError> {
    let records = &mut state.records;
    Ok(EnableInsightRulesOutput { failures: Some(set_rule_state(records, &input.rule_names, "ENABLED")) })
}

pub fn disable_insight_rules(
    state: &mut CwState,
    _ctx: &RequestContext,
    input: DisableInsightRulesInput,
) -> Result<DisableInsightRulesOutput, ApiError> {
    let records = &mut state.records;
    Ok(DisableInsightRulesOutput { failures: Some(set_rule_state(records, &input.rule_names, "DISABLED")) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_lifecycle() {
        let (mut r, ctx) = (CwState::default(), RequestContext::for_tests());
        let input = PutMetricStreamInput {
            name: "s1".into(),
            firehose_arn: "arn:aws:firehose:us-east-1:000000000000:deliverystream/x".into(),
            role_arn: "arn:aws:iam::000000000000:role/r".into(),
            output_format: "json".into(),
            ..Default::default()
        };
        let arn = put_metric_stream(&mut r, &ctx, input).unwrap().arn.unwrap();
        assert_eq!(arn, "arn:aws:cloudwatch:us-east-1:000000000000:metric-stream/s1");
        stop_metric_streams(&mut r, &ctx, StopMetricStreamsInput { names: vec!["s1".into()] }).unwrap();
        let got = get_metric_stream(&r, &ctx, GetMetricStreamInput { name: "s1".into() }).unwrap();
        assert_eq!(got.state.as_deref(), Some("stopped"));
        let err =
            start_metric_streams(&mut r, &ctx, StartMetricStreamsInput { names: vec!["nope".into()] }).unwrap_err();
        assert_eq!(err.code, "ResourceNotFoundException");
        assert_eq!(list_metric_streams(&r, &ctx, ListMetricStreamsInput::default()).unwrap().entries.unwrap().len(), 1);
        delete_metric_stream(&mut r, &ctx, DeleteMetricStreamInput { name: "s1".into() }).unwrap();
        assert!(get_metric_stream(&r, &ctx, GetMetricStreamInput { name: "s1".into() }).is_err());
    }

    #[test]
    fn insight_rules_lifecycle() {
        let (mut r, ctx) = (CwState::default(), RequestContext::for_tests());
        let definition = r#"{"Schema":{"Name":"CloudWatchLogRule","Version":1},"LogGroupNames":["/app"],"LogFormat":"JSON","Contribution":{"Keys":["$.ip"],"Filters":[]},"AggregateOn":"Count"}"#;
        put_insight_rule(
            &mut r,
            &ctx,
            PutInsightRuleInput {
                rule_name: "top-ips".into(),
                rule_definition: definition.into(),
                ..Default::default()
            },
        )
        .unwrap();
        let out =
            describe_insight_rules(&r, &ctx, DescribeInsightRulesInput::default()).unwrap().insight_rules.unwrap();
        assert_eq!((out[0].schema.as_str(), out[0].state.as_str()), ("CloudWatchLogRule/1", "ENABLED"));
        let f = disable_insight_rules(
            &mut r,
            &ctx,
            DisableInsightRulesInput { rule_names: vec!["top-ips".into(), "x".into()] },
        )
        .unwrap()
        .failures
        .unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(r.records.rules["top-ips"].state, "DISABLED");
        let err = put_insight_rule(
            &mut r,
            &ctx,
            PutInsightRuleInput { rule_name: "bad".into(), rule_definition: "{".into(), ..Default::default() },
        )
        .unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
    }
}
