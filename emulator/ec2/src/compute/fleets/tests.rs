use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{al2023, call, refused, str_at};
use crate::Ec2;

fn template(ec2: &Ec2, ctx: &RequestContext, instance_type: &str) -> String {
    let image = al2023(ec2, ctx);
    let data = json!({"ImageId": image, "InstanceType": instance_type,
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "from", "Value": "template"}]}]});
    let out =
        call(ec2, ctx, "CreateLaunchTemplate", json!({"LaunchTemplateName": "fleet-lt", "LaunchTemplateData": data}));
    str_at(&out, "/LaunchTemplate/LaunchTemplateId")
}

fn fleet(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
    call(ec2, ctx, "DescribeFleets", json!({"FleetIds": [id]}))["Fleets"][0].clone()
}

fn active(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Vec<String> {
    let out = call(ec2, ctx, "DescribeFleetInstances", json!({"FleetId": id}));
    out["ActiveInstances"].as_array().unwrap().iter().map(|i| i["InstanceId"].as_str().unwrap().to_string()).collect()
}

#[test]
fn instant_fleet_launches_in_the_cheapest_pool_and_answers_its_instances() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let lt = template(&ec2, &ctx, "t3.micro");
    let configs = json!([{"LaunchTemplateSpecification": {"LaunchTemplateId": lt, "Version": "$Latest"},
        "Overrides": [{"InstanceType": "m5.2xlarge"}, {"InstanceType": "t3.nano"}, {"InstanceType": "c5.large"}]}]);
    let out = call(
        &ec2,
        &ctx,
        "CreateFleet",
        json!({"Type": "instant", "LaunchTemplateConfigs": configs,
            "TargetCapacitySpecification": {"TotalTargetCapacity": 2, "DefaultTargetCapacityType": "on-demand"}}),
    );
    let id = str_at(&out, "/FleetId");
    assert!(id.starts_with("fleet-") && id.len() == 42, "{id}");
    assert_eq!(out["Errors"], json!([]));
    let launched = &out["Instances"][0];
    assert_eq!(str_at(launched, "/InstanceType"), "t3.nano", "lowest-price picks the cheapest override");
    assert_eq!(str_at(launched, "/Lifecycle"), "on-demand");
    assert_eq!(str_at(launched, "/LaunchTemplateAndOverrides/LaunchTemplateSpecification/Version"), "1");
    let ids = launched["InstanceIds"].as_array().unwrap();
    assert_eq!(ids.len(), 2);
    let i = call(&ec2, &ctx, "DescribeInstances", json!({"InstanceIds": [ids[0]]}));
    let tags = &i["Reservations"][0]["Instances"][0]["Tags"];
    assert!(tags.as_array().unwrap().contains(&json!({"Key": "aws:ec2:fleet-id", "Value": id})), "{tags}");
    assert!(tags.as_array().unwrap().contains(&json!({"Key": "from", "Value": "template"})), "{tags}");
    let f = fleet(&ec2, &ctx, &id);
    assert_eq!((str_at(&f, "/FleetState"), str_at(&f, "/ActivityStatus")), ("active".into(), "fulfilled".into()));
    assert_eq!(f["FulfilledCapacity"], json!(2.0));
    assert_eq!(str_at(&f, "/OnDemandOptions/AllocationStrategy"), "lowestPrice");
    assert_eq!(refused(&ec2, &ctx, "DescribeFleetInstances", json!({"FleetId": id})), "Unsupported");
    assert_eq!(
        refused(
            &ec2,
            &ctx,
            "ModifyFleet",
            json!({"FleetId": id, "TargetCapacitySpecification": {"TotalTargetCapacity": 3}})
        ),
        "Unsupported"
    );
    // Listed only when asked for by id, as AWS does.
    assert_eq!(call(&ec2, &ctx, "DescribeFleets", json!({}))["Fleets"], json!([]));
    let deleted = call(&ec2, &ctx, "DeleteFleets", json!({"FleetIds": [id], "TerminateInstances": false}));
    assert_eq!(str_at(&deleted, "/UnsuccessfulFleetDeletions/0/Error/Code"), "fleetNotInDeletableState");
    let deleted = call(&ec2, &ctx, "DeleteFleets", json!({"FleetIds": [id], "TerminateInstances": true}));
    assert_eq!(str_at(&deleted, "/SuccessfulFleetDeletions/0/CurrentFleetState"), "deleted_terminating");
    assert_eq!(str_at(&fleet(&ec2, &ctx, &id), "/FleetState"), "deleted");
}

