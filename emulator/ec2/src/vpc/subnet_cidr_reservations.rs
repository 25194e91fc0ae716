//! Subnet CIDR reservations: IPv4 or IPv6 ranges of a subnet set aside so that AWS does
//! not assign their addresses automatically. An `explicit` reservation's addresses are
//! only given to interfaces that ask for them by address; a `prefix` reservation is where
//! prefix delegation would draw from (nimbus does not delegate prefixes yet), and its
//! addresses are kept from automatic assignment too. Reservations lie inside the subnet's
//! IPv4 block or one of its IPv6 blocks, never overlap each other, and go with the subnet.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    CreateSubnetCidrReservationRequest, CreateSubnetCidrReservationResult, DeleteSubnetCidrReservationRequest,
    DeleteSubnetCidrReservationResult, GetSubnetCidrReservationsRequest, GetSubnetCidrReservationsResult,
    SubnetCidrReservation,
};
use crate::generated::{enums, errors};
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::params::{invalid_value, one_of};
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::{Ec2State, SubnetRecord};
use crate::vpc::subnets;

/// A reservation's range, parsed.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Range {
    V4(Ipv4Cidr),
    V6(Ipv6Cidr),
}

impl Range {
    fn parse(raw: &str) -> Option<Range> {
        Ipv4Cidr::parse(raw).map(Range::V4).or_else(|| Ipv6Cidr::parse(raw).map(Range::V6))
    }

    fn overlaps(&self, other: &Range) -> bool {
        match (self, other) {
            (Range::V4(a), Range::V4(b)) => a.overlaps(b),
            (Range::V6(a), Range::V6(b)) => a.overlaps(b),
            _ => false,
        }
    }
}

fn range_of(r: &SubnetCidrReservation) -> Option<Range> {
    r.cidr.as_deref().and_then(Range::parse)
}

/// Whether the range lies in the subnet's IPv4 block or one of its associated IPv6 blocks.
fn inside_subnet(rec: &SubnetRecord, range: &Range) -> bool {
    match range {
        Range::V4(c) => rec.subnet.cidr_block.as_deref().and_then(Ipv4Cidr::parse).is_some_and(|b| b.contains(c)),
        Range::V6(c) => rec
            .subnet
            .ipv6_cidr_block_association_set
            .iter()
            .flatten()
            .filter(|a| a.ipv6_cidr_block_state.as_ref().and_then(|s| s.state.as_deref()) == Some("associated"))
            .filter_map(|a| a.ipv6_cidr_block.as_deref().and_then(Ipv6Cidr::parse))
            .any(|b| b.contains(c)),
    }
}

/// The IPv4 ranges (first, last address) automatic assignment must leave alone.
pub fn reserved_ipv4(rec: &SubnetRecord) -> Vec<(u32, u32)> {
    rec.cidr_reservations
        .values()
        .filter_map(range_of)
        .filter_map(|r| match r {
            Range::V4(c) => Some((c.addr, c.addr.saturating_add((c.size() - 1) as u32))),
            Range::V6(_) => None,
        })
        .collect()
}

fn with_tags(state: &Ec2State, r: &SubnetCidrReservation) -> SubnetCidrReservation {
    let mut r = r.clone();
    r.tags = r.subnet_cidr_reservation_id.as_deref().and_then(|id| state.dto_tags(id));
    r
}

