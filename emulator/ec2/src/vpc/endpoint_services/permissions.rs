//! Who may see an endpoint service and connect to it: its allowed principals (IAM ARNs of
//! accounts, users and roles, service principals, or `*` for everyone).

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::service;
use crate::generated::dto::{
    AddedPrincipal, AllowedPrincipal, DescribeVpcEndpointServicePermissionsRequest,
    DescribeVpcEndpointServicePermissionsResult, ModifyVpcEndpointServicePermissionsRequest,
    ModifyVpcEndpointServicePermissionsResult,
};
use crate::generated::{enums, errors};
use crate::state::params::one_of;
use crate::state::support::{filtered, paginate, tag_pairs};
use crate::state::Ec2State;

/// The principal type AWS reports for a principal, or `None` when it is not one.
fn principal_type(principal: &str) -> Option<&'static str> {
    if principal == "*" {
        return Some("All");
    }
    if !principal.starts_with("arn:") {
        let service = principal.ends_with(".amazonaws.com") && principal.len() > ".amazonaws.com".len();
        return service.then_some("Service");
    }
    let parts: Vec<&str> = principal.splitn(6, ':').collect();
    if parts.len() != 6 || !parts[1].starts_with("aws") {
        return None;
    }
    let account_ok = parts[4].len() == 12 && parts[4].bytes().all(|b| b.is_ascii_digit());
    match (parts[2], parts[5]) {
        ("iam", "root") if account_ok => Some("Account"),
        ("iam", r) if account_ok && r.strip_prefix("user/").is_some_and(|n| !n.is_empty()) => Some("User"),
        ("iam", r) if account_ok && r.strip_prefix("role/").is_some_and(|n| !n.is_empty()) => Some("Role"),
        ("organizations", r) if r.contains("/ou-") => Some("OrganizationUnit"),
        _ => None,
    }
}

impl Filterable for AllowedPrincipal {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "principal" => opt(&self.principal),
            "principal-type" => opt(&self.principal_type),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_vpc_endpoint_service_permissions(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeVpcEndpointServicePermissionsRequest,
) -> Result<DescribeVpcEndpointServicePermissionsResult, ApiError> {
    let paging = input.page();
    let mut all = service(state, &input.service_id)?.principals.clone();
    all.sort_by(|a, b| a.service_permission_id.cmp(&b.service_permission_id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |p| p.service_permission_id.clone().unwrap_or_default(), paging, false)?;
    Ok(DescribeVpcEndpointServicePermissionsResult { allowed_principals: Some(page), next_token: next })
}

/// Adds and removes principals; a principal already allowed is not added twice, and
/// removing one that is not allowed changes nothing.
pub fn modify_vpc_endpoint_service_permissions(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyVpcEndpointServicePermissionsRequest,
) -> Result<ModifyVpcEndpointServicePermissionsResult, ApiError> {
    service(state, &input.service_id)?;
    if let Some(t) = input.permission_type.as_deref() {
        one_of("permissionType", t, enums::PERMISSION_TYPE)?;
    }
    let add = input.add_allowed_principals.unwrap_or_default();
    let remove = input.remove_allowed_principals.unwrap_or_default();
    for p in &add {
        if principal_type(p).is_none() {
            return Err(errors::invalid_principal(format!("Invalid principal {p}")));
        }
    }
    let id = input.service_id;
    let Some(record) = state.endpoint_services.services.get_mut(&id) else {
        return Err(errors::invalid_vpc_endpoint_service_id_not_found(&id));
    };
    record.principals.retain(|p| !p.principal.as_ref().is_some_and(|v| remove.contains(v)));
    let mut added = Vec::new();
    for p in add {
        if record.principals.iter().any(|q| q.principal.as_deref() == Some(p.as_str())) {
            continue;
        }
        let permission_id = ids::resource_id("vpce-svc-perm");
        let principal_type = principal_type(&p).map(str::to_string);
        added.push(AddedPrincipal {
            principal_type: principal_type.clone(),
            principal: Some(p.clone()),
            service_permission_id: Some(permission_id.clone()),
            service_id: Some(id.clone()),
            permission_type: Some("vpc-endpoint".into()),
        });
        record.principals.push(AllowedPrincipal {
            principal_type,
            principal: Some(p),
            service_permission_id: Some(permission_id),
            tags: Some(Vec::new()),
            service_id: Some(id.clone()),
            permission_type: Some("vpc-endpoint".into()),
        });
    }
    state.unpublished.insert(id);
    Ok(ModifyVpcEndpointServicePermissionsResult { added_principals: Some(added), return_value: Some(true) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_have_aws_types() {
        assert_eq!(principal_type("*"), Some("All"));
        assert_eq!(principal_type("arn:aws:iam::111111111111:root"), Some("Account"));
        assert_eq!(principal_type("arn:aws:iam::111111111111:user/bob"), Some("User"));
        assert_eq!(principal_type("arn:aws:iam::111111111111:role/app"), Some("Role"));
        assert_eq!(principal_type("elasticloadbalancing.amazonaws.com"), Some("Service"));
        assert_eq!(
            principal_type("arn:aws:organizations::111111111111:ou/o-abc/ou-abcd-1234"),
            Some("OrganizationUnit")
        );
        for bad in ["111111111111", "arn:aws:iam::1111:root", "arn:aws:s3:::bucket", "bob"] {
            assert_eq!(principal_type(bad), None, "{bad}");
        }
    }
}
