//! An endpoint's type-specific options: what each type needs, checked against the
//! network (subnets, interfaces, security groups of one VPC), in the shape Describe
//! answers. Load balancer and RDS ARNs are taken on trust: nimbus has neither ELB nor RDS.

use nimbus_core::ApiError;

use crate::generated::dto::{
    CreateVerifiedAccessEndpointPortRange, CreateVerifiedAccessEndpointRequest, ModifyVerifiedAccessEndpointPortRange,
    VerifiedAccessEndpointCidrOptions, VerifiedAccessEndpointEniOptions, VerifiedAccessEndpointLoadBalancerOptions,
    VerifiedAccessEndpointPortRange, VerifiedAccessEndpointRdsOptions,
};
use crate::generated::{enums, errors};
use crate::state::cidr::Ipv4Cidr;
use crate::state::params::one_of;
use crate::state::Ec2State;

/// The options of a new endpoint, of exactly its type.
#[derive(Default)]
pub struct Options {
    pub load_balancer: Option<VerifiedAccessEndpointLoadBalancerOptions>,
    pub eni: Option<VerifiedAccessEndpointEniOptions>,
    pub rds: Option<VerifiedAccessEndpointRdsOptions>,
    pub cidr: Option<VerifiedAccessEndpointCidrOptions>,
    /// The VPC the endpoint reaches into (of its subnets or interface).
    pub vpc_id: Option<String>,
    /// `http` or `https`: the endpoint needs an application domain and a certificate.
    pub web: bool,
}

fn protocol(given: Option<&str>, member: &str) -> Result<Option<String>, ApiError> {
    if let Some(p) = given {
        one_of(member, p, enums::VERIFIED_ACCESS_ENDPOINT_PROTOCOL)?;
    }
    Ok(given.map(str::to_string))
}

/// Port ranges as answered; each must run upwards.
pub fn port_ranges(
    given: Option<Vec<(Option<i32>, Option<i32>)>>,
    member: &str,
) -> Result<Option<Vec<VerifiedAccessEndpointPortRange>>, ApiError> {
    let Some(given) = given else { return Ok(None) };
    let mut out = Vec::new();
    for (from, to) in given {
        let (Some(from), Some(to)) = (from, to) else {
            return Err(errors::missing_parameter(format!("{member}.FromPort and {member}.ToPort")));
        };
        if !(1..=65535).contains(&from) || !(1..=65535).contains(&to) || from > to {
            return Err(errors::invalid_parameter_value(format!(
                "The port range {from}-{to} is not valid. Ports must be between 1 and 65535, FromPort not above ToPort."
            )));
        }
        out.push(VerifiedAccessEndpointPortRange { from_port: Some(from), to_port: Some(to) });
    }
    Ok(Some(out))
}

pub fn create_ranges(
    r: &Option<Vec<CreateVerifiedAccessEndpointPortRange>>,
) -> Option<Vec<(Option<i32>, Option<i32>)>> {
    r.as_ref().map(|v| v.iter().map(|p| (p.from_port, p.to_port)).collect())
}

pub fn modify_ranges(
    r: &Option<Vec<ModifyVerifiedAccessEndpointPortRange>>,
) -> Option<Vec<(Option<i32>, Option<i32>)>> {
    r.as_ref().map(|v| v.iter().map(|p| (p.from_port, p.to_port)).collect())
}

/// The VPC of subnets that must exist and share one VPC.
pub fn subnets_vpc(state: &Ec2State, subnets: &[String]) -> Result<Option<String>, ApiError> {
    let mut vpc: Option<String> = None;
    for id in subnets {
        let subnet = state.subnets.get(id).ok_or_else(|| errors::invalid_subnet_id_not_found(id))?;
        let this = subnet.subnet.vpc_id.clone();
        if vpc.is_some() && vpc != this {
            return Err(errors::invalid_parameter_value("The subnets must all be in the same VPC."));
        }
        vpc = this;
    }
    Ok(vpc)
}

