//! Metric data query definitions: saved queries (PromQL, Metrics Insights SQL or metric
//! math) named by a path that may hold folders (`team/web/latency`). CloudWatch stores
//! them without validating or running the expression; a path is unique in the account
//! and Region, and a Region holds at most 1,000 definitions.

use std::collections::BTreeMap;

use base64::Engine as _;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};

use crate::generated::dto::{
    DeleteMetricDataQueryDefinitionInput, DeleteMetricDataQueryDefinitionOutput, GetMetricDataQueryDefinitionInput,
    GetMetricDataQueryDefinitionOutput, ListMetricDataQueryDefinitionsInput, ListMetricDataQueryDefinitionsOutput,
    MetricDataQueryDefinitionSummary, PutMetricDataQueryDefinitionInput, PutMetricDataQueryDefinitionOutput,
};
use crate::CwState;

/// Definitions a Region of an account can hold.
const LIMIT: usize = 1000;
/// ListMetricDataQueryDefinitions' default page.
const DEFAULT_PAGE: usize = 100;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Definition {
    pub id: String,
    pub arn: String,
    pub path: String,
    pub expression: String,
    pub kind: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// The definitions of one account and Region, by id.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Definitions {
    pub by_id: BTreeMap<String, Definition>,
}

fn not_found(id: &str) -> ApiError {
    ApiError::new("ResourceNotFoundException", format!("The metric data query definition {id} does not exist."), 404)
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_epoch_millis(ms).unwrap_or_default()
}

/// A path as AWS accepts it: no leading or trailing slash, no empty folder name, at
/// most 1,015 bytes of UTF-8.
fn check_path(path: &str) -> Result<(), ApiError> {
    let bad = |why: &str| {
        ApiError::invalid_parameter_value(format!("The value {path} for parameter Path is invalid: {why}."))
    };
    if path.starts_with('/') || path.ends_with('/') {
        return Err(bad("it can't start or end with a slash"));
    }
    if path.contains("//") {
        return Err(bad("it can't contain an empty folder name"));
    }
    if path.len() > 1015 {
        return Err(bad("it can be at most 1,015 bytes"));
    }
    Ok(())
}

/// A fresh definition id: 32 hex digits in the 8-4-4-4-12 grouping.
fn new_id() -> String {
    let hex = format!("{:016x}{:016x}", nimbus_core::ids::random_u64(), nimbus_core::ids::random_u64());
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

pub fn arn(ctx: &RequestContext, id: &str) -> String {
    format!("arn:aws:cloudwatch:{}:{}:metric-query-definition/{id}", ctx.region, ctx.account())
}

fn output(d: &Definition) -> PutMetricDataQueryDefinitionOutput {
    PutMetricDataQueryDefinitionOutput {
        id: d.id.clone(),
        arn: d.arn.clone(),
        path: d.path.clone(),
        expression: d.expression.clone(),
        r#type: d.kind.clone(),
        created_at: ts(d.created_ms),
        updated_at: ts(d.updated_ms),
    }
}

/// Creates a definition (no Id) or replaces one's path, expression and type (Id given);
/// tags count only on creation.
pub fn put_metric_data_query_definition(
    state: &mut CwState,
    ctx: &RequestContext,
    input: PutMetricDataQueryDefinitionInput,
) -> Result<PutMetricDataQueryDefinitionOutput, ApiError> {
    check_path(&input.path)?;
    let now_ms = ctx.now.timestamp_millis();
    let defs = &mut state.query_definitions.by_id;
    if let Some(other) = defs.values().find(|d| d.path == input.path && Some(&d.id) != input.id.as_ref()) {
        return Err(ApiError::new(
            "ConflictException",
            format!("A metric data query definition with the path {} already exists: {}.", input.path, other.id),
            409,
        ));
    }
    let definition = match &input.id {
        Some(id) => {
            let d = defs.get_mut(id).ok_or_else(|| not_found(id))?;
            d.path = input.path;
            d.expression = input.expression;
            d.kind = input.r#type;
            d.updated_ms = now_ms;
            d.clone()
        }
        None => {
            if defs.len() >= LIMIT {
                return Err(ApiError::client(
                    "LimitExceededException",
                    format!("You can have at most {LIMIT} metric data query definitions in a Region."),
                ));
            }
            let id = new_id();
            let d = Definition {
                arn: arn(ctx, &id),
                id: id.clone(),
                path: input.path,
                expression: input.expression,
                kind: input.r#type,
                created_ms: now_ms,
                updated_ms: now_ms,
            };
            let tags: Vec<(String, String)> = input.tags.into_iter().flatten().map(|t| (t.key, t.value)).collect();
            state.tags.set(&d.arn, tags);
            state.query_definitions.by_id.insert(id, d.clone());
            d
        }
    };
    Ok(output(&definition))
}

pub fn get_metric_data_query_definition(
    state: &CwState,
    _ctx: &RequestContext,
    input: GetMetricDataQueryDefinitionInput,
) -> Result<GetMetricDataQueryDefinitionOutput, ApiError> {
    let d = state.query_definitions.by_id.get(&input.id).ok_or_else(|| not_found(&input.id))?;
    let o = output(d);
    Ok(GetMetricDataQueryDefinitionOutput {
        id: o.id,
        arn: o.arn,
        path: o.path,
        expression: o.expression,
        r#type: o.r#type,
        created_at: o.created_at,
        updated_at: o.updated_at,
    })
}

fn token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("nimbus-query-definitions:{offset}"))
}

