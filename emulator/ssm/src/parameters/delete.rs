//! DeleteParameter and DeleteParameters: every version goes, with its labels and tags.

use nimbus_core::{ApiError, RequestContext};

use super::SsmState;
use crate::errors;
use crate::generated::dto::{
    DeleteParameterRequest, DeleteParameterResult, DeleteParametersRequest, DeleteParametersResult,
};

pub fn delete_parameter(
    state: &mut SsmState,
    _ctx: &RequestContext,
    input: DeleteParameterRequest,
) -> Result<DeleteParameterResult, ApiError> {
    state.parameters.remove(&input.name).ok_or_else(errors::parameter_not_found)?;
    Ok(DeleteParameterResult {})
}

pub fn delete_parameters(
    state: &mut SsmState,
    _ctx: &RequestContext,
    input: DeleteParametersRequest,
) -> Result<DeleteParametersResult, ApiError> {
    let (mut deleted, mut invalid) = (Vec::new(), Vec::new());
    for name in input.names {
        if state.parameters.remove(&name).is_some() {
            deleted.push(name);
        } else if !deleted.contains(&name) && !invalid.contains(&name) {
            invalid.push(name);
        }
    }
    Ok(DeleteParametersResult { deleted_parameters: Some(deleted), invalid_parameters: Some(invalid) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parameters::testing::put;

    #[test]
    fn deletes_and_reports_the_missing() {
        let ctx = RequestContext::for_tests();
        let mut s = SsmState::default();
        put(&mut s, "/a", "1", "String");
        put(&mut s, "/b", "1", "String");
        delete_parameter(&mut s, &ctx, DeleteParameterRequest { name: "/a".into() }).unwrap();
        assert_eq!(
            delete_parameter(&mut s, &ctx, DeleteParameterRequest { name: "/a".into() }).unwrap_err().code,
            "ParameterNotFound"
        );
        let out =
            delete_parameters(&mut s, &ctx, DeleteParametersRequest { names: vec!["/b".into(), "/c".into()] }).unwrap();
        assert_eq!(out.deleted_parameters.unwrap(), ["/b"]);
        assert_eq!(out.invalid_parameters.unwrap(), ["/c"]);
        assert!(s.parameters.is_empty());
    }
}
