//! DescribeTransitGatewayAttachments: every attachment of every kind, as the gateway's
//! side sees it (a peering requested of a gateway here shows before it is answered).

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::common::{attachment_dto, attachments_here};
use crate::generated::dto::{
    DescribeTransitGatewayAttachmentsRequest, DescribeTransitGatewayAttachmentsResult, TransitGatewayAttachment,
};
use crate::generated::errors;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, tag_pairs};
use crate::state::Ec2State;

impl Filterable for TransitGatewayAttachment {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        let assoc = self.association.clone().unwrap_or_default();
        Some(match name {
            "association.state" => one(&assoc.state),
            "association.transit-gateway-route-table-id" => one(&assoc.transit_gateway_route_table_id),
            "resource-id" => one(&self.resource_id),
            "resource-owner-id" => one(&self.resource_owner_id),
            "resource-type" => one(&self.resource_type),
            "state" => one(&self.state),
            "transit-gateway-attachment-id" => one(&self.transit_gateway_attachment_id),
            "transit-gateway-id" => one(&self.transit_gateway_id),
            "transit-gateway-owner-id" => one(&self.transit_gateway_owner_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_transit_gateway_attachments(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DescribeTransitGatewayAttachmentsRequest,
) -> Result<DescribeTransitGatewayAttachmentsResult, ApiError> {
    let paging = input.page();
    let ids = input.transit_gateway_attachment_ids.unwrap_or_default();
    let all = attachments_here(state, shared, ctx);
    for id in &ids {
        if !all.iter().any(|a| a.id == *id) {
            return Err(errors::invalid_transit_gateway_attachment_id_not_found(id, "Attachment"));
        }
    }
    let shown =
        all.iter().filter(|a| ids.is_empty() || ids.contains(&a.id)).map(|a| attachment_dto(state, shared, ctx, a));
    let items = filtered(shown, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |a| a.transit_gateway_attachment_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeTransitGatewayAttachmentsResult { transit_gateway_attachments: Some(page), next_token: next })
}
