//! Carrier gateways: a VPC's way to a telecommunication carrier's network from its
//! Wavelength Zone subnets. AWS creates one only for an account opted into a Wavelength
//! Zone of the region (ModifyAvailabilityZoneGroup); `pending` -> `available`; deleted
//! ones are gone, and routes that pointed at one become `blackhole`.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::catalogue::regions::wavelength_opted_in;
use crate::generated::dto::{
    CarrierGateway, CreateCarrierGatewayRequest, CreateCarrierGatewayResult, DeleteCarrierGatewayRequest,
    DeleteCarrierGatewayResult, DescribeCarrierGatewaysRequest, DescribeCarrierGatewaysResult,
};
use crate::generated::errors;
use crate::state::support::{filtered, mark_changed, paginate, settled, spec_tags, tag_pairs};
use crate::state::Ec2State;
use crate::vpc::vpcs;

fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a CarrierGateway, ApiError> {
    state.connectivity.carrier_gateways.get(id).ok_or_else(|| errors::invalid_carrier_gateway_id_not_found(id))
}

/// A carrier gateway as Describe shows it at the request's time.
fn describe_one(state: &Ec2State, ctx: &RequestContext, id: &str) -> CarrierGateway {
    let mut g = state.connectivity.carrier_gateways[id].clone();
    if !settled(state, id, ctx.now) {
        g.state = Some("pending".into());
    }
    g.tags = state.dto_tags(id);
    g
}

pub fn create_carrier_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateCarrierGatewayRequest,
) -> Result<CreateCarrierGatewayResult, ApiError> {
    vpcs::get(state, &input.vpc_id)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "carrier-gateway")?;
    if !wavelength_opted_in(state, &ctx.region) {
        return Err(errors::unsupported_operation(
            "You must be opted into a wavelength zone to create a carrier gateway.",
        ));
    }
    let id = ids::resource_id("cagw");
    state.connectivity.carrier_gateways.insert(
        id.clone(),
        CarrierGateway {
            carrier_gateway_id: Some(id.clone()),
            vpc_id: Some(input.vpc_id),
            state: Some("available".into()),
            owner_id: Some(ctx.account().to_string()),
            tags: None,
        },
    );
    state.set_tags(&id, tags);
    mark_changed(state, &id, ctx.now);
    let mut shown = describe_one(state, ctx, &id);
    shown.state = Some("pending".into());
    Ok(CreateCarrierGatewayResult { carrier_gateway: Some(shown) })
}

pub fn delete_carrier_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteCarrierGatewayRequest,
) -> Result<DeleteCarrierGatewayResult, ApiError> {
    get(state, &input.carrier_gateway_id)?;
    let mut shown = describe_one(state, ctx, &input.carrier_gateway_id);
    shown.state = Some("deleting".into());
    state.connectivity.carrier_gateways.remove(&input.carrier_gateway_id);
    state.forget(&input.carrier_gateway_id);
    Ok(DeleteCarrierGatewayResult { carrier_gateway: Some(shown) })
}

impl Filterable for CarrierGateway {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "carrier-gateway-id" => opt(&self.carrier_gateway_id),
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

pub fn describe_carrier_gateways(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeCarrierGatewaysRequest,
) -> Result<DescribeCarrierGatewaysResult, ApiError> {
    let paging = input.page();
    let ids = input.carrier_gateway_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all = state
        .connectivity
        .carrier_gateways
        .keys()
        .filter(|id| ids.is_empty() || ids.contains(id))
        .map(|id| describe_one(state, ctx, id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |g| g.carrier_gateway_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeCarrierGatewaysResult { carrier_gateways: Some(page), next_token: next })
}

#[cfg(test)]
mod tests {
    use nimbus_core::Service;
    use serde_json::json;

    use crate::testing::{call, refused};
    use crate::Ec2;

    #[test]
    fn a_carrier_gateway_needs_a_wavelength_zone_opted_in() {
        let ec2 = Ec2::default();
        let ctx = nimbus_core::RequestContext::for_tests();
        let vpc = call(&ec2, &ctx, "CreateVpc", json!({"CidrBlock": "10.0.0.0/16"}))["Vpc"]["VpcId"].clone();
        let err = ec2.call(&ctx, "CreateCarrierGateway", json!({"VpcId": vpc})).unwrap_err();
        assert_eq!(err.code, "UnsupportedOperation");
        assert_eq!(err.message, "You must be opted into a wavelength zone to create a carrier gateway.");
        let opt_in = json!({"GroupName": "us-east-1-wl1", "OptInStatus": "opted-in"});
        call(&ec2, &ctx, "ModifyAvailabilityZoneGroup", opt_in);
        let zones = call(
            &ec2,
            &ctx,
            "DescribeAvailabilityZones",
            json!({"Filters": [{"Name": "zone-type", "Values": ["wavelength-zone"]}]}),
        );
        let zones = zones["AvailabilityZones"].as_array().unwrap();
        assert!(!zones.is_empty(), "opted-in Wavelength Zones show without AllAvailabilityZones");
        assert!(zones.iter().all(|z| z["OptInStatus"] == "opted-in"));

        let made = call(&ec2, &ctx, "CreateCarrierGateway", json!({"VpcId": vpc}))["CarrierGateway"].clone();
        assert_eq!(made["State"], "pending");
        let id = made["CarrierGatewayId"].as_str().unwrap().to_string();
        assert!(id.starts_with("cagw-"));
        let shown = call(&ec2, &ctx, "DescribeCarrierGateways", json!({"CarrierGatewayIds": [id]}));
        assert_eq!(shown["CarrierGateways"][0]["State"], "available");
        assert_eq!(shown["CarrierGateways"][0]["OwnerId"], "000000000000");
        assert_eq!(refused(&ec2, &ctx, "DeleteVpc", json!({"VpcId": vpc})), "DependencyViolation");
        let rtb = call(&ec2, &ctx, "CreateRouteTable", json!({"VpcId": vpc}))["RouteTable"]["RouteTableId"].clone();
        let route = json!({"RouteTableId": rtb, "DestinationCidrBlock": "0.0.0.0/0", "CarrierGatewayId": id});
        call(&ec2, &ctx, "CreateRoute", route);
        let gone = call(&ec2, &ctx, "DeleteCarrierGateway", json!({"CarrierGatewayId": id}));
        assert_eq!(gone["CarrierGateway"]["State"], "deleting");
        let routes = call(&ec2, &ctx, "DescribeRouteTables", json!({"RouteTableIds": [rtb]}));
        assert_eq!(routes["RouteTables"][0]["Routes"][1]["State"], "blackhole");
        let again = json!({"CarrierGatewayId": id});
        assert_eq!(refused(&ec2, &ctx, "DeleteCarrierGateway", again), "InvalidCarrierGatewayID.NotFound");
        let filter = json!({"Filters": [{"Name": "nope", "Values": ["x"]}]});
        assert_eq!(refused(&ec2, &ctx, "DescribeCarrierGateways", filter), "InvalidParameterValue");
    }
}
