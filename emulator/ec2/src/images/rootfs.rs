//! RegisterImage of a root filesystem on this machine: `ImageLocation=file:///abs/dir`,
//! nimbus's own extension (at AWS, ImageLocation names an S3 manifest). The directory
//! must hold a Linux root filesystem (`/bin/sh` at least). The AMI looks like any
//! EBS-backed one: its root device maps to a new snapshot (of volume `vol-ffffffff`, as
//! AWS shows snapshots that no volume of the account made). With `--instances run`,
//! instances of it boot that directory, read-only under their own disk.

use std::path::Path;

use nimbus_core::{ids, ApiError, RequestContext};

use crate::ebs::snapshots::{self, NewSnapshot};
use crate::generated::dto::{BlockDeviceMapping, EbsBlockDevice, RegisterImageRequest, RegisterImageResult};
use crate::generated::errors;
use crate::images::register::{
    check_description, check_enum, check_name, check_unique, create_image_record, image_and_snapshot_tags, new_image,
};
use crate::state::params::invalid_value;
use crate::state::Ec2State;

/// The size of the root volume such an image maps (Amazon Linux's default).
const ROOT_VOLUME_GIB: i32 = 8;

/// The directory `ImageLocation` names, when it is a `file://` location.
pub fn location(input: &RegisterImageRequest) -> Option<&str> {
    input.image_location.as_deref()?.strip_prefix("file://")
}

fn check_root_filesystem(location: &str, path: &str) -> Result<(), ApiError> {
    let dir = Path::new(path);
    let why = if !dir.is_absolute() {
        "the path must be absolute"
    } else if !dir.is_dir() {
        "no such directory on the nimbus host"
    } else if !dir.join("bin/sh").exists() && !dir.join("usr/bin/sh").exists() {
        "not a root filesystem (no /bin/sh)"
    } else {
        return Ok(());
    };
    Err(invalid_value("imageLocation", location, why))
}

pub fn register_root_filesystem(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: RegisterImageRequest,
    path: &str,
) -> Result<RegisterImageResult, ApiError> {
    check_name(&input.name)?;
    check_unique(state, &input.name)?;
    check_description(input.description.as_deref())?;
    check_root_filesystem(input.image_location.as_deref().unwrap_or_default(), path)?;
    if input.block_device_mappings.as_ref().is_some_and(|m| !m.is_empty()) {
        return Err(errors::invalid_parameter_combination(
            "A file:// image location brings its own root device; BlockDeviceMapping cannot be given with it.",
        ));
    }
    check_enum(input.architecture.as_deref(), "architecture", &["x86_64", "arm64"])?;
    check_enum(input.boot_mode.as_deref(), "bootMode", &["legacy-bios", "uefi", "uefi-preferred"])?;
    check_enum(input.imds_support.as_deref(), "imdsSupport", &["v2.0"])?;
    let (image_tags, snapshot_tags) =
        image_and_snapshot_tags(input.tag_specifications.as_deref(), &["image", "snapshot"])?;
    let root = input.root_device_name.clone().unwrap_or_else(|| "/dev/xvda".into());
    let id = ids::resource_id("ami");
    let snapshot_id = snapshots::create_snapshot_record(
        state,
        ctx,
        NewSnapshot {
            volume_id: "vol-ffffffff".into(),
            volume_size: ROOT_VOLUME_GIB,
            encrypted: false,
            kms_key_id: None,
            description: format!("Root filesystem {path} for {id}"),
            tags: snapshot_tags,
        },
    );
    let mut image = new_image(ctx, &id, &input.name, input.description.clone());
    image.image_location = input.image_location.clone();
    image.architecture = Some(input.architecture.clone().unwrap_or_else(|| "x86_64".into()));
    image.virtualization_type = Some("hvm".into());
    image.root_device_name = Some(root.clone());
    image.ena_support = Some(input.ena_support.unwrap_or(true));
    image.boot_mode = input.boot_mode.clone();
    image.imds_support = input.imds_support.clone();
    image.block_device_mappings = Some(vec![BlockDeviceMapping {
        device_name: Some(root),
        ebs: Some(EbsBlockDevice {
            delete_on_termination: Some(true),
            snapshot_id: Some(snapshot_id),
            volume_size: Some(ROOT_VOLUME_GIB),
            volume_type: Some("gp3".into()),
            encrypted: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    }]);
    let id = create_image_record(state, ctx, image, image_tags);
    Ok(RegisterImageResult { image_id: Some(id) })
}
