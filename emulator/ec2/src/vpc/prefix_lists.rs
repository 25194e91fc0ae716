//! Managed prefix lists: AWS's own (the S3 and DynamoDB ranges every region has, with
//! their real `pl-` ids) and customer-managed ones with versioned entries. Both can be
//! the destination of a route or the peer of a security group rule.

use chrono::{DateTime, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    AddPrefixListEntry, CreateManagedPrefixListRequest, CreateManagedPrefixListResult, DeleteManagedPrefixListRequest,
    DeleteManagedPrefixListResult, DescribeManagedPrefixListsRequest, DescribeManagedPrefixListsResult,
    DescribePrefixListsRequest, DescribePrefixListsResult, GetManagedPrefixListEntriesRequest,
    GetManagedPrefixListEntriesResult, ManagedPrefixList, ModifyManagedPrefixListRequest,
    ModifyManagedPrefixListResult, PrefixList, PrefixListEntry,
};
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::params::invalid_value;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, mark_changed, paginate, settled, spec_tags, stable_hash};
use crate::state::{Ec2State, Peer, PrefixListRecord};

/// AWS's quota of entries per customer-managed prefix list.
const MAX_ENTRIES_LIMIT: i32 = 1000;
/// Prefixes AWS keeps for its own lists' names.
const RESERVED_NAME_PREFIXES: [&str; 3] = ["com.amazonaws.", "com.amazon.", "com.aws."];

/// One of AWS's own prefix lists in a region.
#[derive(Debug, Clone)]
pub struct AwsPrefixList {
    pub id: String,
    pub name: String,
    pub cidrs: Vec<String>,
}

