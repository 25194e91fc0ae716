//! Network Insights analyses: StartNetworkInsightsAnalysis (the walk runs on the
//! partition as it is when the analysis starts; the analysis shows `running` for the
//! transition delay on nimbus's clock, then its result), DescribeNetworkInsightsAnalyses
//! (by ids or path, a start-time window, filters, paging), DeleteNetworkInsightsAnalysis.

use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use super::paths::{self, arn};
use super::walk;
use crate::generated::dto::{
    DeleteNetworkInsightsAnalysisRequest, DeleteNetworkInsightsAnalysisResult, DescribeNetworkInsightsAnalysesRequest,
    DescribeNetworkInsightsAnalysesResult, NetworkInsightsAnalysis, StartNetworkInsightsAnalysisRequest,
    StartNetworkInsightsAnalysisResult,
};
use crate::generated::errors;
use crate::state::insights::AnalysisRecord;
use crate::state::params::invalid_value;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::Ec2State;

/// An analysis as it shows while running: its identity and request, no result.
fn running_view(a: &NetworkInsightsAnalysis) -> NetworkInsightsAnalysis {
    NetworkInsightsAnalysis {
        network_insights_analysis_id: a.network_insights_analysis_id.clone(),
        network_insights_analysis_arn: a.network_insights_analysis_arn.clone(),
        network_insights_path_id: a.network_insights_path_id.clone(),
        additional_accounts: a.additional_accounts.clone(),
        filter_in_arns: a.filter_in_arns.clone(),
        filter_out_arns: a.filter_out_arns.clone(),
        start_date: a.start_date,
        status: Some("running".into()),
        ..Default::default()
    }
}

/// An analysis as Describe shows it at `now`.
pub fn describe_one(state: &Ec2State, ctx: &RequestContext, id: &str) -> NetworkInsightsAnalysis {
    let rec = &state.insights.analyses[id];
    let mut a =
        if rec.running(state.transition_delay(), ctx.now) { running_view(&rec.analysis) } else { rec.analysis.clone() };
    a.tags = state.dto_tags(id);
    a
}

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

fn check_arns(parameter: &str, arns: &Option<Vec<String>>) -> Result<(), ApiError> {
    for a in arns.iter().flatten() {
        if !a.starts_with("arn:") || a.split(':').count() < 6 {
            return Err(invalid_value(parameter, a, "Expected an ARN."));
        }
    }
    Ok(())
}

pub fn start_network_insights_analysis(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: StartNetworkInsightsAnalysisRequest,
) -> Result<StartNetworkInsightsAnalysisResult, ApiError> {
    let path = paths::get(state, &input.network_insights_path_id)?.clone();
    check_arns("FilterInArns", &input.filter_in_arns)?;
    check_arns("FilterOutArns", &input.filter_out_arns)?;
    for account in input.additional_accounts.iter().flatten() {
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid_value("AdditionalAccounts", account, "Expected a 12-digit account ID."));
        }
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "network-insights-analysis")?;
    let filter_in = input.filter_in_arns.clone().unwrap_or_default();
    let filter_out = input.filter_out_arns.clone().unwrap_or_default();
    let outcome = walk::analyze(state, shared, ctx, &path, &filter_in, &filter_out);
    let id = ids::resource_id("nia");
    let (status, found) = match &outcome.failure {
        Some(_) => ("failed", None),
        None => ("succeeded", Some(outcome.found)),
    };
    let analysis = NetworkInsightsAnalysis {
        network_insights_analysis_id: Some(id.clone()),
        network_insights_analysis_arn: Some(arn(ctx, "network-insights-analysis", &id)),
        network_insights_path_id: path.network_insights_path_id.clone(),
        additional_accounts: input.additional_accounts,
        filter_in_arns: input.filter_in_arns,
        filter_out_arns: input.filter_out_arns,
        start_date: Some(Timestamp(ctx.now)),
        status: Some(status.into()),
        status_message: outcome.failure,
        network_path_found: found,
        forward_path_components: non_empty(outcome.forward),
        return_path_components: non_empty(outcome.ret),
        explanations: non_empty(outcome.explanations),
        ..Default::default()
    };
    state.insights.analyses.insert(id.clone(), AnalysisRecord { analysis, started: ctx.now });
    state.set_tags(&id, tags);
    // The answer to the call shows the analysis running, as AWS's does.
    let mut shown = running_view(&state.insights.analyses[&id].analysis);
    shown.tags = state.dto_tags(&id);
    Ok(StartNetworkInsightsAnalysisResult { network_insights_analysis: Some(shown) })
}

impl Filterable for NetworkInsightsAnalysis {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "path-found" => self.network_path_found.map(|f| f.to_string()).into_iter().collect(),
            "status" => self.status.iter().cloned().collect(),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a AnalysisRecord, ApiError> {
    state.insights.analyses.get(id).ok_or_else(|| {
        if id.starts_with("nia-") {
            errors::invalid_network_insights_analysis_id_not_found(id)
        } else {
            errors::invalid_network_insights_analysis_id_malformed(id)
        }
    })
}

pub fn describe_network_insights_analyses(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeNetworkInsightsAnalysesRequest,
) -> Result<DescribeNetworkInsightsAnalysesResult, ApiError> {
    let paging = input.page();
    let ids = input.network_insights_analysis_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    if let Some(path) = &input.network_insights_path_id {
        paths::get(state, path)?;
    }
    let (from, to) = (input.analysis_start_time.map(|t| t.0), input.analysis_end_time.map(|t| t.0));
    let all = state
        .insights
        .analyses
        .iter()
        .filter(|(id, _)| ids.is_empty() || ids.contains(id))
        .filter(|(_, a)| {
            input.network_insights_path_id.is_none()
                || a.analysis.network_insights_path_id == input.network_insights_path_id
        })
        .filter(|(_, a)| from.is_none_or(|f| a.started >= f) && to.is_none_or(|t| a.started <= t))
        .map(|(id, _)| describe_one(state, ctx, id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |a| a.network_insights_analysis_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeNetworkInsightsAnalysesResult { network_insights_analyses: Some(page), next_token: next })
}

pub fn delete_network_insights_analysis(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteNetworkInsightsAnalysisRequest,
) -> Result<DeleteNetworkInsightsAnalysisResult, ApiError> {
    let id = input.network_insights_analysis_id;
    get(state, &id)?;
    state.insights.analyses.remove(&id);
    state.forget(&id);
    Ok(DeleteNetworkInsightsAnalysisResult { network_insights_analysis_id: Some(id) })
}
