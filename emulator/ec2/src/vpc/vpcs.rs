//! VPCs: create (with the main route table, default network ACL and default security
//! group every VPC gets), describe, delete, attributes, CIDR blocks, and the default VPC
//! made on first use of an account and region.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, regions, ApiError, RequestContext};

use crate::generated::dto::{
    AssociateVpcCidrBlockRequest, AssociateVpcCidrBlockResult, BlockPublicAccessStates, CreateDefaultVpcRequest,
    CreateDefaultVpcResult, CreateVpcRequest, CreateVpcResult, DeleteVpcRequest, DescribeVpcAttributeRequest,
    DescribeVpcAttributeResult, DescribeVpcsRequest, DescribeVpcsResult, DisassociateVpcCidrBlockRequest,
    DisassociateVpcCidrBlockResult, ModifyVpcAttributeRequest, ModifyVpcTenancyRequest, ModifyVpcTenancyResult, Vpc,
    VpcCidrBlockAssociation, VpcCidrBlockState, VpcIpv6CidrBlockAssociation,
};
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::params::invalid_value;
use crate::state::support::{bool_value, filtered, paginate, spec_tags, tag_pairs};
use crate::state::{Ec2State, VpcRecord};
use crate::{
    vpc::dhcp, vpc::internet_gateways, vpc::ipam_blocks, vpc::network_acls, vpc::route_tables, vpc::security_groups,
    vpc::subnets,
};

pub const DEFAULT_VPC_CIDR: &str = "172.31.0.0/16";
/// AWS allows five IPv4 CIDR blocks per VPC by default.
const MAX_IPV4_CIDRS: usize = 5;

/// Makes the default VPC and its companions the first time an account uses a region.
pub fn ensure_initialized(state: &mut Ec2State, ctx: &RequestContext) {
    if state.initialized {
        return;
    }
    state.initialized = true;
    state.region = ctx.region.clone();
    dhcp::create_default_options(state, ctx);
    create_default_vpc_in(state, ctx);
}

fn create_default_vpc_in(state: &mut Ec2State, ctx: &RequestContext) -> String {
    let cidr = Ipv4Cidr::parse(DEFAULT_VPC_CIDR).expect("a valid constant");
    let vpc_id = create_vpc_record(state, ctx, cidr, true, "default", None);
    if let Some(rec) = state.vpcs.get_mut(&vpc_id) {
        rec.enable_dns_hostnames = true;
    }
    let igw = internet_gateways::create_igw_record(state, ctx);
    internet_gateways::attach_igw_record(state, &igw, &vpc_id);
    let main = state.vpcs[&vpc_id].main_route_table_id.clone();
    route_tables::add_default_route(state, &main, &igw);
    for (i, zone) in regions::availability_zones(&ctx.region).into_iter().enumerate() {
        let block = Ipv4Cidr { addr: cidr.addr + ((i as u32) << 12), len: 20 };
        subnets::create_subnet_record(state, ctx, &vpc_id, block, zone, true);
    }
    vpc_id
}

/// A new VPC with its main route table, default network ACL and default security group.
pub fn create_vpc_record(
    state: &mut Ec2State,
    ctx: &RequestContext,
    cidr: Ipv4Cidr,
    is_default: bool,
    tenancy: &str,
    ipv6: Option<Ipv6Cidr>,
) -> String {
    let vpc_id = ids::resource_id("vpc");
    let vpc = Vpc {
        owner_id: Some(ctx.account().to_string()),
        instance_tenancy: Some(tenancy.to_string()),
        ipv6_cidr_block_association_set: ipv6.map(|block| vec![ipv6_association(ctx, block)]),
        cidr_block_association_set: Some(vec![ipv4_association(cidr)]),
        is_default: Some(is_default),
        block_public_access_states: Some(BlockPublicAccessStates { internet_gateway_block_mode: Some("off".into()) }),
        vpc_id: Some(vpc_id.clone()),
        state: Some("available".into()),
        cidr_block: Some(cidr.to_string()),
        dhcp_options_id: Some(state.default_dhcp_options_id.clone()),
        ..Default::default()
    };
    state.vpcs.insert(
        vpc_id.clone(),
        VpcRecord { vpc, enable_dns_support: true, enable_dns_hostnames: false, ..Default::default() },
    );
    let rtb = route_tables::create_route_table_record(state, ctx, &vpc_id, true);
    let acl = network_acls::create_acl_record(state, ctx, &vpc_id, true);
    let sg = security_groups::groups::create_default_group(state, ctx, &vpc_id);
    let rec = state.vpcs.get_mut(&vpc_id).expect("inserted above");
    rec.main_route_table_id = rtb;
    rec.default_network_acl_id = acl;
    rec.default_security_group_id = sg;
    vpc_id
}

