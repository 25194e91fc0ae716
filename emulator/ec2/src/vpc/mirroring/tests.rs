//! Traffic Mirroring end to end, through the service as the dispatcher calls it.

use nimbus_core::{RequestContext, Service};
use serde_json::{json, Value};

use crate::testing::{call, network, refused, str_at};
use crate::Ec2;

fn eni(ec2: &Ec2, ctx: &RequestContext, subnet: &str) -> String {
    str_at(
        &call(ec2, ctx, "CreateNetworkInterface", json!({"SubnetId": subnet})),
        "/NetworkInterface/NetworkInterfaceId",
    )
}

fn filter(ec2: &Ec2, ctx: &RequestContext) -> String {
    let out = call(ec2, ctx, "CreateTrafficMirrorFilter", json!({"Description": "web"}));
    str_at(&out, "/TrafficMirrorFilter/TrafficMirrorFilterId")
}

fn rule(filter: &str, direction: &str, number: i64) -> Value {
    json!({"TrafficMirrorFilterId": filter, "TrafficDirection": direction, "RuleNumber": number,
        "RuleAction": "accept", "SourceCidrBlock": "0.0.0.0/0", "DestinationCidrBlock": "10.0.0.0/16"})
}

fn target(ec2: &Ec2, ctx: &RequestContext, eni: &str) -> String {
    let out = call(ec2, ctx, "CreateTrafficMirrorTarget", json!({"NetworkInterfaceId": eni}));
    str_at(&out, "/TrafficMirrorTarget/TrafficMirrorTargetId")
}

fn session(ec2: &Ec2, ctx: &RequestContext, source: &str, target: &str, filter: &str, number: i64) -> Value {
    let input = json!({"NetworkInterfaceId": source, "TrafficMirrorTargetId": target,
        "TrafficMirrorFilterId": filter, "SessionNumber": number});
    call(ec2, ctx, "CreateTrafficMirrorSession", input)["TrafficMirrorSession"].clone()
}

#[test]
fn filters_keep_their_rules_by_direction_in_number_order() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let f = filter(&ec2, &ctx);
    for (d, n) in [("ingress", 20), ("ingress", 10), ("egress", 10)] {
        call(&ec2, &ctx, "CreateTrafficMirrorFilterRule", rule(&f, d, n));
    }
    assert_eq!(
        refused(&ec2, &ctx, "CreateTrafficMirrorFilterRule", rule(&f, "ingress", 10)),
        "TrafficMirrorFilterRuleAlreadyExists"
    );
    let out = call(&ec2, &ctx, "DescribeTrafficMirrorFilters", json!({"TrafficMirrorFilterIds": [f]}));
    let shown = &out["TrafficMirrorFilters"][0];
    let numbers: Vec<i64> =
        shown["IngressFilterRules"].as_array().unwrap().iter().map(|r| r["RuleNumber"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [10, 20]);
    assert_eq!(shown["EgressFilterRules"].as_array().unwrap().len(), 1);
    assert_eq!(shown["NetworkServices"], json!([]));

    let out = call(
        &ec2,
        &ctx,
        "ModifyTrafficMirrorFilterNetworkServices",
        json!({"TrafficMirrorFilterId": f, "AddNetworkServices": ["amazon-dns"]}),
    );
    assert_eq!(out["TrafficMirrorFilter"]["NetworkServices"], json!(["amazon-dns"]));
    let bad = json!({"TrafficMirrorFilterId": f, "AddNetworkServices": ["kerberos"]});
    assert_eq!(refused(&ec2, &ctx, "ModifyTrafficMirrorFilterNetworkServices", bad), "InvalidParameterValue");

    let rules = call(
        &ec2,
        &ctx,
        "DescribeTrafficMirrorFilterRules",
        json!({"TrafficMirrorFilterId": f,
        "Filters": [{"Name": "traffic-direction", "Values": ["ingress"]}]}),
    );
    assert_eq!(rules["TrafficMirrorFilterRules"].as_array().unwrap().len(), 2);
    let page = call(&ec2, &ctx, "DescribeTrafficMirrorFilterRules", json!({"MaxResults": 5}));
    assert_eq!(page["TrafficMirrorFilterRules"].as_array().unwrap().len(), 3);
    let bad = json!({"MaxResults": 4});
    assert_eq!(refused(&ec2, &ctx, "DescribeTrafficMirrorFilterRules", bad), "InvalidParameterValue");

    call(&ec2, &ctx, "DeleteTrafficMirrorFilter", json!({"TrafficMirrorFilterId": f}));
    let rules = call(&ec2, &ctx, "DescribeTrafficMirrorFilterRules", json!({}));
    assert_eq!(rules["TrafficMirrorFilterRules"], json!([]), "a filter's rules go with it");
    let gone = json!({"TrafficMirrorFilterIds": [f]});
    assert_eq!(refused(&ec2, &ctx, "DescribeTrafficMirrorFilters", gone), "InvalidTrafficMirrorFilterId.NotFound");
}

