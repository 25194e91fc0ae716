//! CopyImage, within a region and from another.

use nimbus_core::{ids, regions, ApiError, RequestContext};

use crate::catalogue;
use crate::ebs::{snapshots, volumes};
use crate::generated::dto::{CopyImageRequest, CopyImageResult};
use crate::generated::errors;
use crate::images::lookup::{check_id, find, iso};
use crate::images::register::{
    check_description, check_name, check_unique, create_image_record, image_and_snapshot_tags, new_image,
};
use crate::state::shared::Shared;
use crate::state::Ec2State;

pub fn copy_image(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CopyImageRequest,
) -> Result<CopyImageResult, ApiError> {
    if !regions::is_known(&input.source_region) {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({}) for parameter sourceRegion is invalid.",
            input.source_region
        )));
    }
    check_id(&input.source_image_id)?;
    // The source: in this region as DescribeImages finds it; in another through the registry.
    let (source, source_tags) = if input.source_region == ctx.region {
        let tags = if state.images.contains_key(&input.source_image_id) {
            state.tag_pairs(&input.source_image_id)
        } else {
            Vec::new()
        };
        (find(state, ctx, shared, &input.source_image_id)?, tags)
    } else {
        match shared.image(&input.source_region, &input.source_image_id).filter(|p| p.launchable_by(ctx.account())) {
            Some(p) => {
                let tags = if p.account == ctx.account() { p.tags.clone() } else { Vec::new() };
                (p.image_at(ctx.now), tags)
            }
            None => catalogue::public_images(&input.source_region)
                .into_iter()
                .find(|i| i.image_id.as_deref() == Some(input.source_image_id.as_str()))
                .map(|i| (i, Vec::new()))
                .ok_or_else(|| errors::invalid_amiid_not_found(&input.source_image_id))?,
        }
    };
    if source.state.as_deref() != Some("available") {
        return Err(errors::invalid_amiid_unavailable(
            &input.source_image_id,
            source.state.as_deref().unwrap_or_default(),
        ));
    }
    check_name(&input.name)?;
    check_unique(state, &input.name)?;
    check_description(input.description.as_deref())?;
    if input.kms_key_id.is_some() && input.encrypted != Some(true) {
        return Err(errors::invalid_parameter_dependency(
            "The parameter KmsKeyId requires the parameter Encrypted to be set.",
        ));
    }
    let (mut image_tags, snapshot_tags) =
        image_and_snapshot_tags(input.tag_specifications.as_deref(), &["image", "snapshot"])?;
    if input.copy_image_tags == Some(true) {
        let mut all = source_tags;
        all.retain(|(k, _)| !image_tags.iter().any(|(k2, _)| k2 == k));
        all.extend(image_tags);
        image_tags = all;
    }
    let id = ids::resource_id("ami");
    let mut mappings = source.block_device_mappings.clone().unwrap_or_default();
    for m in mappings.iter_mut() {
        let Some(ebs) = m.ebs.as_mut() else { continue };
        let Some(source_snapshot) = ebs.snapshot_id.clone() else { continue };
        let encrypted = input.encrypted == Some(true) || ebs.encrypted == Some(true);
        let kms_key_id = match (&input.kms_key_id, encrypted) {
            (Some(k), _) => Some(volumes::records::kms_key_arn(ctx, k)),
            (None, true) => ebs.kms_key_id.clone().or_else(|| Some(volumes::records::default_kms_key(ctx))),
            (None, false) => None,
        };
        let new = snapshots::NewSnapshot {
            volume_id: "vol-ffffffff".into(),
            volume_size: ebs.volume_size.unwrap_or(8),
            encrypted,
            kms_key_id: kms_key_id.clone(),
            description: format!(
                "Copied for DestinationAmi {id} from SourceAmi {} for SourceSnapshot {source_snapshot}. Task created on {}.",
                input.source_image_id,
                iso(ctx.now)
            ),
            tags: snapshot_tags.clone(),
        };
        ebs.snapshot_id = Some(snapshots::create_snapshot_record(state, ctx, new));
        ebs.encrypted = Some(encrypted);
        ebs.kms_key_id = kms_key_id;
    }
    let mut image = source.clone();
    let base = new_image(ctx, &id, &input.name, input.description.clone().or(source.description.clone()));
    image.image_id = base.image_id;
    image.name = base.name;
    image.description = base.description;
    image.image_location = base.image_location;
    image.owner_id = base.owner_id;
    image.public = base.public;
    image.state = base.state;
    image.creation_date = base.creation_date;
    image.image_owner_alias = None;
    image.deprecation_time = None;
    image.last_launched_time = None;
    image.deregistration_protection = None;
    image.source_instance_id = None;
    image.tags = None;
    image.source_image_id = Some(input.source_image_id.clone());
    image.source_image_region = Some(input.source_region.clone());
    image.block_device_mappings = Some(mappings);
    let id = create_image_record(state, ctx, image, image_tags);
    Ok(CopyImageResult { image_id: Some(id) })
}
