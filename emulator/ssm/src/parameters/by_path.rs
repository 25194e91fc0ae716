//! GetParametersByPath: the parameters one level below a path (or every level, with
//! `Recursive`), AWS's public ones under `/aws/`, in name order, 10 to a page.

use nimbus_core::{ApiError, RequestContext};

use super::filters::{self, Operation};
use super::{is_public, page_after, page_size, to_parameter, SsmState, Where};
use crate::generated::dto::{GetParametersByPathRequest, GetParametersByPathResult};
use crate::public::Published;

pub fn get_parameters_by_path(
    state: &SsmState,
    published: &Published,
    ctx: &RequestContext,
    input: GetParametersByPathRequest,
) -> Result<GetParametersByPathResult, ApiError> {
    let path = crate::names::check_path(&input.path)?;
    let wanted = input.parameter_filters.unwrap_or_default();
    filters::check(&wanted, Operation::ByPath)?;
    let recursive = input.recursive.unwrap_or(false);
    let source = if is_public(&format!("{path}/")) { published } else { &state.parameters };
    let found: Vec<_> =
        source.values().filter(|p| filters::under(&p.name, &path, recursive) && filters::matches(p, &wanted)).collect();
    let size = page_size(input.max_results, 10);
    let (page, next) = page_after(found, |p| p.name.clone(), input.next_token.as_deref(), size)?;
    let at = Where { region: &ctx.region, account: ctx.account() };
    let decrypt = input.with_decryption.unwrap_or(false);
    Ok(GetParametersByPathResult {
        parameters: Some(page.into_iter().map(|p| to_parameter(p, p.latest(), &at, decrypt, None)).collect()),
        next_token: next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::ParameterStringFilter;
    use crate::parameters::testing::put;

    #[test]
    fn one_level_recursive_filters_and_pages() {
        let ctx = RequestContext::for_tests();
        let mut s = SsmState::default();
        put(&mut s, "/app/a", "1", "String");
        put(&mut s, "/app/b", "2", "SecureString");
        put(&mut s, "/app/deep/c", "3", "String");
        put(&mut s, "/other", "4", "String");
        let none = Published::default();
        let ask = |recursive, filters: Option<Vec<ParameterStringFilter>>, max, token| {
            get_parameters_by_path(
                &s,
                &none,
                &ctx,
                GetParametersByPathRequest {
                    path: "/app".into(),
                    recursive: Some(recursive),
                    parameter_filters: filters,
                    max_results: max,
                    next_token: token,
                    with_decryption: None,
                },
            )
            .unwrap()
        };
        let names = |r: GetParametersByPathResult| -> Vec<String> {
            r.parameters.unwrap().into_iter().map(|p| p.name.unwrap()).collect()
        };
        assert_eq!(names(ask(false, None, None, None)), ["/app/a", "/app/b"]);
        assert_eq!(names(ask(true, None, None, None)), ["/app/a", "/app/b", "/app/deep/c"]);
        let secure =
            ParameterStringFilter { key: "Type".into(), option: None, values: Some(vec!["SecureString".into()]) };
        assert_eq!(names(ask(true, Some(vec![secure]), None, None)), ["/app/b"]);
        let first = ask(true, None, Some(2), None);
        let token = first.next_token.clone();
        assert_eq!(names(first), ["/app/a", "/app/b"]);
        assert_eq!(names(ask(true, None, Some(2), token)), ["/app/deep/c"]);
    }
}
