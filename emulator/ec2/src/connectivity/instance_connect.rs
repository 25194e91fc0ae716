//! EC2 Instance Connect endpoints: an endpoint in one subnet, behind security groups
//! (the VPC's default group unless given), reached through its DNS names; AWS gives it a
//! requester-managed network interface in the subnet, which keeps the subnet, the VPC and
//! the groups in use until the endpoint is deleted. `create-in-progress` ->
//! `create-complete`, `update-in-progress` -> `update-complete`; a deleted endpoint is
//! answered `delete-in-progress` and is gone.

use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    CreateInstanceConnectEndpointRequest, CreateInstanceConnectEndpointResult, DeleteInstanceConnectEndpointRequest,
    DeleteInstanceConnectEndpointResult, DescribeInstanceConnectEndpointsRequest,
    DescribeInstanceConnectEndpointsResult, Ec2InstanceConnectEndpoint, InstanceConnectEndpointDnsNames,
    InstanceConnectEndpointPublicDnsNames, ModifyInstanceConnectEndpointRequest, ModifyInstanceConnectEndpointResult,
};
use crate::generated::{enums, errors};
use crate::state::params::one_of;
use crate::state::support::{filtered, mark_changed, paginate, settled, spec_tags, stable_hash, tag_pairs};
use crate::state::Ec2State;
use crate::vpc::interfaces::records::{create_interface_record, remove_interface_record, resolve_groups, NewInterface};
use crate::vpc::subnets;

/// The stored state of a settled endpoint, and what it shows while the last change runs.
const COMPLETE: &str = "create-complete";

fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a Ec2InstanceConnectEndpoint, ApiError> {
    state.connectivity.instance_connect_endpoints.get(id).ok_or_else(|| {
        let well_formed =
            id.strip_prefix("eice-").is_some_and(|h| h.len() == 17 && h.chars().all(|c| c.is_ascii_hexdigit()));
        if well_formed {
            errors::invalid_instance_connect_endpoint_id_not_found(id)
        } else {
            errors::invalid_instance_connect_endpoint_id_malformed(id)
        }
    })
}

/// An endpoint as Describe shows it at the request's time.
fn describe_one(state: &Ec2State, ctx: &RequestContext, id: &str) -> Ec2InstanceConnectEndpoint {
    let mut e = state.connectivity.instance_connect_endpoints[id].clone();
    if !settled(state, id, ctx.now) {
        e.state = Some(match e.state.as_deref() {
            Some("update-complete") => "update-in-progress".into(),
            _ => "create-in-progress".into(),
        });
    }
    e.tags = state.dto_tags(id);
    e
}

/// The endpoint's DNS names: `<id>.<token>.ec2-instance-connect-endpoint.<region>.amazonaws.com`
/// and its FIPS form.
fn dns_names(region: &str, id: &str) -> InstanceConnectEndpointDnsNames {
    let token = format!("{:08x}", stable_hash(id));
    InstanceConnectEndpointDnsNames {
        dns_name: Some(format!("{id}.{token}.ec2-instance-connect-endpoint.{region}.amazonaws.com")),
        fips_dns_name: Some(format!("{id}.{token}.fips.ec2-instance-connect-endpoint.{region}.amazonaws.com")),
    }
}

