//! OTel enrichment of vended metrics (resource ARN and tag labels, PromQL access) for the
//! account in a Region: started with optional include and exclude filters, which only
//! UpdateOTelEnrichment changes afterwards (a second start keeps them); stopped at will.

use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};

use crate::generated::dto::{
    GetOTelEnrichmentInput, GetOTelEnrichmentOutput, OTelEnrichmentMetricSelector, StartOTelEnrichmentInput,
    StartOTelEnrichmentOutput, StopOTelEnrichmentInput, StopOTelEnrichmentOutput, UpdateOTelEnrichmentInput,
    UpdateOTelEnrichmentOutput,
};
use crate::CwState;

/// Filters allowed across IncludeFilters and ExcludeFilters together.
const MAX_FILTERS: usize = 100;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Enrichment {
    pub running: bool,
    pub include: Option<Vec<OTelEnrichmentMetricSelector>>,
    pub exclude: Option<Vec<OTelEnrichmentMetricSelector>>,
    pub created_ms: Option<i64>,
    pub updated_ms: Option<i64>,
}

fn ts(ms: Option<i64>) -> Option<Timestamp> {
    ms.and_then(Timestamp::from_epoch_millis)
}

fn check(
    include: &Option<Vec<OTelEnrichmentMetricSelector>>,
    exclude: &Option<Vec<OTelEnrichmentMetricSelector>>,
) -> Result<(), ApiError> {
    let count = include.as_ref().map_or(0, Vec::len) + exclude.as_ref().map_or(0, Vec::len);
    if count > MAX_FILTERS {
        return Err(ApiError::client(
            "ValidationError",
            format!("A maximum of {MAX_FILTERS} filters is allowed across IncludeFilters and ExcludeFilters combined."),
        ));
    }
    Ok(())
}

/// An empty list clears a filter as leaving it out does.
fn stored(filters: Option<Vec<OTelEnrichmentMetricSelector>>) -> Option<Vec<OTelEnrichmentMetricSelector>> {
    filters.filter(|f| !f.is_empty())
}

pub fn start_otel_enrichment(
    state: &mut CwState,
    ctx: &RequestContext,
    input: StartOTelEnrichmentInput,
) -> Result<StartOTelEnrichmentOutput, ApiError> {
    check(&input.include_filters, &input.exclude_filters)?;
    let e = &mut state.enrichment;
    if !e.running {
        let now_ms = ctx.now.timestamp_millis();
        *e = Enrichment {
            running: true,
            include: stored(input.include_filters),
            exclude: stored(input.exclude_filters),
            created_ms: Some(now_ms),
            updated_ms: Some(now_ms),
        };
    }
    Ok(StartOTelEnrichmentOutput {
        include_filters: e.include.clone(),
        exclude_filters: e.exclude.clone(),
        created_at: ts(e.created_ms),
        updated_at: ts(e.updated_ms),
    })
}

pub fn stop_otel_enrichment(
    state: &mut CwState,
    ctx: &RequestContext,
    _input: StopOTelEnrichmentInput,
) -> Result<StopOTelEnrichmentOutput, ApiError> {
    let e = &mut state.enrichment;
    if e.running {
        *e = Enrichment { updated_ms: Some(ctx.now.timestamp_millis()), ..Enrichment::default() };
    }
    Ok(StopOTelEnrichmentOutput::default())
}

/// Replaces both filters as a pair; enrichment must be running.
pub fn update_otel_enrichment(
    state: &mut CwState,
    ctx: &RequestContext,
    input: UpdateOTelEnrichmentInput,
) -> Result<UpdateOTelEnrichmentOutput, ApiError> {
    check(&input.include_filters, &input.exclude_filters)?;
    let e = &mut state.enrichment;
    if !e.running {
        return Err(ApiError::new(
            "ResourceNotFoundException",
            "OTel enrichment is not running for this account. Start it with StartOTelEnrichment.",
            404,
        ));
    }
    e.include = stored(input.include_filters);
    e.exclude = stored(input.exclude_filters);
    e.updated_ms = Some(ctx.now.timestamp_millis());
    Ok(UpdateOTelEnrichmentOutput {
        include_filters: e.include.clone(),
        exclude_filters: e.exclude.clone(),
        created_at: ts(e.created_ms),
        updated_at: ts(e.updated_ms),
    })
}

pub fn get_otel_enrichment(
    state: &CwState,
    _ctx: &RequestContext,
    _input: GetOTelEnrichmentInput,
) -> Result<GetOTelEnrichmentOutput, ApiError> {
    let e = &state.enrichment;
    Ok(GetOTelEnrichmentOutput {
        status: if e.running { "Running" } else { "Stopped" }.into(),
        include_filters: e.include.clone(),
        exclude_filters: e.exclude.clone(),
        created_at: ts(e.created_ms),
        updated_at: ts(e.updated_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(ns: &str) -> OTelEnrichmentMetricSelector {
        OTelEnrichmentMetricSelector { namespace: ns.into(), metric_names: None }
    }

    #[test]
    fn start_keeps_filters_update_replaces_them_stop_clears() {
        let mut ctx = RequestContext::for_tests();
        let mut s = CwState::default();
        let get =
            |s: &CwState| get_otel_enrichment(s, &RequestContext::for_tests(), GetOTelEnrichmentInput {}).unwrap();
        assert_eq!(get(&s).status, "Stopped");
        let not_running = update_otel_enrichment(&mut s, &ctx, UpdateOTelEnrichmentInput::default()).unwrap_err();
        assert_eq!(not_running.status, 404);
        let first = start_otel_enrichment(
            &mut s,
            &ctx,
            StartOTelEnrichmentInput { include_filters: Some(vec![selector("AWS/EC2")]), exclude_filters: None },
        )
        .unwrap();
        ctx.now += chrono::Duration::seconds(60);
        // A second start changes nothing.
        let second = start_otel_enrichment(
            &mut s,
            &ctx,
            StartOTelEnrichmentInput { include_filters: Some(vec![selector("AWS/RDS")]), exclude_filters: None },
        )
        .unwrap();
        assert_eq!(second.include_filters, first.include_filters);
        assert_eq!(second.created_at, first.created_at);
        let got = get(&s);
        assert_eq!((got.status.as_str(), got.include_filters.unwrap()[0].namespace.as_str()), ("Running", "AWS/EC2"));
        // Update replaces the pair: only excludes given, so includes are cleared.
        let updated = update_otel_enrichment(
            &mut s,
            &ctx,
            UpdateOTelEnrichmentInput { include_filters: None, exclude_filters: Some(vec![selector("AWS/ELB")]) },
        )
        .unwrap();
        assert!(updated.include_filters.is_none());
        assert_eq!(updated.created_at, first.created_at);
        assert_ne!(updated.updated_at, first.updated_at);
        let too_many = StartOTelEnrichmentInput {
            include_filters: Some(vec![selector("A"); 60]),
            exclude_filters: Some(vec![selector("B"); 41]),
        };
        stop_otel_enrichment(&mut s, &ctx, StopOTelEnrichmentInput {}).unwrap();
        assert_eq!(start_otel_enrichment(&mut s, &ctx, too_many).unwrap_err().code, "ValidationError");
        let stopped = get(&s);
        assert_eq!(stopped.status, "Stopped");
        assert!(stopped.include_filters.is_none() && stopped.exclude_filters.is_none() && stopped.created_at.is_none());
    }
}
