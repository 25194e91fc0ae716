//! DescribeImages and its filters.

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use crate::catalogue;
use crate::generated::dto::{DescribeImagesRequest, DescribeImagesResult, Image};
use crate::generated::errors;
use crate::images::lookup::{check_id, deprecated, find, image_at, owned_by};
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, tag_pairs};
use crate::state::Ec2State;

pub fn describe_images(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
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
            match find(state, ctx, shared, id) {
                Ok(img) => found.push(img),
                Err(_) => missing.push(id.clone()),
            }
        }
        match missing.as_slice() {
            [] => {}
            [one] => return Err(errors::invalid_amiid_not_found(one)),
            many => {
                return Err(ApiError::client(
                    "InvalidAMIID.NotFound",
                    format!("The image ids '[{}]' do not exist", many.join(", ")),
                ))
            }
        }
    } else {
        found.extend(state.images.keys().map(|id| image_at(state, id, ctx.now)));
        found.extend(shared.images_visible_to(&ctx.region, ctx.account()).iter().map(|p| p.image_at(ctx.now)));
        found.extend(
            catalogue::public_images(&ctx.region).into_iter().filter(|i| catalogue::visible_to(i, ctx.account())),
        );
        // Deprecated public images show only on request; an owner always sees its own.
        if input.include_deprecated != Some(true) {
            found.retain(|i| i.owner_id.as_deref() == Some(ctx.account()) || !deprecated(i, ctx));
        }
    }
    found.retain(|i| owned_by(i, &owners, ctx));
    if !users.is_empty() {
        // Who may launch each image: its own launch permissions, or the registry's copy.
        let shared_with = |i: &Image, account: &str| {
            let id = i.image_id.as_deref().unwrap_or_default();
            state.shared_with(i, account)
                || shared.image(&ctx.region, id).is_some_and(|p| p.record.launch_users.iter().any(|u| u == account))
        };
        // `all`: the public images; an account: the images shared with it explicitly (its
        // own too, for the caller's: the owner's implicit permission), not the public ones.
        found.retain(|i| {
            users.iter().any(|u| match u.as_str() {
                "all" => i.public == Some(true),
                "self" => i.owner_id.as_deref() == Some(ctx.account()) || shared_with(i, ctx.account()),
                account if account == ctx.account() => {
                    i.owner_id.as_deref() == Some(account) || shared_with(i, account)
                }
                account => shared_with(i, account),
            })
        });
    }
    if input.include_disabled != Some(true) {
        found.retain(|i| i.state.as_deref() != Some("disabled"));
    }
    let mut items = filtered(found, input.filters.as_deref())?;
    items.sort_by(|a, b| a.image_id.cmp(&b.image_id));
    let (page, next) = paginate(items, |i| i.image_id.clone().unwrap_or_default(), input.page(), !ids.is_empty())?;
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
