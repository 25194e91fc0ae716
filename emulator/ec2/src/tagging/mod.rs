//! CreateTags, DeleteTags, DescribeTags: one implementation for every resource type,
//! over the state's tag map.

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    CreateTagsRequest, DeleteTagsRequest, DescribeTagsRequest, DescribeTagsResult, TagDescription,
};
use crate::generated::errors;
use crate::state::resources;
use crate::state::support::{filtered, paginate, validate_tag, MAX_TAGS};
use crate::state::Ec2State;

pub fn create_tags(state: &mut Ec2State, _ctx: &RequestContext, input: CreateTagsRequest) -> Result<(), ApiError> {
    let tags = input.tags.iter().map(validate_tag).collect::<Result<Vec<_>, _>>()?;
    for id in &input.resources {
        if !state.exists(id) {
            return Err(resources::not_found(id));
        }
        let mut keys: std::collections::BTreeSet<&String> =
            state.tags.get(id).map(|t| t.keys().collect()).unwrap_or_default();
        keys.extend(tags.iter().map(|(k, _)| k));
        if keys.len() > MAX_TAGS {
            return Err(errors::tag_limit_exceeded());
        }
    }
    for id in &input.resources {
        state.set_tags(id, tags.clone());
        state.unpublished.insert(id.clone());
    }
    Ok(())
}

pub fn delete_tags(state: &mut Ec2State, _ctx: &RequestContext, input: DeleteTagsRequest) -> Result<(), ApiError> {
    for id in &input.resources {
        if !state.exists(id) {
            return Err(resources::not_found(id));
        }
    }
    for id in &input.resources {
        state.unpublished.insert(id.clone());
        let Some(current) = state.tags.get_mut(id) else { continue };
        match &input.tags {
            None => current.clear(),
            Some(tags) => {
                for t in tags {
                    let key = t.key.clone().unwrap_or_default();
                    // With a value, only a tag of that value goes (an empty value is a value).
                    let matches = match &t.value {
                        None => true,
                        Some(v) => current.get(&key) == Some(v),
                    };
                    if matches {
                        current.remove(&key);
                    }
                }
            }
        }
        if current.is_empty() {
            state.tags.remove(id);
        }
    }
    Ok(())
}

impl Filterable for TagDescription {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "key" => opt(&self.key),
            "resource-id" => opt(&self.resource_id),
            "resource-type" => opt(&self.resource_type),
            "value" => opt(&self.value),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        vec![(self.key.clone().unwrap_or_default(), self.value.clone().unwrap_or_default())]
    }
}

pub fn describe_tags(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeTagsRequest,
) -> Result<DescribeTagsResult, ApiError> {
    let all = state.tags.iter().flat_map(|(id, tags)| {
        tags.iter().map(move |(k, v)| TagDescription {
            key: Some(k.clone()),
            resource_id: Some(id.clone()),
            resource_type: Ec2State::resource_type(id).map(str::to_string),
            value: Some(v.clone()),
        })
    });
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(
        items,
        |t| format!("{}\u{1}{}", t.resource_id.as_deref().unwrap_or_default(), t.key.as_deref().unwrap_or_default()),
        input.page(),
        false,
    )?;
    Ok(DescribeTagsResult { tags: Some(page), next_token: next })
}
