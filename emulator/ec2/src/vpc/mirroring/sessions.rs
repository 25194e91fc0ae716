//! Traffic Mirror sessions: a source interface's packets, as a filter lets them through,
//! copied to a target. The session number orders the (at most three) sessions of one
//! source; the VXLAN network id is the caller's or an unused one chosen at random.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::{filter_exists, num, opt};
use crate::generated::dto::{
    CreateTrafficMirrorSessionRequest, CreateTrafficMirrorSessionResult, DeleteTrafficMirrorSessionRequest,
    DeleteTrafficMirrorSessionResult, DescribeTrafficMirrorSessionsRequest, DescribeTrafficMirrorSessionsResult,
    ModifyTrafficMirrorSessionRequest, ModifyTrafficMirrorSessionResult, TrafficMirrorSession,
};
use crate::generated::{enums, errors};
use crate::state::params::{invalid_value, one_of};
use crate::state::support::{describe_page, spec_tags, tag_pairs};
use crate::state::Ec2State;

/// AWS's quota: sessions per source network interface.
pub const SESSIONS_PER_INTERFACE: usize = 3;
/// The largest packet length AWS mirrors, and what it mirrors to a Network Load Balancer
/// when none is given (CreateTrafficMirrorSession's documentation).
pub const MAX_PACKET_LENGTH: i32 = 8500;
/// VXLAN network ids are 24 bits.
const MAX_VNI: i32 = (1 << 24) - 1;

fn target_exists(state: &Ec2State, id: &str) -> Result<(), ApiError> {
    if state.mirroring.targets.contains_key(id) {
        Ok(())
    } else {
        Err(errors::invalid_traffic_mirror_target_id_not_found(id))
    }
}

/// A VXLAN network id no session of the account uses here.
fn unused_vni(state: &Ec2State) -> i32 {
    let used: std::collections::BTreeSet<i32> = state.mirroring.virtual_network_ids().collect();
    loop {
        let vni = ids::below(MAX_VNI as u64) as i32 + 1;
        if !used.contains(&vni) {
            return vni;
        }
    }
}

/// Checks a session as it would stand after a create or modify.
fn check(state: &Ec2State, s: &TrafficMirrorSession) -> Result<(), ApiError> {
    let eni = s.network_interface_id.as_deref().unwrap_or_default();
    let number = s.session_number.unwrap_or_default();
    if !(1..=32766).contains(&number) {
        return Err(invalid_value("SessionNumber", number, "Session numbers must be between 1 and 32766."));
    }
    if let Some(len) = s.packet_length {
        if !(1..=MAX_PACKET_LENGTH).contains(&len) {
            return Err(invalid_value("PacketLength", len, "Valid values are 1-8500."));
        }
    }
    if let Some(vni) = s.virtual_network_id {
        if !(1..=MAX_VNI).contains(&vni) {
            return Err(invalid_value("VirtualNetworkId", vni, "Valid values are 1-16777215."));
        }
    }
    let target = s.traffic_mirror_target_id.as_deref().unwrap_or_default();
    target_exists(state, target)?;
    filter_exists(state, s.traffic_mirror_filter_id.as_deref().unwrap_or_default())?;
    if state.mirroring.targets.values().any(|t| t.network_interface_id.as_deref() == Some(eni)) {
        return Err(invalid_value(
            "NetworkInterfaceId",
            eni,
            "The network interface is a Traffic Mirror target and cannot be a Traffic Mirror source.",
        ));
    }
    let id = s.traffic_mirror_session_id.as_deref();
    let siblings = || {
        state.mirroring.sessions.values().filter(move |o| {
            o.network_interface_id.as_deref() == Some(eni) && o.traffic_mirror_session_id.as_deref() != id
        })
    };
    if let Some(other) = siblings().find(|o| o.session_number == Some(number)) {
        return Err(invalid_value(
            "SessionNumber",
            number,
            &format!(
                "Session {} already has this session number for network interface {eni}.",
                other.traffic_mirror_session_id.as_deref().unwrap_or_default()
            ),
        ));
    }
    if id.is_none() && siblings().count() >= SESSIONS_PER_INTERFACE {
        return Err(errors::traffic_mirror_sessions_per_interface_limit_exceeded(eni, SESSIONS_PER_INTERFACE));
    }
    Ok(())
}

fn shown(state: &Ec2State, id: &str) -> TrafficMirrorSession {
    let mut s = state.mirroring.sessions.get(id).cloned().unwrap_or_default();
    s.tags = state.dto_tags(id);
    s
}