pub fn create_subnet_cidr_reservation(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateSubnetCidrReservationRequest,
) -> Result<CreateSubnetCidrReservationResult, ApiError> {
    let rec = subnets::get(state, &input.subnet_id)?;
    one_of("reservationType", &input.reservation_type, enums::SUBNET_CIDR_RESERVATION_TYPE)?;
    let range = Range::parse(&input.cidr).ok_or_else(|| invalid_value("cidr", &input.cidr, ""))?;
    if !inside_subnet(rec, &range) {
        return Err(errors::invalid_parameter_value(format!(
            "Reservation CIDR {} is not within the CIDR blocks of subnet {}",
            input.cidr.trim(),
            input.subnet_id
        )));
    }
    if rec.cidr_reservations.values().filter_map(range_of).any(|r| r.overlaps(&range)) {
        return Err(errors::invalid_parameter_value(format!(
            "Reservation CIDR {} has overlap with existing reserved CIDR block",
            input.cidr.trim()
        )));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "subnet-cidr-reservation")?;
    let id = ids::resource_id("scr");
    let reservation = SubnetCidrReservation {
        subnet_cidr_reservation_id: Some(id.clone()),
        subnet_id: Some(input.subnet_id.clone()),
        cidr: Some(match range {
            Range::V4(c) => c.to_string(),
            Range::V6(c) => c.to_string(),
        }),
        reservation_type: Some(input.reservation_type.clone()),
        owner_id: Some(ctx.account().to_string()),
        description: input.description.clone(),
        tags: None,
    };
    state
        .subnets
        .get_mut(&input.subnet_id)
        .expect("checked above")
        .cidr_reservations
        .insert(id.clone(), reservation.clone());
    state.set_tags(&id, tags);
    Ok(CreateSubnetCidrReservationResult { subnet_cidr_reservation: Some(with_tags(state, &reservation)) })
}

pub fn delete_subnet_cidr_reservation(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteSubnetCidrReservationRequest,
) -> Result<DeleteSubnetCidrReservationResult, ApiError> {
    let id = input.subnet_cidr_reservation_id.as_str();
    let subnet_id = state
        .subnets
        .iter()
        .find(|(_, r)| r.cidr_reservations.contains_key(id))
        .map(|(s, _)| s.clone())
        .ok_or_else(|| errors::invalid_subnet_cidr_reservation_id_not_found(id))?;
    let tagged = state.dto_tags(id);
    let mut gone = state.subnets.get_mut(&subnet_id).and_then(|r| r.cidr_reservations.remove(id)).expect("found above");
    gone.tags = tagged;
    state.forget(id);
    Ok(DeleteSubnetCidrReservationResult { deleted_subnet_cidr_reservation: Some(gone) })
}

/// One subnet's reservations, IPv4 and IPv6 apart, filtered and paged together by id.
pub fn get_subnet_cidr_reservations(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: GetSubnetCidrReservationsRequest,
) -> Result<GetSubnetCidrReservationsResult, ApiError> {
    let rec = subnets::get(state, &input.subnet_id)?;
    let all: Vec<SubnetCidrReservation> = rec.cidr_reservations.values().map(|r| with_tags(state, r)).collect();
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next_token) =
        paginate(items, |r| r.subnet_cidr_reservation_id.clone().unwrap_or_default(), input.page(), false)?;
    let (v4, v6): (Vec<_>, Vec<_>) = page.into_iter().partition(|r| matches!(range_of(r), Some(Range::V4(_))));
    Ok(GetSubnetCidrReservationsResult {
        subnet_ipv4_cidr_reservations: Some(v4),
        subnet_ipv6_cidr_reservations: Some(v6),
        next_token,
    })
}

