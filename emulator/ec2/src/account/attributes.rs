//! DescribeAccountAttributes: what the account may do in the region, as AWS lists it.

use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    AccountAttribute, AccountAttributeValue, DescribeAccountAttributesRequest, DescribeAccountAttributesResult,
};
use crate::state::params::invalid_value;
use crate::state::Ec2State;

/// AWS's default quotas behind the attributes (EC2-Classic is retired: VPC is the only platform).
const MAX_ELASTIC_IPS: &str = "5";
const SECURITY_GROUPS_PER_INTERFACE: &str = "5";

pub fn describe_account_attributes(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeAccountAttributesRequest,
) -> Result<DescribeAccountAttributesResult, ApiError> {
    let default_vpc = state
        .vpcs
        .values()
        .find(|v| v.vpc.is_default == Some(true))
        .and_then(|v| v.vpc.vpc_id.clone())
        .unwrap_or_else(|| "none".into());
    let quota = if state.instance_quota == 0 {
        crate::compute::instances::lifecycle::DEFAULT_INSTANCE_QUOTA
    } else {
        state.instance_quota
    };
    let all: Vec<(&str, Vec<String>)> = vec![
        ("supported-platforms", vec!["VPC".into()]),
        ("vpc-max-security-groups-per-interface", vec![SECURITY_GROUPS_PER_INTERFACE.into()]),
        ("max-elastic-ips", vec![MAX_ELASTIC_IPS.into()]),
        ("max-instances", vec![quota.to_string()]),
        ("vpc-max-elastic-ips", vec![MAX_ELASTIC_IPS.into()]),
        ("default-vpc", vec![default_vpc]),
    ];
    let wanted = input.attribute_names.unwrap_or_default();
    if let Some(unknown) = wanted.iter().find(|w| !all.iter().any(|(n, _)| n == w)) {
        return Err(invalid_value("attributeName", unknown, ""));
    }
    let attributes = all
        .into_iter()
        .filter(|(name, _)| wanted.is_empty() || wanted.iter().any(|w| w == name))
        .map(|(name, values)| AccountAttribute {
            attribute_name: Some(name.to_string()),
            attribute_values: Some(
                values.into_iter().map(|v| AccountAttributeValue { attribute_value: Some(v) }).collect(),
            ),
        })
        .collect();
    Ok(DescribeAccountAttributesResult { account_attributes: Some(attributes) })
}