pub fn create_instance_connect_endpoint(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateInstanceConnectEndpointRequest,
) -> Result<CreateInstanceConnectEndpointResult, ApiError> {
    let subnet = subnets::get(state, &input.subnet_id)?.subnet.clone();
    let vpc_id = subnet.vpc_id.clone().unwrap_or_default();
    let ip_type = input.ip_address_type.clone().unwrap_or_else(|| "ipv4".into());
    one_of("IpAddressType", &ip_type, enums::IP_ADDRESS_TYPE)?;
    if ip_type != "ipv4" && subnet.ipv6_cidr_block_association_set.iter().flatten().next().is_none() {
        return Err(errors::invalid_parameter_value(format!(
            "The subnet {} has no IPv6 CIDR block; IpAddressType {ip_type} needs one.",
            input.subnet_id
        )));
    }
    let groups = resolve_groups(state, &vpc_id, &input.subnet_id, input.security_group_ids.as_deref())?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "instance-connect-endpoint")?;
    let ip = subnets::allocate_ip(state, &input.subnet_id, None)?;
    let id = ids::resource_id("eice");
    let eni = create_interface_record(
        state,
        ctx,
        NewInterface {
            subnet_id: input.subnet_id.clone(),
            ips: vec![ip],
            groups: groups.clone(),
            description: format!("EC2 Instance Connect Endpoint {id}"),
            interface_type: "ec2_instance_connect_endpoint".into(),
            requester_managed: true,
        },
    );
    let names = dns_names(&ctx.region, &id);
    let endpoint = Ec2InstanceConnectEndpoint {
        owner_id: Some(ctx.account().to_string()),
        instance_connect_endpoint_id: Some(id.clone()),
        instance_connect_endpoint_arn: Some(format!(
            "arn:aws:ec2:{}:{}:instance-connect-endpoint/{id}",
            ctx.region,
            ctx.account()
        )),
        state: Some(COMPLETE.into()),
        state_message: Some(String::new()),
        dns_name: names.dns_name.clone(),
        fips_dns_name: names.fips_dns_name.clone(),
        network_interface_ids: Some(vec![eni]),
        vpc_id: Some(vpc_id),
        availability_zone: subnet.availability_zone.clone(),
        availability_zone_id: subnet.availability_zone_id.clone(),
        created_at: Some(Timestamp(ctx.now)),
        subnet_id: Some(input.subnet_id.clone()),
        preserve_client_ip: Some(input.preserve_client_ip.unwrap_or(false)),
        security_group_ids: Some(groups.into_iter().filter_map(|g| g.group_id).collect()),
        ip_address_type: Some(ip_type),
        public_dns_names: Some(InstanceConnectEndpointPublicDnsNames { ipv4: Some(names), dualstack: None }),
        tags: None,
    };
    state.connectivity.instance_connect_endpoints.insert(id.clone(), endpoint);
    state.set_tags(&id, tags);
    mark_changed(state, &id, ctx.now);
    let mut shown = describe_one(state, ctx, &id);
    shown.state = Some("create-in-progress".into());
    Ok(CreateInstanceConnectEndpointResult { instance_connect_endpoint: Some(shown), client_token: input.client_token })
}

