//! What every EC2 resource family shares: tags at creation, filters, pagination,
//! id checks, attribute values.

use base64::Engine as _;
use nimbus_core::filter::{self, Filterable};
use nimbus_core::ApiError;

use crate::generated::dto::{self, AttributeBooleanValue, Filter, TagSpecification};
use crate::generated::errors;

/// AWS's per-resource limit.
pub const MAX_TAGS: usize = 50;

/// The tags a request's `TagSpecifications` give a resource of `resource_type`.
/// A specification for another type is refused, as AWS refuses it.
pub fn spec_tags(specs: Option<&[TagSpecification]>, resource_type: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for spec in specs.unwrap_or_default() {
        let rt = spec.resource_type.as_deref().unwrap_or("");
        if rt != resource_type {
            return Err(errors::invalid_parameter_value(format!(
                "'{rt}' is not a valid taggable resource type for this operation."
            )));
        }
        for tag in spec.tags.as_deref().unwrap_or_default() {
            out.push(validate_tag(tag)?);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(errors::tag_limit_exceeded());
    }
    Ok(out)
}

pub fn validate_tag(tag: &dto::Tag) -> Result<(String, String), ApiError> {
    let key = tag.key.clone().unwrap_or_default();
    let value = tag.value.clone().unwrap_or_default();
    if key.is_empty() || key.chars().count() > 128 {
        return Err(errors::invalid_parameter_value(format!("Tag key must be between 1 and 128 characters: '{key}'")));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(errors::invalid_parameter_value("Tag keys starting with 'aws:' are reserved for internal use"));
    }
    if value.chars().count() > 256 {
        return Err(errors::invalid_parameter_value(format!(
            "Tag value for key '{key}' must be at most 256 characters"
        )));
    }
    Ok((key, value))
}

/// Keeps the items matching EC2 filters; an unknown filter name is refused.
pub fn filtered<T: Filterable + Clone>(
    items: impl IntoIterator<Item = T>,
    filters: Option<&[Filter]>,
) -> Result<Vec<T>, ApiError> {
    let filters: Vec<filter::Filter> = filters
        .unwrap_or_default()
        .iter()
        .map(|f| filter::Filter {
            name: f.name.clone().unwrap_or_default(),
            values: f.values.clone().unwrap_or_default(),
        })
        .collect();
    filter::apply(items, &filters)
        .map_err(|e| errors::invalid_parameter_value(format!("The filter '{}' is invalid", e.0)))
}

/// Refuses an unknown filter name even when there is nothing to filter: `filtered` meets
/// names only on the items it looks at.
pub fn check_filter_names<T: Filterable + Default>(filters: Option<&[Filter]>) -> Result<(), ApiError> {
    let probe = T::default();
    for f in filters.unwrap_or_default() {
        let one = filter::Filter { name: f.name.clone().unwrap_or_default(), values: Vec::new() };
        filter::matches(&probe, std::slice::from_ref(&one))
            .map_err(|e| errors::invalid_parameter_value(format!("The filter '{}' is invalid", e.0)))?;
    }
    Ok(())
}

/// A page of `items` (already in a stable order) after `next_token`, at most
/// `max_results` long, with the token of the next page. `bounds` are the operation's
/// MaxResults range; AWS refuses MaxResults together with explicit ids.
pub fn paginate<T>(
    items: Vec<T>,
    id_of: impl Fn(&T) -> String,
    max_results: Option<i32>,
    next_token: Option<&str>,
    bounds: (i32, i32),
    ids_given: bool,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    if let Some(m) = max_results {
        if ids_given {
            return Err(errors::invalid_parameter_combination(
                "The parameter ids cannot be used with the parameter maxResults",
            ));
        }
        if m < bounds.0 || m > bounds.1 {
            return Err(errors::invalid_parameter_value(format!(
                "Value ( {m} ) for parameter maxResults is invalid. Parameter must be between {} and {}.",
                bounds.0, bounds.1
            )));
        }
    }
    let start = match next_token {
        None | Some("") => 0,
        Some(token) => {
            let after = decode_token(token).ok_or_else(|| errors::invalid_next_token(token))?;
            items.iter().position(|i| id_of(i) > after).unwrap_or(items.len())
        }
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let limit = max_results.map(|m| m as usize).unwrap_or(usize::MAX);
    if rest.len() > limit {
        rest.truncate(limit);
        let token = rest.last().map(|last| encode_token(&id_of(last)));
        return Ok((rest, token));
    }
    Ok((rest, None))
}

fn encode_token(after: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("nimbus:{after}"))
}

fn decode_token(token: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(token).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("nimbus:").map(str::to_string)
}

pub fn bool_value(b: bool) -> AttributeBooleanValue {
    AttributeBooleanValue { value: Some(b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_token() {
        let items: Vec<String> = (0..10).map(|i| format!("id-{i:02}")).collect();
        let (p1, t1) = paginate(items.clone(), |s| s.clone(), Some(5), None, (5, 1000), false).unwrap();
        assert_eq!(p1.len(), 5);
        let (p2, t2) = paginate(items.clone(), |s| s.clone(), Some(5), t1.as_deref(), (5, 1000), false).unwrap();
        assert_eq!(p2, items[5..].to_vec());
        assert!(t2.is_none());
        assert_eq!(
            paginate(items.clone(), |s| s.clone(), Some(4), None, (5, 1000), false).unwrap_err().code,
            "InvalidParameterValue"
        );
        assert_eq!(
            paginate(items.clone(), |s| s.clone(), Some(5), None, (5, 1000), true).unwrap_err().code,
            "InvalidParameterCombination"
        );
        assert_eq!(
            paginate(items, |s| s.clone(), None, Some("junk"), (5, 1000), false).unwrap_err().code,
            "InvalidNextToken"
        );
    }

    #[test]
    fn tag_specifications_must_name_the_resource_type() {
        let spec = TagSpecification {
            resource_type: Some("subnet".into()),
            tags: Some(vec![dto::Tag { key: Some("Name".into()), value: Some("a".into()) }]),
        };
        assert_eq!(spec_tags(Some(std::slice::from_ref(&spec)), "subnet").unwrap(), vec![("Name".into(), "a".into())]);
        assert_eq!(spec_tags(Some(&[spec]), "vpc").unwrap_err().code, "InvalidParameterValue");
    }
}
