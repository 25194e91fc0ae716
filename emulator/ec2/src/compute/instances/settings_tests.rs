use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{al2023, call, later, launch, network, refused, str_at};
use crate::Ec2;

fn describe(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
    call(ec2, ctx, "DescribeInstances", json!({"InstanceIds": [id]}))["Reservations"][0]["Instances"][0].clone()
}

/// An instance, stopped (the delay of the default service is 0: states settle at once).
fn stopped_instance(ec2: &Ec2, ctx: &RequestContext, extra: Value) -> (String, RequestContext) {
    let image = al2023(ec2, ctx);
    let (id, _) = launch(ec2, ctx, &image, extra);
    let ctx = later(ctx, 60);
    call(ec2, &ctx, "StopInstances", json!({"InstanceIds": [id]}));
    let ctx = later(&ctx, 60);
    assert_eq!(str_at(&describe(ec2, &ctx, &id), "/State/Name"), "stopped");
    (id, ctx)
}

#[test]
fn maintenance_options_change_on_a_running_instance() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let image = al2023(&ec2, &ctx);
    let (id, _) = launch(&ec2, &ctx, &image, json!({"MaintenanceOptions": {"AutoRecovery": "disabled"}}));
    assert_eq!(describe(&ec2, &ctx, &id)["MaintenanceOptions"]["AutoRecovery"], "disabled");
    let out =
        call(&ec2, &ctx, "ModifyInstanceMaintenanceOptions", json!({"InstanceId": id, "AutoRecovery": "default"}));
    assert_eq!((out["AutoRecovery"].clone(), out["RebootMigration"].clone()), (json!("default"), json!("default")));
    assert_eq!(describe(&ec2, &ctx, &id)["MaintenanceOptions"]["AutoRecovery"], "default");
    let bad = json!({"InstanceId": id, "AutoRecovery": "sometimes"});
    assert_eq!(refused(&ec2, &ctx, "ModifyInstanceMaintenanceOptions", bad), "InvalidParameterValue");
    assert_eq!(refused(&ec2, &ctx, "ModifyInstanceMaintenanceOptions", json!({"InstanceId": id})), "MissingParameter");
    let missing = json!({"InstanceId": "i-0123456789abcdef0", "AutoRecovery": "default"});
    assert_eq!(refused(&ec2, &ctx, "ModifyInstanceMaintenanceOptions", missing), "InvalidInstanceID.NotFound");
}

#[test]
fn the_hostname_type_changes_only_while_stopped_and_comes_from_the_subnet() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    call(
        &ec2,
        &ctx,
        "ModifySubnetAttribute",
        json!({"SubnetId": subnet, "PrivateDnsHostnameTypeOnLaunch": "resource-name"}),
    );
    let image = al2023(&ec2, &ctx);
    let (id, _) = launch(&ec2, &ctx, &image, json!({"SubnetId": subnet}));
    assert_eq!(describe(&ec2, &ctx, &id)["PrivateDnsNameOptions"]["HostnameType"], "resource-name");
    let records = json!({"InstanceId": id, "EnableResourceNameDnsARecord": true});
    assert_eq!(call(&ec2, &ctx, "ModifyPrivateDnsNameOptions", records)["Return"], true, "records: in any state");
    let back = json!({"InstanceId": id, "PrivateDnsHostnameType": "ip-name"});
    assert_eq!(refused(&ec2, &ctx, "ModifyPrivateDnsNameOptions", back.clone()), "IncorrectInstanceState");
    let ctx = later(&ctx, 60);
    call(&ec2, &ctx, "StopInstances", json!({"InstanceIds": [id]}));
    let ctx = later(&ctx, 60);
    call(&ec2, &ctx, "ModifyPrivateDnsNameOptions", back);
    let options = describe(&ec2, &ctx, &id)["PrivateDnsNameOptions"].clone();
    assert_eq!(
        options,
        json!({"HostnameType": "ip-name", "EnableResourceNameDnsARecord": true, "EnableResourceNameDnsAAAARecord": false})
    );
}

