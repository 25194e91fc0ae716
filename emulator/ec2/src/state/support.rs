//! What every EC2 resource family shares: tags at creation, filters, pagination,
//! id checks, attribute values.

use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use nimbus_core::filter::{self, Filterable};
use nimbus_core::paging::Page;
use nimbus_core::ApiError;

use crate::generated::dto::{self, AttributeBooleanValue, Filter, TagSpecification};
use crate::generated::errors;
use crate::state::Ec2State;

/// AWS's per-resource limit.
pub const MAX_TAGS: usize = 50;

/// The tags a request's `TagSpecifications` give a resource of `resource_type`.
/// A specification for another type is refused, as AWS refuses it.
pub fn spec_tags(specs: Option<&[TagSpecification]>, resource_type: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for spec in specs.unwrap_or_default() {
        let rt = spec.resource_type.as_deref().unwrap_or("");
        if rt != resource_type {
            return Err(errors::invalid_parameter_value(format!(
                "'{rt}' is not a valid taggable resource type for this operation."
            )));
        }
        for tag in spec.tags.as_deref().unwrap_or_default() {
            out.push(validate_tag(tag)?);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(errors::tag_limit_exceeded());
    }
    Ok(out)
}

pub fn validate_tag(tag: &dto::Tag) -> Result<(String, String), ApiError> {
    let key = tag.key.clone().unwrap_or_default();
    let value = tag.value.clone().unwrap_or_default();
    if key.is_empty() || key.chars().count() > 128 {
        return Err(errors::invalid_parameter_value(format!("Tag key must be between 1 and 128 characters: '{key}'")));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(errors::invalid_parameter_value("Tag keys starting with 'aws:' are reserved for internal use"));
    }
    if value.chars().count() > 256 {
        return Err(errors::invalid_parameter_value(format!(
            "Tag value for key '{key}' must be at most 256 characters"
        )));
    }
    Ok((key, value))
}
/// Tags in AWS's shape as (key, value) pairs.
pub fn tag_pairs(tags: &Option<Vec<dto::Tag>>) -> Vec<(String, String)> {
    tags.iter().flatten().map(|t| (t.key.clone().unwrap_or_default(), t.value.clone().unwrap_or_default())).collect()
}

/// Keeps the items matching EC2 filters. An unknown filter name is refused, as AWS
/// refuses it, even when there is nothing to filter (a default item answers for the
/// resource type).
pub fn filtered<T: Filterable + Clone + Default>(
    items: impl IntoIterator<Item = T>,
    filters: Option<&[Filter]>,
) -> Result<Vec<T>, ApiError> {
    check_filter_names::<T>(filters)?;
    filtered_unchecked(items, filters)
}

/// `filtered` for row types without a default (the catalogue's regions and zones).
pub fn filtered_unchecked<T: Filterable + Clone>(
    items: impl IntoIterator<Item = T>,
    filters: Option<&[Filter]>,
) -> Result<Vec<T>, ApiError> {
    let filters: Vec<filter::Filter> = filters
        .unwrap_or_default()
        .iter()
        .map(|f| filter::Filter {
            name: f.name.clone().unwrap_or_default(),
            values: f.values.clone().unwrap_or_default(),
        })
        .collect();
    filter::apply(items, &filters)
        .map_err(|e| errors::invalid_parameter_value(format!("The filter '{}' is invalid", e.0)))
}

/// Refuses an unknown filter name even when there is nothing to filter: `filtered` meets
/// names only on the items it looks at.
pub fn check_filter_names<T: Filterable + Default>(filters: Option<&[Filter]>) -> Result<(), ApiError> {
    let probe = T::default();
    for f in filters.unwrap_or_default() {
        let one = filter::Filter { name: f.name.clone().unwrap_or_default(), values: Vec::new() };
        filter::matches(&probe, std::slice::from_ref(&one))
            .map_err(|e| errors::invalid_parameter_value(format!("The filter '{}' is invalid", e.0)))?;
    }
    Ok(())
}

/// What a Describe call of one kind of resource answers: every id asked for must exist
/// (`not_found` names the first that does not); the items, narrowed to those ids, are
/// filtered and paged by id.
pub fn describe_page<T: Filterable + Clone + Default>(
    ids: &[String],
    exists: impl Fn(&str) -> bool,
    not_found: impl Fn(String) -> ApiError,
    all: impl IntoIterator<Item = T>,
    id_of: impl Fn(&T) -> String,
    filters: Option<&[Filter]>,
    page: Page,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    if let Some(missing) = ids.iter().find(|id| !exists(id)) {
        return Err(not_found(missing.clone()));
    }
    let wanted = all.into_iter().filter(|t| ids.is_empty() || ids.contains(&id_of(t)));
    let items = filtered(wanted, filters)?;
    paginate(items, id_of, page, !ids.is_empty())
}

/// A page of `items` (already in a stable order) after the page's `NextToken`, at most
/// `MaxResults` long, with the token of the next page. `MaxResults` must lie in the range
/// the model gives it (`InvalidParameterValue`); where the model gives none, anything below
/// 1 counts as 1 and at most 1,000 items come back, as AWS answers. AWS refuses
/// `MaxResults` together with explicit ids.
pub fn paginate<T>(
    items: Vec<T>,
    id_of: impl Fn(&T) -> String,
    page: Page,
    ids_given: bool,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let max_results = match (page.max_results, page.bounds) {
        (Some(_), _) if ids_given => {
            return Err(errors::invalid_parameter_combination(
                "The parameter ids cannot be used with the parameter maxResults",
            ))
        }
        (Some(m), Some((lo, hi))) if m < lo || m > hi => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ( {m} ) for parameter maxResults is invalid. Parameter must be between {lo} and {hi}."
            )))
        }
        (Some(m), None) => Some(m.clamp(1, 1000)),
        (m, _) => m,
    };
    let start = match page.next_token.as_deref() {
        None | Some("") => 0,
        Some(token) => {
            let after = decode_token(token).ok_or_else(|| errors::invalid_next_token(token))?;
            items.iter().position(|i| id_of(i) > after).unwrap_or(items.len())
        }
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let limit = max_results.map(|m| m as usize).unwrap_or(usize::MAX);
    if rest.len() > limit {
        rest.truncate(limit);
        let token = rest.last().map(|last| encode_token(&id_of(last)));
        return Ok((rest, token));
    }
    Ok((rest, None))
}