fn offset(token: &str) -> Option<usize> {
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok()?;
    String::from_utf8(text).ok()?.strip_prefix("nimbus-query-definitions:")?.parse().ok()
}

/// Summaries (no expression), in path order, paged.
pub fn list_metric_data_query_definitions(
    state: &CwState,
    _ctx: &RequestContext,
    input: ListMetricDataQueryDefinitionsInput,
) -> Result<ListMetricDataQueryDefinitionsOutput, ApiError> {
    let page = input.max_results.map_or(DEFAULT_PAGE, |m| m.clamp(1, 100) as usize);
    let start = match &input.next_token {
        None => 0,
        Some(t) => offset(t).ok_or_else(|| {
            ApiError::invalid_parameter_value(format!("The value {t} for parameter NextToken is invalid."))
        })?,
    };
    let mut all: Vec<&Definition> = state.query_definitions.by_id.values().collect();
    all.sort_by(|a, b| a.path.cmp(&b.path));
    let items = all
        .iter()
        .skip(start)
        .take(page)
        .map(|d| MetricDataQueryDefinitionSummary {
            id: d.id.clone(),
            path: d.path.clone(),
            r#type: d.kind.clone(),
            updated_at: Some(ts(d.updated_ms)),
        })
        .collect();
    Ok(ListMetricDataQueryDefinitionsOutput {
        items,
        next_token: (start + page < all.len()).then(|| token(start + page)),
    })
}

/// Idempotent: a missing definition is no error.
pub fn delete_metric_data_query_definition(
    state: &mut CwState,
    _ctx: &RequestContext,
    input: DeleteMetricDataQueryDefinitionInput,
) -> Result<DeleteMetricDataQueryDefinitionOutput, ApiError> {
    if let Some(d) = state.query_definitions.by_id.remove(&input.id) {
        state.tags.remove(&d.arn);
    }
    Ok(DeleteMetricDataQueryDefinitionOutput::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::Tag;

    fn put(s: &mut CwState, id: Option<&str>, path: &str) -> Result<PutMetricDataQueryDefinitionOutput, ApiError> {
        put_metric_data_query_definition(
            s,
            &RequestContext::for_tests(),
            PutMetricDataQueryDefinitionInput {
                id: id.map(str::to_string),
                path: path.into(),
                expression: "SELECT AVG(CPUUtilization) FROM \"AWS/EC2\"".into(),
                r#type: "SQL".into(),
                tags: Some(vec![Tag { key: "team".into(), value: "web".into() }]),
            },
        )
    }

    #[test]
    fn create_update_conflict_list_delete() {
        let ctx = RequestContext::for_tests();
        let mut s = CwState::default();
        let a = put(&mut s, None, "team/web/latency").unwrap();
        assert!(a.arn.ends_with(&format!(":metric-query-definition/{}", a.id)));
        assert_eq!(s.tags.get(&a.arn).len(), 1);
        let b = put(&mut s, None, "team/db").unwrap();
        assert_ne!(a.id, b.id);
        let conflict = put(&mut s, None, "team/db").unwrap_err();
        assert_eq!((conflict.code.as_str(), conflict.status), ("ConflictException", 409));
        // An update keeps the creation time and may take the same path again.
        let again = put(&mut s, Some(&a.id), "team/web/latency").unwrap();
        assert_eq!(again.created_at, a.created_at);
        assert_eq!(put(&mut s, Some("nope"), "x").unwrap_err().code, "ResourceNotFoundException");
        for bad in ["/x", "x/", "a//b"] {
            assert_eq!(put(&mut s, None, bad).unwrap_err().code, "InvalidParameterValue", "{bad}");
        }
        let page = list_metric_data_query_definitions(
            &s,
            &ctx,
            ListMetricDataQueryDefinitionsInput { max_results: Some(1), next_token: None },
        )
        .unwrap();
        assert_eq!(page.items[0].path, "team/db");
        let rest = list_metric_data_query_definitions(
            &s,
            &ctx,
            ListMetricDataQueryDefinitionsInput { max_results: Some(1), next_token: page.next_token },
        )
        .unwrap();
        assert_eq!(rest.items[0].path, "team/web/latency");
        assert!(rest.next_token.is_none());
        delete_metric_data_query_definition(&mut s, &ctx, DeleteMetricDataQueryDefinitionInput { id: a.id.clone() })
            .unwrap();
        delete_metric_data_query_definition(&mut s, &ctx, DeleteMetricDataQueryDefinitionInput { id: a.id.clone() })
            .unwrap();
        let gone = get_metric_data_query_definition(&s, &ctx, GetMetricDataQueryDefinitionInput { id: a.id });
        assert_eq!(gone.unwrap_err().status, 404);
        assert!(s.tags.get(&a.arn).is_empty());
    }
}
