//! Flow logs as records: which VPC, subnet or network interface is logged, which
//! traffic, and where to (a CloudWatch Logs group, an S3 bucket or a Firehose stream).
//! No log records are produced. A flow log ends with the resource it logs, as at AWS.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    CreateFlowLogsRequest, CreateFlowLogsResult, DeleteFlowLogsRequest, DeleteFlowLogsResult, DescribeFlowLogsRequest,
    DescribeFlowLogsResult, DestinationOptionsResponse, FlowLog,
};
use crate::generated::enums;
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::params::one_of;
use crate::state::resources;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, paginate, spec_tags, unsuccessful};
use crate::state::Ec2State;

/// The record format when the request gives none (version 2's fields).
pub const DEFAULT_LOG_FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

/// The id prefix and AWS's not-found error for each resource type nimbus can log.
fn resource_check(resource_type: &str, id: &str, state: &Ec2State) -> Result<(), ApiError> {
    let (prefix, not_found) = match resource_type {
        "VPC" => ("vpc-", errors::invalid_vpc_id_not_found(id)),
        "Subnet" => ("subnet-", errors::invalid_subnet_id_not_found(id)),
        "NetworkInterface" => (
            "eni-",
            ApiError::client(
                "InvalidNetworkInterfaceID.NotFound",
                format!("The networkInterface ID '{id}' does not exist"),
            ),
        ),
        _ => ("tgw-", resources::not_found(id)),
    };
    if id.starts_with(prefix) && state.exists(id) {
        Ok(())
    } else {
        Err(not_found)
    }
}