/// (region, S3 list id, S3 ranges, DynamoDB list id, DynamoDB ranges), as
/// DescribePrefixLists answers in each region.
type Known = (&'static str, &'static str, &'static [&'static str], &'static str, &'static [&'static str]);

#[rustfmt::skip]
const KNOWN: &[Known] = &[
    ("us-east-1", "pl-63a5400a", &["3.5.0.0/19", "16.182.0.0/16", "18.34.0.0/19", "52.216.0.0/15", "54.231.0.0/16"],
        "pl-02cd2c6b", &["3.218.180.0/23", "3.218.182.0/24", "52.94.0.0/22", "52.119.224.0/20"]),
    ("us-east-2", "pl-7ba54012", &["52.92.76.0/22", "52.219.80.0/20", "52.219.96.0/20"],
        "pl-4ca54025", &["52.94.4.0/24"]),
    ("us-west-1", "pl-6ba54002", &["52.92.48.0/22", "52.219.20.0/22", "52.219.24.0/21", "54.231.232.0/21"],
        "pl-6ea54007", &["52.94.12.0/24"]),
    ("us-west-2", "pl-68a54001", &["52.92.32.0/22", "52.218.128.0/17", "54.231.160.0/19"],
        "pl-00a54069", &["52.94.28.0/23"]),
    ("ca-central-1", "pl-7da54014", &["52.92.84.0/22", "52.95.145.0/24", "52.95.146.0/23"],
        "pl-4ea54027", &["52.94.14.0/24"]),
    ("sa-east-1", "pl-6aa54003", &["52.92.64.0/22", "52.92.72.0/22", "52.95.136.0/23", "52.95.138.0/24", "52.95.163.0/24", "52.95.164.0/23"],
        "pl-60a54009", &["52.94.7.0/24"]),
    ("eu-west-1", "pl-6da54004", &["52.218.0.0/17", "54.231.128.0/19"],
        "pl-6fa54006", &["52.94.5.0/24", "52.94.24.0/23", "52.119.240.0/21"]),
    ("eu-west-2", "pl-7ca54015", &["52.92.88.0/22", "52.95.148.0/23", "52.95.150.0/24"],
        "pl-b3a742da", &["52.94.15.0/24"]),
    ("eu-west-3", "pl-23ad484a", &["52.95.154.0/23", "52.95.156.0/24"],
        "pl-abb451c2", &["52.94.16.0/24"]),
    ("eu-central-1", "pl-6ea54007", &["52.219.44.0/22", "52.219.72.0/22", "54.231.192.0/20"],
        "pl-66a5400f", &["52.94.17.0/24"]),
    ("ap-south-1", "pl-78a54011", &["52.92.248.0/22", "52.219.62.0/23", "52.219.64.0/22"],
        "pl-66a7420f", &["52.94.20.0/24"]),
    ("ap-northeast-1", "pl-61a54008", &["52.219.0.0/20", "52.219.16.0/22", "52.219.68.0/22", "54.231.224.0/21"],
        "pl-78a54011", &["52.94.8.0/24"]),
    ("ap-northeast-2", "pl-78a54011", &["52.92.0.0/20", "52.219.56.0/22", "52.219.60.0/23"],
        "pl-48a54021", &["52.94.6.0/24"]),
    ("ap-southeast-1", "pl-6fa54006", &["52.219.32.0/21", "52.219.40.0/22", "52.219.76.0/22", "54.231.240.0/22"],
        "pl-67a5400e", &["52.94.11.0/24"]),
    ("ap-southeast-2", "pl-6ca54005", &["52.95.128.0/21", "54.231.248.0/22", "54.231.252.0/24"],
        "pl-62a5400b", &["52.94.13.0/24"]),
];

/// AWS's S3 and DynamoDB prefix lists in `region`: the real ids and ranges where
/// known, stable look-alikes elsewhere.
pub fn aws_managed(region: &str) -> Vec<AwsPrefixList> {
    let strings = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (s3_id, s3, ddb_id, ddb) = match KNOWN.iter().find(|k| k.0 == region) {
        Some(&(_, s3_id, s3, ddb_id, ddb)) => (s3_id.to_string(), strings(s3), ddb_id.to_string(), strings(ddb)),
        None => {
            let h = stable_hash(region);
            let n = 100 + h % 100;
            (
                format!("pl-{h:08x}"),
                vec![format!("52.95.{n}.0/24")],
                format!("pl-{:08x}", stable_hash(&format!("{region}.dynamodb"))),
                vec![format!("52.94.{n}.0/24")],
            )
        }
    };
    vec![
        AwsPrefixList { id: s3_id, name: format!("com.amazonaws.{region}.s3"), cidrs: s3 },
        AwsPrefixList { id: ddb_id, name: format!("com.amazonaws.{region}.dynamodb"), cidrs: ddb },
    ]
}

/// The AWS-managed list a gateway endpoint service routes to (`com.amazonaws.<region>.s3`).
pub fn for_service(region: &str, service_name: &str) -> Option<AwsPrefixList> {
    aws_managed(region).into_iter().find(|p| p.name == service_name)
}

/// An AWS-managed list as DescribeManagedPrefixLists shows it.
fn aws_view(region: &str, p: &AwsPrefixList) -> ManagedPrefixList {
    ManagedPrefixList {
        prefix_list_id: Some(p.id.clone()),
        address_family: Some("IPv4".into()),
        state: Some("create-complete".into()),
        prefix_list_arn: Some(format!("arn:aws:ec2:{region}:aws:prefix-list/{}", p.id)),
        prefix_list_name: Some(p.name.clone()),
        owner_id: Some("AWS".into()),
        ..Default::default()
    }
}

/// A customer-managed list as Describe shows it at `now`.
fn describe_one(state: &Ec2State, id: &str, now: DateTime<Utc>) -> ManagedPrefixList {
    let mut l = state.prefix_lists[id].list.clone();
    if !settled(state, id, now) {
        l.state = l.state.map(|s| s.replace("-complete", "-in-progress"));
    }
    l.tags = state.dto_tags(id);
    l
}

fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a PrefixListRecord, ApiError> {
    if aws_managed(&state.region).iter().any(|p| p.id == id) {
        return Err(errors::operation_not_permitted(format!(
            "The prefix list {id} is managed by AWS and cannot be modified or deleted."
        )));
    }
    state.prefix_lists.get(id).ok_or_else(|| errors::invalid_prefix_list_id_not_found(id))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(errors::invalid_parameter_value("The prefix list name must be 1 to 255 characters long."));
    }
    if RESERVED_NAME_PREFIXES.iter().any(|p| name.starts_with(p)) {
        return Err(errors::invalid_parameter_value(
            "The prefix list name cannot begin with (com.amazonaws., com.amazon., com.aws.).",
        ));
    }
    Ok(())
}

