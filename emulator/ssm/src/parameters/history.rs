//! GetParameterHistory: every version kept, oldest first.

use nimbus_core::{ApiError, RequestContext};

use super::{lookup, page_after, page_size, to_history, SsmState};
use crate::errors;
use crate::generated::dto::{GetParameterHistoryRequest, GetParameterHistoryResult};
use crate::public::Published;

pub fn get_parameter_history(
    state: &SsmState,
    published: &Published,
    _ctx: &RequestContext,
    input: GetParameterHistoryRequest,
) -> Result<GetParameterHistoryResult, ApiError> {
    let name = crate::names::parse_selector(&input.name).name;
    let p = lookup(state, published, &name).ok_or_else(errors::parameter_not_found)?;
    let decrypt = input.with_decryption.unwrap_or(false);
    let size = page_size(input.max_results, 50);
    let (page, next) =
        page_after(p.versions.iter().collect(), |v| format!("{:020}", v.version), input.next_token.as_deref(), size)?;
    Ok(GetParameterHistoryResult {
        parameters: Some(page.into_iter().map(|v| to_history(p, v, decrypt)).collect()),
        next_token: next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parameters::testing::put;

    #[test]
    fn history_pages_oldest_first() {
        let ctx = RequestContext::for_tests();
        let mut s = SsmState::default();
        for v in ["a", "b", "c"] {
            put(&mut s, "/h", v, "String");
        }
        let none = Published::default();
        let ask = |token: Option<String>| {
            get_parameter_history(
                &s,
                &none,
                &ctx,
                GetParameterHistoryRequest {
                    name: "/h".into(),
                    max_results: Some(2),
                    next_token: token,
                    ..Default::default()
                },
            )
            .unwrap()
        };
        let first = ask(None);
        let values: Vec<_> = first.parameters.unwrap().into_iter().map(|h| h.value.unwrap()).collect();
        assert_eq!(values, ["a", "b"]);
        let second = ask(first.next_token);
        assert_eq!(second.parameters.unwrap()[0].version, Some(3));
        assert!(second.next_token.is_none());
    }
}