fn encode_token(after: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("nimbus:{after}"))
}

fn decode_token(token: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(token).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("nimbus:").map(str::to_string)
}

pub fn bool_value(b: bool) -> AttributeBooleanValue {
    AttributeBooleanValue { value: Some(b) }
}

/// How long a transitional state (`pending`, `attaching`, `provisioning`, ...) lasts
/// after the change that started it: nothing, so waiters, Terraform and Ansible never
/// wait. The answer to the changing call still shows the transitional state, as AWS's
/// does; a later Describe shows the settled one.
pub const SETTLE_DELAY: TimeDelta = TimeDelta::zero();

/// Records that the resource (or one of its parts) under `key` changed state now.
pub fn mark_changed(state: &mut Ec2State, key: &str, now: DateTime<Utc>) {
    state.timestamps.insert(key.to_string(), now);
}

/// Whether the change last recorded under `key` has settled at `now`.
pub fn settled(state: &Ec2State, key: &str, now: DateTime<Utc>) -> bool {
    state.timestamps.get(key).is_none_or(|since| now >= *since + SETTLE_DELAY)
}

/// Whether more than `window` has passed at `now` since the change under `key` (how
/// long AWS keeps showing deleted, rejected or failed resources).
pub fn older_than(state: &Ec2State, key: &str, now: DateTime<Utc>, window: TimeDelta) -> bool {
    state.timestamps.get(key).is_some_and(|since| now > *since + window)
}

/// One failed item of a batch call (`Unsuccessful`), with the error AWS would have raised.
pub fn unsuccessful(resource_id: &str, err: ApiError) -> dto::UnsuccessfulItem {
    dto::UnsuccessfulItem {
        resource_id: Some(resource_id.to_string()),
        error: Some(dto::UnsuccessfulItemError { code: Some(err.code), message: Some(err.message) }),
    }
}

