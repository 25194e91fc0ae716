//! Tags on alarms, alarm mute rules, dashboards, metric streams, Contributor Insights rules and metric data
//! query definitions, by ARN.

use std::collections::BTreeMap;

use nimbus_core::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};

use crate::{CloudWatch, GLOBAL};

use crate::generated::dto::{
    ListTagsForResourceInput, ListTagsForResourceOutput, Tag, TagResourceInput, TagResourceOutput, UntagResourceInput,
    UntagResourceOutput,
};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Tags {
    by_arn: BTreeMap<String, BTreeMap<String, String>>,
}

impl Tags {
    /// Adds tags to a resource (a key already there gets the new value).
    pub fn set(&mut self, arn: &str, tags: Vec<(String, String)>) {
        let entry = self.by_arn.entry(arn.to_string()).or_default();
        for (k, v) in tags {
            entry.insert(k, v);
        }
    }

    pub fn remove(&mut self, arn: &str) {
        self.by_arn.remove(arn);
    }

    pub fn get(&self, arn: &str) -> Vec<Tag> {
        self.by_arn
            .get(arn)
            .map(|m| m.iter().map(|(k, v)| Tag { key: k.clone(), value: v.clone() }).collect())
            .unwrap_or_default()
    }

    fn untag(&mut self, arn: &str, keys: &[String]) {
        if let Some(m) = self.by_arn.get_mut(arn) {
            for k in keys {
                m.remove(k);
            }
        }
    }
}

/// The kinds of taggable resource: `alarm`, `dashboard`, `metric-stream`, `insight-rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRef {
    pub kind: &'static str,
    pub name: String,
}

/// Reads a CloudWatch ARN: `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`,
/// `arn:aws:cloudwatch::<account>:dashboard/<name>`, `...:metric-stream/<name>`,
/// `...:insight-rule/<name>`.
pub fn parse_arn(arn: &str) -> Result<ResourceRef, ApiError> {
    let invalid = || ApiError::invalid_parameter_value(format!("Invalid ARN: {arn}"));
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "cloudwatch" {
        return Err(invalid());
    }
    let resource = parts[5];
    let (kind, name) = if let Some(name) = resource.strip_prefix("alarm:") {
        ("alarm", name)
    } else if let Some(name) = resource.strip_prefix("dashboard/") {
        ("dashboard", name)
    } else if let Some(name) = resource.strip_prefix("metric-stream/") {
        ("metric-stream", name)
    } else if let Some(name) = resource.strip_prefix("metric-query-definition/") {
        ("metric-query-definition", name)
    } else if let Some(name) = resource.strip_prefix("insight-rule/") {
        ("insight-rule", name)
    } else if let Some(name) = resource.strip_prefix("alarm-mute-rule:") {
        ("alarm-mute-rule", name)
    } else {
        return Err(invalid());
    };
    if name.is_empty() {
        return Err(invalid());
    }
    Ok(ResourceRef { kind, name: name.to_string() })
}

pub fn not_found(arn: &str, r: &ResourceRef) -> ApiError {
    let kind = match r.kind {
        "alarm" => "Alarm",
        "dashboard" => "Dashboard",
        "metric-stream" => "MetricStream",
        "metric-query-definition" => "MetricDataQueryDefinition",
        "alarm-mute-rule" => "AlarmMuteRule",
        _ => "InsightRule",
    };
    ApiError::new("ResourceNotFoundException", format!("{kind} {} does not exist.", r.name), 404)
        .with_details(serde_json::json!({ "ResourceType": kind, "ResourceId": arn }))
}

/// Tags an alarm, metric stream or insight rule of the caller's partition, or one of the
/// account's dashboards (global).
pub fn tag_resource(
    cw: &CloudWatch,
    ctx: &RequestContext,
    input: TagResourceInput,
) -> Result<TagResourceOutput, ApiError> {
    if cw.check_resource(ctx, &input.resource_arn)? {
        return cw.dashboards.write(ctx.account(), GLOBAL, |d| tag(&mut d.tags, input));
    }
    cw.write(ctx, |s, _| tag(&mut s.tags, input))
}

pub fn untag_resource(
    cw: &CloudWatch,
    ctx: &RequestContext,
    input: UntagResourceInput,
) -> Result<UntagResourceOutput, ApiError> {
    if cw.check_resource(ctx, &input.resource_arn)? {
        return cw.dashboards.write(ctx.account(), GLOBAL, |d| untag(&mut d.tags, input));
    }
    cw.write(ctx, |s, _| untag(&mut s.tags, input))
}

pub fn list_tags_for_resource(
    cw: &CloudWatch,
    ctx: &RequestContext,
    input: ListTagsForResourceInput,
) -> Result<ListTagsForResourceOutput, ApiError> {
    if cw.check_resource(ctx, &input.resource_arn)? {
        return cw.dashboards.read(ctx.account(), GLOBAL, |d| list(&d.tags, input));
    }
    cw.read(ctx, |s| list(&s.tags, input))
}

fn tag(tags: &mut Tags, input: TagResourceInput) -> Result<TagResourceOutput, ApiError> {
    let merged = tags.get(&input.resource_arn).len()
        + input.tags.iter().filter(|t| !tags.get(&input.resource_arn).iter().any(|x| x.key == t.key)).count();
    if merged > 50 {
        return Err(ApiError::invalid_parameter_value("A resource can have at most 50 tags."));
    }
    tags.set(&input.resource_arn, input.tags.into_iter().map(|t| (t.key, t.value)).collect());
    Ok(TagResourceOutput::default())
}

fn untag(tags: &mut Tags, input: UntagResourceInput) -> Result<UntagResourceOutput, ApiError> {
    tags.untag(&input.resource_arn, &input.tag_keys);
    Ok(UntagResourceOutput::default())
}

fn list(tags: &Tags, input: ListTagsForResourceInput) -> Result<ListTagsForResourceOutput, ApiError> {
    Ok(ListTagsForResourceOutput { tags: Some(tags.get(&input.resource_arn)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns() {
        assert_eq!(
            parse_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:my:alarm").unwrap(),
            ResourceRef { kind: "alarm", name: "my:alarm".into() }
        );
        assert_eq!(parse_arn("arn:aws:cloudwatch::123456789012:dashboard/Main").unwrap().kind, "dashboard");
        assert_eq!(parse_arn("arn:aws:cloudwatch:eu-west-1:1:metric-stream/s").unwrap().kind, "metric-stream");
        assert!(parse_arn("arn:aws:ec2:us-east-1:1:instance/i-1").is_err());
        assert!(parse_arn("nope").is_err());
    }

    #[test]
    fn tag_untag_list() {
        let mut t = Tags::default();
        let arn = "arn:aws:cloudwatch:us-east-1:1:alarm:a";
        t.set(arn, vec![("env".into(), "dev".into()), ("team".into(), "x".into())]);
        tag(
            &mut t,
            TagResourceInput { resource_arn: arn.into(), tags: vec![Tag { key: "env".into(), value: "prod".into() }] },
        )
        .unwrap();
        untag(&mut t, UntagResourceInput { resource_arn: arn.into(), tag_keys: vec!["team".into()] }).unwrap();
        let out = list(&t, ListTagsForResourceInput { resource_arn: arn.into() }).unwrap();
        assert_eq!(out.tags.unwrap(), vec![Tag { key: "env".into(), value: "prod".into() }]);
    }
}
