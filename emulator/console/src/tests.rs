//! The console's routes on a dispatcher with EC2 and CloudWatch, built through the
//! same in-process calls the console reads with.

use std::sync::Arc;

use nimbus_core::auth::{AuthMode, Authenticator, CredentialStore};
use nimbus_core::clock::Clock;
use nimbus_core::dispatch::Dispatcher;
use nimbus_core::service::{Caller, Service};
use serde_json::{json, Value};

use super::*;

const ACCOUNT: &str = "000000000000";

fn cloud() -> (Console, Dispatcher) {
    let services: Vec<Arc<dyn Service>> =
        vec![Arc::new(nimbus_ec2::Ec2::default()), Arc::new(nimbus_cloudwatch::CloudWatch::new())];
    let auth = Authenticator { mode: AuthMode::Off, store: Arc::new(CredentialStore::new([])) };
    (Console::new(ACCOUNT), Dispatcher::new(services, auth, Arc::new(Clock::new())))
}

fn call(d: &Dispatcher, service: &str, op: &str, input: Value) -> Value {
    let caller = Caller { account: ACCOUNT.into(), arn: format!("arn:aws:iam::{ACCOUNT}:root"), ..Default::default() };
    d.call_as(caller, "eu-west-1", service, op, input).unwrap_or_else(|e| panic!("{op}: {e:?}"))
}

fn get(c: &Console, d: &Dispatcher, path: &str, query: &str) -> (u16, Value) {
    let a = c.route(d, "GET", path, query, b"").expect("a console path");
    (a.status, serde_json::from_slice(&a.body).unwrap_or(Value::Null))
}

const AT: &str = "account=000000000000&region=eu-west-1";

#[test]
fn the_page_and_its_assets_are_served_from_the_binary() {
    let (c, d) = cloud();
    let page = c.route(&d, "GET", "/_nimbus/ui/", "", b"").unwrap();
    assert_eq!((page.status, page.content_type), (200, "text/html; charset=utf-8"));
    assert!(String::from_utf8(page.body).unwrap().contains("console.js"));
    for asset in ["console.js", "network.js", "dashboards.js", "console.css", "favicon.svg"] {
        assert_eq!(c.route(&d, "GET", &format!("/_nimbus/ui/{asset}"), "", b"").unwrap().status, 200, "{asset}");
    }
    assert_eq!(c.route(&d, "GET", "/_nimbus/ui/nothing.js", "", b"").unwrap().status, 404);
    assert_eq!(c.route(&d, "POST", "/_nimbus/ui/", "", b"").unwrap().status, 405);
    assert!(c.route(&d, "GET", "/_nimbus/uix", "", b"").is_none());
    assert!(c.route(&d, "GET", "/_nimbus/health", "", b"").is_none());
}

#[test]
fn bad_requests_are_refused_with_a_reason() {
    let (c, d) = cloud();
    assert_eq!(get(&c, &d, "/_nimbus/ui/api/network", "account=12").0, 400);
    assert_eq!(get(&c, &d, "/_nimbus/ui/api/network", "region=mars-1").0, 400);
    assert_eq!(get(&c, &d, "/_nimbus/ui/api/nothing", AT).0, 404);
    assert_eq!(get(&c, &d, "/_nimbus/ui/api/metric-data", AT).0, 405);
    assert_eq!(get(&c, &d, "/_nimbus/ui/api/dashboard", AT).0, 400);
    let (status, body) = get(&c, &d, "/_nimbus/ui/api/dashboard", &format!("{AT}&name=missing"));
    assert_eq!((status, body["error"].as_str()), (404, Some("ResourceNotFound")));
    let bad = c.route(&d, "POST", "/_nimbus/ui/api/metric-data", AT, b"[]").unwrap();
    assert_eq!(bad.status, 400);
}

/// Looking at a region that holds nothing leaves it holding nothing (no default VPC).
#[test]
fn an_empty_region_is_shown_empty_and_left_alone() {
    let (c, d) = cloud();
    let (status, net) = get(&c, &d, "/_nimbus/ui/api/network", AT);
    assert_eq!((status, net["vpcs"].as_array().map(Vec::len)), (200, Some(0)));
    assert_eq!(get(&c, &d, "/_nimbus/ui/api/alarms", AT).1["alarms"], json!([]));
    assert!(d.services().iter().all(|s| s.partitions().is_empty()));
    let (_, parts) = get(&c, &d, "/_nimbus/ui/api/partitions", "");
    assert_eq!(parts["default"], json!({ "account": ACCOUNT, "region": "us-east-1" }));
    assert_eq!(parts["accounts"], json!({ ACCOUNT: ["us-east-1"] }));
}