/// The log group a CloudWatch Logs ARN names (`arn:aws:logs:r:a:log-group:NAME[:*]`).
fn log_group_of(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:aws:logs:")?.split_once(":log-group:")?.1;
    let name = rest.split(':').next()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// Whether the flow log's resource is still there.
fn alive(state: &Ec2State, f: &FlowLog) -> bool {
    f.resource_id.as_deref().is_some_and(|id| state.exists(id))
}

/// Where a request sends its records: (type, LogGroupName, LogDestination).
fn destination(
    ctx: &RequestContext,
    input: &CreateFlowLogsRequest,
) -> Result<(String, Option<String>, Option<String>), ApiError> {
    let kind = input.log_destination_type.clone().unwrap_or_else(|| "cloud-watch-logs".into());
    match kind.as_str() {
        "cloud-watch-logs" => {
            let (group, arn) = match (&input.log_group_name, &input.log_destination) {
                (Some(_), Some(_)) => {
                    return Err(errors::invalid_parameter(
                        "Please only provide LogGroupName or only provide LogDestination.",
                    ))
                }
                (None, None) => {
                    return Err(errors::invalid_parameter(
                        "LogDestination can't be empty if LogGroupName is not provided.",
                    ))
                }
                (Some(g), None) => (g.clone(), format!("arn:aws:logs:{}:{}:log-group:{g}", ctx.region, ctx.account())),
                (None, Some(arn)) => {
                    let g = log_group_of(arn).ok_or_else(|| {
                        errors::invalid_parameter(format!(
                            "LogDestination {arn} is not a valid CloudWatch Logs log group ARN."
                        ))
                    })?;
                    (g, arn.trim_end_matches(":*").to_string())
                }
            };
            if input.deliver_logs_permission_arn.is_none() {
                return Err(errors::invalid_parameter(
                    "DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs.",
                ));
            }
            Ok((kind, Some(group), Some(arn)))
        }
        "s3" | "kinesis-data-firehose" => {
            if input.log_group_name.is_some() {
                return Err(errors::invalid_parameter(
                    "LogDestination type must be cloud-watch-logs if LogGroupName is provided.",
                ));
            }
            let prefix = if kind == "s3" { "arn:aws:s3:::" } else { "arn:aws:firehose:" };
            match input.log_destination.as_deref() {
                Some(d) if d.starts_with(prefix) && d.len() > prefix.len() => Ok((kind, None, Some(d.to_string()))),
                Some(d) => Err(errors::invalid_parameter(format!("LogDestination {d} is not a valid {kind} ARN."))),
                None => Err(errors::invalid_parameter(format!(
                    "LogDestination can't be empty if LogDestinationType is {kind}."
                ))),
            }
        }
        other => Err(one_of("logDestinationType", other, enums::LOG_DESTINATION_TYPE)
            .err()
            .unwrap_or_else(|| invalid_value("logDestinationType", other, ""))),
    }
}

/// Resources that do not exist (or already have this flow log) are answered in
/// `Unsuccessful`; the others get a flow log each.
pub fn create_flow_logs(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateFlowLogsRequest,
) -> Result<CreateFlowLogsResult, ApiError> {
    let rt = input.resource_type.as_str();
    if !["VPC", "Subnet", "NetworkInterface", "TransitGateway", "TransitGatewayAttachment"].contains(&rt) {
        return Err(invalid_value(
            "resourceType",
            rt,
            "Valid values: VPC, Subnet, NetworkInterface, TransitGateway, TransitGatewayAttachment",
        ));
    }
    if input.resource_ids.is_empty() {
        return Err(errors::missing_parameter("ResourceId"));
    }
    let transit = rt.starts_with("TransitGateway");
    let traffic = match (&input.traffic_type, transit) {
        (Some(_), true) => {
            return Err(errors::invalid_parameter("TrafficType is not supported for transit gateway resource types."))
        }
        (None, true) => None,
        (None, false) => return Err(errors::missing_parameter("TrafficType")),
        (Some(t), false) => {
            one_of("trafficType", t, enums::TRAFFIC_TYPE)?;
            Some(t.clone())
        }
    };
    let (kind, group, dest) = destination(ctx, &input)?;
    let interval = input.max_aggregation_interval.unwrap_or(600);
    if ![60, 600].contains(&interval) {
        return Err(errors::invalid_parameter("Invalid Flow Log Max Aggregation Interval"));
    }
    if input.log_format.as_deref().is_some_and(|f| f.trim().is_empty()) {
        return Err(errors::invalid_parameter("LogFormat must not be empty."));
    }
    let destination_options = (kind == "s3").then(|| {
        let o = input.destination_options.clone().unwrap_or_default();
        DestinationOptionsResponse {
            file_format: Some(o.file_format.unwrap_or_else(|| "plain-text".into())),
            hive_compatible_partitions: Some(o.hive_compatible_partitions.unwrap_or(false)),
            per_hour_partition: Some(o.per_hour_partition.unwrap_or(false)),
        }
    });
    let tags = spec_tags(input.tag_specifications.as_deref(), "vpc-flow-log")?;
    // Flow logs of resources deleted since are gone too.
    let dead: Vec<String> =
        state.flow_logs.iter().filter(|(_, f)| !alive(state, f)).map(|(id, _)| id.clone()).collect();
    for id in dead {
        state.flow_logs.remove(&id);
        state.forget(&id);
    }
    let mut created = Vec::new();
    let mut failed = Vec::new();
    for resource in &input.resource_ids {
        if let Err(e) = resource_check(rt, resource, state) {
            failed.push(unsuccessful(resource, e));
            continue;
        }
        let duplicate = state.flow_logs.values().any(|f| {
            f.resource_id.as_deref() == Some(resource.as_str())
                && f.traffic_type == traffic
                && f.log_destination_type.as_deref() == Some(kind.as_str())
                && f.log_destination == dest
        });
        if duplicate {
            failed.push(unsuccessful(resource, errors::flow_log_already_exists()));
            continue;
        }
        let id = ids::resource_id("fl");
        state.flow_logs.insert(
            id.clone(),
            FlowLog {
                creation_time: Some(ctx.now.into()),
                deliver_logs_error_message: None,
                deliver_logs_permission_arn: input.deliver_logs_permission_arn.clone(),
                deliver_cross_account_role: input.deliver_cross_account_role.clone(),
                deliver_logs_status: Some("SUCCESS".into()),
                flow_log_id: Some(id.clone()),
                flow_log_status: Some("ACTIVE".into()),
                log_group_name: group.clone(),
                resource_id: Some(resource.clone()),
                traffic_type: traffic.clone(),
                log_destination_type: Some(kind.clone()),
                log_destination: dest.clone(),
                log_format: Some(input.log_format.clone().unwrap_or_else(|| DEFAULT_LOG_FORMAT.into())),
                tags: None,
                max_aggregation_interval: Some(interval),
                destination_options: destination_options.clone(),
                tag_field_specifications: None,
            },
        );
        state.set_tags(&id, tags.clone());
        created.push(id);
    }
    Ok(CreateFlowLogsResult {
        client_token: input.client_token,
        flow_log_ids: Some(created),
        unsuccessful: Some(failed),
    })
}

/// Unknown ids are answered in `Unsuccessful`.
pub fn delete_flow_logs(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteFlowLogsRequest,
) -> Result<DeleteFlowLogsResult, ApiError> {
    let mut failed = Vec::new();
    for id in &input.flow_log_ids {
        let live = state.flow_logs.get(id).is_some_and(|f| alive(state, f));
        if state.flow_logs.remove(id).is_none() || !live {
            failed.push(unsuccessful(id, errors::invalid_flow_log_id_not_found(1, id)));
        }
        state.forget(id);
    }
    Ok(DeleteFlowLogsResult { unsuccessful: Some(failed) })
}

impl Filterable for FlowLog {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "deliver-log-status" => opt(&self.deliver_logs_status),
            "log-destination-type" => opt(&self.log_destination_type),
            "flow-log-id" => opt(&self.flow_log_id),
            "log-group-name" => opt(&self.log_group_name),
            "resource-id" => opt(&self.resource_id),
            "traffic-type" => opt(&self.traffic_type),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

/// Ids that do not exist are left out, as AWS does.
pub fn describe_flow_logs(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeFlowLogsRequest,
) -> Result<DescribeFlowLogsResult, ApiError> {
    let paging = input.page();
    let ids = input.flow_log_ids.unwrap_or_default();
    let all = state.flow_logs.iter().filter(|(id, f)| alive(state, f) && (ids.is_empty() || ids.contains(id))).map(
        |(id, f)| {
            let mut f = f.clone();
            f.tags = state.dto_tags(id);
            f
        },
    );
    let items = filtered(all, input.filter.as_deref())?;
    let (page, next) = paginate(items, |f| f.flow_log_id.clone().unwrap_or_default(), paging, false)?;
    Ok(DescribeFlowLogsResult { flow_logs: Some(page), next_token: next })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::Filter;
    use crate::state::support::testing::{delete_vpc, setup, subnet, vpc};

    fn to_s3(resource_type: &str, ids: &[&str]) -> CreateFlowLogsRequest {
        CreateFlowLogsRequest {
            resource_type: resource_type.into(),
            resource_ids: ids.iter().map(|s| s.to_string()).collect(),
            traffic_type: Some("ALL".into()),
            log_destination_type: Some("s3".into()),
            log_destination: Some("arn:aws:s3:::flow-bucket/prefix".into()),
            ..Default::default()
        }
    }

    #[test]
    fn flow_logs_are_made_per_resource_and_end_with_it() {
        let (mut s, ctx) = setup();
        let v = vpc(&mut s, &ctx, "10.0.0.0/16");
        let sn = subnet(&mut s, &ctx, &v, "10.0.1.0/24", "us-east-1a");
        let out = create_flow_logs(&mut s, &ctx, to_s3("VPC", &[&v, "vpc-00000000000000000", &sn])).unwrap();
        assert_eq!(out.flow_log_ids.as_ref().unwrap().len(), 1);
        let failed = out.unsuccessful.unwrap();
        let codes: Vec<_> = failed.iter().map(|f| f.error.as_ref().unwrap().code.clone().unwrap()).collect();
        assert_eq!(codes, vec!["InvalidVpcID.NotFound", "InvalidVpcID.NotFound"]);
        let again = create_flow_logs(&mut s, &ctx, to_s3("VPC", &[&v])).unwrap().unsuccessful.unwrap();
        assert_eq!(again[0].error.as_ref().unwrap().code.as_deref(), Some("FlowLogAlreadyExists"));
        let cwl = CreateFlowLogsRequest {
            resource_type: "Subnet".into(),
            resource_ids: vec![sn.clone()],
            traffic_type: Some("REJECT".into()),
            log_group_name: Some("flows".into()),
            ..Default::default()
        };
        assert_eq!(create_flow_logs(&mut s, &ctx, cwl.clone()).unwrap_err().code, "InvalidParameter");
        let cwl = CreateFlowLogsRequest {
            deliver_logs_permission_arn: Some("arn:aws:iam::000000000000:role/flows".into()),
            ..cwl
        };
        let id = create_flow_logs(&mut s, &ctx, cwl).unwrap().flow_log_ids.unwrap().remove(0);
        let by = |name: &str, value: &str| DescribeFlowLogsRequest {
            filter: Some(vec![Filter { name: Some(name.into()), values: Some(vec![value.into()]) }]),
            ..Default::default()
        };
        let logs = describe_flow_logs(&s, &ctx, by("log-group-name", "flows")).unwrap().flow_logs.unwrap();
        assert_eq!(logs.len(), 1);
        let f = &logs[0];
        assert_eq!(f.flow_log_id.as_deref(), Some(id.as_str()));
        assert_eq!(f.log_destination.as_deref(), Some("arn:aws:logs:us-east-1:000000000000:log-group:flows"));
        assert_eq!((f.max_aggregation_interval, f.log_format.as_deref()), (Some(600), Some(DEFAULT_LOG_FORMAT)));
        assert_eq!(describe_flow_logs(&s, &ctx, by("traffic-type", "ALL")).unwrap().flow_logs.unwrap().len(), 1);

        crate::vpc::subnets::delete_subnet(
            &mut s,
            &ctx,
            crate::generated::dto::DeleteSubnetRequest { subnet_id: sn, ..Default::default() },
        )
        .unwrap();
        delete_vpc(&mut s, &ctx, &v).unwrap();
        assert!(describe_flow_logs(&s, &ctx, Default::default()).unwrap().flow_logs.unwrap().is_empty());
        let del = DeleteFlowLogsRequest { flow_log_ids: vec![id], dry_run: None };
        let failed = delete_flow_logs(&mut s, &ctx, del).unwrap().unsuccessful.unwrap();
        assert_eq!(failed[0].error.as_ref().unwrap().code.as_deref(), Some("InvalidFlowLogId.NotFound"));
    }

    #[test]
    fn log_groups_come_from_their_arns() {
        assert_eq!(
            log_group_of("arn:aws:logs:us-east-1:000000000000:log-group:vpc/flow:*").as_deref(),
            Some("vpc/flow")
        );
        assert_eq!(log_group_of("arn:aws:logs:us-east-1:000000000000:log-group:g").as_deref(), Some("g"));
        assert_eq!(log_group_of("arn:aws:s3:::bucket"), None);
    }
}