#[test]
fn a_stopped_instance_moves_into_a_targeted_reservation_and_out_again() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let (id, ctx) = stopped_instance(&ec2, &ctx, json!({}));
    let zone = str_at(&describe(&ec2, &ctx, &id), "/Placement/AvailabilityZone");
    let cr = call(
        &ec2,
        &ctx,
        "CreateCapacityReservation",
        json!({"InstanceType": "t3.micro", "InstancePlatform": "Linux/UNIX", "AvailabilityZone": zone, "InstanceCount": 1}),
    );
    let cr_id = str_at(&cr, "/CapacityReservation/CapacityReservationId");
    let ctx = later(&ctx, 60);
    let target = json!({"InstanceId": id, "CapacityReservationSpecification":
        {"CapacityReservationTarget": {"CapacityReservationId": cr_id}}});
    call(&ec2, &ctx, "ModifyInstanceCapacityReservationAttributes", target.clone());
    let i = describe(&ec2, &ctx, &id);
    assert_eq!(i["CapacityReservationId"], cr_id.as_str());
    assert_eq!(
        i["CapacityReservationSpecification"]["CapacityReservationTarget"]["CapacityReservationId"],
        cr_id.as_str()
    );
    call(&ec2, &ctx, "StartInstances", json!({"InstanceIds": [id]}));
    let ctx = later(&ctx, 60);
    let used = call(&ec2, &ctx, "DescribeCapacityReservations", json!({"CapacityReservationIds": [cr_id]}));
    assert_eq!(used["CapacityReservations"][0]["AvailableInstanceCount"], 0);
    assert_eq!(refused(&ec2, &ctx, "ModifyInstanceCapacityReservationAttributes", target), "IncorrectInstanceState");
    call(&ec2, &ctx, "StopInstances", json!({"InstanceIds": [id]}));
    let ctx = later(&ctx, 60);
    let none = json!({"InstanceId": id, "CapacityReservationSpecification": {"CapacityReservationPreference": "none"}});
    call(&ec2, &ctx, "ModifyInstanceCapacityReservationAttributes", none);
    let i = describe(&ec2, &ctx, &id);
    assert!(i.get("CapacityReservationId").is_none());
    assert_eq!(i["CapacityReservationSpecification"], json!({"CapacityReservationPreference": "none"}));
    let both = json!({"InstanceId": id, "CapacityReservationSpecification": {"CapacityReservationPreference": "open",
        "CapacityReservationTarget": {"CapacityReservationId": cr_id}}});
    assert_eq!(refused(&ec2, &ctx, "ModifyInstanceCapacityReservationAttributes", both), "InvalidParameterCombination");
    let empty = json!({"InstanceId": id, "CapacityReservationSpecification": {}});
    assert_eq!(refused(&ec2, &ctx, "ModifyInstanceCapacityReservationAttributes", empty), "MissingParameter");
}

#[test]
fn cpu_options_follow_the_type_and_need_a_stopped_instance() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let image = al2023(&ec2, &ctx);
    let (running, _) = launch(&ec2, &ctx, &image, json!({"InstanceType": "m5.2xlarge"}));
    let change =
        |id: &str, cores: i64, threads: i64| json!({"InstanceId": id, "CoreCount": cores, "ThreadsPerCore": threads});
    assert_eq!(refused(&ec2, &ctx, "ModifyInstanceCpuOptions", change(&running, 2, 1)), "IncorrectInstanceState");
    let (id, ctx) = stopped_instance(&ec2, &ctx, json!({"InstanceType": "m5.2xlarge"}));
    assert_eq!(describe(&ec2, &ctx, &id)["CpuOptions"], json!({"CoreCount": 4, "ThreadsPerCore": 2}));
    let out = call(&ec2, &ctx, "ModifyInstanceCpuOptions", change(&id, 2, 1));
    assert_eq!((out["CoreCount"].clone(), out["ThreadsPerCore"].clone()), (json!(2), json!(1)));
    assert_eq!(describe(&ec2, &ctx, &id)["CpuOptions"], json!({"CoreCount": 2, "ThreadsPerCore": 1}));
    assert_eq!(refused(&ec2, &ctx, "ModifyInstanceCpuOptions", change(&id, 7, 1)), "InvalidParameterValue");
    assert_eq!(refused(&ec2, &ctx, "ModifyInstanceCpuOptions", change(&id, 2, 3)), "InvalidParameterValue");
}