fn ipv4_association(cidr: Ipv4Cidr) -> VpcCidrBlockAssociation {
    VpcCidrBlockAssociation {
        association_id: Some(ids::resource_id("vpc-cidr-assoc")),
        cidr_block: Some(cidr.to_string()),
        cidr_block_state: Some(VpcCidrBlockState { state: Some("associated".into()), status_message: None }),
    }
}

fn ipv6_association(ctx: &RequestContext, block: Ipv6Cidr) -> VpcIpv6CidrBlockAssociation {
    VpcIpv6CidrBlockAssociation {
        association_id: Some(ids::resource_id("vpc-cidr-assoc")),
        ipv6_cidr_block: Some(block.to_string()),
        ipv6_cidr_block_state: Some(VpcCidrBlockState { state: Some("associated".into()), status_message: None }),
        network_border_group: Some(ctx.region.clone()),
        ipv6_pool: Some("Amazon".into()),
        ipv6_address_attribute: Some("public".into()),
        ip_source: Some("amazon".into()),
    }
}

/// An Amazon-provided /56 from AWS's 2600:1f00::/24 range, unique in this partition.
fn amazon_ipv6_block(state: &Ec2State) -> Ipv6Cidr {
    loop {
        let high: u128 = 0x2600_1f00 | u128::from(ids::below(0x100));
        let mid: u128 = u128::from(ids::below(0x100_0000));
        let block = Ipv6Cidr { addr: (high << 96) | (mid << 72), len: 56 };
        let taken = state.vpcs.values().any(|v| {
            v.vpc
                .ipv6_cidr_block_association_set
                .iter()
                .flatten()
                .any(|a| a.ipv6_cidr_block.as_deref().and_then(Ipv6Cidr::parse).is_some_and(|b| b.overlaps(&block)))
        });
        if !taken {
            return block;
        }
    }
}

fn parse_vpc_cidr(raw: &str) -> Result<Ipv4Cidr, ApiError> {
    let cidr =
        Ipv4Cidr::parse(raw).ok_or_else(|| invalid_value("cidrBlock", raw, "This is not a valid CIDR block."))?;
    if !(16..=28).contains(&cidr.len) {
        return Err(errors::invalid_vpc_range(raw));
    }
    Ok(cidr)
}

pub fn get<'a>(state: &'a Ec2State, vpc_id: &str) -> Result<&'a VpcRecord, ApiError> {
    state.vpcs.get(vpc_id).ok_or_else(|| {
        if vpc_id.starts_with("vpc-") {
            errors::invalid_vpc_id_not_found(vpc_id)
        } else {
            errors::invalid_vpc_id_malformed(vpc_id)
        }
    })
}

/// The VPC's IPv4 blocks that are associated.
pub fn ipv4_blocks(rec: &VpcRecord) -> Vec<Ipv4Cidr> {
    rec.vpc
        .cidr_block_association_set
        .iter()
        .flatten()
        .filter(|a| a.cidr_block_state.as_ref().and_then(|s| s.state.as_deref()) == Some("associated"))
        .filter_map(|a| a.cidr_block.as_deref().and_then(Ipv4Cidr::parse))
        .collect()
}

pub fn ipv6_blocks(rec: &VpcRecord) -> Vec<Ipv6Cidr> {
    rec.vpc
        .ipv6_cidr_block_association_set
        .iter()
        .flatten()
        .filter(|a| a.ipv6_cidr_block_state.as_ref().and_then(|s| s.state.as_deref()) == Some("associated"))
        .filter_map(|a| a.ipv6_cidr_block.as_deref().and_then(Ipv6Cidr::parse))
        .collect()
}

