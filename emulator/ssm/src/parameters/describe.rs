//! DescribeParameters: the account's parameters (never AWS's public ones), with the
//! legacy `Filters` or `ParameterFilters`, in name order, 50 to a page.

use nimbus_core::{ApiError, RequestContext};

use super::filters::{self, Operation};
use super::{page_after, page_size, to_metadata, Parameter, SsmState, Where};
use crate::errors;
use crate::generated::dto::{DescribeParametersRequest, DescribeParametersResult, ParametersFilter};
use crate::public::Published;

pub fn describe_parameters(
    state: &SsmState,
    _published: &Published,
    ctx: &RequestContext,
    input: DescribeParametersRequest,
) -> Result<DescribeParametersResult, ApiError> {
    let legacy = input.filters.clone().unwrap_or_default();
    let wanted = input.parameter_filters.clone().unwrap_or_default();
    if !legacy.is_empty() && !wanted.is_empty() {
        return Err(errors::validation("You can use either Filters or ParameterFilters in a single request."));
    }
    filters::check(&wanted, Operation::Describe)?;
    let size = page_size(input.max_results, 50);
    // Parameters shared with the account through RAM: nimbus shares none.
    let found: Vec<&Parameter> = if input.shared.unwrap_or(false) {
        Vec::new()
    } else {
        state
            .parameters
            .values()
            .filter(|p| legacy.iter().all(|f| legacy_matches(p, f)) && filters::matches(p, &wanted))
            .collect()
    };
    let (page, next) = page_after(found, |p| p.name.clone(), input.next_token.as_deref(), size)?;
    let at = Where { region: &ctx.region, account: ctx.account() };
    Ok(DescribeParametersResult {
        parameters: Some(page.into_iter().map(|p| to_metadata(p, &at)).collect()),
        next_token: next,
    })
}

/// The legacy filters: `Name` by prefix, `Type` and `KeyId` exactly.
fn legacy_matches(p: &Parameter, f: &ParametersFilter) -> bool {
    let v = p.latest();
    f.values.iter().any(|w| match f.key.as_str() {
        "Name" => p.name.starts_with(w.as_str()),
        "Type" => &v.kind == w,
        _ => v.key_id.as_deref() == Some(w.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::ParameterStringFilter;
    use crate::parameters::testing::put;

    #[test]
    fn filters_and_pages() {
        let ctx = RequestContext::for_tests();
        let mut s = SsmState::default();
        put(&mut s, "/app/a", "1", "String");
        put(&mut s, "/app/deep/b", "2", "SecureString");
        put(&mut s, "plain", "3", "StringList");
        let none = Published::default();
        let ask = |input: DescribeParametersRequest| -> Vec<String> {
            describe_parameters(&s, &none, &ctx, input)
                .unwrap()
                .parameters
                .unwrap()
                .into_iter()
                .map(|p| p.name.unwrap())
                .collect()
        };
        assert_eq!(ask(Default::default()).len(), 3);
        let path = |option: &str| ParameterStringFilter {
            key: "Path".into(),
            option: Some(option.into()),
            values: Some(vec!["/app".into()]),
        };
        assert_eq!(
            ask(DescribeParametersRequest { parameter_filters: Some(vec![path("OneLevel")]), ..Default::default() }),
            ["/app/a"]
        );
        assert_eq!(
            ask(DescribeParametersRequest { parameter_filters: Some(vec![path("Recursive")]), ..Default::default() }),
            ["/app/a", "/app/deep/b"]
        );
        let name = ParameterStringFilter { key: "Name".into(), option: None, values: Some(vec!["plain".into()]) };
        assert_eq!(
            ask(DescribeParametersRequest { parameter_filters: Some(vec![name.clone()]), ..Default::default() }),
            ["plain"]
        );
        let secure = ParametersFilter { key: "Type".into(), values: vec!["SecureString".into()] };
        assert_eq!(
            ask(DescribeParametersRequest { filters: Some(vec![secure.clone()]), ..Default::default() }),
            ["/app/deep/b"]
        );
        let both = DescribeParametersRequest {
            filters: Some(vec![secure]),
            parameter_filters: Some(vec![name]),
            ..Default::default()
        };
        assert_eq!(describe_parameters(&s, &none, &ctx, both).unwrap_err().code, "ValidationException");
        let first = describe_parameters(
            &s,
            &none,
            &ctx,
            DescribeParametersRequest { max_results: Some(2), ..Default::default() },
        )
        .unwrap();
        assert_eq!(first.parameters.unwrap().len(), 2);
        let rest = describe_parameters(
            &s,
            &none,
            &ctx,
            DescribeParametersRequest { max_results: Some(2), next_token: first.next_token, ..Default::default() },
        )
        .unwrap();
        assert_eq!(rest.parameters.unwrap()[0].name.as_deref(), Some("plain"));
        assert!(rest.next_token.is_none());
    }
}