fn check_max_entries(max: i32) -> Result<(), ApiError> {
    if !(1..=MAX_ENTRIES_LIMIT).contains(&max) {
        return Err(invalid_value("maxEntries", max, &format!("It must be between 1 and {MAX_ENTRIES_LIMIT}.")));
    }
    Ok(())
}

/// An entry checked against the list's address family, its CIDR in canonical form.
fn entry(family: &str, e: &AddPrefixListEntry) -> Result<PrefixListEntry, ApiError> {
    let cidr = match family {
        "IPv4" => Ipv4Cidr::parse(&e.cidr).map(|c| c.to_string()),
        _ => Ipv6Cidr::parse(&e.cidr).map(|c| c.to_string()),
    }
    .ok_or_else(|| {
        errors::invalid_parameter_value(format!(
            "The CIDR '{}' is not a valid {family} CIDR block for this prefix list.",
            e.cidr
        ))
    })?;
    if e.description.as_deref().is_some_and(|d| d.chars().count() > 255) {
        return Err(errors::invalid_parameter_value("The description of an entry must be at most 255 characters."));
    }
    Ok(PrefixListEntry { cidr: Some(cidr), description: e.description.clone().filter(|d| !d.is_empty()) })
}

/// Entries in a stable order (by CIDR), one per CIDR: a later entry replaces an
/// earlier one's description.
fn normalise(entries: Vec<PrefixListEntry>) -> Vec<PrefixListEntry> {
    let mut by_cidr = std::collections::BTreeMap::new();
    for e in entries {
        by_cidr.insert(e.cidr.clone().unwrap_or_default(), e);
    }
    by_cidr.into_values().collect()
}

fn too_many(id: &str, max: i32) -> ApiError {
    errors::invalid_parameter_value(format!(
        "The number of entries would exceed the maximum number of entries ({max}) of prefix list {id}."
    ))
}

pub fn create_managed_prefix_list(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateManagedPrefixListRequest,
) -> Result<CreateManagedPrefixListResult, ApiError> {
    check_name(&input.prefix_list_name)?;
    let family = input.address_family.as_str();
    if !["IPv4", "IPv6"].contains(&family) {
        return Err(invalid_value("addressFamily", family, "Valid values: IPv4, IPv6"));
    }
    check_max_entries(input.max_entries)?;
    let entries = normalise(input.entries.iter().flatten().map(|e| entry(family, e)).collect::<Result<Vec<_>, _>>()?);
    let id = ids::resource_id("pl");
    if entries.len() > input.max_entries as usize {
        return Err(too_many(&id, input.max_entries));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "prefix-list")?;
    let list = ManagedPrefixList {
        prefix_list_id: Some(id.clone()),
        address_family: Some(family.into()),
        state: Some("create-complete".into()),
        prefix_list_arn: Some(format!("arn:aws:ec2:{}:{}:prefix-list/{id}", ctx.region, ctx.account())),
        prefix_list_name: Some(input.prefix_list_name.clone()),
        max_entries: Some(input.max_entries),
        version: Some(1),
        owner_id: Some(ctx.account().to_string()),
        ..Default::default()
    };
    state.prefix_lists.insert(id.clone(), PrefixListRecord { list, versions: [(1, entries)].into() });
    state.set_tags(&id, tags);
    mark_changed(state, &id, ctx.now);
    let mut shown = describe_one(state, &id, ctx.now);
    shown.state = Some("create-in-progress".into());
    Ok(CreateManagedPrefixListResult { prefix_list: Some(shown) })
}