fn arn_of(value: &str, service: &str, member: &str) -> Result<(), ApiError> {
    if value.starts_with("arn:") && value.split(':').nth(2) == Some(service) {
        return Ok(());
    }
    Err(errors::invalid_parameter_value(format!("The value '{value}' for parameter {member} is not a valid ARN.")))
}

fn present<T>(given: &Option<T>, what: &str, endpoint_type: &str) -> Result<(), ApiError> {
    if given.is_some() {
        return Err(errors::invalid_parameter_combination(format!(
            "{what} cannot be specified for an endpoint of type {endpoint_type}."
        )));
    }
    Ok(())
}

pub fn for_create(state: &Ec2State, input: &CreateVerifiedAccessEndpointRequest) -> Result<Options, ApiError> {
    let t = input.endpoint_type.as_str();
    let mut out = Options::default();
    if t != "load-balancer" {
        present(&input.load_balancer_options, "LoadBalancerOptions", t)?;
    }
    if t != "network-interface" {
        present(&input.network_interface_options, "NetworkInterfaceOptions", t)?;
    }
    if t != "rds" {
        present(&input.rds_options, "RdsOptions", t)?;
    }
    if t != "cidr" {
        present(&input.cidr_options, "CidrOptions", t)?;
    }
    match t {
        "load-balancer" => {
            let o =
                input.load_balancer_options.as_ref().ok_or_else(|| errors::missing_parameter("LoadBalancerOptions"))?;
            let arn = o
                .load_balancer_arn
                .as_deref()
                .ok_or_else(|| errors::missing_parameter("LoadBalancerOptions.LoadBalancerArn"))?;
            arn_of(arn, "elasticloadbalancing", "LoadBalancerOptions.LoadBalancerArn")?;
            let subnets = o.subnet_ids.clone().unwrap_or_default();
            if subnets.is_empty() {
                return Err(errors::missing_parameter("LoadBalancerOptions.SubnetIds"));
            }
            out.vpc_id = subnets_vpc(state, &subnets)?;
            let ranges = port_ranges(create_ranges(&o.port_ranges), "LoadBalancerOptions.PortRanges")?;
            if o.port.is_none() && ranges.is_none() {
                return Err(errors::missing_parameter("LoadBalancerOptions.Port"));
            }
            let protocol = protocol(o.protocol.as_deref(), "LoadBalancerOptions.Protocol")?;
            out.web = protocol.as_deref() != Some("tcp");
            out.load_balancer = Some(VerifiedAccessEndpointLoadBalancerOptions {
                protocol,
                port: o.port,
                load_balancer_arn: Some(arn.to_string()),
                subnet_ids: Some(subnets),
                port_ranges: ranges,
            });
        }
        "network-interface" => {
            let o = input
                .network_interface_options
                .as_ref()
                .ok_or_else(|| errors::missing_parameter("NetworkInterfaceOptions"))?;
            let eni = o
                .network_interface_id
                .as_deref()
                .ok_or_else(|| errors::missing_parameter("NetworkInterfaceOptions.NetworkInterfaceId"))?;
            let interface =
                state.network_interfaces.get(eni).ok_or_else(|| errors::invalid_network_interface_id_not_found(eni))?;
            out.vpc_id = interface.vpc_id.clone();
            let ranges = port_ranges(create_ranges(&o.port_ranges), "NetworkInterfaceOptions.PortRanges")?;
            if o.port.is_none() && ranges.is_none() {
                return Err(errors::missing_parameter("NetworkInterfaceOptions.Port"));
            }
            let protocol = protocol(o.protocol.as_deref(), "NetworkInterfaceOptions.Protocol")?;
            out.web = protocol.as_deref() != Some("tcp");
            out.eni = Some(VerifiedAccessEndpointEniOptions {
                network_interface_id: Some(eni.to_string()),
                protocol,
                port: o.port,
                port_ranges: ranges,
            });
        }
        "rds" => {
            let o = input.rds_options.as_ref().ok_or_else(|| errors::missing_parameter("RdsOptions"))?;
            let arns = [
                (&o.rds_db_instance_arn, "RdsOptions.RdsDbInstanceArn"),
                (&o.rds_db_cluster_arn, "RdsOptions.RdsDbClusterArn"),
                (&o.rds_db_proxy_arn, "RdsOptions.RdsDbProxyArn"),
            ];
            let given: Vec<_> = arns.iter().filter(|(v, _)| v.is_some()).collect();
            if given.len() != 1 {
                return Err(errors::invalid_parameter_combination(
                    "Exactly one of RdsOptions.RdsDbInstanceArn, RdsOptions.RdsDbClusterArn and RdsOptions.RdsDbProxyArn must be specified.",
                ));
            }
            let (arn, member) = given[0];
            arn_of(arn.as_deref().unwrap_or_default(), "rds", member)?;
            let subnets = o.subnet_ids.clone().unwrap_or_default();
            if subnets.is_empty() {
                return Err(errors::missing_parameter("RdsOptions.SubnetIds"));
            }
            out.vpc_id = subnets_vpc(state, &subnets)?;
            let protocol = protocol(o.protocol.as_deref(), "RdsOptions.Protocol")?.unwrap_or_else(|| "tcp".into());
            if protocol != "tcp" {
                return Err(errors::invalid_parameter_value("RDS endpoints support only the tcp protocol."));
            }
            out.rds = Some(VerifiedAccessEndpointRdsOptions {
                protocol: Some(protocol),
                port: Some(o.port.ok_or_else(|| errors::missing_parameter("RdsOptions.Port"))?),
                rds_db_instance_arn: o.rds_db_instance_arn.clone(),
                rds_db_cluster_arn: o.rds_db_cluster_arn.clone(),
                rds_db_proxy_arn: o.rds_db_proxy_arn.clone(),
                rds_endpoint: o.rds_endpoint.clone(),
                subnet_ids: Some(subnets),
            });
        }
        _ => {
            let o = input.cidr_options.as_ref().ok_or_else(|| errors::missing_parameter("CidrOptions"))?;
            let cidr = o.cidr.as_deref().ok_or_else(|| errors::missing_parameter("CidrOptions.Cidr"))?;
            if Ipv4Cidr::parse(cidr).is_none() {
                return Err(errors::invalid_parameter_value(format!(
                    "The value '{cidr}' for parameter CidrOptions.Cidr is not a valid CIDR block."
                )));
            }
            let subnets = o.subnet_ids.clone().unwrap_or_default();
            if subnets.is_empty() {
                return Err(errors::missing_parameter("CidrOptions.SubnetIds"));
            }
            out.vpc_id = subnets_vpc(state, &subnets)?;
            let ranges = port_ranges(create_ranges(&o.port_ranges), "CidrOptions.PortRanges")?
                .ok_or_else(|| errors::missing_parameter("CidrOptions.PortRanges"))?;
            let protocol = protocol(o.protocol.as_deref(), "CidrOptions.Protocol")?.unwrap_or_else(|| "tcp".into());
            if protocol != "tcp" {
                return Err(errors::invalid_parameter_value("CIDR endpoints support only the tcp protocol."));
            }
            out.cidr = Some(VerifiedAccessEndpointCidrOptions {
                cidr: Some(cidr.to_string()),
                port_ranges: Some(ranges),
                protocol: Some(protocol),
                subnet_ids: Some(subnets),
            });
        }
    }
    Ok(out)
}

/// Security groups that exist, in the endpoint's VPC.
pub fn security_groups(state: &Ec2State, given: &[String], vpc_id: Option<&str>) -> Result<(), ApiError> {
    for id in given {
        let group = state.security_groups.get(id).ok_or_else(|| errors::invalid_group_not_found(id))?;
        if vpc_id.is_some_and(|v| v != group.vpc_id) {
            return Err(errors::invalid_parameter_value(format!(
                "The security group {id} is not in the VPC of the endpoint's network."
            )));
        }
    }
    Ok(())
}

/// Checks a modified protocol.
pub fn modified_protocol(given: Option<&str>, member: &str) -> Result<Option<String>, ApiError> {
    protocol(given, member)
}
