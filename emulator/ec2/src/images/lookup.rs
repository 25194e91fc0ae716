//! Finding an image (the account's, shared, public) as it is at a moment, and the
//! clock's part in its lifecycle.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use nimbus_core::{ApiError, RequestContext};

use crate::catalogue;
use crate::generated::dto::Image;
use crate::generated::errors;
use crate::state::shared::Shared;
use crate::state::Ec2State;

pub type Tags = Vec<(String, String)>;

/// How long deregistration stays refused after protection with a cooldown is disabled.
pub const PROTECTION_COOLDOWN: Duration = Duration::hours(24);

pub fn check_id(id: &str) -> Result<(), ApiError> {
    let well_formed = id
        .strip_prefix("ami-")
        .is_some_and(|hex| (8..=17).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit()));
    if well_formed {
        Ok(())
    } else {
        Err(errors::invalid_amiid_malformed(id))
    }
}

/// One of the account's images as it is at `now`, with its tags.
pub fn image_at(state: &Ec2State, id: &str, now: DateTime<Utc>) -> Image {
    let rec = &state.images[id];
    let mut img = rec.image.clone();
    if img.state.as_deref() == Some("pending") && now >= state.transition_ends(id) {
        img.state = Some("available".into());
    }
    img.public = Some(rec.launch_groups.iter().any(|g| g == "all"));
    img.tags = state.dto_tags_if_any(id);
    img
}

pub fn needs_settling(state: &Ec2State, now: DateTime<Utc>) -> bool {
    state.images.iter().any(|(id, r)| r.image.state.as_deref() == Some("pending") && now >= state.transition_ends(id))
}

pub fn settle(state: &mut Ec2State, now: DateTime<Utc>) {
    let due: Vec<String> = state
        .images
        .iter()
        .filter(|(id, r)| r.image.state.as_deref() == Some("pending") && now >= state.transition_ends(id))
        .map(|(id, _)| id.clone())
        .collect();
    for id in due {
        if let Some(r) = state.images.get_mut(&id) {
            r.image.state = Some("available".into());
        }
    }
}

/// An image the caller may launch or describe by id: its own, one another account
/// shares with it or made public, or one of the region's public images.
pub fn find(state: &Ec2State, ctx: &RequestContext, shared: &Shared, id: &str) -> Result<Image, ApiError> {
    check_id(id)?;
    if state.images.contains_key(id) {
        return Ok(image_at(state, id, ctx.now));
    }
    if let Some(p) = shared.image(&ctx.region, id).filter(|p| p.launchable_by(ctx.account())) {
        return Ok(p.image_at(ctx.now));
    }
    catalogue::public_images(&ctx.region)
        .into_iter()
        .find(|i| i.image_id.as_deref() == Some(id) && catalogue::visible_to(i, ctx.account()))
        .ok_or_else(|| errors::invalid_amiid_not_found(id))
}

/// The image RunInstances launches from; it must be available.
pub fn for_launch(state: &Ec2State, ctx: &RequestContext, shared: &Shared, id: &str) -> Result<Image, ApiError> {
    let img = find(state, ctx, shared, id)?;
    match img.state.as_deref() {
        Some("available") | None => Ok(img),
        Some(other) => Err(errors::invalid_amiid_unavailable(id, other)),
    }
}

/// Records that an image of the account was launched (its `lastLaunchedTime`).
pub fn launched(state: &mut Ec2State, id: &str, now: DateTime<Utc>) {
    if let Some(r) = state.images.get_mut(id) {
        r.image.last_launched_time = Some(iso(now));
    }
}

pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn deprecated(img: &Image, ctx: &RequestContext) -> bool {
    img.deprecation_time
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| t <= ctx.now)
}

/// Whether `owners` (`self`, `amazon`, `aws-marketplace`, account ids) include the image.
pub fn owned_by(img: &Image, owners: &[String], ctx: &RequestContext) -> bool {
    owners.is_empty()
        || owners.iter().any(|o| match o.as_str() {
            "self" => img.owner_id.as_deref() == Some(ctx.account()),
            "amazon" | "aws-marketplace" => img.image_owner_alias.as_deref() == Some(o.as_str()),
            id => img.owner_id.as_deref() == Some(id),
        })
}
