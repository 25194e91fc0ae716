//! The Recycle Bin reads EC2 owns, for AMIs: with no retention rules (nimbus has no
//! Recycle Bin service, `rbin`), DeregisterImage deregisters for good, the bin is empty
//! and RestoreImageFromRecycleBin finds nothing, as AWS answers in an account without
//! rules (see `ebs/recycle_bin.rs`).

use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    ImageRecycleBinInfo, ListImagesInRecycleBinRequest, ListImagesInRecycleBinResult,
    RestoreImageFromRecycleBinRequest, RestoreImageFromRecycleBinResult,
};
use crate::generated::errors;
use crate::images::lookup::check_id;
use crate::state::support::paginate;
use crate::state::Ec2State;

pub fn list_images_in_recycle_bin(
    _state: &Ec2State,
    _ctx: &RequestContext,
    input: ListImagesInRecycleBinRequest,
) -> Result<ListImagesInRecycleBinResult, ApiError> {
    let ids = input.image_ids.clone().unwrap_or_default();
    for id in &ids {
        check_id(id)?;
    }
    let binned: Vec<ImageRecycleBinInfo> = Vec::new();
    let (page, next) = paginate(binned, |i| i.image_id.clone().unwrap_or_default(), input.page(), !ids.is_empty())?;
    Ok(ListImagesInRecycleBinResult { images: Some(page), next_token: next })
}

pub fn restore_image_from_recycle_bin(
    _state: &mut Ec2State,
    _ctx: &RequestContext,
    input: RestoreImageFromRecycleBinRequest,
) -> Result<RestoreImageFromRecycleBinResult, ApiError> {
    check_id(&input.image_id)?;
    Err(errors::invalid_amiid_not_found(&input.image_id))
}

#[cfg(test)]
mod tests {
    use nimbus_core::RequestContext;
    use serde_json::json;

    use crate::testing::{call, refused};
    use crate::Ec2;

    #[test]
    fn the_bin_is_empty() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        assert_eq!(call(&ec2, &ctx, "ListImagesInRecycleBin", json!({}))["Images"], json!([]));
        let id = json!({"ImageId": "ami-0123456789abcdef0"});
        assert_eq!(refused(&ec2, &ctx, "RestoreImageFromRecycleBin", id), "InvalidAMIID.NotFound");
        assert_eq!(
            refused(&ec2, &ctx, "RestoreImageFromRecycleBin", json!({"ImageId": "x"})),
            "InvalidAMIID.Malformed"
        );
    }
}