pub fn modify_instance_connect_endpoint(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyInstanceConnectEndpointRequest,
) -> Result<ModifyInstanceConnectEndpointResult, ApiError> {
    let e = get(state, &input.instance_connect_endpoint_id)?.clone();
    let id = input.instance_connect_endpoint_id.clone();
    if !settled(state, &id, ctx.now) {
        return Err(errors::incorrect_state(format!(
            "The instance connect endpoint {id} is not in a state to be modified."
        )));
    }
    if input.ip_address_type.is_none() && input.security_group_ids.is_none() && input.preserve_client_ip.is_none() {
        return Err(errors::missing_parameter("SecurityGroupIds, PreserveClientIp or IpAddressType"));
    }
    let mut e = e;
    if let Some(t) = &input.ip_address_type {
        one_of("IpAddressType", t, enums::IP_ADDRESS_TYPE)?;
        e.ip_address_type = Some(t.clone());
    }
    if let Some(given) = input.security_group_ids.as_deref() {
        let subnet_id = e.subnet_id.clone().unwrap_or_default();
        let groups = resolve_groups(state, e.vpc_id.as_deref().unwrap_or_default(), &subnet_id, Some(given))?;
        for eni in e.network_interface_ids.iter().flatten() {
            if let Some(i) = state.network_interfaces.get_mut(eni) {
                i.groups = Some(groups.clone());
            }
        }
        e.security_group_ids = Some(groups.into_iter().filter_map(|g| g.group_id).collect());
    }
    if let Some(p) = input.preserve_client_ip {
        e.preserve_client_ip = Some(p);
    }
    e.state = Some("update-complete".into());
    state.connectivity.instance_connect_endpoints.insert(id.clone(), e);
    mark_changed(state, &id, ctx.now);
    Ok(ModifyInstanceConnectEndpointResult { r#return: Some(true) })
}

/// The endpoint and its network interface go; the answer shows it `delete-in-progress`.
pub fn delete_instance_connect_endpoint(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteInstanceConnectEndpointRequest,
) -> Result<DeleteInstanceConnectEndpointResult, ApiError> {
    get(state, &input.instance_connect_endpoint_id)?;
    let mut shown = describe_one(state, ctx, &input.instance_connect_endpoint_id);
    shown.state = Some("delete-in-progress".into());
    if let Some(e) = state.connectivity.instance_connect_endpoints.remove(&input.instance_connect_endpoint_id) {
        for eni in e.network_interface_ids.iter().flatten() {
            remove_interface_record(state, eni);
        }
    }
    state.forget(&input.instance_connect_endpoint_id);
    Ok(DeleteInstanceConnectEndpointResult { instance_connect_endpoint: Some(shown) })
}

impl Filterable for Ec2InstanceConnectEndpoint {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "instance-connect-endpoint-id" => opt(&self.instance_connect_endpoint_id),
            "state" => opt(&self.state),
            "subnet-id" => opt(&self.subnet_id),
            "vpc-id" => opt(&self.vpc_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_instance_connect_endpoints(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeInstanceConnectEndpointsRequest,
) -> Result<DescribeInstanceConnectEndpointsResult, ApiError> {
    let paging = input.page();
    let ids = input.instance_connect_endpoint_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all = state
        .connectivity
        .instance_connect_endpoints
        .keys()
        .filter(|id| ids.is_empty() || ids.contains(id))
        .map(|id| describe_one(state, ctx, id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |e| e.instance_connect_endpoint_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeInstanceConnectEndpointsResult { instance_connect_endpoints: Some(page), next_token: next })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, network, refused};
    use crate::Ec2;

    #[test]
    fn an_endpoint_holds_an_interface_in_its_subnet_until_deleted() {
        let ec2 = Ec2::default();
        let ctx = nimbus_core::RequestContext::for_tests();
        let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
        let made = call(&ec2, &ctx, "CreateInstanceConnectEndpoint", json!({"SubnetId": subnet}));
        let e = &made["InstanceConnectEndpoint"];
        assert_eq!(e["State"], "create-in-progress");
        let id = e["InstanceConnectEndpointId"].as_str().unwrap().to_string();
        assert!(e["DnsName"].as_str().unwrap().ends_with(".ec2-instance-connect-endpoint.us-east-1.amazonaws.com"));
        assert_eq!(e["PreserveClientIp"], false);
        assert_eq!(e["SecurityGroupIds"].as_array().unwrap().len(), 1, "the VPC's default group");
        let eni = e["NetworkInterfaceIds"][0].as_str().unwrap().to_string();
        let shown = call(&ec2, &ctx, "DescribeInstanceConnectEndpoints", json!({"InstanceConnectEndpointIds": [id]}));
        assert_eq!(shown["InstanceConnectEndpoints"][0]["State"], "create-complete");
        let enis = call(&ec2, &ctx, "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": [eni]}));
        assert_eq!(enis["NetworkInterfaces"][0]["RequesterManaged"], true);
        assert_eq!(refused(&ec2, &ctx, "DeleteSubnet", json!({"SubnetId": subnet})), "DependencyViolation");
        assert_eq!(refused(&ec2, &ctx, "DeleteVpc", json!({"VpcId": vpc})), "DependencyViolation");
        call(
            &ec2,
            &ctx,
            "ModifyInstanceConnectEndpoint",
            json!({"InstanceConnectEndpointId": id, "PreserveClientIp": true}),
        );
        let shown = call(&ec2, &ctx, "DescribeInstanceConnectEndpoints", json!({}));
        assert_eq!(shown["InstanceConnectEndpoints"][0]["PreserveClientIp"], true);
        assert_eq!(shown["InstanceConnectEndpoints"][0]["State"], "update-complete");
        let gone = call(&ec2, &ctx, "DeleteInstanceConnectEndpoint", json!({"InstanceConnectEndpointId": id}));
        assert_eq!(gone["InstanceConnectEndpoint"]["State"], "delete-in-progress");
        call(&ec2, &ctx, "DeleteSubnet", json!({"SubnetId": subnet}));
        let again = json!({"InstanceConnectEndpointIds": [id]});
        assert_eq!(
            refused(&ec2, &ctx, "DescribeInstanceConnectEndpoints", again),
            "InvalidInstanceConnectEndpointId.NotFound"
        );
        let bad = json!({"InstanceConnectEndpointId": "nope"});
        assert_eq!(
            refused(&ec2, &ctx, "DeleteInstanceConnectEndpoint", bad),
            "InvalidInstanceConnectEndpointId.Malformed"
        );
    }
}
