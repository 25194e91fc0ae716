//! Traffic Mirror targets: where a session sends the packets it copies. A network
//! interface or a Gateway Load Balancer endpoint of this partition, or a Network Load
//! Balancer, whose ARN is taken on trust once its form is right (nimbus has no Elastic
//! Load Balancing).

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::opt;
use crate::generated::dto::{
    CreateTrafficMirrorTargetRequest, CreateTrafficMirrorTargetResult, DeleteTrafficMirrorTargetRequest,
    DeleteTrafficMirrorTargetResult, DescribeTrafficMirrorTargetsRequest, DescribeTrafficMirrorTargetsResult,
    TrafficMirrorTarget,
};
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::support::{describe_page, spec_tags, tag_pairs};
use crate::state::Ec2State;

/// Whether an ARN has the form of a Network Load Balancer's:
/// `arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/net/<name>/<id>`.
fn is_nlb_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [arn_, partition, service, region, account, resource] = parts[..] else { return false };
    let resource: Vec<&str> = resource.split('/').collect();
    arn_ == "arn"
        && partition.starts_with("aws")
        && service == "elasticloadbalancing"
        && !region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && matches!(resource[..], ["loadbalancer", "net", name, id] if !name.is_empty() && !id.is_empty())
}

pub fn create_traffic_mirror_target(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateTrafficMirrorTargetRequest,
) -> Result<CreateTrafficMirrorTargetResult, ApiError> {
    let given =
        [&input.network_interface_id, &input.network_load_balancer_arn, &input.gateway_load_balancer_endpoint_id]
            .iter()
            .filter(|v| v.is_some())
            .count();
    if given == 0 {
        return Err(errors::missing_parameter(
            "NetworkInterfaceId, NetworkLoadBalancerArn or GatewayLoadBalancerEndpointId",
        ));
    }
    if given > 1 {
        return Err(errors::invalid_parameter_combination(
            "Specify only one of NetworkInterfaceId, NetworkLoadBalancerArn and GatewayLoadBalancerEndpointId.",
        ));
    }
    let kind = if let Some(eni) = &input.network_interface_id {
        if !state.network_interfaces.contains_key(eni) {
            return Err(errors::invalid_network_interface_id_not_found(eni));
        }
        "network-interface"
    } else if let Some(arn) = &input.network_load_balancer_arn {
        if !is_nlb_arn(arn) {
            return Err(invalid_value("NetworkLoadBalancerArn", arn, "It is not the ARN of a Network Load Balancer."));
        }
        "network-load-balancer"
    } else {
        let vpce = input.gateway_load_balancer_endpoint_id.as_deref().unwrap_or_default();
        let endpoint = state.vpc_endpoints.get(vpce).ok_or_else(|| errors::invalid_vpc_endpoint_id_not_found(vpce))?;
        if endpoint.vpc_endpoint_type.as_deref() != Some("GatewayLoadBalancer") {
            return Err(invalid_value(
                "GatewayLoadBalancerEndpointId",
                vpce,
                "The VPC endpoint is not a Gateway Load Balancer endpoint.",
            ));
        }
        "gateway-load-balancer-endpoint"
    };
    let tags = spec_tags(input.tag_specifications.as_deref(), "traffic-mirror-target")?;
    let id = ids::resource_id("tmt");
    let target = TrafficMirrorTarget {
        traffic_mirror_target_id: Some(id.clone()),
        network_interface_id: input.network_interface_id,
        network_load_balancer_arn: input.network_load_balancer_arn,
        r#type: Some(kind.into()),
        description: input.description,
        owner_id: Some(ctx.account().to_string()),
        tags: None,
        gateway_load_balancer_endpoint_id: input.gateway_load_balancer_endpoint_id,
    };
    state.mirroring.targets.insert(id.clone(), target);
    state.set_tags(&id, tags);
    Ok(CreateTrafficMirrorTargetResult {
        traffic_mirror_target: Some(shown(state, &id)),
        client_token: input.client_token,
    })
}

fn shown(state: &Ec2State, id: &str) -> TrafficMirrorTarget {
    let mut t = state.mirroring.targets.get(id).cloned().unwrap_or_default();
    t.tags = state.dto_tags(id);
    t
}

pub fn delete_traffic_mirror_target(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteTrafficMirrorTargetRequest,
) -> Result<DeleteTrafficMirrorTargetResult, ApiError> {
    let id = input.traffic_mirror_target_id;
    if !state.mirroring.targets.contains_key(&id) {
        return Err(errors::invalid_traffic_mirror_target_id_not_found(&id));
    }
    if state.mirroring.sessions.values().any(|s| s.traffic_mirror_target_id.as_deref() == Some(id.as_str())) {
        return Err(errors::traffic_mirror_target_in_use_exception(&id));
    }
    state.mirroring.targets.remove(&id);
    state.forget(&id);
    Ok(DeleteTrafficMirrorTargetResult { traffic_mirror_target_id: Some(id) })
}

impl Filterable for TrafficMirrorTarget {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "description" => opt(&self.description),
            "network-interface-id" => opt(&self.network_interface_id),
            "network-load-balancer-arn" => opt(&self.network_load_balancer_arn),
            "owner-id" => opt(&self.owner_id),
            "traffic-mirror-target-id" => opt(&self.traffic_mirror_target_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_traffic_mirror_targets(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeTrafficMirrorTargetsRequest,
) -> Result<DescribeTrafficMirrorTargetsResult, ApiError> {
    let page = input.page();
    let ids = input.traffic_mirror_target_ids.unwrap_or_default();
    let all = state.mirroring.targets.keys().map(|id| shown(state, id));
    let (items, next) = describe_page(
        &ids,
        |id| state.mirroring.targets.contains_key(id),
        errors::invalid_traffic_mirror_target_id_not_found,
        all,
        |t| t.traffic_mirror_target_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        page,
    )?;
    Ok(DescribeTrafficMirrorTargetsResult { traffic_mirror_targets: Some(items), next_token: next })
}

#[cfg(test)]
mod tests {
    use super::is_nlb_arn;

    #[test]
    fn knows_a_network_load_balancer_arn() {
        assert!(is_nlb_arn(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/web/50dc6c495c0c9188"
        ));
        assert!(!is_nlb_arn(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
        ));
        assert!(!is_nlb_arn("arn:aws:ec2:us-east-1:123456789012:loadbalancer/net/web/1"));
        assert!(!is_nlb_arn("nlb"));
    }
}
