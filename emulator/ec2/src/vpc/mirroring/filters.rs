//! Traffic Mirror filters: a description, network services (`amazon-dns`) and the rules
//! that say which packets a session copies (`rules.rs`).

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::{filter_exists, opt};
use crate::generated::dto::{
    CreateTrafficMirrorFilterRequest, CreateTrafficMirrorFilterResult, DeleteTrafficMirrorFilterRequest,
    DeleteTrafficMirrorFilterResult, DescribeTrafficMirrorFiltersRequest, DescribeTrafficMirrorFiltersResult,
    ModifyTrafficMirrorFilterNetworkServicesRequest, ModifyTrafficMirrorFilterNetworkServicesResult,
    TrafficMirrorFilter,
};
use crate::generated::{enums, errors};
use crate::state::params::one_of;
use crate::state::support::{describe_page, spec_tags, tag_pairs};
use crate::state::Ec2State;

/// The filter as AWS shows it: its rules by direction in rule-number order, its tags.
pub(super) fn shown(state: &Ec2State, id: &str) -> TrafficMirrorFilter {
    let mut f = state.mirroring.filters.get(id).cloned().unwrap_or_default();
    let mut rules: Vec<_> = state
        .mirroring
        .rules
        .values()
        .filter(|r| r.traffic_mirror_filter_id.as_deref() == Some(id))
        .map(|r| super::rules::shown(state, r))
        .collect();
    rules.sort_by_key(|r| r.rule_number);
    let direction = |d: &str| rules.iter().filter(|r| r.traffic_direction.as_deref() == Some(d)).cloned().collect();
    f.ingress_filter_rules = Some(direction("ingress"));
    f.egress_filter_rules = Some(direction("egress"));
    f.network_services = Some(f.network_services.unwrap_or_default());
    f.tags = state.dto_tags(id);
    f
}

pub fn create_traffic_mirror_filter(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: CreateTrafficMirrorFilterRequest,
) -> Result<CreateTrafficMirrorFilterResult, ApiError> {
    let tags = spec_tags(input.tag_specifications.as_deref(), "traffic-mirror-filter")?;
    let id = ids::resource_id("tmf");
    let filter = TrafficMirrorFilter {
        traffic_mirror_filter_id: Some(id.clone()),
        description: input.description,
        network_services: Some(Vec::new()),
        ..Default::default()
    };
    state.mirroring.filters.insert(id.clone(), filter);
    state.set_tags(&id, tags);
    Ok(CreateTrafficMirrorFilterResult {
        traffic_mirror_filter: Some(shown(state, &id)),
        client_token: input.client_token,
    })
}

pub fn delete_traffic_mirror_filter(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteTrafficMirrorFilterRequest,
) -> Result<DeleteTrafficMirrorFilterResult, ApiError> {
    let id = input.traffic_mirror_filter_id;
    filter_exists(state, &id)?;
    if state.mirroring.sessions.values().any(|s| s.traffic_mirror_filter_id.as_deref() == Some(id.as_str())) {
        return Err(errors::traffic_mirror_filter_in_use(&id));
    }
    state.mirroring.filters.remove(&id);
    let rules: Vec<String> = state
        .mirroring
        .rules
        .iter()
        .filter(|(_, r)| r.traffic_mirror_filter_id.as_deref() == Some(id.as_str()))
        .map(|(rid, _)| rid.clone())
        .collect();
    for rule in rules {
        state.mirroring.rules.remove(&rule);
        state.forget(&rule);
    }
    state.forget(&id);
    Ok(DeleteTrafficMirrorFilterResult { traffic_mirror_filter_id: Some(id) })
}

pub fn modify_traffic_mirror_filter_network_services(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyTrafficMirrorFilterNetworkServicesRequest,
) -> Result<ModifyTrafficMirrorFilterNetworkServicesResult, ApiError> {
    let id = input.traffic_mirror_filter_id;
    filter_exists(state, &id)?;
    let add = input.add_network_services.unwrap_or_default();
    let remove = input.remove_network_services.unwrap_or_default();
    for s in add.iter().chain(&remove) {
        one_of("NetworkService", s, enums::TRAFFIC_MIRROR_NETWORK_SERVICE)?;
    }
    let f = state.mirroring.filters.get_mut(&id).expect("checked above");
    let services = f.network_services.get_or_insert_with(Vec::new);
    for s in add {
        if !services.contains(&s) {
            services.push(s);
        }
    }
    services.retain(|s| !remove.contains(s));
    Ok(ModifyTrafficMirrorFilterNetworkServicesResult { traffic_mirror_filter: Some(shown(state, &id)) })
}

impl Filterable for TrafficMirrorFilter {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "description" => opt(&self.description),
            "traffic-mirror-filter-id" => opt(&self.traffic_mirror_filter_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_traffic_mirror_filters(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeTrafficMirrorFiltersRequest,
) -> Result<DescribeTrafficMirrorFiltersResult, ApiError> {
    let page = input.page();
    let ids = input.traffic_mirror_filter_ids.unwrap_or_default();
    let all = state.mirroring.filters.keys().map(|id| shown(state, id));
    let (items, next) = describe_page(
        &ids,
        |id| state.mirroring.filters.contains_key(id),
        errors::invalid_traffic_mirror_filter_id_not_found,
        all,
        |f| f.traffic_mirror_filter_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        page,
    )?;
    Ok(DescribeTrafficMirrorFiltersResult { traffic_mirror_filters: Some(items), next_token: next })
}
