//! Network Insights records: Reachability Analyzer paths and their analyses.
//!
//! A path is kept in its AWS shape (tags derived when described). An analysis is
//! computed when it starts, from the partition's network as it is then, and kept with
//! its result; it shows `running` until the transition delay has passed on nimbus's
//! clock, then the result (`succeeded` or `failed`).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::generated::dto;

/// An analysis and when it started; `analysis` holds the finished answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnalysisRecord {
    pub analysis: dto::NetworkInsightsAnalysis,
    pub started: DateTime<Utc>,
}

impl AnalysisRecord {
    /// Whether the analysis is still running at `now`.
    pub fn running(&self, delay: TimeDelta, now: DateTime<Utc>) -> bool {
        now < self.started + delay
    }
}

/// The Network Insights family of one partition.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InsightsState {
    pub paths: BTreeMap<String, dto::NetworkInsightsPath>,
    pub analyses: BTreeMap<String, AnalysisRecord>,
}

impl InsightsState {
    /// Whether any analysis of the path exists.
    pub fn path_has_analyses(&self, path_id: &str) -> bool {
        self.analyses.values().any(|a| a.analysis.network_insights_path_id.as_deref() == Some(path_id))
    }
}