impl Filterable for SubnetCidrReservation {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "reservationType" => opt(&self.reservation_type),
            "subnet-id" => opt(&self.subnet_id),
            "owner-id" => opt(&self.owner_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

#[cfg(test)]
mod tests {
    use nimbus_core::regions;
    use serde_json::json;

    use super::*;
    use crate::state::cidr::Ipv4Cidr;
    use crate::vpc::{subnets, vpcs};

    fn subnet_state(cidr: &str) -> (Ec2State, RequestContext, String) {
        let ctx = RequestContext::for_tests();
        let mut s = Ec2State::default();
        vpcs::ensure_initialized(&mut s, &ctx);
        let vpc =
            vpcs::create_vpc_record(&mut s, &ctx, Ipv4Cidr::parse("10.0.0.0/16").unwrap(), false, "default", None);
        let zone = regions::availability_zones("us-east-1")[0];
        let id = subnets::create_subnet_record(&mut s, &ctx, &vpc, Ipv4Cidr::parse(cidr).unwrap(), zone, false);
        (s, ctx, id)
    }

    fn reserve(
        s: &mut Ec2State,
        ctx: &RequestContext,
        subnet: &str,
        cidr: &str,
        kind: &str,
    ) -> Result<String, ApiError> {
        let input = serde_json::from_value(json!({"SubnetId": subnet, "Cidr": cidr, "ReservationType": kind})).unwrap();
        create_subnet_cidr_reservation(s, ctx, input)
            .map(|r| r.subnet_cidr_reservation.unwrap().subnet_cidr_reservation_id.unwrap())
    }

    #[test]
    fn reservations_lie_in_the_subnet_and_do_not_overlap() {
        let (mut s, ctx, subnet) = subnet_state("10.0.1.0/24");
        let id = reserve(&mut s, &ctx, &subnet, "10.0.1.16/28", "explicit").unwrap();
        assert!(id.starts_with("scr-"));
        let code = |s: &mut Ec2State, cidr: &str, kind: &str| reserve(s, &ctx, &subnet, cidr, kind).unwrap_err().code;
        assert_eq!(code(&mut s, "10.0.1.16/29", "prefix"), "InvalidParameterValue");
        assert_eq!(code(&mut s, "10.0.1.0/23", "prefix"), "InvalidParameterValue");
        assert_eq!(code(&mut s, "10.0.2.0/28", "prefix"), "InvalidParameterValue");
        assert_eq!(code(&mut s, "10.0.1.3/28", "prefix"), "InvalidParameterValue");
        assert_eq!(code(&mut s, "2600:1f18::/64", "prefix"), "InvalidParameterValue");
        assert_eq!(code(&mut s, "10.0.1.32/28", "sometimes"), "InvalidParameterValue");
        assert_eq!(
            reserve(&mut s, &ctx, "subnet-0000000000000000a", "10.0.1.32/28", "prefix").unwrap_err().code,
            "InvalidSubnetID.NotFound"
        );
        reserve(&mut s, &ctx, &subnet, "10.0.1.32/28", "prefix").unwrap();

        let input = serde_json::from_value(json!({"SubnetId": subnet})).unwrap();
        let got = get_subnet_cidr_reservations(&s, &ctx, input).unwrap();
        assert_eq!(got.subnet_ipv4_cidr_reservations.unwrap().len(), 2);
        let input = serde_json::from_value(
            json!({"SubnetId": subnet, "Filters": [{"Name": "reservationType", "Values": ["prefix"]}]}),
        )
        .unwrap();
        let got = get_subnet_cidr_reservations(&s, &ctx, input).unwrap().subnet_ipv4_cidr_reservations.unwrap();
        assert_eq!(got[0].cidr.as_deref(), Some("10.0.1.32/28"));

        let del = |s: &mut Ec2State, id: &str| {
            delete_subnet_cidr_reservation(
                s,
                &ctx,
                serde_json::from_value(json!({"SubnetCidrReservationId": id})).unwrap(),
            )
        };
        assert_eq!(
            del(&mut s, &id).unwrap().deleted_subnet_cidr_reservation.unwrap().cidr.as_deref(),
            Some("10.0.1.16/28")
        );
        assert_eq!(del(&mut s, &id).unwrap_err().code, "InvalidSubnetCidrReservationID.NotFound");
    }

    #[test]
    fn automatic_addresses_skip_reservations_but_asked_for_ones_may_use_them() {
        let (mut s, ctx, subnet) = subnet_state("10.0.1.0/28");
        reserve(&mut s, &ctx, &subnet, "10.0.1.4/30", "explicit").unwrap();
        reserve(&mut s, &ctx, &subnet, "10.0.1.8/31", "prefix").unwrap();
        assert_eq!(subnets::allocate_ip(&mut s, &subnet, None).unwrap(), "10.0.1.10");
        assert_eq!(subnets::allocate_ip(&mut s, &subnet, Some("10.0.1.5")).unwrap(), "10.0.1.5");
        let rest: Vec<String> = (0..4).map(|_| subnets::allocate_ip(&mut s, &subnet, None).unwrap()).collect();
        assert_eq!(rest, ["10.0.1.11", "10.0.1.12", "10.0.1.13", "10.0.1.14"]);
        assert_eq!(subnets::allocate_ip(&mut s, &subnet, None).unwrap_err().code, "InsufficientFreeAddressesInSubnet");
    }
}
