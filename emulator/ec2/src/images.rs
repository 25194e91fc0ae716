//! Images: the region's public catalogue (from fixtures) and the account's own AMIs;
//! DescribeImages with owners, executable users, deprecation and every filter; the
//! lookup RunInstances launches from.

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use crate::catalogue;
use crate::generated::dto::{DescribeImagesRequest, DescribeImagesResult, Image};
use crate::generated::errors;
use crate::state::Ec2State;
use crate::support::{filtered, paginate};
use crate::vpcs::tag_pairs;

fn check_id(id: &str) -> Result<(), ApiError> {
    let well_formed = id
        .strip_prefix("ami-")
        .is_some_and(|hex| (8..=17).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit()));
    if well_formed {
        Ok(())
    } else {
        Err(errors::invalid_amiid_malformed(id))
    }
}

/// An image the caller may launch or describe by id: its own, or a public one.
pub fn find(state: &Ec2State, ctx: &RequestContext, id: &str) -> Result<Image, ApiError> {
    check_id(id)?;
    if let Some(rec) = state.images.get(id) {
        let mut img = rec.image.clone();
        img.tags = state.dto_tags(id);
        return Ok(img);
    }
    catalogue::public_images(&ctx.region)
        .into_iter()
        .find(|i| i.image_id.as_deref() == Some(id))
        .ok_or_else(|| errors::invalid_amiid_not_found(id))
}

/// The image RunInstances launches from; it must be available.
pub fn for_launch(state: &Ec2State, ctx: &RequestContext, id: &str) -> Result<Image, ApiError> {
    let img = find(state, ctx, id)?;
    match img.state.as_deref() {
        Some("available") => Ok(img),
        Some(other) => Err(ApiError::client(
            "InvalidAMIID.Unavailable",
            format!("The image id '[{id}]' is not available (state: {other})"),
        )),
        None => Ok(img),
    }
}

fn deprecated(img: &Image, ctx: &RequestContext) -> bool {
    img.deprecation_time
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| t <= ctx.now)
}

/// Whether `owners` (`self`, `amazon`, `aws-marketplace`, account ids) include the image.
fn owned_by(img: &Image, owners: &[String], ctx: &RequestContext) -> bool {
    owners.is_empty()
        || owners.iter().any(|o| match o.as_str() {
            "self" => img.owner_id.as_deref() == Some(ctx.account()),
            "amazon" | "aws-marketplace" => img.image_owner_alias.as_deref() == Some(o.as_str()),
            id => img.owner_id.as_deref() == Some(id),
        })
}

pub fn describe_images(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeImagesRequest,
) -> Result<DescribeImagesResult, ApiError> {
    let ids = input.image_ids.clone().unwrap_or_default();
    let owners = input.owners.clone().unwrap_or_default();
    let users = input.executable_users.clone().unwrap_or_default();
    let mut found = Vec::new();
    if !ids.is_empty() {
        let mut missing = Vec::new();
        for id in &ids {
            check_id(id)?;
            match find(state, ctx, id) {
                Ok(img) => found.push(img),
                Err(_) => missing.push(id.clone()),
            }
        }
        if !missing.is_empty() {
            return Err(errors::invalid_amiid_not_found(missing.join(", ")));
        }
    } else {
        let own = state.images.keys().map(|id| {
            let mut img = state.images[id].image.clone();
            img.tags = state.dto_tags(id);
            img
        });
        found.extend(own);
        found.extend(catalogue::public_images(&ctx.region));
        // Deprecated public images show only on request; an owner always sees its own.
        if input.include_deprecated != Some(true) {
            found.retain(|i| i.owner_id.as_deref() == Some(ctx.account()) || !deprecated(i, ctx));
        }
    }
    found.retain(|i| owned_by(i, &owners, ctx));
    if !users.is_empty() {
        found.retain(|i| {
            users.iter().any(|u| match u.as_str() {
                "all" => i.public == Some(true),
                "self" => {
                    i.owner_id.as_deref() == Some(ctx.account())
                        || i.public == Some(true)
                        || state.shared_with(i, ctx.account())
                }
                account => i.public == Some(true) || state.shared_with(i, account),
            })
        });
    }
    if input.include_disabled != Some(true) {
        found.retain(|i| i.state.as_deref() != Some("disabled"));
    }
    let items = filtered(found, input.filters.as_deref())?;
    let (page, next) = paginate(
        items,
        |i| i.image_id.clone().unwrap_or_default(),
        input.max_results,
        input.next_token.as_deref(),
        (1, 1000),
        !ids.is_empty(),
    )?;
    Ok(DescribeImagesResult { images: Some(page), next_token: next })
}

