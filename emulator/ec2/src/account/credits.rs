//! The default CPU credit option of each burstable family (T2, T3, T3a, T4g, ...): what an
//! instance launched without a credit specification gets.

use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    GetDefaultCreditSpecificationRequest, GetDefaultCreditSpecificationResult, InstanceFamilyCreditSpecification,
    ModifyDefaultCreditSpecificationRequest, ModifyDefaultCreditSpecificationResult,
};
use crate::generated::enums;
use crate::state::account::current_default_credits as current;
use crate::state::params::one_of;
use crate::state::Ec2State;

fn answer(state: &Ec2State, family: String) -> Option<InstanceFamilyCreditSpecification> {
    Some(InstanceFamilyCreditSpecification {
        cpu_credits: Some(current(state, &family)),
        instance_family: Some(family),
    })
}

pub fn get_default_credit_specification(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: GetDefaultCreditSpecificationRequest,
) -> Result<GetDefaultCreditSpecificationResult, ApiError> {
    one_of("InstanceFamily", &input.instance_family, enums::UNLIMITED_SUPPORTED_INSTANCE_FAMILY)?;
    Ok(GetDefaultCreditSpecificationResult {
        instance_family_credit_specification: answer(state, input.instance_family),
    })
}

pub fn modify_default_credit_specification(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyDefaultCreditSpecificationRequest,
) -> Result<ModifyDefaultCreditSpecificationResult, ApiError> {
    one_of("InstanceFamily", &input.instance_family, enums::UNLIMITED_SUPPORTED_INSTANCE_FAMILY)?;
    one_of("CpuCredits", &input.cpu_credits, &["standard", "unlimited"])?;
    state.account.default_credits.insert(input.instance_family.clone(), input.cpu_credits);
    Ok(ModifyDefaultCreditSpecificationResult {
        instance_family_credit_specification: answer(state, input.instance_family),
    })
}