#[test]
fn a_vpc_is_drawn_with_its_subnets_gateways_route_tables_groups_and_instances() {
    let (c, d) = cloud();
    let vpc = call(&d, "ec2", "CreateVpc", json!({ "CidrBlock": "10.1.0.0/16" }))["Vpc"]["VpcId"].clone();
    let subnet = call(&d, "ec2", "CreateSubnet", json!({ "VpcId": vpc, "CidrBlock": "10.1.1.0/24" }))["Subnet"]
        ["SubnetId"]
        .clone();
    let private = call(&d, "ec2", "CreateSubnet", json!({ "VpcId": vpc, "CidrBlock": "10.1.2.0/24" }))["Subnet"]
        ["SubnetId"]
        .clone();
    let igw = call(&d, "ec2", "CreateInternetGateway", json!({}))["InternetGateway"]["InternetGatewayId"].clone();
    call(&d, "ec2", "AttachInternetGateway", json!({ "VpcId": vpc, "InternetGatewayId": igw }));
    let rtb = call(&d, "ec2", "CreateRouteTable", json!({ "VpcId": vpc }))["RouteTable"]["RouteTableId"].clone();
    call(
        &d,
        "ec2",
        "CreateRoute",
        json!({ "RouteTableId": rtb, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw }),
    );
    call(&d, "ec2", "AssociateRouteTable", json!({ "RouteTableId": rtb, "SubnetId": subnet }));
    let sg = call(&d, "ec2", "CreateSecurityGroup", json!({ "VpcId": vpc, "GroupName": "web", "Description": "web" }))
        ["GroupId"]
        .clone();
    call(
        &d,
        "ec2",
        "AuthorizeSecurityGroupIngress",
        json!({ "GroupId": sg, "IpPermissions": [{ "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "IpRanges": [{ "CidrIp": "10.0.0.0/8" }] }] }),
    );
    let images = call(
        &d,
        "ec2",
        "DescribeImages",
        json!({ "Owners": ["amazon"],
        "Filters": [{ "Name": "architecture", "Values": ["x86_64"] }] }),
    );
    let image = images["Images"][0]["ImageId"].clone();
    let run = call(
        &d,
        "ec2",
        "RunInstances",
        json!({ "ImageId": image, "InstanceType": "t3.micro", "MinCount": 1,
        "MaxCount": 1, "SubnetId": subnet, "SecurityGroupIds": [sg],
        "TagSpecifications": [{ "ResourceType": "instance", "Tags": [{ "Key": "Name", "Value": "web-1" }] }] }),
    );
    let instance = run["Instances"][0]["InstanceId"].clone();

    let (status, net) = get(&c, &d, "/_nimbus/ui/api/network", AT);
    assert_eq!(status, 200, "{net}");
    let v = net["vpcs"].as_array().unwrap().iter().find(|v| v["id"] == vpc).expect("the VPC").clone();
    assert_eq!(v["cidr"], "10.1.0.0/16");
    let sub = |id: &Value| v["subnets"].as_array().unwrap().iter().find(|s| s["id"] == *id).unwrap().clone();
    assert_eq!((sub(&subnet)["public"].clone(), sub(&subnet)["routeTable"].clone()), (json!(true), rtb.clone()));
    assert_eq!(sub(&private)["public"], false);
    assert_eq!(v["internetGateways"][0]["id"], igw);
    let table = v["routeTables"].as_array().unwrap().iter().find(|t| t["id"] == rtb).unwrap();
    assert!(table["routes"].as_array().unwrap().iter().any(|r| r["target"] == igw && r["destination"] == "0.0.0.0/0"));
    let group = v["securityGroups"].as_array().unwrap().iter().find(|g| g["id"] == sg).unwrap();
    assert_eq!(group["inbound"], json!(["tcp 22 10.0.0.0/8"]));
    let i = &v["instances"][0];
    assert_eq!((&i["id"], &i["name"], &i["subnetId"]), (&instance, &json!("web-1"), &subnet));
    assert_eq!(i["state"], "running");
    assert_eq!(i["securityGroups"], json!([sg]));
    let states = |i: &Value| i["history"].as_array().unwrap().iter().map(|h| h["state"].clone()).collect::<Vec<_>>();
    assert_eq!(states(i), [json!("pending"), json!("running")]);

    call(&d, "ec2", "StopInstances", json!({ "InstanceIds": [instance] }));
    let (_, net) = get(&c, &d, "/_nimbus/ui/api/network", AT);
    let v = net["vpcs"].as_array().unwrap().iter().find(|v| v["id"] == vpc).unwrap().clone();
    assert_eq!(v["instances"][0]["state"], "stopped");
    assert_eq!(states(&v["instances"][0]), [json!("pending"), json!("running"), json!("stopped")]);

    let (_, parts) = get(&c, &d, "/_nimbus/ui/api/partitions", "");
    assert_eq!(parts["accounts"][ACCOUNT], json!(["eu-west-1", "us-east-1"]));
}

#[test]
fn alarms_dashboards_and_metric_data() {
    let (c, d) = cloud();
    let now = d.clock.now().timestamp();
    call(
        &d,
        "monitoring",
        "PutMetricData",
        json!({ "Namespace": "App", "MetricData": [
        { "MetricName": "Latency", "Value": 120.0, "Timestamp": now - 120 },
        { "MetricName": "Latency", "Value": 80.0, "Timestamp": now - 60 }] }),
    );
    call(
        &d,
        "monitoring",
        "PutMetricAlarm",
        json!({ "AlarmName": "high-latency", "Namespace": "App",
        "MetricName": "Latency", "Statistic": "Average", "Period": 60, "EvaluationPeriods": 1,
        "Threshold": 100.0, "ComparisonOperator": "GreaterThanThreshold" }),
    );
    call(
        &d,
        "monitoring",
        "SetAlarmState",
        json!({ "AlarmName": "high-latency", "StateValue": "ALARM",
        "StateReason": "by hand" }),
    );
    let (status, alarms) = get(&c, &d, "/_nimbus/ui/api/alarms", AT);
    assert_eq!(status, 200, "{alarms}");
    let a = &alarms["alarms"][0];
    assert_eq!((&a["name"], &a["state"], &a["threshold"]), (&json!("high-latency"), &json!("ALARM"), &json!(100.0)));
    assert!(a["history"].as_array().unwrap().iter().any(|h| h["type"] == "StateUpdate"), "{a}");

    let body = json!({ "widgets": [{ "type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
        "properties": { "title": "Latency", "region": "eu-west-1", "metrics": [["App", "Latency"]] } }] });
    call(&d, "monitoring", "PutDashboard", json!({ "DashboardName": "ops", "DashboardBody": body.to_string() }));
    let (_, list) = get(&c, &d, "/_nimbus/ui/api/dashboards", AT);
    assert_eq!(list["dashboards"][0]["name"], "ops");
    let (_, one) = get(&c, &d, "/_nimbus/ui/api/dashboard", &format!("{AT}&name=ops"));
    assert_eq!(one["body"], body);

    let input = json!({ "StartTime": now - 600, "EndTime": now + 60, "MetricDataQueries": [{ "Id": "m1",
        "MetricStat": { "Metric": { "Namespace": "App", "MetricName": "Latency" }, "Period": 60, "Stat": "Average" } }] });
    let answer = c.route(&d, "POST", "/_nimbus/ui/api/metric-data", AT, input.to_string().as_bytes()).unwrap();
    let out: Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(answer.status, 200, "{out}");
    let mut values: Vec<f64> =
        out["MetricDataResults"][0]["Values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    values.sort_by(f64::total_cmp);
    assert_eq!(values, [80.0, 120.0]);
    let bad = json!({ "StartTime": now, "EndTime": now - 60, "MetricDataQueries": [] });
    let refused = c.route(&d, "POST", "/_nimbus/ui/api/metric-data", AT, bad.to_string().as_bytes()).unwrap();
    assert_eq!(refused.status, 400);
}
