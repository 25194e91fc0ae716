//! GetInsightRuleReport. A Contributor Insights rule analyses log events, and nimbus has
//! no CloudWatch Logs: no event ever matches a rule. The report is therefore what AWS
//! answers for a rule that matched nothing in the range — no contributors, an aggregate of
//! zero, and one datapoint per period with each requested statistic at zero — with the
//! rule's keys and aggregation read from its definition, and AWS's checks of the request.

use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};
use serde_json::Value;

use crate::generated::dto::{GetInsightRuleReportInput, GetInsightRuleReportOutput, InsightRuleMetricDatapoint};
use crate::CwState;

/// The statistics a report can carry per datapoint (the API reference's list).
pub const REPORT_METRICS: [&str; 7] =
    ["UniqueContributors", "MaxContributorValue", "SampleCount", "Sum", "Minimum", "Maximum", "Average"];
/// As GetMetricStatistics: at most 1,440 datapoints in one answer.
const MAX_DATAPOINTS: i64 = 1440;

pub fn get_insight_rule_report(
    state: &CwState,
    _ctx: &RequestContext,
    input: GetInsightRuleReportInput,
) -> Result<GetInsightRuleReportOutput, ApiError> {
    let rule = state.records.rules.get(&input.rule_name).ok_or_else(|| {
        ApiError::new("ResourceNotFoundException", format!("Rule {} does not exist.", input.rule_name), 404)
            .with_details(serde_json::json!({"ResourceType": "InsightRule", "ResourceId": input.rule_name}))
    })?;
    let start = input.start_time.0.timestamp();
    let end = input.end_time.0.timestamp();
    if end <= start {
        return Err(ApiError::invalid_parameter_value("The parameter EndTime must be greater than StartTime."));
    }
    let period = i64::from(input.period);
    if (end - start + period - 1) / period > MAX_DATAPOINTS {
        return Err(ApiError::invalid_parameter_value(format!(
            "The requested Period and time range would return more than {MAX_DATAPOINTS} datapoints."
        )));
    }
    if let Some(n) = input.max_contributor_count {
        if !(1..=100).contains(&n) {
            return Err(ApiError::invalid_parameter_value(format!(
                "The value {n} for parameter MaxContributorCount is invalid: it must be from 1 to 100."
            )));
        }
    }
    let metrics = input.metrics.unwrap_or_default();
    if let Some(bad) = metrics.iter().find(|m| !REPORT_METRICS.contains(&m.as_str())) {
        return Err(ApiError::invalid_parameter_value(format!(
            "The value {bad} for parameter Metrics is invalid: use {}.",
            REPORT_METRICS.join(", ")
        )));
    }
    if let Some(order) = &input.order_by {
        if order != "Sum" && order != "Maximum" {
            return Err(ApiError::invalid_parameter_value(format!(
                "The value {order} for parameter OrderBy is invalid: use Sum or Maximum."
            )));
        }
    }
    let definition: Value = serde_json::from_str(&rule.definition).unwrap_or_default();
    let key_labels = definition["Contribution"]["Keys"]
        .as_array()
        .map(|keys| keys.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let zero = |name: &str| metrics.iter().any(|m| m == name).then_some(0.0);
    let datapoints = (0..)
        .map(|i| start + i * period)
        .take_while(|t| *t < end)
        .filter_map(|t| Timestamp::from_epoch_millis(t * 1000))
        .map(|timestamp| InsightRuleMetricDatapoint {
            timestamp,
            unique_contributors: zero("UniqueContributors"),
            max_contributor_value: zero("MaxContributorValue"),
            sample_count: zero("SampleCount"),
            average: zero("Average"),
            sum: zero("Sum"),
            minimum: zero("Minimum"),
            maximum: zero("Maximum"),
        })
        .collect();
    Ok(GetInsightRuleReportOutput {
        key_labels: Some(key_labels),
        aggregation_statistic: definition["AggregateOn"].as_str().map(str::to_string),
        aggregate_value: Some(0.0),
        approximate_unique_count: Some(0),
        contributors: Some(Vec::new()),
        metric_datapoints: Some(datapoints),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::PutInsightRuleInput;
    use crate::records::put_insight_rule;

    fn state() -> CwState {
        let mut s = CwState::default();
        let definition = r#"{"Schema":{"Name":"CloudWatchLogRule","Version":1},"LogGroupNames":["/app"],"LogFormat":"JSON","Contribution":{"Keys":["$.ip","$.path"],"Filters":[]},"AggregateOn":"Count"}"#;
        let input =
            PutInsightRuleInput { rule_name: "top".into(), rule_definition: definition.into(), ..Default::default() };
        put_insight_rule(&mut s, &RequestContext::for_tests(), input).unwrap();
        s
    }

    fn request(start: i64, end: i64, period: i32) -> GetInsightRuleReportInput {
        GetInsightRuleReportInput {
            rule_name: "top".into(),
            start_time: Timestamp::from_epoch_millis(start * 1000).unwrap(),
            end_time: Timestamp::from_epoch_millis(end * 1000).unwrap(),
            period,
            metrics: Some(vec!["UniqueContributors".into(), "Sum".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn the_report_of_a_rule_that_matched_nothing() {
        let out = get_insight_rule_report(&state(), &RequestContext::for_tests(), request(0, 3600, 300)).unwrap();
        assert_eq!(out.key_labels, Some(vec!["$.ip".to_string(), "$.path".to_string()]));
        assert_eq!(out.aggregation_statistic.as_deref(), Some("Count"));
        assert_eq!((out.aggregate_value, out.approximate_unique_count), (Some(0.0), Some(0)));
        let points = out.metric_datapoints.unwrap();
        assert_eq!(points.len(), 12);
        assert_eq!(points[1].timestamp.0.timestamp(), 300);
        assert_eq!((points[0].unique_contributors, points[0].sum, points[0].maximum), (Some(0.0), Some(0.0), None));
        assert!(out.contributors.unwrap().is_empty());
    }

    #[test]
    fn refusals() {
        let (s, ctx) = (state(), RequestContext::for_tests());
        let mut unknown = request(0, 60, 60);
        unknown.rule_name = "ghost".into();
        assert_eq!(get_insight_rule_report(&s, &ctx, unknown).unwrap_err().code, "ResourceNotFoundException");
        let mut bad_metric = request(0, 60, 60);
        bad_metric.metrics = Some(vec!["p99".into()]);
        let mut bad_order = request(0, 60, 60);
        bad_order.order_by = Some("Average".into());
        let mut bad_count = request(0, 60, 60);
        bad_count.max_contributor_count = Some(101);
        for req in [request(60, 60, 60), request(0, 86_400 * 2, 60), bad_metric, bad_order, bad_count] {
            assert_eq!(get_insight_rule_report(&s, &ctx, req).unwrap_err().code, "InvalidParameterValue");
        }
    }
}
