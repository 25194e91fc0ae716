//! AddTagsToResource, RemoveTagsFromResource and ListTagsForResource, for parameters
//! (the only SSM resource nimbus has: the other resource types hold nothing to tag).

use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    AddTagsToResourceRequest, AddTagsToResourceResult, ListTagsForResourceRequest, ListTagsForResourceResult,
    RemoveTagsFromResourceRequest, RemoveTagsFromResourceResult, Tag,
};
use crate::parameters::put::MAX_TAGS;
use crate::parameters::{Parameter, SsmState};
use crate::public::Published;

/// Sets a tag, keeping the place of a key already there.
pub fn set(tags: &mut Vec<(String, String)>, key: &str, value: &str) {
    match tags.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value.to_string(),
        None => tags.push((key.to_string(), value.to_string())),
    }
}

fn invalid_id() -> ApiError {
    ApiError::client("InvalidResourceId", "")
}

fn parameter_name(resource_type: &str, id: &str) -> Result<String, ApiError> {
    if resource_type != "Parameter" {
        return Err(invalid_id());
    }
    Ok(crate::names::parse_selector(id).name)
}

fn parameter<'a>(state: &'a mut SsmState, input_type: &str, id: &str) -> Result<&'a mut Parameter, ApiError> {
    let name = parameter_name(input_type, id)?;
    state.parameters.get_mut(&name).ok_or_else(invalid_id)
}

pub fn add_tags_to_resource(
    state: &mut SsmState,
    _ctx: &RequestContext,
    input: AddTagsToResourceRequest,
) -> Result<AddTagsToResourceResult, ApiError> {
    let p = parameter(state, &input.resource_type, &input.resource_id)?;
    let mut tags = p.tags.clone();
    for t in &input.tags {
        set(&mut tags, &t.key, &t.value);
    }
    if tags.len() > MAX_TAGS {
        return Err(ApiError::client("TooManyTagsError", "The parameter has too many tags."));
    }
    p.tags = tags;
    Ok(AddTagsToResourceResult {})
}

pub fn remove_tags_from_resource(
    state: &mut SsmState,
    _ctx: &RequestContext,
    input: RemoveTagsFromResourceRequest,
) -> Result<RemoveTagsFromResourceResult, ApiError> {
    let p = parameter(state, &input.resource_type, &input.resource_id)?;
    p.tags.retain(|(k, _)| !input.tag_keys.contains(k));
    Ok(RemoveTagsFromResourceResult {})
}

pub fn list_tags_for_resource(
    state: &SsmState,
    _published: &Published,
    _ctx: &RequestContext,
    input: ListTagsForResourceRequest,
) -> Result<ListTagsForResourceResult, ApiError> {
    let name = parameter_name(&input.resource_type, &input.resource_id)?;
    let p = state.parameters.get(&name).ok_or_else(invalid_id)?;
    Ok(ListTagsForResourceResult {
        tag_list: Some(p.tags.iter().map(|(k, v)| Tag { key: k.clone(), value: v.clone() }).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parameters::testing::put;

    #[test]
    fn tags_add_replace_remove_list() {
        let ctx = RequestContext::for_tests();
        let mut s = SsmState::default();
        put(&mut s, "/t", "v", "String");
        let tag = |k: &str, v: &str| Tag { key: k.into(), value: v.into() };
        let add = |s: &mut SsmState, tags| {
            add_tags_to_resource(
                s,
                &ctx,
                AddTagsToResourceRequest { resource_type: "Parameter".into(), resource_id: "/t".into(), tags },
            )
        };
        add(&mut s, vec![tag("a", "1"), tag("b", "2")]).unwrap();
        add(&mut s, vec![tag("a", "3")]).unwrap();
        remove_tags_from_resource(
            &mut s,
            &ctx,
            RemoveTagsFromResourceRequest {
                resource_type: "Parameter".into(),
                resource_id: "/t".into(),
                tag_keys: vec!["b".into()],
            },
        )
        .unwrap();
        let list = |id: &str, kind: &str| {
            list_tags_for_resource(
                &s,
                &Published::default(),
                &ctx,
                ListTagsForResourceRequest { resource_type: kind.into(), resource_id: id.into() },
            )
        };
        assert_eq!(list("/t", "Parameter").unwrap().tag_list.unwrap(), vec![tag("a", "3")]);
        assert_eq!(list("/none", "Parameter").unwrap_err().code, "InvalidResourceId");
        assert_eq!(list("/t", "Document").unwrap_err().code, "InvalidResourceId");
        let too_many: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
        assert_eq!(add(&mut s, too_many).unwrap_err().code, "TooManyTagsError");
    }
}