#[test]
fn maintain_fleet_replaces_a_terminated_instance_and_scales_down() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    template(&ec2, &ctx, "t3.micro");
    let out = call(
        &ec2,
        &ctx,
        "CreateFleet",
        json!({"LaunchTemplateConfigs": [{"LaunchTemplateSpecification": {"LaunchTemplateName": "fleet-lt", "Version": "1"}}],
            "TargetCapacitySpecification": {"TotalTargetCapacity": 3, "OnDemandTargetCapacity": 1, "DefaultTargetCapacityType": "spot"},
            "TagSpecifications": [{"ResourceType": "fleet", "Tags": [{"Key": "team", "Value": "a"}]}]}),
    );
    let id = str_at(&out, "/FleetId");
    assert!(out.get("Instances").is_none());
    let f = fleet(&ec2, &ctx, &id);
    assert_eq!(f["TargetCapacitySpecification"]["SpotTargetCapacity"], json!(2));
    assert_eq!(f["Tags"], json!([{"Key": "team", "Value": "a"}]));
    let ids = active(&ec2, &ctx, &id);
    assert_eq!(ids.len(), 3);
    let spot: Vec<Value> = call(&ec2, &ctx, "DescribeInstances", json!({"InstanceIds": ids}))["Reservations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["Instances"].as_array().unwrap().clone())
        .filter(|i| i["InstanceLifecycle"] == json!("spot"))
        .collect();
    assert_eq!(spot.len(), 2);
    call(&ec2, &ctx, "TerminateInstances", json!({"InstanceIds": [ids[0]]}));
    let now = active(&ec2, &ctx, &id);
    assert_eq!(now.len(), 3);
    assert!(!now.contains(&ids[0]));
    let history = call(
        &ec2,
        &ctx,
        "DescribeFleetHistory",
        json!({"FleetId": id, "StartTime": 946684800,
        "EventType": "instance-change"}),
    );
    let subs: Vec<&str> = history["HistoryRecords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["EventInformation"]["EventSubType"].as_str().unwrap())
        .collect();
    assert_eq!(subs, ["launched", "launched", "launched", "terminated", "launched"]);
    call(&ec2, &ctx, "ModifyFleet", json!({"FleetId": id, "TargetCapacitySpecification": {"TotalTargetCapacity": 1}}));
    assert_eq!(active(&ec2, &ctx, &id).len(), 1);
    let f = fleet(&ec2, &ctx, &id);
    assert_eq!(f["TargetCapacitySpecification"]["TotalTargetCapacity"], json!(1));
    assert_eq!(
        refused(
            &ec2,
            &ctx,
            "ModifyFleet",
            json!({"FleetId": id,
        "TargetCapacitySpecification": {"TotalTargetCapacity": 2, "OnDemandTargetCapacity": 2}})
        ),
        "InvalidTargetCapacitySpecification"
    );
    let deleted = call(&ec2, &ctx, "DeleteFleets", json!({"FleetIds": [id], "TerminateInstances": false}));
    assert_eq!(str_at(&deleted, "/SuccessfulFleetDeletions/0/CurrentFleetState"), "deleted_running");
    assert_eq!(str_at(&fleet(&ec2, &ctx, &id), "/FleetState"), "deleted_running");
    let left = active(&ec2, &ctx, &id);
    call(&ec2, &ctx, "TerminateInstances", json!({"InstanceIds": left}));
    assert_eq!(str_at(&fleet(&ec2, &ctx, &id), "/FleetState"), "deleted");
}

#[test]
fn fleets_refuse_bad_input() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let lt = template(&ec2, &ctx, "t3.micro");
    let configs = json!([{"LaunchTemplateSpecification": {"LaunchTemplateId": lt, "Version": "1"}}]);
    let capacity = json!({"TotalTargetCapacity": 1, "DefaultTargetCapacityType": "on-demand"});
    assert_eq!(
        refused(
            &ec2,
            &ctx,
            "CreateFleet",
            json!({"LaunchTemplateConfigs": [], "TargetCapacitySpecification": capacity})
        ),
        "MissingParameter"
    );
    let missing =
        json!([{"LaunchTemplateSpecification": {"LaunchTemplateId": "lt-0123456789abcdef0", "Version": "1"}}]);
    assert_eq!(
        refused(
            &ec2,
            &ctx,
            "CreateFleet",
            json!({"LaunchTemplateConfigs": missing, "TargetCapacitySpecification": capacity})
        ),
        "InvalidLaunchTemplateId.NotFound"
    );
    let over = json!({"TotalTargetCapacity": 1, "OnDemandTargetCapacity": 2, "DefaultTargetCapacityType": "on-demand"});
    assert_eq!(
        refused(
            &ec2,
            &ctx,
            "CreateFleet",
            json!({"LaunchTemplateConfigs": configs, "TargetCapacitySpecification": over})
        ),
        "InvalidTargetCapacitySpecification"
    );
    assert_eq!(
        refused(&ec2, &ctx, "DescribeFleets", json!({"FleetIds": ["fleet-00000000-0000-4000-a000-000000000000"]})),
        "InvalidFleetId.NotFound"
    );
    assert_eq!(refused(&ec2, &ctx, "DescribeFleets", json!({"FleetIds": ["sfr-1"]})), "InvalidFleetId.Malformed");
    let deleted = call(
        &ec2,
        &ctx,
        "DeleteFleets",
        json!({"FleetIds": ["fleet-00000000-0000-4000-a000-000000000000"], "TerminateInstances": true}),
    );
    assert_eq!(str_at(&deleted, "/UnsuccessfulFleetDeletions/0/Error/Code"), "fleetIdDoesNotExist");
    let role = "arn:aws:iam::000000000000:role/fleet";
    let spot = |extra: Value| {
        let mut c = json!({"IamFleetRole": role, "TargetCapacity": 1, "LaunchTemplateConfigs": configs});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        json!({"SpotFleetRequestConfig": c})
    };
    assert_eq!(
        refused(&ec2, &ctx, "RequestSpotFleet", spot(json!({"IamFleetRole": ""}))),
        "InvalidSpotFleetRequestConfig"
    );
    assert_eq!(
        refused(&ec2, &ctx, "RequestSpotFleet", spot(json!({"LaunchTemplateConfigs": []}))),
        "InvalidSpotFleetRequestConfig"
    );
    assert_eq!(
        refused(
            &ec2,
            &ctx,
            "DescribeSpotFleetRequests",
            json!({"SpotFleetRequestIds": ["sfr-00000000-0000-4000-a000-000000000000"]})
        ),
        "InvalidSpotFleetRequestId.NotFound"
    );
}