/// Removals apply before additions, so one call can change an entry's description.
/// Changing the entries makes a new version; renaming or resizing does not.
pub fn modify_managed_prefix_list(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyManagedPrefixListRequest,
) -> Result<ModifyManagedPrefixListResult, ApiError> {
    let id = input.prefix_list_id.as_str();
    let rec = get(state, id)?.clone();
    let version = rec.list.version.unwrap_or(1);
    if input.current_version.is_some_and(|v| v != version) {
        return Err(errors::prefix_list_version_mismatch());
    }
    let adds = input.add_entries.unwrap_or_default();
    let removes = input.remove_entries.unwrap_or_default();
    let changes_entries = !adds.is_empty() || !removes.is_empty();
    if changes_entries && input.max_entries.is_some() {
        return Err(errors::invalid_parameter_combination(
            "You cannot modify the entries of a prefix list and modify the size of a prefix list at the same time.",
        ));
    }
    if let Some(name) = input.prefix_list_name.as_deref() {
        check_name(name)?;
    }
    let family = rec.list.address_family.clone().unwrap_or_default();
    let current = rec.versions.get(&version).cloned().unwrap_or_default();
    let mut entries = current.clone();
    for r in &removes {
        let before = entries.len();
        let want = entry(&family, &AddPrefixListEntry { cidr: r.cidr.clone(), description: None })?.cidr;
        entries.retain(|e| e.cidr != want);
        if entries.len() == before {
            return Err(errors::invalid_parameter_value(format!(
                "The prefix list entry {} does not exist in prefix list {id}.",
                r.cidr
            )));
        }
    }
    for a in &adds {
        entries.push(entry(&family, a)?);
    }
    let entries = normalise(entries);
    let max = input.max_entries.unwrap_or(rec.list.max_entries.unwrap_or(MAX_ENTRIES_LIMIT));
    if input.max_entries.is_some() {
        check_max_entries(max)?;
    }
    if entries.len() > max as usize {
        return Err(too_many(id, max));
    }
    let rec = state.prefix_lists.get_mut(id).expect("checked above");
    if let Some(name) = input.prefix_list_name {
        rec.list.prefix_list_name = Some(name);
    }
    rec.list.max_entries = Some(max);
    if changes_entries {
        rec.list.version = Some(version + 1);
        rec.versions.insert(version + 1, entries);
    }
    rec.list.state = Some("modify-complete".into());
    mark_changed(state, id, ctx.now);
    let mut shown = describe_one(state, id, ctx.now);
    shown.state = Some("modify-in-progress".into());
    Ok(ModifyManagedPrefixListResult { prefix_list: Some(shown) })
}

/// Refused while a route or a security group rule refers to the list.
pub fn delete_managed_prefix_list(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteManagedPrefixListRequest,
) -> Result<DeleteManagedPrefixListResult, ApiError> {
    let id = input.prefix_list_id.as_str();
    get(state, id)?;
    let in_routes = state
        .route_tables
        .values()
        .any(|t| t.routes.iter().flatten().any(|r| r.destination_prefix_list_id.as_deref() == Some(id)));
    let in_rules = state
        .security_groups
        .values()
        .any(|g| g.rules.iter().any(|r| matches!(&r.peer, Peer::PrefixList(p) if p == id)));
    let in_transit = state.transit.references_prefix_list(id);
    if in_routes || in_rules || in_transit {
        return Err(errors::dependency_violation(format!(
            "The prefix list {id} is referenced by {} and cannot be deleted.",
            if in_routes || in_transit { "a route table" } else { "a security group" }
        )));
    }
    let mut shown = describe_one(state, id, ctx.now);
    shown.state = Some("delete-in-progress".into());
    state.prefix_lists.remove(id);
    state.forget(id);
    Ok(DeleteManagedPrefixListResult { prefix_list: Some(shown) })
}

