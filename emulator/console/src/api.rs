//! `/_nimbus/ui/api/...`: the console's JSON, read through nimbus's own operations
//! called in-process as the account.

use std::collections::BTreeSet;

use nimbus_core::auth::DEFAULT_REGION;
use nimbus_core::dispatch::Dispatcher;
use nimbus_core::service::Caller;
use nimbus_core::{regions, ApiError};
use serde_json::{json, Map, Value};

use crate::{param, Answer, Console};

/// Pages read at most from a paged operation (a console view, not an export).
const MAX_PAGES: usize = 20;

pub fn route(console: &Console, d: &Dispatcher, method: &str, endpoint: &str, query: &str, body: &[u8]) -> Answer {
    let allowed = if endpoint == "metric-data" { "POST" } else { "GET" };
    if method != allowed && !(allowed == "GET" && method == "HEAD") {
        return Answer::error(405, format!("{method} is not allowed on /_nimbus/ui/api/{endpoint}"));
    }
    if endpoint == "partitions" {
        return Answer::json(200, &partitions(console, d));
    }
    let at = match Partition::from_query(console, query) {
        Ok(at) => at,
        Err(message) => return Answer::error(400, message),
    };
    let answered = match endpoint {
        "network" => network(console, d, &at),
        "alarms" => alarms(d, &at),
        "dashboards" => dashboards(d, &at),
        "dashboard" => match param(query, "name") {
            Some(name) => dashboard(d, &at, &name),
            None => return Answer::error(400, "the name parameter is required"),
        },
        "metric-data" => match serde_json::from_slice::<Value>(body) {
            Ok(input @ Value::Object(_)) => at.call(d, "monitoring", "GetMetricData", input),
            _ => return Answer::error(400, "the body must be GetMetricData's input as a JSON object"),
        },
        _ => return Answer::error(404, format!("no console endpoint /_nimbus/ui/api/{endpoint}")),
    };
    match answered {
        Ok(v) => Answer::json(200, &v),
        Err(e) => Answer::json(e.status, &json!({ "error": e.code, "message": e.message })),
    }
}

/// The account and region a view is of.
pub(crate) struct Partition {
    pub account: String,
    pub region: String,
}

impl Partition {
    fn from_query(console: &Console, query: &str) -> Result<Partition, String> {
        let account = param(query, "account").unwrap_or_else(|| console.default_account.clone());
        let region = param(query, "region").unwrap_or_else(|| DEFAULT_REGION.to_string());
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("account {account:?} is not 12 digits"));
        }
        if !regions::is_known(&region) {
            return Err(format!("region {region:?} is not a region nimbus knows"));
        }
        Ok(Partition { account, region })
    }

    fn call(&self, d: &Dispatcher, service: &str, operation: &str, input: Value) -> Result<Value, ApiError> {
        let caller = Caller {
            account: self.account.clone(),
            access_key: "nimbus-console".into(),
            arn: format!("arn:aws:iam::{}:root", self.account),
            user_id: self.account.clone(),
            session_token: None,
        };
        d.call_as(caller, &self.region, service, operation, input)
    }

    /// Every page of a paged read, its `list` members concatenated.
    fn all(
        &self,
        d: &Dispatcher,
        service: &str,
        operation: &str,
        input: Value,
        lists: &[&str],
    ) -> Result<Value, ApiError> {
        let mut out: Map<String, Value> = lists.iter().map(|l| (l.to_string(), json!([]))).collect();
        let mut input = input;
        for _ in 0..MAX_PAGES {
            let page = self.call(d, service, operation, input.clone())?;
            for list in lists {
                if let (Some(Value::Array(into)), Some(Value::Array(items))) = (out.get_mut(*list), page.get(*list)) {
                    into.extend(items.iter().cloned());
                }
            }
            match page.get("NextToken").and_then(Value::as_str) {
                Some(token) if !token.is_empty() => input["NextToken"] = json!(token),
                _ => break,
            }
        }
        Ok(Value::Object(out))
    }

    /// Whether `service` holds state for this partition: a read of a partition that
    /// does not exist yet would set it up (EC2 makes the default VPC), and the console
    /// only looks.
    fn exists(&self, d: &Dispatcher, service: &str) -> bool {
        d.services()
            .iter()
            .filter(|s| s.model().signing_name == service)
            .any(|s| s.partitions().iter().any(|(a, r)| *a == self.account && *r == self.region))
    }
}