#[test]
fn spot_fleet_lifecycle() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let lt = template(&ec2, &ctx, "t3.micro");
    let config = json!({"IamFleetRole": "arn:aws:iam::000000000000:role/fleet", "TargetCapacity": 2,
        "LaunchTemplateConfigs": [{"LaunchTemplateSpecification": {"LaunchTemplateId": lt, "Version": "$Default"},
            "Overrides": [{"InstanceType": "t3.small", "WeightedCapacity": 2.0}]}],
        "TagSpecifications": [{"ResourceType": "spot-fleet-request", "Tags": [{"Key": "k", "Value": "v"}]}]});
    let id =
        str_at(&call(&ec2, &ctx, "RequestSpotFleet", json!({"SpotFleetRequestConfig": config})), "/SpotFleetRequestId");
    assert!(id.starts_with("sfr-"));
    let r = &call(&ec2, &ctx, "DescribeSpotFleetRequests", json!({"SpotFleetRequestIds": [id]}))
        ["SpotFleetRequestConfigs"][0];
    assert_eq!(
        (str_at(r, "/SpotFleetRequestState"), str_at(r, "/ActivityStatus")),
        ("active".into(), "fulfilled".into())
    );
    assert_eq!(r["SpotFleetRequestConfig"]["FulfilledCapacity"], json!(2.0));
    assert_eq!(str_at(r, "/SpotFleetRequestConfig/AllocationStrategy"), "lowestPrice");
    assert_eq!(r["Tags"], json!([{"Key": "k", "Value": "v"}]));
    let instances =
        call(&ec2, &ctx, "DescribeSpotFleetInstances", json!({"SpotFleetRequestId": id}))["ActiveInstances"].clone();
    assert_eq!(instances.as_array().unwrap().len(), 1, "one instance of weight 2");
    assert!(str_at(&instances, "/0/SpotInstanceRequestId").starts_with("sir-"));
    call(&ec2, &ctx, "ModifySpotFleetRequest", json!({"SpotFleetRequestId": id, "TargetCapacity": 4}));
    let instances =
        call(&ec2, &ctx, "DescribeSpotFleetInstances", json!({"SpotFleetRequestId": id}))["ActiveInstances"].clone();
    assert_eq!(instances.as_array().unwrap().len(), 2);
    let history = call(
        &ec2,
        &ctx,
        "DescribeSpotFleetRequestHistory",
        json!({"SpotFleetRequestId": id,
        "StartTime": 946684800, "EventType": "fleetRequestChange"}),
    );
    let subs: Vec<&str> = history["HistoryRecords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["EventInformation"]["EventSubType"].as_str().unwrap())
        .collect();
    assert_eq!(subs, ["submitted", "active", "modify_in_progress", "modify_successful"]);
    let out = call(
        &ec2,
        &ctx,
        "CancelSpotFleetRequests",
        json!({"SpotFleetRequestIds": [id, "sfr-x"], "TerminateInstances": true}),
    );
    assert_eq!(str_at(&out, "/SuccessfulFleetRequests/0/CurrentSpotFleetRequestState"), "cancelled_terminating");
    assert_eq!(str_at(&out, "/UnsuccessfulFleetRequests/0/Error/Code"), "fleetRequestIdDoesNotExist");
    let r = &call(&ec2, &ctx, "DescribeSpotFleetRequests", json!({}))["SpotFleetRequestConfigs"][0];
    assert_eq!(str_at(r, "/SpotFleetRequestState"), "cancelled");
    let instances =
        call(&ec2, &ctx, "DescribeSpotFleetInstances", json!({"SpotFleetRequestId": id}))["ActiveInstances"].clone();
    assert_eq!(instances, json!([]));
}