/// A stable 32-bit hash (FNV-1a), for ids and names that must not change between calls
/// (AWS's fixed service ids, DNS names derived from an endpoint id).
pub fn stable_hash(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_token() {
        let items: Vec<String> = (0..10).map(|i| format!("id-{i:02}")).collect();
        let page = |max: Option<i32>, token: Option<&str>| Page {
            max_results: max,
            next_token: token.map(str::to_string),
            bounds: Some((5, 1000)),
        };
        let (p1, t1) = paginate(items.clone(), |s| s.clone(), page(Some(5), None), false).unwrap();
        assert_eq!(p1.len(), 5);
        let (p2, t2) = paginate(items.clone(), |s| s.clone(), page(Some(5), t1.as_deref()), false).unwrap();
        assert_eq!(p2, items[5..].to_vec());
        assert!(t2.is_none());
        let code = |p: Page, ids: bool| paginate(items.clone(), |s| s.clone(), p, ids).unwrap_err().code;
        assert_eq!(code(page(Some(4), None), false), "InvalidParameterValue");
        assert_eq!(code(page(Some(5), None), true), "InvalidParameterCombination");
        assert_eq!(code(page(None, Some("junk")), false), "InvalidNextToken");
        // Where the model gives no range: below 1 counts as 1, at most 1,000.
        let open = Page { max_results: Some(0), bounds: None, ..Default::default() };
        assert_eq!(paginate(items.clone(), |s| s.clone(), open, false).unwrap().0.len(), 1);
    }

    #[test]
    fn tag_specifications_must_name_the_resource_type() {
        let spec = TagSpecification {
            resource_type: Some("subnet".into()),
            tags: Some(vec![dto::Tag { key: Some("Name".into()), value: Some("a".into()) }]),
        };
        assert_eq!(spec_tags(Some(std::slice::from_ref(&spec)), "subnet").unwrap(), vec![("Name".into(), "a".into())]);
        assert_eq!(spec_tags(Some(&[spec]), "vpc").unwrap_err().code, "InvalidParameterValue");
    }
}

/// Fixtures for the resource families' unit tests: a fresh partition and the VPCs,
/// subnets and route tables most tests need.
#[cfg(test)]
pub mod testing {
    use nimbus_core::RequestContext;

    use crate::generated::dto;
    use crate::state::Ec2State;
    use crate::{vpc::route_tables, vpc::subnets, vpc::vpcs};

    /// An initialised partition (default VPC and all) and a context in us-east-1.
    pub fn setup() -> (Ec2State, RequestContext) {
        let ctx = RequestContext::for_tests();
        let mut state = Ec2State::default();
        vpcs::ensure_initialized(&mut state, &ctx);
        (state, ctx)
    }

    pub fn vpc(state: &mut Ec2State, ctx: &RequestContext, cidr: &str) -> String {
        let input = dto::CreateVpcRequest { cidr_block: Some(cidr.into()), ..Default::default() };
        vpcs::create_vpc(state, ctx, input).unwrap().vpc.unwrap().vpc_id.unwrap()
    }

    pub fn subnet(state: &mut Ec2State, ctx: &RequestContext, vpc_id: &str, cidr: &str, zone: &str) -> String {
        let input = dto::CreateSubnetRequest {
            vpc_id: vpc_id.into(),
            cidr_block: Some(cidr.into()),
            availability_zone: Some(zone.into()),
            ..Default::default()
        };
        subnets::create_subnet(state, ctx, input).unwrap().subnet.unwrap().subnet_id.unwrap()
    }

    pub fn route_table(state: &mut Ec2State, ctx: &RequestContext, vpc_id: &str) -> String {
        let input = dto::CreateRouteTableRequest { vpc_id: vpc_id.into(), ..Default::default() };
        route_tables::create_route_table(state, ctx, input).unwrap().route_table.unwrap().route_table_id.unwrap()
    }

    /// The routes of a table as DescribeRouteTables shows them.
    pub fn routes(state: &Ec2State, ctx: &RequestContext, rtb: &str) -> Vec<dto::Route> {
        let input = dto::DescribeRouteTablesRequest { route_table_ids: Some(vec![rtb.into()]), ..Default::default() };
        let out = route_tables::describe_route_tables(state, ctx, input).unwrap();
        out.route_tables.unwrap().remove(0).routes.unwrap()
    }

    pub fn delete_vpc(state: &mut Ec2State, ctx: &RequestContext, vpc_id: &str) -> Result<(), nimbus_core::ApiError> {
        vpcs::delete_vpc(state, ctx, dto::DeleteVpcRequest { vpc_id: vpc_id.into(), ..Default::default() })
    }
}
