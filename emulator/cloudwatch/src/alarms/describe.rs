//! DescribeAlarms and DescribeAlarmsForMetric.

use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    CompositeAlarm, DescribeAlarmsForMetricInput, DescribeAlarmsForMetricOutput, DescribeAlarmsInput,
    DescribeAlarmsOutput, LogAlarm, MetricAlarm,
};
use crate::metric_data::validation;
use crate::CwState;

use super::{decode_token, encode_token, ts, Alarm, Kind};

fn metric_alarm_out(a: &Alarm) -> Option<MetricAlarm> {
    let Kind::Metric(m) = &a.kind else { return None };
    let i = &m.input;
    Some(MetricAlarm {
        alarm_name: Some(a.name.clone()),
        alarm_arn: Some(a.arn.clone()),
        alarm_description: i.alarm_description.clone(),
        alarm_configuration_updated_timestamp: ts(a.configuration_updated_ms),
        actions_enabled: Some(a.actions_enabled),
        ok_actions: Some(i.ok_actions.clone().unwrap_or_default()),
        alarm_actions: Some(i.alarm_actions.clone().unwrap_or_default()),
        insufficient_data_actions: Some(i.insufficient_data_actions.clone().unwrap_or_default()),
        state_value: Some(a.state.to_string()),
        state_reason: Some(a.reason.clone()),
        state_reason_data: a.reason_data.clone(),
        state_updated_timestamp: ts(a.state_updated_ms),
        state_transitioned_timestamp: ts(a.state_transitioned_ms),
        metric_name: i.metric_name.clone(),
        namespace: i.namespace.clone(),
        statistic: i.statistic.clone(),
        extended_statistic: i.extended_statistic.clone(),
        dimensions: Some(i.dimensions.clone().unwrap_or_default()),
        period: i.period,
        unit: i.unit.clone(),
        evaluation_periods: i.evaluation_periods,
        datapoints_to_alarm: i.datapoints_to_alarm,
        threshold: i.threshold,
        comparison_operator: i.comparison_operator.clone(),
        treat_missing_data: i.treat_missing_data.clone(),
        evaluate_low_sample_count_percentile: i.evaluate_low_sample_count_percentile.clone(),
        metrics: i.metrics.clone(),
        threshold_metric_id: i.threshold_metric_id.clone(),
        ..Default::default()
    })
}

fn composite_alarm_out(a: &Alarm) -> Option<CompositeAlarm> {
    let Kind::Composite(c) = &a.kind else { return None };
    let i = &c.input;
    Some(CompositeAlarm {
        actions_enabled: Some(a.actions_enabled),
        alarm_actions: Some(i.alarm_actions.clone().unwrap_or_default()),
        alarm_arn: Some(a.arn.clone()),
        alarm_configuration_updated_timestamp: ts(a.configuration_updated_ms),
        alarm_description: i.alarm_description.clone(),
        alarm_name: Some(a.name.clone()),
        alarm_rule: Some(i.alarm_rule.clone()),
        insufficient_data_actions: Some(i.insufficient_data_actions.clone().unwrap_or_default()),
        ok_actions: Some(i.ok_actions.clone().unwrap_or_default()),
        state_reason: Some(a.reason.clone()),
        state_reason_data: a.reason_data.clone(),
        state_updated_timestamp: ts(a.state_updated_ms),
        state_value: Some(a.state.to_string()),
        state_transitioned_timestamp: ts(a.state_transitioned_ms),
        actions_suppressed_by: a.actions_suppressed.as_ref().map(|s| s.0.clone()),
        actions_suppressed_reason: a.actions_suppressed.as_ref().map(|s| s.1.clone()),
        actions_suppressor: i.actions_suppressor.clone(),
        actions_suppressor_wait_period: i.actions_suppressor_wait_period,
        actions_suppressor_extension_period: i.actions_suppressor_extension_period,
        ..Default::default()
    })
}