/// The accounts and regions that hold state, and where the console opens.
fn partitions(console: &Console, d: &Dispatcher) -> Value {
    let mut all: BTreeSet<(String, String)> = BTreeSet::new();
    for s in d.services() {
        all.extend(s.partitions());
    }
    all.insert((console.default_account.clone(), DEFAULT_REGION.to_string()));
    let mut accounts: Map<String, Value> = Map::new();
    for (account, region) in all {
        if let Value::Array(list) = accounts.entry(account).or_insert_with(|| json!([])) {
            list.push(json!(region));
        }
    }
    json!({
        "default": { "account": console.default_account, "region": DEFAULT_REGION },
        "accounts": accounts,
        "now": d.clock.now().timestamp_millis() as f64 / 1000.0,
    })
}

fn name_of(resource: &Value) -> Value {
    resource["Tags"]
        .as_array()
        .and_then(|tags| tags.iter().find(|t| t["Key"] == "Name"))
        .map_or(Value::Null, |t| t["Value"].clone())
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The VPCs, each with its subnets, route tables, gateways, security groups and
/// instances: the VPC console's resource map as data.
fn network(console: &Console, d: &Dispatcher, at: &Partition) -> Result<Value, ApiError> {
    let now = d.clock.now().timestamp_millis() as f64 / 1000.0;
    if !at.exists(d, "ec2") {
        return Ok(json!({ "account": at.account, "region": at.region, "now": now, "vpcs": [] }));
    }
    let vpcs = at.all(d, "ec2", "DescribeVpcs", json!({}), &["Vpcs"])?;
    let subnets = at.all(d, "ec2", "DescribeSubnets", json!({}), &["Subnets"])?;
    let tables = at.all(d, "ec2", "DescribeRouteTables", json!({}), &["RouteTables"])?;
    let igws = at.all(d, "ec2", "DescribeInternetGateways", json!({}), &["InternetGateways"])?;
    let nats = at.all(d, "ec2", "DescribeNatGateways", json!({}), &["NatGateways"])?;
    let groups = at.all(d, "ec2", "DescribeSecurityGroups", json!({}), &["SecurityGroups"])?;
    let reservations = at.all(d, "ec2", "DescribeInstances", json!({}), &["Reservations"])?;
    let instances: Vec<&Value> = reservations["Reservations"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["Instances"].as_array().into_iter().flatten())
        .collect();
    let listed: Vec<String> = instances.iter().map(|i| str_of(&i["InstanceId"]).to_string()).collect();
    console.history.retain(&at.account, &at.region, &listed);

    let list = |v: &Value, key: &str| v[key].as_array().cloned().unwrap_or_default();
    let (subnets, tables, igws, nats, groups) = (
        list(&subnets, "Subnets"),
        list(&tables, "RouteTables"),
        list(&igws, "InternetGateways"),
        list(&nats, "NatGateways"),
        list(&groups, "SecurityGroups"),
    );
    let mut out = Vec::new();
    for vpc in list(&vpcs, "Vpcs") {
        let id = str_of(&vpc["VpcId"]);
        let in_vpc = |r: &&Value| str_of(&r["VpcId"]) == id;
        let vpc_tables: Vec<&Value> = tables.iter().filter(in_vpc).collect();
        let main_table = vpc_tables
            .iter()
            .find(|t| t["Associations"].as_array().is_some_and(|a| a.iter().any(|x| x["Main"] == true)))
            .map(|t| str_of(&t["RouteTableId"]).to_string());
        let table_of = |subnet: &str| {
            vpc_tables
                .iter()
                .find(|t| {
                    t["Associations"].as_array().is_some_and(|a| a.iter().any(|x| str_of(&x["SubnetId"]) == subnet))
                })
                .map(|t| str_of(&t["RouteTableId"]).to_string())
                .or_else(|| main_table.clone())
        };
        let routes_to_igw = |table: &Option<String>| {
            vpc_tables.iter().any(|t| {
                Some(str_of(&t["RouteTableId"])) == table.as_deref()
                    && t["Routes"]
                        .as_array()
                        .is_some_and(|rs| rs.iter().any(|r| str_of(&r["GatewayId"]).starts_with("igw-")))
            })
        };
        let subnets: Vec<Value> = subnets
            .iter()
            .filter(in_vpc)
            .map(|s| {
                let sid = str_of(&s["SubnetId"]);
                let table = table_of(sid);
                json!({
                    "id": sid, "name": name_of(s), "cidr": s["CidrBlock"], "az": s["AvailabilityZone"],
                    "state": s["State"], "routeTable": table, "public": routes_to_igw(&table),
                })
            })
            .collect();
        let route_tables: Vec<Value> = vpc_tables
            .iter()
            .map(|t| {
                let assoc = t["Associations"].as_array().cloned().unwrap_or_default();
                let routes: Vec<Value> = t["Routes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| {
                        let target = [
                            "GatewayId",
                            "NatGatewayId",
                            "InstanceId",
                            "TransitGatewayId",
                            "VpcPeeringConnectionId",
                            "NetworkInterfaceId",
                            "EgressOnlyInternetGatewayId",
                            "VpcEndpointId",
                        ]
                        .iter()
                        .find_map(|k| r[*k].as_str())
                        .unwrap_or("");
                        let destination =
                            ["DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId"]
                                .iter()
                                .find_map(|k| r[*k].as_str())
                                .unwrap_or("");
                        json!({ "destination": destination, "target": target, "state": r["State"] })
                    })
                    .collect();
                json!({
                    "id": t["RouteTableId"], "name": name_of(t),
                    "main": assoc.iter().any(|x| x["Main"] == true),
                    "subnets": assoc.iter().filter_map(|x| x["SubnetId"].as_str()).collect::<Vec<_>>(),
                    "routes": routes,
                })
            })
            .collect();
        let internet_gateways: Vec<Value> = igws
            .iter()
            .filter(|g| g["Attachments"].as_array().is_some_and(|a| a.iter().any(|x| str_of(&x["VpcId"]) == id)))
            .map(|g| json!({ "id": g["InternetGatewayId"], "name": name_of(g) }))
            .collect();
        let nat_gateways: Vec<Value> = nats
            .iter()
            .filter(in_vpc)
            .filter(|n| n["State"] != "deleted")
            .map(|n| {
                let ip = n["NatGatewayAddresses"].get(0).map_or(Value::Null, |a| a["PublicIp"].clone());
                json!({ "id": n["NatGatewayId"], "name": name_of(n), "state": n["State"], "subnetId": n["SubnetId"],
                        "publicIp": ip, "connectivity": n["ConnectivityType"] })
            })
            .collect();
        let security_groups: Vec<Value> = groups
            .iter()
            .filter(in_vpc)
            .map(|g| {
                json!({ "id": g["GroupId"], "name": g["GroupName"], "description": g["Description"],
                        "inbound": rules(&g["IpPermissions"]), "outbound": rules(&g["IpPermissionsEgress"]) })
            })
            .collect();
        let instances: Vec<Value> = instances
            .iter()
            .copied()
            .filter(in_vpc)
            .map(|i| {
                let iid = str_of(&i["InstanceId"]);
                let state = str_of(&i["State"]["Name"]);
                let launched = i["LaunchTime"].as_f64().unwrap_or(now);
                json!({
                    "id": iid, "name": name_of(i), "type": i["InstanceType"], "state": state,
                    "subnetId": i["SubnetId"], "privateIp": i["PrivateIpAddress"], "publicIp": i["PublicIpAddress"],
                    "imageId": i["ImageId"], "launchTime": i["LaunchTime"], "reason": i["StateTransitionReason"],
                    "securityGroups": i["SecurityGroups"].as_array().into_iter().flatten()
                        .map(|g| g["GroupId"].clone()).collect::<Vec<_>>(),
                    "history": console.history.observe(&at.account, &at.region, iid, state, launched, now),
                })
            })
            .collect();
        out.push(json!({
            "id": id, "name": name_of(&vpc), "cidr": vpc["CidrBlock"], "state": vpc["State"],
            "isDefault": vpc["IsDefault"], "subnets": subnets, "routeTables": route_tables,
            "internetGateways": internet_gateways, "natGateways": nat_gateways,
            "securityGroups": security_groups, "instances": instances,
        }));
    }
    Ok(json!({ "account": at.account, "region": at.region, "now": now, "vpcs": out }))
}