#[test]
fn rules_are_checked_as_aws_checks_them() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let f = filter(&ec2, &ctx);
    let with = |changes: Value| {
        let mut r = rule(&f, "ingress", 1);
        for (k, v) in changes.as_object().unwrap() {
            r[k] = v.clone();
        }
        r
    };
    let op = "CreateTrafficMirrorFilterRule";
    assert_eq!(refused(&ec2, &ctx, op, with(json!({"RuleNumber": 32767}))), "InvalidParameterValue");
    assert_eq!(refused(&ec2, &ctx, op, with(json!({"RuleAction": "drop"}))), "InvalidParameterValue");
    assert_eq!(refused(&ec2, &ctx, op, with(json!({"TrafficDirection": "both"}))), "InvalidParameterValue");
    assert_eq!(refused(&ec2, &ctx, op, with(json!({"SourceCidrBlock": "10.0.0.0/33"}))), "InvalidParameterValue");
    assert_eq!(refused(&ec2, &ctx, op, with(json!({"SourceCidrBlock": "::/0"}))), "InvalidParameterCombination");
    assert_eq!(refused(&ec2, &ctx, op, with(json!({"Protocol": 256}))), "InvalidParameterValue");
    let ports = json!({"DestinationPortRange": {"FromPort": 22, "ToPort": 22}});
    assert_eq!(refused(&ec2, &ctx, op, with(ports.clone())), "InvalidParameterCombination");
    let reversed = json!({"Protocol": 6, "DestinationPortRange": {"FromPort": 443, "ToPort": 80}});
    assert_eq!(refused(&ec2, &ctx, op, with(reversed)), "InvalidParameterValue");
    let mut tcp = with(ports);
    tcp["Protocol"] = json!(6);
    tcp["TagSpecifications"] =
        json!([{"ResourceType": "traffic-mirror-filter-rule", "Tags": [{"Key": "k", "Value": "v"}]}]);
    let r = call(&ec2, &ctx, op, tcp)["TrafficMirrorFilterRule"].clone();
    assert_eq!(r["DestinationPortRange"], json!({"FromPort": 22, "ToPort": 22}));
    assert_eq!(r["Tags"], json!([{"Key": "k", "Value": "v"}]));
    let id = r["TrafficMirrorFilterRuleId"].as_str().unwrap();
    assert!(id.starts_with("tmfr-"));
    for n in 2..=10 {
        call(&ec2, &ctx, op, with(json!({"RuleNumber": n})));
    }
    assert_eq!(refused(&ec2, &ctx, op, with(json!({"RuleNumber": 11}))), "TrafficMirrorFilterRuleLimitExceeded");
    call(&ec2, &ctx, op, with(json!({"RuleNumber": 11, "TrafficDirection": "egress"})));

    let modify = json!({"TrafficMirrorFilterRuleId": id, "RemoveFields": ["destination-port-range", "protocol"],
        "RuleAction": "reject", "Description": "all"});
    let r = call(&ec2, &ctx, "ModifyTrafficMirrorFilterRule", modify)["TrafficMirrorFilterRule"].clone();
    assert_eq!(
        (r["RuleAction"].as_str(), r.get("Protocol"), r.get("DestinationPortRange")),
        (Some("reject"), None, None)
    );
    let clash = json!({"TrafficMirrorFilterRuleId": id, "RuleNumber": 2});
    assert_eq!(refused(&ec2, &ctx, "ModifyTrafficMirrorFilterRule", clash), "TrafficMirrorFilterRuleAlreadyExists");
    let both = json!({"TrafficMirrorFilterRuleId": id, "Description": "x", "RemoveFields": ["description"]});
    assert_eq!(refused(&ec2, &ctx, "ModifyTrafficMirrorFilterRule", both), "InvalidParameterCombination");
    call(&ec2, &ctx, "DeleteTrafficMirrorFilterRule", json!({"TrafficMirrorFilterRuleId": id}));
    let again = json!({"TrafficMirrorFilterRuleId": id});
    assert_eq!(
        refused(&ec2, &ctx, "DeleteTrafficMirrorFilterRule", again),
        "InvalidTrafficMirrorFilterRuleId.NotFound"
    );
}