pub fn create_vpc(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateVpcRequest,
) -> Result<CreateVpcResult, ApiError> {
    let tags = spec_tags(input.tag_specifications.as_deref(), "vpc")?;
    let v4_draw = match &input.ipv4_ipam_pool_id {
        Some(pool) => Some(ipam_blocks::draw(
            state,
            ctx,
            pool,
            input.cidr_block.as_deref(),
            input.ipv4_netmask_length,
            false,
            &tags,
        )?),
        None => None,
    };
    let raw = match (&input.cidr_block, &v4_draw) {
        (_, Some(draw)) => draw.block.to_string(),
        (Some(c), None) => c.clone(),
        (None, None) => return Err(errors::missing_parameter("cidrBlock")),
    };
    let cidr = parse_vpc_cidr(&raw)?;
    let tenancy = input.instance_tenancy.as_deref().unwrap_or("default");
    if !["default", "dedicated"].contains(&tenancy) {
        return Err(invalid_value("instanceTenancy", tenancy, "Valid values: default, dedicated"));
    }
    if input.ipv6_pool.is_some() || (input.ipv6_cidr_block.is_some() && input.ipv6_ipam_pool_id.is_none()) {
        return Err(errors::invalid_parameter_value(
            "BYOIP IPv6 pools are not supported by nimbus; use AmazonProvidedIpv6CidrBlock or an IPAM pool.",
        ));
    }
    let v6_draw = match &input.ipv6_ipam_pool_id {
        Some(pool) => Some(ipam_blocks::draw(
            state,
            ctx,
            pool,
            input.ipv6_cidr_block.as_deref(),
            input.ipv6_netmask_length,
            true,
            &tags,
        )?),
        None => None,
    };
    let ipv6 = match &v6_draw {
        Some(draw) => Some(
            Ipv6Cidr::parse(&draw.block.to_string())
                .ok_or_else(|| errors::invalid_parameter_value("Bad IPv6 block"))?,
        ),
        None => (input.amazon_provided_ipv6_cidr_block == Some(true)).then(|| amazon_ipv6_block(state)),
    };
    let vpc_id = create_vpc_record(state, ctx, cidr, false, tenancy, ipv6);
    state.set_tags(&vpc_id, tags);
    for draw in v4_draw.iter().chain(&v6_draw) {
        ipam_blocks::keep(state, ctx, draw, &vpc_id);
    }
    if v6_draw.is_some() {
        let vpc = &mut state.vpcs.get_mut(&vpc_id).expect("created above").vpc;
        for assoc in vpc.ipv6_cidr_block_association_set.iter_mut().flatten() {
            assoc.ipv6_pool = Some("IPAM Managed".into());
        }
    }
    let mut vpc = describe_one(state, &vpc_id);
    // A new VPC reports `pending` in the answer to CreateVpc, as AWS's does.
    vpc.state = Some("pending".into());
    Ok(CreateVpcResult { vpc: Some(vpc) })
}

pub fn create_default_vpc(
    state: &mut Ec2State,
    ctx: &RequestContext,
    _input: CreateDefaultVpcRequest,
) -> Result<CreateDefaultVpcResult, ApiError> {
    if state.vpcs.values().any(|v| v.vpc.is_default == Some(true)) {
        return Err(errors::default_vpc_already_exists());
    }
    let vpc_id = create_default_vpc_in(state, ctx);
    let mut vpc = describe_one(state, &vpc_id);
    vpc.state = Some("pending".into());
    Ok(CreateDefaultVpcResult { vpc: Some(vpc) })
}

pub fn describe_one(state: &Ec2State, vpc_id: &str) -> Vpc {
    let mut vpc = state.vpcs[vpc_id].vpc.clone();
    vpc.tags = state.dto_tags_if_any(vpc_id);
    vpc.block_public_access_states =
        Some(BlockPublicAccessStates { internet_gateway_block_mode: Some(state.vpc_bpa.effective_mode(vpc_id, None)) });
    vpc
}

