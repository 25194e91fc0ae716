//! Network Insights paths: CreateNetworkInsightsPath (a source and a destination by id
//! or ARN, addresses, protocol, port, filters at either end), DescribeNetworkInsightsPaths
//! (filters, paging), DeleteNetworkInsightsPath (refused while analyses of it exist).

use std::net::Ipv4Addr;

use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    CreateNetworkInsightsPathRequest, CreateNetworkInsightsPathResult, DeleteNetworkInsightsPathRequest,
    DeleteNetworkInsightsPathResult, DescribeNetworkInsightsPathsRequest, DescribeNetworkInsightsPathsResult,
    FilterPortRange, NetworkInsightsPath, PathFilter, PathRequestFilter, RequestFilterPortRange,
};
use crate::generated::{enums, errors};
use crate::state::params::{invalid_value, one_of};
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::Ec2State;

/// The kinds of resource a path may start or end at, by id prefix, with the resource
/// type their ARNs name.
const ENDPOINT_KINDS: &[(&str, &str)] = &[
    ("eni", "network-interface"),
    ("i", "instance"),
    ("igw", "internet-gateway"),
    ("nat", "natgateway"),
    ("pcx", "vpc-peering-connection"),
    ("tgw", "transit-gateway"),
    ("tgw-attach", "transit-gateway-attachment"),
    ("vgw", "vpn-gateway"),
    ("vpce", "vpc-endpoint"),
];

/// The ARN type of an id a path may name (the longest matching prefix).
pub fn arn_type(id: &str) -> Option<&'static str> {
    ENDPOINT_KINDS
        .iter()
        .filter(|(p, _)| id.strip_prefix(p).is_some_and(|rest| rest.len() > 1 && rest.starts_with('-')))
        .max_by_key(|(p, _)| p.len())
        .map(|(_, t)| *t)
}

/// The ARN of a resource of this partition.
pub fn arn(ctx: &RequestContext, kind: &str, id: &str) -> String {
    format!("arn:aws:ec2:{}:{}:{kind}/{id}", ctx.region, ctx.account())
}

/// The id an id-or-ARN names.
pub fn id_of(given: &str) -> &str {
    if given.starts_with("arn:") {
        given.rsplit('/').next().unwrap_or(given)
    } else {
        given
    }
}

/// Resolves a path's end: its id and ARN, or the error for a resource that does not
/// exist here (`missing`) or cannot be an end of a path.
fn resolve(
    state: &Ec2State,
    ctx: &RequestContext,
    parameter: &str,
    given: &str,
    missing: fn(&str) -> ApiError,
) -> Result<(String, String), ApiError> {
    let id = id_of(given);
    let Some(kind) = arn_type(id) else {
        return Err(invalid_value(
            parameter,
            given,
            "The resource must be an instance, network interface, internet gateway, NAT gateway, VPC peering \
             connection, transit gateway, transit gateway attachment, VPN gateway or VPC endpoint.",
        ));
    };
    if !state.exists(id) {
        return Err(missing(id));
    }
    Ok((id.to_string(), arn(ctx, kind, id)))
}

fn check_address(parameter: &str, value: &Option<String>) -> Result<(), ApiError> {
    match value {
        Some(v) if v.parse::<Ipv4Addr>().is_err() => Err(invalid_value(parameter, v, "Expected an IPv4 address.")),
        _ => Ok(()),
    }
}

fn check_port(parameter: &str, port: Option<i32>) -> Result<(), ApiError> {
    match port {
        Some(p) if !(0..=65535).contains(&p) => {
            Err(invalid_value(parameter, p, "The port must be between 0 and 65535."))
        }
        _ => Ok(()),
    }
}

fn check_range(parameter: &str, range: &Option<RequestFilterPortRange>) -> Result<(), ApiError> {
    let Some(r) = range else { return Ok(()) };
    check_port(&format!("{parameter}.FromPort"), r.from_port)?;
    check_port(&format!("{parameter}.ToPort"), r.to_port)?;
    if let (Some(from), Some(to)) = (r.from_port, r.to_port) {
        if from > to {
            return Err(invalid_value(
                &format!("{parameter}.FromPort"),
                from,
                "The start of a port range must not exceed its end.",
            ));
        }
    }
    Ok(())
}

fn check_filter(parameter: &str, filter: &Option<PathRequestFilter>) -> Result<(), ApiError> {
    let Some(f) = filter else { return Ok(()) };
    check_address(&format!("{parameter}.SourceAddress"), &f.source_address)?;
    check_address(&format!("{parameter}.DestinationAddress"), &f.destination_address)?;
    check_range(&format!("{parameter}.SourcePortRange"), &f.source_port_range)?;
    check_range(&format!("{parameter}.DestinationPortRange"), &f.destination_port_range)
}

fn shown_range(r: &Option<RequestFilterPortRange>) -> Option<FilterPortRange> {
    r.as_ref().map(|r| FilterPortRange { from_port: r.from_port, to_port: r.to_port })
}

fn shown_filter(f: &Option<PathRequestFilter>) -> Option<PathFilter> {
    f.as_ref().map(|f| PathFilter {
        source_address: f.source_address.clone(),
        source_port_range: shown_range(&f.source_port_range),
        destination_address: f.destination_address.clone(),
        destination_port_range: shown_range(&f.destination_port_range),
    })
}

/// A path as Describe shows it.
pub fn describe_one(state: &Ec2State, id: &str) -> NetworkInsightsPath {
    let mut p = state.insights.paths[id].clone();
    p.tags = state.dto_tags(id);
    p
}