pub fn describe_alarms(
    state: &CwState,
    _ctx: &RequestContext,
    input: DescribeAlarmsInput,
) -> Result<DescribeAlarmsOutput, ApiError> {
    let store = &state.alarms;
    let family = input.children_of_alarm_name.is_some() || input.parents_of_alarm_name.is_some();
    if input.children_of_alarm_name.is_some() && input.parents_of_alarm_name.is_some() {
        return Err(validation("ChildrenOfAlarmName and ParentsOfAlarmName cannot be used together."));
    }
    if family
        && (input.alarm_names.is_some()
            || input.alarm_name_prefix.is_some()
            || input.alarm_types.is_some()
            || input.state_value.is_some()
            || input.action_prefix.is_some())
    {
        let which = if input.children_of_alarm_name.is_some() { "ChildrenOfAlarmName" } else { "ParentsOfAlarmName" };
        return Err(validation(format!(
            "If you specify {which}, you cannot specify any other parameters except MaxRecords and NextToken."
        )));
    }
    if input.alarm_names.as_ref().is_some_and(|n| !n.is_empty()) && input.alarm_name_prefix.is_some() {
        return Err(ApiError::client(
            "InvalidParameterCombination",
            "AlarmNamePrefix and AlarmNames.member are mutually exclusive",
        ));
    }
    let max = input.max_records.map_or(50, |m| m as usize);
    let offset = match &input.next_token {
        Some(t) => decode_token("describe-alarms", t)?,
        None => 0,
    };
    let types: Vec<String> = input.alarm_types.clone().unwrap_or_else(|| vec!["MetricAlarm".into()]);
    let selected: Vec<&Alarm> = if let Some(parent) = &input.children_of_alarm_name {
        match store.alarms.get(parent).map(|a| &a.kind) {
            Some(Kind::Composite(c)) => c.rule.alarms().iter().filter_map(|n| store.alarms.get(n)).collect(),
            _ => Vec::new(),
        }
    } else if let Some(child) = &input.parents_of_alarm_name {
        store.parents_of(child).iter().filter_map(|n| store.alarms.get(n)).collect()
    } else {
        store
            .alarms
            .values()
            .filter(|a| family || types.iter().any(|t| t == a.alarm_type()))
            .filter(|a| input.alarm_names.as_ref().is_none_or(|n| n.is_empty() || n.contains(&a.name)))
            .filter(|a| input.alarm_name_prefix.as_ref().is_none_or(|p| a.name.starts_with(p.as_str())))
            .filter(|a| input.state_value.as_deref().is_none_or(|s| s == a.state))
            .filter(|a| {
                input.action_prefix.as_ref().is_none_or(|p| a.all_actions().iter().any(|x| x.starts_with(p.as_str())))
            })
            .collect()
    };
    // Metric alarms first, then composite ones, paged together.
    let mut ordered: Vec<&Alarm> = selected.iter().copied().filter(|a| matches!(a.kind, Kind::Metric(_))).collect();
    ordered.extend(selected.iter().copied().filter(|a| matches!(a.kind, Kind::Composite(_))));
    ordered.extend(selected.iter().copied().filter(|a| matches!(a.kind, Kind::Log(_))));
    let page: Vec<&Alarm> = ordered.iter().copied().skip(offset).take(max).collect();
    let more = offset + page.len() < ordered.len();
    let slim = |a: &Alarm| -> (Option<MetricAlarm>, Option<CompositeAlarm>) {
        // Children: name, ARN, state, state timestamp; parents: name and ARN.
        let state = input.children_of_alarm_name.is_some();
        match a.kind {
            Kind::Metric(_) => (
                Some(MetricAlarm {
                    alarm_name: Some(a.name.clone()),
                    alarm_arn: Some(a.arn.clone()),
                    state_value: state.then(|| a.state.to_string()),
                    state_updated_timestamp: if state { ts(a.state_updated_ms) } else { None },
                    ..Default::default()
                }),
                None,
            ),
            Kind::Log(_) => (None, None),
            Kind::Composite(_) => (
                None,
                Some(CompositeAlarm {
                    alarm_name: Some(a.name.clone()),
                    alarm_arn: Some(a.arn.clone()),
                    state_value: state.then(|| a.state.to_string()),
                    state_updated_timestamp: if state { ts(a.state_updated_ms) } else { None },
                    ..Default::default()
                }),
            ),
        }
    };
    let mut metric_alarms = Vec::new();
    let mut composite_alarms = Vec::new();
    let mut log_alarms = Vec::new();
    for a in page {
        let (m, c) = if family { slim(a) } else { (metric_alarm_out(a), composite_alarm_out(a)) };
        metric_alarms.extend(m);
        composite_alarms.extend(c);
        let log = super::log::log_alarm_out(a);
        if family {
            // A log alarm named in a composite rule: name and ARN (and state for children).
            let state = input.children_of_alarm_name.is_some();
            log_alarms.extend(log.map(|l| LogAlarm {
                alarm_name: l.alarm_name,
                alarm_arn: l.alarm_arn,
                state_value: if state { l.state_value } else { None },
                state_updated_timestamp: if state { l.state_updated_timestamp } else { None },
                ..Default::default()
            }));
        } else {
            log_alarms.extend(log);
        }
    }
    Ok(DescribeAlarmsOutput {
        metric_alarms: Some(metric_alarms),
        composite_alarms: Some(composite_alarms),
        log_alarms: (types.iter().any(|t| t == "LogAlarm") || !log_alarms.is_empty()).then_some(log_alarms),
        next_token: more.then(|| encode_token("describe-alarms", offset + max)),
    })
}

pub fn describe_alarms_for_metric(
    state: &CwState,
    _ctx: &RequestContext,
    input: DescribeAlarmsForMetricInput,
) -> Result<DescribeAlarmsForMetricOutput, ApiError> {
    let store = &state.alarms;
    let mut want: Vec<(String, String)> =
        input.dimensions.iter().flatten().map(|d| (d.name.clone(), d.value.clone())).collect();
    want.sort();
    let alarms = store
        .alarms
        .values()
        .filter(|a| {
            let Kind::Metric(m) = &a.kind else { return false };
            let i = &m.input;
            let mut dims: Vec<(String, String)> =
                i.dimensions.iter().flatten().map(|d| (d.name.clone(), d.value.clone())).collect();
            dims.sort();
            i.metrics.is_none()
                && i.metric_name.as_deref() == Some(input.metric_name.as_str())
                && i.namespace.as_deref() == Some(input.namespace.as_str())
                && dims == want
                && input.statistic.as_ref().is_none_or(|s| i.statistic.as_ref() == Some(s))
                && input.extended_statistic.as_ref().is_none_or(|s| i.extended_statistic.as_ref() == Some(s))
                && input.period.is_none_or(|p| i.period == Some(p))
                && input.unit.as_ref().is_none_or(|u| i.unit.as_ref() == Some(u))
        })
        .filter_map(metric_alarm_out)
        .collect();
    Ok(DescribeAlarmsForMetricOutput { metric_alarms: Some(alarms) })
}