impl Filterable for Vpc {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let v4 = self.cidr_block_association_set.iter().flatten();
        let v6 = self.ipv6_cidr_block_association_set.iter().flatten();
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "cidr" | "cidr-block" => opt(&self.cidr_block),
            "cidr-block-association.cidr-block" => v4.filter_map(|a| a.cidr_block.clone()).collect(),
            "cidr-block-association.association-id" => v4.filter_map(|a| a.association_id.clone()).collect(),
            "cidr-block-association.state" => {
                v4.filter_map(|a| a.cidr_block_state.as_ref().and_then(|s| s.state.clone())).collect()
            }
            "dhcp-options-id" => opt(&self.dhcp_options_id),
            "ipv6-cidr-block-association.ipv6-cidr-block" => v6.filter_map(|a| a.ipv6_cidr_block.clone()).collect(),
            "ipv6-cidr-block-association.ipv6-pool" => v6.filter_map(|a| a.ipv6_pool.clone()).collect(),
            "ipv6-cidr-block-association.association-id" => v6.filter_map(|a| a.association_id.clone()).collect(),
            "ipv6-cidr-block-association.state" => {
                v6.filter_map(|a| a.ipv6_cidr_block_state.as_ref().and_then(|s| s.state.clone())).collect()
            }
            // The provider's aws_vpc data source sends the older camel-case name, which AWS still takes.
            "is-default" | "isDefault" => vec![self.is_default.unwrap_or(false).to_string()],
            "owner-id" => opt(&self.owner_id),
            "state" => opt(&self.state),
            "vpc-id" => opt(&self.vpc_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_vpcs(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeVpcsRequest,
) -> Result<DescribeVpcsResult, ApiError> {
    let paging = input.page();
    let ids = input.vpc_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all = state.vpcs.keys().filter(|id| ids.is_empty() || ids.contains(id)).map(|id| describe_one(state, id));
    let vpcs = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(vpcs, |v| v.vpc_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeVpcsResult { vpcs: Some(page), next_token: next })
}

pub fn delete_vpc(state: &mut Ec2State, ctx: &RequestContext, input: DeleteVpcRequest) -> Result<(), ApiError> {
    let rec = get(state, &input.vpc_id)?.clone();
    let id = input.vpc_id.as_str();
    let blocking = state.subnets.values().any(|s| s.subnet.vpc_id.as_deref() == Some(id))
        || state
            .internet_gateways
            .values()
            .any(|g| g.attachments.iter().flatten().any(|a| a.vpc_id.as_deref() == Some(id)))
        || state
            .route_tables
            .values()
            .any(|r| r.vpc_id.as_deref() == Some(id) && r.route_table_id.as_deref() != Some(&rec.main_route_table_id))
        || state.network_acls.values().any(|a| a.vpc_id.as_deref() == Some(id) && a.is_default != Some(true))
        || state.security_groups.values().any(|g| g.vpc_id == id && g.group_id != rec.default_security_group_id)
        || crate::vpc::dependents::vpc_has_dependents(state, id);
    if blocking {
        return Err(errors::dependency_violation(format!("The vpc '{id}' has dependencies and cannot be deleted.")));
    }
    for companion in [&rec.main_route_table_id, &rec.default_network_acl_id, &rec.default_security_group_id] {
        state.route_tables.remove(companion);
        state.network_acls.remove(companion);
        state.security_groups.remove(companion);
        state.forget(companion);
    }
    state.vpcs.remove(id);
    state.forget(id);
    ipam_blocks::release(state, id, None);
    crate::vpc::block_public_access::resource_deleted(state, id, ctx.now);
    Ok(())
}

pub fn describe_vpc_attribute(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeVpcAttributeRequest,
) -> Result<DescribeVpcAttributeResult, ApiError> {
    let rec = get(state, &input.vpc_id)?;
    let mut out = DescribeVpcAttributeResult { vpc_id: Some(input.vpc_id.clone()), ..Default::default() };
    match input.attribute.as_str() {
        "enableDnsSupport" => out.enable_dns_support = Some(bool_value(rec.enable_dns_support)),
        "enableDnsHostnames" => out.enable_dns_hostnames = Some(bool_value(rec.enable_dns_hostnames)),
        "enableNetworkAddressUsageMetrics" => {
            out.enable_network_address_usage_metrics = Some(bool_value(rec.enable_network_address_usage_metrics))
        }
        other => return Err(invalid_value("attribute", other, "Unknown attribute.")),
    }
    Ok(out)
}

/// A VPC's instance tenancy goes from `dedicated` to `default` only (the model's enum has
/// no other value); instances already running keep theirs, new ones default to the VPC's.
pub fn modify_vpc_tenancy(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyVpcTenancyRequest,
) -> Result<ModifyVpcTenancyResult, ApiError> {
    get(state, &input.vpc_id)?;
    crate::state::params::one_of("InstanceTenancy", &input.instance_tenancy, crate::generated::enums::VPC_TENANCY)?;
    let rec = state.vpcs.get_mut(&input.vpc_id).expect("checked above");
    rec.vpc.instance_tenancy = Some(input.instance_tenancy);
    Ok(ModifyVpcTenancyResult { return_value: Some(true) })
}

pub fn modify_vpc_attribute(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyVpcAttributeRequest,
) -> Result<(), ApiError> {
    get(state, &input.vpc_id)?;
    let given = [
        input.enable_dns_support.is_some(),
        input.enable_dns_hostnames.is_some(),
        input.enable_network_address_usage_metrics.is_some(),
    ];
    match given.iter().filter(|g| **g).count() {
        0 => return Err(errors::missing_parameter("EnableDnsSupport, EnableDnsHostnames or EnableNetworkAddressUsageMetrics")),
        1 => {}
        _ => {
            return Err(errors::invalid_parameter_combination(
                "Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames, enableNetworkAddressUsageMetrics",
            ))
        }
    }
    let value = |v: &Option<crate::generated::dto::AttributeBooleanValue>| v.as_ref().and_then(|b| b.value);
    let rec = state.vpcs.get_mut(&input.vpc_id).expect("checked above");
    if input.enable_dns_support.is_some() {
        let v = value(&input.enable_dns_support).ok_or_else(|| errors::missing_parameter("EnableDnsSupport.Value"))?;
        if !v && rec.enable_dns_hostnames {
            return Err(errors::invalid_parameter_combination(
                "Cannot disable DNS support while DNS hostnames are enabled.",
            ));
        }
        rec.enable_dns_support = v;
    }
    if input.enable_dns_hostnames.is_some() {
        let v =
            value(&input.enable_dns_hostnames).ok_or_else(|| errors::missing_parameter("EnableDnsHostnames.Value"))?;
        if v && !rec.enable_dns_support {
            return Err(errors::invalid_parameter_combination("Cannot enable DNS hostnames without DNS support."));
        }
        rec.enable_dns_hostnames = v;
    }
    if input.enable_network_address_usage_metrics.is_some() {
        rec.enable_network_address_usage_metrics = value(&input.enable_network_address_usage_metrics)
            .ok_or_else(|| errors::missing_parameter("EnableNetworkAddressUsageMetrics.Value"))?;
    }
    Ok(())
}

pub fn associate_vpc_cidr_block(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AssociateVpcCidrBlockRequest,
) -> Result<AssociateVpcCidrBlockResult, ApiError> {
    let rec = get(state, &input.vpc_id)?.clone();
    let tags = state.tag_pairs(&input.vpc_id);
    let mut out = AssociateVpcCidrBlockResult { vpc_id: Some(input.vpc_id.clone()), ..Default::default() };
    let v4 = match (&input.ipv4_ipam_pool_id, &input.cidr_block) {
        (Some(pool), cidr) => {
            let draw = ipam_blocks::draw(state, ctx, pool, cidr.as_deref(), input.ipv4_netmask_length, false, &tags)?;
            Some((draw.block.to_string(), Some(draw)))
        }
        (None, Some(raw)) => Some((raw.clone(), None)),
        (None, None) => None,
    };
    let v6_draw = match &input.ipv6_ipam_pool_id {
        Some(pool) => Some(ipam_blocks::draw(
            state,
            ctx,
            pool,
            input.ipv6_cidr_block.as_deref(),
            input.ipv6_netmask_length,
            true,
            &tags,
        )?),
        None => None,
    };
    let v6 = input.amazon_provided_ipv6_cidr_block == Some(true) || v6_draw.is_some();
    match (v4, v6) {
        (Some((raw, draw)), false) => {
            let cidr = parse_vpc_cidr(&raw)?;
            let current = ipv4_blocks(&rec);
            if current.len() >= MAX_IPV4_CIDRS {
                return Err(errors::cidr_limit_exceeded(&input.vpc_id, MAX_IPV4_CIDRS));
            }
            if current.iter().any(|c| c.overlaps(&cidr)) {
                return Err(errors::invalid_vpc_range(&raw));
            }
            let assoc = ipv4_association(cidr);
            // The answer shows the association under way, as AWS's does; DescribeVpcs the settled one.
            let mut shown = assoc.clone();
            shown.cidr_block_state =
                Some(VpcCidrBlockState { state: Some("associating".into()), status_message: None });
            out.cidr_block_association = Some(shown);
            let vpc = &mut state.vpcs.get_mut(&input.vpc_id).expect("checked above").vpc;
            vpc.cidr_block_association_set.get_or_insert_with(Vec::new).push(assoc);
            if let Some(draw) = draw {
                ipam_blocks::keep(state, ctx, &draw, &input.vpc_id);
            }
        }
        (None, true) => {
            if !ipv6_blocks(&rec).is_empty() {
                return Err(errors::cidr_limit_exceeded(&input.vpc_id, 1));
            }
            let assoc = match &v6_draw {
                Some(draw) => {
                    let block = Ipv6Cidr::parse(&draw.block.to_string())
                        .ok_or_else(|| errors::invalid_parameter_value("Bad IPv6 block"))?;
                    let mut assoc = ipv6_association(ctx, block);
                    assoc.ipv6_pool = Some("IPAM Managed".into());
                    assoc
                }
                None => ipv6_association(ctx, amazon_ipv6_block(state)),
            };
            let mut shown = assoc.clone();
            shown.ipv6_cidr_block_state =
                Some(VpcCidrBlockState { state: Some("associating".into()), status_message: None });
            out.ipv6_cidr_block_association = Some(shown);
            let vpc = &mut state.vpcs.get_mut(&input.vpc_id).expect("checked above").vpc;
            vpc.ipv6_cidr_block_association_set.get_or_insert_with(Vec::new).push(assoc);
            if let Some(draw) = &v6_draw {
                ipam_blocks::keep(state, ctx, draw, &input.vpc_id);
            }
        }
        (Some(_), true) => {
            return Err(errors::invalid_parameter_combination(
                "The parameters CidrBlock and AmazonProvidedIpv6CidrBlock are mutually exclusive.",
            ))
        }
        (None, false) => return Err(errors::missing_parameter("CidrBlock or AmazonProvidedIpv6CidrBlock")),
    }
    Ok(out)
}

pub fn disassociate_vpc_cidr_block(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DisassociateVpcCidrBlockRequest,
) -> Result<DisassociateVpcCidrBlockResult, ApiError> {
    let id = &input.association_id;
    let found = state.vpcs.iter().find_map(|(vpc_id, rec)| {
        let v4 =
            rec.vpc.cidr_block_association_set.iter().flatten().position(|a| a.association_id.as_deref() == Some(id));
        let v6 = rec
            .vpc
            .ipv6_cidr_block_association_set
            .iter()
            .flatten()
            .position(|a| a.association_id.as_deref() == Some(id));
        match (v4, v6) {
            (Some(i), _) => Some((vpc_id.clone(), true, i)),
            (_, Some(i)) => Some((vpc_id.clone(), false, i)),
            _ => None,
        }
    });
    let Some((vpc_id, is_v4, index)) = found else {
        return Err(errors::invalid_vpc_cidr_block_association_id_not_found(id));
    };
    let rec = &state.vpcs[&vpc_id];
    let mut out = DisassociateVpcCidrBlockResult { vpc_id: Some(vpc_id.clone()), ..Default::default() };
    if is_v4 {
        let assoc = rec.vpc.cidr_block_association_set.as_ref().expect("found above")[index].clone();
        if assoc.cidr_block == rec.vpc.cidr_block {
            return Err(errors::operation_not_permitted(format!(
                "The vpc CIDR block with association ID {id} may not be disassociated. It is the primary IPv4 CIDR block of the VPC"
            )));
        }
        let block = assoc.cidr_block.as_deref().and_then(Ipv4Cidr::parse);
        let used = state.subnets.values().any(|s| {
            s.subnet.vpc_id.as_deref() == Some(&vpc_id)
                && s.subnet
                    .cidr_block
                    .as_deref()
                    .and_then(Ipv4Cidr::parse)
                    .zip(block)
                    .is_some_and(|(s, b)| b.contains(&s))
        });
        if used {
            return Err(errors::dependency_violation(format!(
                "The vpc CIDR block with association ID {id} has subnets in it and cannot be disassociated."
            )));
        }
        let vpc = &mut state.vpcs.get_mut(&vpc_id).expect("found above").vpc;
        vpc.cidr_block_association_set.as_mut().expect("found above").remove(index);
        ipam_blocks::release(state, &vpc_id, assoc.cidr_block.as_deref());
        let mut shown = assoc;
        shown.cidr_block_state = Some(VpcCidrBlockState { state: Some("disassociating".into()), status_message: None });
        out.cidr_block_association = Some(shown);
    } else {
        let assoc = rec.vpc.ipv6_cidr_block_association_set.as_ref().expect("found above")[index].clone();
        let used = state.subnets.values().any(|s| {
            s.subnet.vpc_id.as_deref() == Some(&vpc_id)
                && !s.subnet.ipv6_cidr_block_association_set.as_deref().unwrap_or_default().is_empty()
        });
        if used {
            return Err(errors::dependency_violation(format!(
                "The vpc IPv6 CIDR block with association ID {id} is used by subnets and cannot be disassociated."
            )));
        }
        let vpc = &mut state.vpcs.get_mut(&vpc_id).expect("found above").vpc;
        vpc.ipv6_cidr_block_association_set.as_mut().expect("found above").remove(index);
        ipam_blocks::release(state, &vpc_id, assoc.ipv6_cidr_block.as_deref());
        let mut shown = assoc;
        shown.ipv6_cidr_block_state =
            Some(VpcCidrBlockState { state: Some("disassociating".into()), status_message: None });
        out.ipv6_cidr_block_association = Some(shown);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use nimbus_core::{RequestContext, Service};
    use serde_json::json;

    use crate::testing::{call, str_at};
    use crate::Ec2;

    #[test]
    fn a_new_cidr_block_is_associating_in_the_answer_and_associated_after() {
        let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
        let vpc = str_at(&call(&ec2, &ctx, "CreateVpc", json!({"CidrBlock": "10.0.0.0/16"})), "/Vpc/VpcId");
        let out = call(&ec2, &ctx, "AssociateVpcCidrBlock", json!({"VpcId": vpc, "CidrBlock": "10.1.0.0/16"}));
        assert_eq!(str_at(&out, "/CidrBlockAssociation/CidrBlockState/State"), "associating");
        let v6 = call(&ec2, &ctx, "AssociateVpcCidrBlock", json!({"VpcId": vpc, "AmazonProvidedIpv6CidrBlock": true}));
        assert_eq!(str_at(&v6, "/Ipv6CidrBlockAssociation/Ipv6CidrBlockState/State"), "associating");
        let vpcs = call(&ec2, &ctx, "DescribeVpcs", json!({"VpcIds": [vpc]}));
        assert_eq!(str_at(&vpcs, "/Vpcs/0/CidrBlockAssociationSet/1/CidrBlockState/State"), "associated");
        assert_eq!(str_at(&vpcs, "/Vpcs/0/Ipv6CidrBlockAssociationSet/0/Ipv6CidrBlockState/State"), "associated");
        let overlapping = ec2.call(&ctx, "AssociateVpcCidrBlock", json!({"VpcId": vpc, "CidrBlock": "10.1.0.0/24"}));
        assert_eq!(overlapping.unwrap_err().code, "InvalidVpc.Range");
    }
}