pub fn create_network_insights_path(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateNetworkInsightsPathRequest,
) -> Result<CreateNetworkInsightsPathResult, ApiError> {
    one_of("protocol", &input.protocol, enums::PROTOCOL)?;
    check_address("sourceIp", &input.source_ip)?;
    check_address("destinationIp", &input.destination_ip)?;
    check_port("destinationPort", input.destination_port)?;
    check_filter("FilterAtSource", &input.filter_at_source)?;
    check_filter("FilterAtDestination", &input.filter_at_destination)?;
    // AWS's documentation of the filters: FilterAtSource excludes SourceIp and
    // DestinationPort, FilterAtDestination excludes DestinationIp.
    if input.filter_at_source.is_some() && (input.source_ip.is_some() || input.destination_port.is_some()) {
        return Err(errors::invalid_parameter_combination(
            "FilterAtSource cannot be used with SourceIp or DestinationPort.",
        ));
    }
    if input.filter_at_destination.is_some() && input.destination_ip.is_some() {
        return Err(errors::invalid_parameter_combination("FilterAtDestination cannot be used with DestinationIp."));
    }
    let at_source_destination = input.filter_at_source.as_ref().and_then(|f| f.destination_address.as_ref());
    if input.destination.as_deref().unwrap_or_default().is_empty() && at_source_destination.is_none() {
        return Err(ApiError::client(
            "MissingParameter",
            "The request must include either the Destination parameter or the FilterAtSource.DestinationAddress \
             parameter. Add the required parameter and retry the request.",
        ));
    }
    let (source, source_arn) =
        resolve(state, ctx, "source", &input.source, |id| errors::network_insights_source_not_found(id))?;
    let destination = match input.destination.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => {
            Some(resolve(state, ctx, "destination", d, |id| errors::network_insights_destination_not_found(id))?)
        }
        None => None,
    };
    let tags = spec_tags(input.tag_specifications.as_deref(), "network-insights-path")?;
    let id = ids::resource_id("nip");
    let path = NetworkInsightsPath {
        network_insights_path_id: Some(id.clone()),
        network_insights_path_arn: Some(arn(ctx, "network-insights-path", &id)),
        created_date: Some(Timestamp(ctx.now)),
        source: Some(source),
        source_arn: Some(source_arn),
        destination: destination.as_ref().map(|d| d.0.clone()),
        destination_arn: destination.map(|d| d.1),
        source_ip: input.source_ip,
        destination_ip: input.destination_ip,
        protocol: Some(input.protocol),
        destination_port: input.destination_port,
        tags: None,
        filter_at_source: shown_filter(&input.filter_at_source),
        filter_at_destination: shown_filter(&input.filter_at_destination),
    };
    state.insights.paths.insert(id.clone(), path);
    state.set_tags(&id, tags);
    Ok(CreateNetworkInsightsPathResult { network_insights_path: Some(describe_one(state, &id)) })
}

fn range_value(r: &Option<FilterPortRange>) -> Vec<String> {
    r.iter().map(|r| format!("{}-{}", r.from_port.unwrap_or(0), r.to_port.unwrap_or(65535))).collect()
}

impl Filterable for NetworkInsightsPath {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        let (at_source, at_destination) = (self.filter_at_source.as_ref(), self.filter_at_destination.as_ref());
        let address = |f: Option<&PathFilter>, source: bool| {
            f.and_then(|f| if source { f.source_address.clone() } else { f.destination_address.clone() })
                .into_iter()
                .collect::<Vec<_>>()
        };
        let ports = |f: Option<&PathFilter>, source: bool| {
            f.map(|f| range_value(if source { &f.source_port_range } else { &f.destination_port_range }))
                .unwrap_or_default()
        };
        Some(match name {
            "destination" => one(&self.destination),
            "filter-at-source.source-address" => address(at_source, true),
            "filter-at-source.source-port-range" => ports(at_source, true),
            "filter-at-source.destination-address" => address(at_source, false),
            "filter-at-source.destination-port-range" => ports(at_source, false),
            "filter-at-destination.source-address" => address(at_destination, true),
            "filter-at-destination.source-port-range" => ports(at_destination, true),
            "filter-at-destination.destination-address" => address(at_destination, false),
            "filter-at-destination.destination-port-range" => ports(at_destination, false),
            "protocol" => one(&self.protocol),
            "source" => one(&self.source),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

/// A path of the partition, or AWS's error: `NotFound` for a well-formed id,
/// `Malformed` otherwise.
pub fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a NetworkInsightsPath, ApiError> {
    state.insights.paths.get(id).ok_or_else(|| {
        if id.starts_with("nip-") {
            errors::invalid_network_insights_path_id_not_found(id)
        } else {
            errors::invalid_network_insights_path_id_malformed(id)
        }
    })
}

pub fn describe_network_insights_paths(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeNetworkInsightsPathsRequest,
) -> Result<DescribeNetworkInsightsPathsResult, ApiError> {
    let paging = input.page();
    let ids = input.network_insights_path_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all =
        state.insights.paths.keys().filter(|id| ids.is_empty() || ids.contains(id)).map(|id| describe_one(state, id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |p| p.network_insights_path_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeNetworkInsightsPathsResult { network_insights_paths: Some(page), next_token: next })
}

pub fn delete_network_insights_path(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteNetworkInsightsPathRequest,
) -> Result<DeleteNetworkInsightsPathResult, ApiError> {
    let id = input.network_insights_path_id;
    get(state, &id)?;
    if state.insights.path_has_analyses(&id) {
        return Err(errors::analysis_exists_for_network_insights_path(&id));
    }
    state.insights.paths.remove(&id);
    state.forget(&id);
    Ok(DeleteNetworkInsightsPathResult { network_insights_path_id: Some(id) })
}