impl Filterable for ManagedPrefixList {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "owner-id" => opt(&self.owner_id),
            "prefix-list-id" => opt(&self.prefix_list_id),
            "prefix-list-name" => opt(&self.prefix_list_name),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_managed_prefix_lists(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeManagedPrefixListsRequest,
) -> Result<DescribeManagedPrefixListsResult, ApiError> {
    let mut all: Vec<ManagedPrefixList> = aws_managed(&ctx.region).iter().map(|p| aws_view(&ctx.region, p)).collect();
    all.extend(state.prefix_lists.keys().map(|id| describe_one(state, id, ctx.now)));
    all.sort_by(|a, b| a.prefix_list_id.cmp(&b.prefix_list_id));
    let paging = input.page();
    let ids = input.prefix_list_ids.unwrap_or_default();
    for id in &ids {
        if !all.iter().any(|l| l.prefix_list_id.as_deref() == Some(id)) {
            return Err(errors::invalid_prefix_list_id_not_found(id));
        }
    }
    all.retain(|l| ids.is_empty() || l.prefix_list_id.as_ref().is_some_and(|id| ids.contains(id)));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |l| l.prefix_list_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeManagedPrefixListsResult { prefix_lists: Some(page), next_token: next })
}

/// The entries of the current version, or of `TargetVersion`.
pub fn get_managed_prefix_list_entries(
    state: &Ec2State,
    ctx: &RequestContext,
    input: GetManagedPrefixListEntriesRequest,
) -> Result<GetManagedPrefixListEntriesResult, ApiError> {
    let id = input.prefix_list_id.as_str();
    let entries = if let Some(p) = aws_managed(&ctx.region).into_iter().find(|p| p.id == id) {
        let mut cidrs = p.cidrs;
        cidrs.sort();
        cidrs.into_iter().map(|c| PrefixListEntry { cidr: Some(c), description: None }).collect()
    } else {
        let rec = state.prefix_lists.get(id).ok_or_else(|| errors::invalid_prefix_list_id_not_found(id))?;
        let version = input.target_version.unwrap_or(rec.list.version.unwrap_or(1));
        rec.versions
            .get(&version)
            .cloned()
            .ok_or_else(|| errors::invalid_parameter_value(format!("The prefix list {id} has no version {version}.")))?
    };
    let (page, next) = paginate(entries, |e| e.cidr.clone().unwrap_or_default(), input.page(), false)?;
    Ok(GetManagedPrefixListEntriesResult { entries: Some(page), next_token: next })
}

impl Filterable for PrefixList {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "prefix-list-id" => opt(&self.prefix_list_id),
            "prefix-list-name" => opt(&self.prefix_list_name),
            _ => return None,
        })
    }
}