#[test]
fn targets_are_an_interface_a_load_balancer_or_an_endpoint() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let e = eni(&ec2, &ctx, &subnet);
    let op = "CreateTrafficMirrorTarget";
    assert_eq!(refused(&ec2, &ctx, op, json!({})), "MissingParameter");
    let both = json!({"NetworkInterfaceId": e, "NetworkLoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/a/1"});
    assert_eq!(refused(&ec2, &ctx, op, both), "InvalidParameterCombination");
    assert_eq!(
        refused(&ec2, &ctx, op, json!({"NetworkInterfaceId": "eni-0000000000000000f"})),
        "InvalidNetworkInterfaceID.NotFound"
    );
    assert_eq!(refused(&ec2, &ctx, op, json!({"NetworkLoadBalancerArn": "arn:aws:ec2:x"})), "InvalidParameterValue");
    assert_eq!(
        refused(&ec2, &ctx, op, json!({"GatewayLoadBalancerEndpointId": "vpce-0000000000000000f"})),
        "InvalidVpcEndpointId.NotFound"
    );
    let nlb = call(
        &ec2,
        &ctx,
        op,
        json!({"NetworkLoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/a/1"}),
    );
    assert_eq!(nlb["TrafficMirrorTarget"]["Type"], "network-load-balancer");
    let t = target(&ec2, &ctx, &e);
    let out = call(
        &ec2,
        &ctx,
        "DescribeTrafficMirrorTargets",
        json!({"Filters": [{"Name": "network-interface-id", "Values": [e]}]}),
    );
    let shown = &out["TrafficMirrorTargets"][0];
    assert_eq!(
        (shown["TrafficMirrorTargetId"].as_str(), shown["Type"].as_str()),
        (Some(t.as_str()), Some("network-interface"))
    );
    assert_eq!(shown["OwnerId"], "000000000000");
    let bad = json!({"Filters": [{"Name": "nope", "Values": ["x"]}]});
    assert_eq!(refused(&ec2, &ctx, "DescribeTrafficMirrorTargets", bad), "InvalidParameterValue");
    call(&ec2, &ctx, "CreateTags", json!({"Resources": [t], "Tags": [{"Key": "Name", "Value": "sink"}]}));
    let tagged = call(
        &ec2,
        &ctx,
        "DescribeTrafficMirrorTargets",
        json!({"Filters": [{"Name": "tag:Name", "Values": ["sink"]}]}),
    );
    assert_eq!(tagged["TrafficMirrorTargets"].as_array().unwrap().len(), 1);
}