/// A security group's rules, one line each: `tcp 22 from 10.0.0.0/16`.
fn rules(permissions: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for p in permissions.as_array().into_iter().flatten() {
        let proto = match str_of(&p["IpProtocol"]) {
            "-1" => "all".to_string(),
            other => other.to_string(),
        };
        let ports = match (p["FromPort"].as_i64(), p["ToPort"].as_i64()) {
            (Some(a), Some(b)) if a == b => format!(" {a}"),
            (Some(a), Some(b)) if a >= 0 => format!(" {a}-{b}"),
            _ => String::new(),
        };
        let mut peers: Vec<String> = Vec::new();
        for (list, key) in [
            ("IpRanges", "CidrIp"),
            ("Ipv6Ranges", "CidrIpv6"),
            ("UserIdGroupPairs", "GroupId"),
            ("PrefixListIds", "PrefixListId"),
        ] {
            peers.extend(p[list].as_array().into_iter().flatten().filter_map(|r| r[key].as_str().map(str::to_string)));
        }
        if peers.is_empty() {
            peers.push("-".into());
        }
        out.extend(peers.into_iter().map(|peer| format!("{proto}{ports} {peer}")));
    }
    out
}

/// Metric and composite alarms with their state and history, newest history first.
fn alarms(d: &Dispatcher, at: &Partition) -> Result<Value, ApiError> {
    if !at.exists(d, "monitoring") {
        return Ok(json!({ "alarms": [] }));
    }
    let found = at.all(
        d,
        "monitoring",
        "DescribeAlarms",
        json!({ "AlarmTypes": ["CompositeAlarm", "MetricAlarm"] }),
        &["MetricAlarms", "CompositeAlarms"],
    )?;
    let history = at.all(
        d,
        "monitoring",
        "DescribeAlarmHistory",
        json!({ "ScanBy": "TimestampDescending" }),
        &["AlarmHistoryItems"],
    )?;
    let items = history["AlarmHistoryItems"].as_array().cloned().unwrap_or_default();
    let history_of = |name: &str| -> Vec<Value> {
        items
            .iter()
            .filter(|h| str_of(&h["AlarmName"]) == name)
            .map(|h| json!({ "at": h["Timestamp"], "type": h["HistoryItemType"], "summary": h["HistorySummary"] }))
            .collect()
    };
    let mut out = Vec::new();
    for a in found["MetricAlarms"].as_array().into_iter().flatten() {
        let name = str_of(&a["AlarmName"]);
        let dimensions: Map<String, Value> = a["Dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| (str_of(&x["Name"]).to_string(), x["Value"].clone()))
            .collect();
        out.push(json!({
            "name": name, "arn": a["AlarmArn"], "type": "MetricAlarm", "state": a["StateValue"],
            "reason": a["StateReason"], "updated": a["StateUpdatedTimestamp"], "description": a["AlarmDescription"],
            "namespace": a["Namespace"], "metric": a["MetricName"], "dimensions": dimensions,
            "statistic": a["Statistic"].as_str().or(a["ExtendedStatistic"].as_str()),
            "period": a["Period"], "evaluationPeriods": a["EvaluationPeriods"], "threshold": a["Threshold"],
            "comparison": a["ComparisonOperator"], "history": history_of(name),
        }));
    }
    for a in found["CompositeAlarms"].as_array().into_iter().flatten() {
        let name = str_of(&a["AlarmName"]);
        out.push(json!({
            "name": name, "arn": a["AlarmArn"], "type": "CompositeAlarm", "state": a["StateValue"],
            "reason": a["StateReason"], "updated": a["StateUpdatedTimestamp"], "description": a["AlarmDescription"],
            "rule": a["AlarmRule"], "history": history_of(name),
        }));
    }
    Ok(json!({ "alarms": out }))
}

fn dashboards(d: &Dispatcher, at: &Partition) -> Result<Value, ApiError> {
    let found = at.all(d, "monitoring", "ListDashboards", json!({}), &["DashboardEntries"])?;
    let list: Vec<Value> = found["DashboardEntries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| json!({ "name": e["DashboardName"], "lastModified": e["LastModified"], "size": e["Size"] }))
        .collect();
    Ok(json!({ "dashboards": list }))
}

/// A dashboard's body as PutDashboard stored it, parsed.
fn dashboard(d: &Dispatcher, at: &Partition, name: &str) -> Result<Value, ApiError> {
    let found = at.call(d, "monitoring", "GetDashboard", json!({ "DashboardName": name }))?;
    let body: Value = serde_json::from_str(str_of(&found["DashboardBody"])).unwrap_or(Value::Null);
    Ok(json!({ "name": found["DashboardName"], "arn": found["DashboardArn"], "body": body }))
}
