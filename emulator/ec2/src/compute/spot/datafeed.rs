//! The account's Spot Instance data feed subscription (one per account and region): where
//! AWS would write the hourly usage logs. nimbus keeps the subscription and writes no logs.

use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    CreateSpotDatafeedSubscriptionRequest, CreateSpotDatafeedSubscriptionResult, DeleteSpotDatafeedSubscriptionRequest,
    DescribeSpotDatafeedSubscriptionRequest, DescribeSpotDatafeedSubscriptionResult, SpotDatafeedSubscription,
};
use crate::generated::errors;
use crate::state::Ec2State;

pub fn create_spot_datafeed_subscription(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateSpotDatafeedSubscriptionRequest,
) -> Result<CreateSpotDatafeedSubscriptionResult, ApiError> {
    if input.bucket.is_empty() {
        return Err(errors::missing_parameter("bucket"));
    }
    // A second subscription replaces the first, as AWS keeps one per account.
    let subscription = SpotDatafeedSubscription {
        bucket: Some(input.bucket),
        prefix: input.prefix.filter(|p| !p.is_empty()),
        owner_id: Some(ctx.account().to_string()),
        state: Some("Active".into()),
        fault: None,
    };
    state.spot.datafeed = Some(subscription.clone());
    Ok(CreateSpotDatafeedSubscriptionResult { spot_datafeed_subscription: Some(subscription) })
}

pub fn describe_spot_datafeed_subscription(
    state: &Ec2State,
    _ctx: &RequestContext,
    _input: DescribeSpotDatafeedSubscriptionRequest,
) -> Result<DescribeSpotDatafeedSubscriptionResult, ApiError> {
    let subscription = state.spot.datafeed.clone().ok_or_else(errors::invalid_spot_datafeed_not_found)?;
    Ok(DescribeSpotDatafeedSubscriptionResult { spot_datafeed_subscription: Some(subscription) })
}

pub fn delete_spot_datafeed_subscription(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    _input: DeleteSpotDatafeedSubscriptionRequest,
) -> Result<(), ApiError> {
    // Deleting when there is none is refused like describing it (a guess).
    state.spot.datafeed.take().ok_or_else(errors::invalid_spot_datafeed_not_found)?;
    Ok(())
}