#[test]
fn sessions_mirror_a_source_to_a_target_through_a_filter() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let (source, sink) = (eni(&ec2, &ctx, &subnet), eni(&ec2, &ctx, &subnet));
    let f = filter(&ec2, &ctx);
    let t = target(&ec2, &ctx, &sink);
    let op = "CreateTrafficMirrorSession";
    let base = json!({"NetworkInterfaceId": source, "TrafficMirrorTargetId": t, "TrafficMirrorFilterId": f, "SessionNumber": 1});
    let with = |k: &str, v: Value| {
        let mut i = base.clone();
        i[k] = v;
        i
    };
    assert_eq!(refused(&ec2, &ctx, op, with("SessionNumber", json!(0))), "InvalidParameterValue");
    assert_eq!(refused(&ec2, &ctx, op, with("PacketLength", json!(8501))), "InvalidParameterValue");
    assert_eq!(
        refused(&ec2, &ctx, op, with("TrafficMirrorFilterId", json!("tmf-0000000000000000f"))),
        "InvalidTrafficMirrorFilterId.NotFound"
    );
    assert_eq!(
        refused(&ec2, &ctx, op, with("TrafficMirrorTargetId", json!("tmt-0000000000000000f"))),
        "InvalidTrafficMirrorTargetId.NotFound"
    );
    assert_eq!(
        refused(&ec2, &ctx, op, with("NetworkInterfaceId", json!("eni-0000000000000000f"))),
        "InvalidNetworkInterfaceID.NotFound"
    );
    assert_eq!(
        refused(&ec2, &ctx, op, with("NetworkInterfaceId", json!(sink))),
        "InvalidParameterValue",
        "a target is no source"
    );

    let s1 = session(&ec2, &ctx, &source, &t, &f, 1);
    let vni = s1["VirtualNetworkId"].as_i64().unwrap();
    assert!((1..=16_777_215).contains(&vni));
    assert!(s1.get("PacketLength").is_none());
    assert_eq!(refused(&ec2, &ctx, op, base.clone()), "InvalidParameterValue", "session numbers are unique per source");
    let s2 = session(&ec2, &ctx, &source, &t, &f, 2);
    assert_ne!(s2["VirtualNetworkId"], s1["VirtualNetworkId"]);
    session(&ec2, &ctx, &source, &t, &f, 3);
    assert_eq!(
        refused(&ec2, &ctx, op, with("SessionNumber", json!(4))),
        "TrafficMirrorSessionsPerInterfaceLimitExceeded"
    );

    assert_eq!(
        refused(&ec2, &ctx, "DeleteTrafficMirrorFilter", json!({"TrafficMirrorFilterId": f})),
        "TrafficMirrorFilterInUse"
    );
    assert_eq!(
        refused(&ec2, &ctx, "DeleteTrafficMirrorTarget", json!({"TrafficMirrorTargetId": t})),
        "TrafficMirrorTargetInUseException"
    );

    let id = s1["TrafficMirrorSessionId"].as_str().unwrap();
    let modify = json!({"TrafficMirrorSessionId": id, "PacketLength": 100, "VirtualNetworkId": 42, "Description": "d"});
    let m = call(&ec2, &ctx, "ModifyTrafficMirrorSession", modify)["TrafficMirrorSession"].clone();
    assert_eq!((m["PacketLength"].as_i64(), m["VirtualNetworkId"].as_i64()), (Some(100), Some(42)));
    let clear = json!({"TrafficMirrorSessionId": id, "RemoveFields": ["packet-length", "description"]});
    let m = call(&ec2, &ctx, "ModifyTrafficMirrorSession", clear)["TrafficMirrorSession"].clone();
    assert!(m.get("PacketLength").is_none() && m.get("Description").is_none());
    let clash = json!({"TrafficMirrorSessionId": id, "SessionNumber": 2});
    assert_eq!(refused(&ec2, &ctx, "ModifyTrafficMirrorSession", clash), "InvalidParameterValue");

    let found = call(
        &ec2,
        &ctx,
        "DescribeTrafficMirrorSessions",
        json!({"Filters": [{"Name": "virtual-network-id", "Values": ["42"]}]}),
    );
    assert_eq!(found["TrafficMirrorSessions"][0]["TrafficMirrorSessionId"], json!(id));
    let page = call(&ec2, &ctx, "DescribeTrafficMirrorSessions", json!({"MaxResults": 5}));
    assert_eq!(page["TrafficMirrorSessions"].as_array().unwrap().len(), 3);
    let sessions: Vec<String> = page["TrafficMirrorSessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| str_at(s, "/TrafficMirrorSessionId"))
        .collect();
    for s in &sessions {
        call(&ec2, &ctx, "DeleteTrafficMirrorSession", json!({"TrafficMirrorSessionId": s}));
    }
    call(&ec2, &ctx, "DeleteTrafficMirrorTarget", json!({"TrafficMirrorTargetId": t}));
    call(&ec2, &ctx, "DeleteTrafficMirrorFilter", json!({"TrafficMirrorFilterId": f}));
    let gone = json!({"TrafficMirrorSessionIds": [id]});
    assert_eq!(refused(&ec2, &ctx, "DescribeTrafficMirrorSessions", gone), "InvalidTrafficMirrorSessionId.NotFound");
}

#[test]
fn a_network_load_balancer_target_mirrors_8500_bytes_unless_told() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let source = eni(&ec2, &ctx, &subnet);
    let f = filter(&ec2, &ctx);
    let arn = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/sink/0123456789abcdef";
    let t = call(&ec2, &ctx, "CreateTrafficMirrorTarget", json!({"NetworkLoadBalancerArn": arn}));
    let t = str_at(&t, "/TrafficMirrorTarget/TrafficMirrorTargetId");
    let s = session(&ec2, &ctx, &source, &t, &f, 1);
    assert_eq!(s["PacketLength"], 8500);
    let dry = ec2.call(&ctx, "CreateTrafficMirrorFilter", json!({"DryRun": true})).unwrap_err();
    assert_eq!(dry.code, "DryRunOperation");
}