/// The AWS services' lists (S3, DynamoDB) with their ranges.
pub fn describe_prefix_lists(
    _state: &Ec2State,
    ctx: &RequestContext,
    input: DescribePrefixListsRequest,
) -> Result<DescribePrefixListsResult, ApiError> {
    let mut all: Vec<PrefixList> = aws_managed(&ctx.region)
        .into_iter()
        .map(|p| PrefixList { cidrs: Some(p.cidrs), prefix_list_id: Some(p.id), prefix_list_name: Some(p.name) })
        .collect();
    all.sort_by(|a, b| a.prefix_list_id.cmp(&b.prefix_list_id));
    let paging = input.page();
    let ids = input.prefix_list_ids.unwrap_or_default();
    for id in &ids {
        if !all.iter().any(|l| l.prefix_list_id.as_deref() == Some(id)) {
            return Err(errors::invalid_prefix_list_id_not_found(id));
        }
    }
    all.retain(|l| ids.is_empty() || l.prefix_list_id.as_ref().is_some_and(|id| ids.contains(id)));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |l| l.prefix_list_id.clone().unwrap_or_default(), paging, false)?;
    Ok(DescribePrefixListsResult { prefix_lists: Some(page), next_token: next })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::{CreateRouteRequest, RemovePrefixListEntry};
    use crate::state::support::testing::{route_table, routes, setup, vpc};
    use crate::vpc::route_tables;

    fn add(cidr: &str) -> AddPrefixListEntry {
        AddPrefixListEntry { cidr: cidr.into(), description: None }
    }

    #[test]
    fn customer_lists_version_their_entries() {
        let (mut s, ctx) = setup();
        let input = CreateManagedPrefixListRequest {
            prefix_list_name: "office".into(),
            address_family: "IPv4".into(),
            max_entries: 2,
            entries: Some(vec![add("10.0.0.0/16")]),
            ..Default::default()
        };
        let l = create_managed_prefix_list(&mut s, &ctx, input.clone()).unwrap().prefix_list.unwrap();
        assert_eq!((l.state.as_deref(), l.version), (Some("create-in-progress"), Some(1)));
        let id = l.prefix_list_id.unwrap();
        let modify = |v: i64, adds: Vec<AddPrefixListEntry>, removes: Vec<&str>| ModifyManagedPrefixListRequest {
            prefix_list_id: id.clone(),
            current_version: Some(v),
            add_entries: Some(adds),
            remove_entries: Some(removes.into_iter().map(|c| RemovePrefixListEntry { cidr: c.into() }).collect()),
            ..Default::default()
        };
        let out = modify_managed_prefix_list(&mut s, &ctx, modify(1, vec![add("10.1.0.0/16")], vec![])).unwrap();
        assert_eq!(out.prefix_list.unwrap().version, Some(2));
        let err = modify_managed_prefix_list(&mut s, &ctx, modify(1, vec![add("10.2.0.0/16")], vec![])).unwrap_err();
        assert_eq!(err.code, "PrefixListVersionMismatch");
        let err = modify_managed_prefix_list(&mut s, &ctx, modify(2, vec![add("10.2.0.0/16")], vec![])).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue", "max entries");
        modify_managed_prefix_list(&mut s, &ctx, modify(2, vec![add("10.2.0.0/16")], vec!["10.0.0.0/16"])).unwrap();
        let entries = |v: Option<i64>| {
            let input = GetManagedPrefixListEntriesRequest {
                prefix_list_id: id.clone(),
                target_version: v,
                ..Default::default()
            };
            let out = get_managed_prefix_list_entries(&s, &ctx, input).unwrap().entries.unwrap();
            out.into_iter().map(|e| e.cidr.unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(entries(None), vec!["10.1.0.0/16", "10.2.0.0/16"]);
        assert_eq!(entries(Some(1)), vec!["10.0.0.0/16"]);
        let listed = describe_managed_prefix_lists(&s, &ctx, Default::default()).unwrap().prefix_lists.unwrap();
        assert_eq!(listed.len(), 3, "AWS's two and ours");
        assert!(listed
            .iter()
            .any(|l| l.owner_id.as_deref() == Some("AWS") && l.prefix_list_id.as_deref() == Some("pl-63a5400a")));
        let mine = listed.iter().find(|l| l.prefix_list_id.as_deref() == Some(id.as_str())).unwrap();
        assert_eq!((mine.state.as_deref(), mine.version), (Some("modify-complete"), Some(3)));
        let reserved = CreateManagedPrefixListRequest { prefix_list_name: "com.amazonaws.mine".into(), ..input };
        assert_eq!(create_managed_prefix_list(&mut s, &ctx, reserved).unwrap_err().code, "InvalidParameterValue");
    }

    #[test]
    fn lists_in_use_stay_and_aws_lists_are_read_only() {
        let (mut s, ctx) = setup();
        let input = CreateManagedPrefixListRequest {
            prefix_list_name: "partners".into(),
            address_family: "IPv4".into(),
            max_entries: 5,
            ..Default::default()
        };
        let id = create_managed_prefix_list(&mut s, &ctx, input).unwrap().prefix_list.unwrap().prefix_list_id.unwrap();
        let v = vpc(&mut s, &ctx, "10.0.0.0/16");
        let rtb = route_table(&mut s, &ctx, &v);
        let eigw = crate::vpc::internet_gateways::create_egress_only_internet_gateway(
            &mut s,
            &ctx,
            crate::generated::dto::CreateEgressOnlyInternetGatewayRequest { vpc_id: v, ..Default::default() },
        )
        .unwrap()
        .egress_only_internet_gateway
        .unwrap()
        .egress_only_internet_gateway_id;
        for pl in [id.clone(), "pl-02cd2c6b".to_string()] {
            let route = CreateRouteRequest {
                route_table_id: rtb.clone(),
                destination_prefix_list_id: Some(pl),
                egress_only_internet_gateway_id: eigw.clone(),
                ..Default::default()
            };
            route_tables::create_route(&mut s, &ctx, route).unwrap();
        }
        assert_eq!(routes(&s, &ctx, &rtb).len(), 3);
        let delete = |id: &str| DeleteManagedPrefixListRequest { prefix_list_id: id.into(), dry_run: None };
        assert_eq!(delete_managed_prefix_list(&mut s, &ctx, delete(&id)).unwrap_err().code, "DependencyViolation");
        assert_eq!(
            delete_managed_prefix_list(&mut s, &ctx, delete("pl-63a5400a")).unwrap_err().code,
            "OperationNotPermitted"
        );
        assert_eq!(
            delete_managed_prefix_list(&mut s, &ctx, delete("pl-0000")).unwrap_err().code,
            "InvalidPrefixListID.NotFound"
        );
        let services = describe_prefix_lists(&s, &ctx, Default::default()).unwrap().prefix_lists.unwrap();
        let names: Vec<_> = services.iter().filter_map(|p| p.prefix_list_name.clone()).collect();
        assert_eq!(names, vec!["com.amazonaws.us-east-1.dynamodb", "com.amazonaws.us-east-1.s3"]);
    }

    #[test]
    fn every_region_has_s3_and_dynamodb_lists() {
        let east = aws_managed("us-east-1");
        assert_eq!(east[0].id, "pl-63a5400a");
        assert_eq!(east[0].name, "com.amazonaws.us-east-1.s3");
        assert_eq!(east[1].id, "pl-02cd2c6b");
        for region in ["us-east-1", "eu-north-1", "me-central-1"] {
            let lists = aws_managed(region);
            assert_eq!(lists.len(), 2);
            assert!(lists.iter().all(|l| l.id.starts_with("pl-") && !l.cidrs.is_empty()));
            assert!(lists.iter().all(|l| l.cidrs.iter().all(|c| Ipv4Cidr::parse(c).is_some())), "{region}");
            assert_eq!(aws_managed(region)[0].id, lists[0].id, "stable ids");
        }
    }

    #[test]
    fn entries_keep_one_per_cidr_in_order() {
        let e = |c: &str, d: &str| PrefixListEntry { cidr: Some(c.into()), description: Some(d.into()) };
        let out = normalise(vec![e("10.1.0.0/16", "b"), e("10.0.0.0/16", "a"), e("10.1.0.0/16", "c")]);
        assert_eq!(out, vec![e("10.0.0.0/16", "a"), e("10.1.0.0/16", "c")]);
        let bad = AddPrefixListEntry { cidr: "10.0.0.1/16".into(), description: None };
        assert_eq!(entry("IPv4", &bad).unwrap_err().code, "InvalidParameterValue");
        let v6 = AddPrefixListEntry { cidr: "2001:db8::/32".into(), description: None };
        assert!(entry("IPv4", &v6).is_err() && entry("IPv6", &v6).is_ok());
    }
}