fn targets_nlb(state: &Ec2State, target: &str) -> bool {
    state.mirroring.targets.get(target).is_some_and(|t| t.r#type.as_deref() == Some("network-load-balancer"))
}

pub fn create_traffic_mirror_session(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateTrafficMirrorSessionRequest,
) -> Result<CreateTrafficMirrorSessionResult, ApiError> {
    let eni = input.network_interface_id;
    if !state.network_interfaces.contains_key(&eni) {
        return Err(errors::invalid_network_interface_id_not_found(&eni));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "traffic-mirror-session")?;
    let packet_length = input
        .packet_length
        .or_else(|| targets_nlb(state, &input.traffic_mirror_target_id).then_some(MAX_PACKET_LENGTH));
    let mut s = TrafficMirrorSession {
        traffic_mirror_session_id: None,
        traffic_mirror_target_id: Some(input.traffic_mirror_target_id),
        traffic_mirror_filter_id: Some(input.traffic_mirror_filter_id),
        network_interface_id: Some(eni),
        owner_id: Some(ctx.account().to_string()),
        packet_length,
        session_number: Some(input.session_number),
        virtual_network_id: input.virtual_network_id,
        description: input.description,
        tags: None,
    };
    check(state, &s)?;
    if s.virtual_network_id.is_none() {
        s.virtual_network_id = Some(unused_vni(state));
    }
    let id = ids::resource_id("tms");
    s.traffic_mirror_session_id = Some(id.clone());
    state.mirroring.sessions.insert(id.clone(), s);
    state.set_tags(&id, tags);
    Ok(CreateTrafficMirrorSessionResult {
        traffic_mirror_session: Some(shown(state, &id)),
        client_token: input.client_token,
    })
}

pub fn modify_traffic_mirror_session(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyTrafficMirrorSessionRequest,
) -> Result<ModifyTrafficMirrorSessionResult, ApiError> {
    let id = input.traffic_mirror_session_id.as_str();
    let mut s = state
        .mirroring
        .sessions
        .get(id)
        .cloned()
        .ok_or_else(|| errors::invalid_traffic_mirror_session_id_not_found(id))?;
    let remove = input.remove_fields.unwrap_or_default();
    for field in &remove {
        one_of("RemoveField", field, enums::TRAFFIC_MIRROR_SESSION_FIELD)?;
    }
    let set = [
        ("packet-length", input.packet_length.is_some()),
        ("description", input.description.is_some()),
        ("virtual-network-id", input.virtual_network_id.is_some()),
    ];
    if let Some((field, _)) = set.iter().find(|(f, given)| *given && remove.iter().any(|r| r == f)) {
        return Err(errors::invalid_parameter_combination(format!(
            "The field {field} cannot be both set and removed in one request."
        )));
    }
    if let Some(v) = input.traffic_mirror_target_id {
        s.traffic_mirror_target_id = Some(v);
    }
    if let Some(v) = input.traffic_mirror_filter_id {
        s.traffic_mirror_filter_id = Some(v);
    }
    if let Some(v) = input.packet_length {
        s.packet_length = Some(v);
    }
    if let Some(v) = input.session_number {
        s.session_number = Some(v);
    }
    if let Some(v) = input.virtual_network_id {
        s.virtual_network_id = Some(v);
    }
    if let Some(v) = input.description {
        s.description = Some(v);
    }
    for field in &remove {
        match field.as_str() {
            "packet-length" => s.packet_length = None,
            "virtual-network-id" => s.virtual_network_id = None,
            _ => s.description = None,
        }
    }
    check(state, &s)?;
    if s.virtual_network_id.is_none() {
        s.virtual_network_id = Some(unused_vni(state));
    }
    state.mirroring.sessions.insert(id.to_string(), s);
    Ok(ModifyTrafficMirrorSessionResult { traffic_mirror_session: Some(shown(state, id)) })
}

pub fn delete_traffic_mirror_session(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteTrafficMirrorSessionRequest,
) -> Result<DeleteTrafficMirrorSessionResult, ApiError> {
    let id = input.traffic_mirror_session_id;
    if state.mirroring.sessions.remove(&id).is_none() {
        return Err(errors::invalid_traffic_mirror_session_id_not_found(&id));
    }
    state.forget(&id);
    Ok(DeleteTrafficMirrorSessionResult { traffic_mirror_session_id: Some(id) })
}

impl Filterable for TrafficMirrorSession {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "description" => opt(&self.description),
            "network-interface-id" => opt(&self.network_interface_id),
            "owner-id" => opt(&self.owner_id),
            "packet-length" => num(self.packet_length),
            "session-number" => num(self.session_number),
            "traffic-mirror-filter-id" => opt(&self.traffic_mirror_filter_id),
            "traffic-mirror-session-id" => opt(&self.traffic_mirror_session_id),
            "traffic-mirror-target-id" => opt(&self.traffic_mirror_target_id),
            "virtual-network-id" => num(self.virtual_network_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_traffic_mirror_sessions(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeTrafficMirrorSessionsRequest,
) -> Result<DescribeTrafficMirrorSessionsResult, ApiError> {
    let page = input.page();
    let ids = input.traffic_mirror_session_ids.unwrap_or_default();
    let all = state.mirroring.sessions.keys().map(|id| shown(state, id));
    let (items, next) = describe_page(
        &ids,
        |id| state.mirroring.sessions.contains_key(id),
        errors::invalid_traffic_mirror_session_id_not_found,
        all,
        |s| s.traffic_mirror_session_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        page,
    )?;
    Ok(DescribeTrafficMirrorSessionsResult { traffic_mirror_sessions: Some(items), next_token: next })
}