#[test]
fn reset_instance_attribute_restores_source_dest_check_and_refuses_the_rest() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let image = al2023(&ec2, &ctx);
    let (id, _) = launch(&ec2, &ctx, &image, json!({}));
    call(&ec2, &ctx, "ModifyInstanceAttribute", json!({"InstanceId": id, "SourceDestCheck": {"Value": false}}));
    assert_eq!(describe(&ec2, &ctx, &id)["SourceDestCheck"], false);
    call(&ec2, &ctx, "ResetInstanceAttribute", json!({"InstanceId": id, "Attribute": "sourceDestCheck"}));
    assert_eq!(describe(&ec2, &ctx, &id)["SourceDestCheck"], true);
    let kernel = json!({"InstanceId": id, "Attribute": "kernel"});
    assert_eq!(refused(&ec2, &ctx, "ResetInstanceAttribute", kernel), "IncorrectInstanceState");
    let other = json!({"InstanceId": id, "Attribute": "instanceType"});
    assert_eq!(refused(&ec2, &ctx, "ResetInstanceAttribute", other), "InvalidParameterValue");
    let unknown = json!({"InstanceId": id, "Attribute": "colour"});
    assert_eq!(refused(&ec2, &ctx, "ResetInstanceAttribute", unknown), "InvalidParameterValue");
}

#[test]
fn default_credits_per_family_apply_to_new_burstable_instances() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let get = |family: &str| {
        call(&ec2, &ctx, "GetDefaultCreditSpecification", json!({"InstanceFamily": family}))
            ["InstanceFamilyCreditSpecification"]["CpuCredits"]
            .clone()
    };
    assert_eq!((get("t2"), get("t3")), (json!("standard"), json!("unlimited")));
    let modify = json!({"InstanceFamily": "t3", "CpuCredits": "standard"});
    let out = call(&ec2, &ctx, "ModifyDefaultCreditSpecification", modify);
    assert_eq!(out["InstanceFamilyCreditSpecification"], json!({"InstanceFamily": "t3", "CpuCredits": "standard"}));
    let image = al2023(&ec2, &ctx);
    let (id, _) = launch(&ec2, &ctx, &image, json!({"InstanceType": "t3.micro"}));
    let credits = call(&ec2, &ctx, "DescribeInstanceCreditSpecifications", json!({"InstanceIds": [id]}));
    assert_eq!(credits["InstanceCreditSpecifications"][0]["CpuCredits"], "standard");
    let bad_family = json!({"InstanceFamily": "m5", "CpuCredits": "standard"});
    assert_eq!(refused(&ec2, &ctx, "ModifyDefaultCreditSpecification", bad_family), "InvalidParameterValue");
    let bad_credits = json!({"InstanceFamily": "t3", "CpuCredits": "lots"});
    assert_eq!(refused(&ec2, &ctx, "ModifyDefaultCreditSpecification", bad_credits), "InvalidParameterValue");
}

#[test]
fn vpc_tenancy_goes_to_default_only_and_new_instances_follow_it() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let vpc = call(&ec2, &ctx, "CreateVpc", json!({"CidrBlock": "10.1.0.0/16", "InstanceTenancy": "dedicated"}));
    let vpc = str_at(&vpc, "/Vpc/VpcId");
    let subnet = call(&ec2, &ctx, "CreateSubnet", json!({"VpcId": vpc, "CidrBlock": "10.1.1.0/24"}));
    let subnet = str_at(&subnet, "/Subnet/SubnetId");
    let image = al2023(&ec2, &ctx);
    let (dedicated, _) = launch(&ec2, &ctx, &image, json!({"SubnetId": subnet, "InstanceType": "m5.large"}));
    assert_eq!(describe(&ec2, &ctx, &dedicated)["Placement"]["Tenancy"], "dedicated");
    let to_dedicated = json!({"VpcId": vpc, "InstanceTenancy": "dedicated"});
    assert_eq!(refused(&ec2, &ctx, "ModifyVpcTenancy", to_dedicated), "InvalidParameterValue");
    assert_eq!(
        call(&ec2, &ctx, "ModifyVpcTenancy", json!({"VpcId": vpc, "InstanceTenancy": "default"}))["ReturnValue"],
        true
    );
    let described = call(&ec2, &ctx, "DescribeVpcs", json!({"VpcIds": [vpc]}));
    assert_eq!(described["Vpcs"][0]["InstanceTenancy"], "default");
    let (shared, _) = launch(&ec2, &ctx, &image, json!({"SubnetId": subnet, "InstanceType": "m5.large"}));
    assert_eq!(describe(&ec2, &ctx, &shared)["Placement"]["Tenancy"], "default");
    assert_eq!(describe(&ec2, &ctx, &dedicated)["Placement"]["Tenancy"], "dedicated", "running ones keep theirs");
    let missing = json!({"VpcId": "vpc-0123456789abcdef0", "InstanceTenancy": "default"});
    assert_eq!(refused(&ec2, &ctx, "ModifyVpcTenancy", missing), "InvalidVpcID.NotFound");
}