impl Filterable for Image {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        let b = |v: Option<bool>| v.map(|x| vec![x.to_string()]).unwrap_or_default();
        let bdm = self.block_device_mappings.iter().flatten();
        Some(match name {
            "architecture" => opt(&self.architecture),
            "block-device-mapping.delete-on-termination" => {
                bdm.filter_map(|m| m.ebs.as_ref()?.delete_on_termination.map(|d| d.to_string())).collect()
            }
            "block-device-mapping.device-name" => bdm.filter_map(|m| m.device_name.clone()).collect(),
            "block-device-mapping.snapshot-id" => bdm.filter_map(|m| m.ebs.as_ref()?.snapshot_id.clone()).collect(),
            "block-device-mapping.volume-size" => {
                bdm.filter_map(|m| m.ebs.as_ref()?.volume_size.map(|s| s.to_string())).collect()
            }
            "block-device-mapping.volume-type" => bdm.filter_map(|m| m.ebs.as_ref()?.volume_type.clone()).collect(),
            "block-device-mapping.encrypted" => {
                bdm.filter_map(|m| m.ebs.as_ref()?.encrypted.map(|e| e.to_string())).collect()
            }
            "creation-date" => opt(&self.creation_date),
            "description" => opt(&self.description),
            "ena-support" => b(self.ena_support),
            "hypervisor" => opt(&self.hypervisor),
            "image-allowed" => b(self.image_allowed),
            "image-id" => opt(&self.image_id),
            "image-type" => opt(&self.image_type),
            "is-public" => b(self.public),
            "kernel-id" => opt(&self.kernel_id),
            "manifest-location" => opt(&self.image_location),
            "name" => opt(&self.name),
            "owner-alias" => opt(&self.image_owner_alias),
            "owner-id" => opt(&self.owner_id),
            "platform" => opt(&self.platform),
            "platform-details" => opt(&self.platform_details),
            "product-code" => self.product_codes.iter().flatten().filter_map(|p| p.product_code_id.clone()).collect(),
            "product-code.type" => {
                self.product_codes.iter().flatten().filter_map(|p| p.product_code_type.clone()).collect()
            }
            "ramdisk-id" => opt(&self.ramdisk_id),
            "root-device-name" => opt(&self.root_device_name),
            "root-device-type" => opt(&self.root_device_type),
            "source-image-id" => opt(&self.source_image_id),
            "source-image-region" => opt(&self.source_image_region),
            "source-instance-id" => opt(&self.source_instance_id),
            "state" => opt(&self.state),
            "state-reason-code" => self.state_reason.as_ref().and_then(|r| r.code.clone()).into_iter().collect(),
            "state-reason-message" => self.state_reason.as_ref().and_then(|r| r.message.clone()).into_iter().collect(),
            "sriov-net-support" => opt(&self.sriov_net_support),
            "usage-operation" => opt(&self.usage_operation),
            "virtualization-type" => opt(&self.virtualization_type),
            "boot-mode" => opt(&self.boot_mode),
            "imds-support" => opt(&self.imds_support),
            "free-tier-eligible" => b(self.free_tier_eligible),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::Filter;

    fn f(name: &str, values: &[&str]) -> Filter {
        Filter { name: Some(name.into()), values: Some(values.iter().map(|v| v.to_string()).collect()) }
    }

    #[test]
    fn most_recent_al2023_by_name_filter() {
        let state = Ec2State::default();
        let ctx = RequestContext::for_tests();
        let out = describe_images(
            &state,
            &ctx,
            DescribeImagesRequest {
                owners: Some(vec!["amazon".into()]),
                filters: Some(vec![f("name", &["al2023-ami-2023.*-x86_64"]), f("architecture", &["x86_64"])]),
                ..Default::default()
            },
        )
        .unwrap();
        let images = out.images.unwrap();
        assert!(!images.is_empty(), "a current AL2023 image");
        assert!(images.iter().all(|i| i.name.as_deref().unwrap().starts_with("al2023-ami-2023.")));
        assert!(images.iter().all(|i| !deprecated(i, &ctx)));
    }

    #[test]
    fn unknown_and_malformed_ids() {
        let state = Ec2State::default();
        let ctx = RequestContext::for_tests();
        let req = |id: &str| DescribeImagesRequest { image_ids: Some(vec![id.into()]), ..Default::default() };
        assert_eq!(
            describe_images(&state, &ctx, req("ami-0123456789abcdef0")).unwrap_err().code,
            "InvalidAMIID.NotFound"
        );
        assert_eq!(describe_images(&state, &ctx, req("image-1")).unwrap_err().code, "InvalidAMIID.Malformed");
        let first = catalogue::public_images(&ctx.region)[0].image_id.clone().unwrap();
        assert_eq!(describe_images(&state, &ctx, req(&first)).unwrap().images.unwrap().len(), 1);
    }
}
