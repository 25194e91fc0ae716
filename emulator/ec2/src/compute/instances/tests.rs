use chrono::Duration;
use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{call, network, refused, str_at};
use crate::{catalogue, Ec2};

fn ids(answer: &Value) -> Vec<String> {
    let mut out: Vec<String> = answer["Reservations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["Instances"].as_array().unwrap().iter().map(|i| i["InstanceId"].as_str().unwrap().to_string()))
        .collect();
    out.sort();
    out
}

/// The filters applied to stored records before describing agree with the full
/// description, terminated instances included (they have left their subnet).
#[test]
fn filters_on_stored_records_agree_with_the_description() {
    let ec2 = Ec2::default();
    let mut ctx = RequestContext::for_tests();
    let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let image = catalogue::public_images(&ctx.region)
        .into_iter()
        .find(|i| i.architecture.as_deref() == Some("x86_64"))
        .and_then(|i| i.image_id)
        .unwrap();
    let run = |role: &str, n: i64| {
        let input = json!({"ImageId": image, "InstanceType": "t3.micro", "MinCount": n, "MaxCount": n,
            "SubnetId": subnet,
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": role}]}]});
        ids(&json!({"Reservations": [call(&ec2, &ctx, "RunInstances", input)]}))
    };
    let web = run("web", 3);
    let db = run("db", 2);
    call(&ec2, &ctx, "TerminateInstances", json!({"InstanceIds": [db[0]]}));
    ctx.now += Duration::minutes(5);
    let first = call(&ec2, &ctx, "DescribeInstances", json!({"InstanceIds": [web[0]]}));
    let ip = str_at(&first, "/Reservations/0/Instances/0/PrivateIpAddress");
    let terminated = call(&ec2, &ctx, "DescribeInstances", json!({"InstanceIds": [db[0]]}));
    assert_eq!(str_at(&terminated, "/Reservations/0/Instances/0/State/Name"), "terminated");

    let filter = |filters: Value| ids(&call(&ec2, &ctx, "DescribeInstances", json!({"Filters": filters})));
    assert_eq!(filter(json!([{"Name": "tag:Role", "Values": ["web"]}])), web);
    assert_eq!(filter(json!([{"Name": "tag:Role", "Values": ["db"]}])), db);
    assert_eq!(filter(json!([{"Name": "tag-value", "Values": ["d?"]}])), db);
    assert_eq!(filter(json!([{"Name": "subnet-id", "Values": [subnet]}])).len(), 4, "not the terminated one");
    assert_eq!(filter(json!([{"Name": "vpc-id", "Values": [vpc]}])).len(), 4);
    assert_eq!(filter(json!([{"Name": "private-ip-address", "Values": [ip]}])), vec![web[0].clone()]);
    assert_eq!(filter(json!([{"Name": "instance-state-name", "Values": ["terminated"]}])), vec![db[0].clone()]);
    assert_eq!(filter(json!([{"Name": "instance-state-code", "Values": ["16"]}])).len(), 4);
    let both = json!([{"Name": "instance-state-name", "Values": ["running"]}, {"Name": "tag:Role", "Values": ["db"]}]);
    assert_eq!(filter(both), vec![db[1].clone()]);
    assert_eq!(filter(json!([{"Name": "instance-type", "Values": ["t3.*"]}])).len(), 5);
    let unknown = json!({"Filters": [{"Name": "nope", "Values": ["x"]}]});
    assert_eq!(refused(&ec2, &ctx, "DescribeInstances", unknown), "InvalidParameterValue");
}
