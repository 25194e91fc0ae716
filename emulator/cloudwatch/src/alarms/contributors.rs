//! DescribeAlarmContributors: the time series of a multi-time-series alarm that are in
//! ALARM. nimbus evaluates every alarm as one series (a Metrics Insights query is
//! aggregated, not split by its GROUP BY), so an alarm has no contributors: the answer
//! for an existing alarm is the empty list, and nimbus never hands out a NextToken.

use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{DescribeAlarmContributorsInput, DescribeAlarmContributorsOutput};
use crate::CwState;

pub fn describe_alarm_contributors(
    state: &CwState,
    _ctx: &RequestContext,
    input: DescribeAlarmContributorsInput,
) -> Result<DescribeAlarmContributorsOutput, ApiError> {
    if !state.alarms.alarms.contains_key(&input.alarm_name) {
        return Err(ApiError::new(
            "ResourceNotFoundException",
            format!("Alarm {} does not exist.", input.alarm_name),
            404,
        )
        .with_details(serde_json::json!({"ResourceType": "Alarm", "ResourceId": input.alarm_name})));
    }
    if let Some(token) = &input.next_token {
        return Err(ApiError::client("InvalidNextToken", format!("The NextToken '{token}' is invalid.")));
    }
    Ok(DescribeAlarmContributorsOutput { alarm_contributors: Vec::new(), next_token: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::PutMetricAlarmInput;

    #[test]
    fn an_alarm_has_no_contributors_and_unknown_alarms_are_refused() {
        let (mut s, ctx) = (CwState::default(), RequestContext::for_tests());
        let alarm = PutMetricAlarmInput {
            alarm_name: "cpu".into(),
            namespace: Some("App".into()),
            metric_name: Some("Latency".into()),
            statistic: Some("Average".into()),
            period: Some(60),
            evaluation_periods: Some(1),
            threshold: Some(1.0),
            comparison_operator: Some("GreaterThanThreshold".into()),
            ..Default::default()
        };
        crate::alarms::metric::put_metric_alarm(&mut s, &ctx, alarm).unwrap();
        let ask = |name: &str, token: Option<&str>| {
            let input =
                DescribeAlarmContributorsInput { alarm_name: name.into(), next_token: token.map(str::to_string) };
            describe_alarm_contributors(&s, &ctx, input)
        };
        assert!(ask("cpu", None).unwrap().alarm_contributors.is_empty());
        assert_eq!(ask("ghost", None).unwrap_err().code, "ResourceNotFoundException");
        assert_eq!(ask("cpu", Some("x")).unwrap_err().code, "InvalidNextToken");
    }
}
