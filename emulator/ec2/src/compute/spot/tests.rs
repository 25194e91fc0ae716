use chrono::Duration;
use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{al2023, call, refused, str_at};
use crate::Ec2;

fn request(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
    call(ec2, ctx, "DescribeSpotInstanceRequests", json!({"SpotInstanceRequestIds": [id]}))["SpotInstanceRequests"][0]
        .clone()
}

fn status(r: &Value) -> (String, String) {
    (str_at(r, "/State").to_string(), str_at(r, "/Status/Code").to_string())
}

#[test]
fn one_time_and_persistent_requests_follow_aws_states() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let image = al2023(&ec2, &ctx);
    let spec = json!({"ImageId": image, "InstanceType": "t3.micro"});
    let made = call(&ec2, &ctx, "RequestSpotInstances", json!({"LaunchSpecification": spec}));
    let one = str_at(&made, "/SpotInstanceRequests/0/SpotInstanceRequestId").to_string();
    assert_eq!(str_at(&made, "/SpotInstanceRequests/0/Status/Code"), "pending-evaluation");
    let r = request(&ec2, &ctx, &one);
    assert_eq!(status(&r), ("active".into(), "fulfilled".into()));
    let instance = str_at(&r, "/InstanceId").to_string();
    let described = call(&ec2, &ctx, "DescribeInstances", json!({"InstanceIds": [instance]}));
    assert_eq!(str_at(&described, "/Reservations/0/Instances/0/InstanceLifecycle"), "spot");
    assert_eq!(str_at(&described, "/Reservations/0/Instances/0/SpotInstanceRequestId"), one);
    assert_eq!(refused(&ec2, &ctx, "StopInstances", json!({"InstanceIds": [instance]})), "UnsupportedOperation");
    call(&ec2, &ctx, "TerminateInstances", json!({"InstanceIds": [instance]}));
    assert_eq!(status(&request(&ec2, &ctx, &one)), ("closed".into(), "instance-terminated-by-user".into()));

    let made = call(
        &ec2,
        &ctx,
        "RequestSpotInstances",
        json!({"Type": "persistent", "InstanceInterruptionBehavior": "stop", "LaunchSpecification": spec}),
    );
    let persistent = str_at(&made, "/SpotInstanceRequests/0/SpotInstanceRequestId").to_string();
    let first = str_at(&request(&ec2, &ctx, &persistent), "/InstanceId").to_string();
    call(&ec2, &ctx, "TerminateInstances", json!({"InstanceIds": [first]}));
    let r = request(&ec2, &ctx, &persistent);
    assert_eq!(status(&r).0, "active");
    let second = str_at(&r, "/InstanceId").to_string();
    assert_ne!(first, second, "a persistent request launches a new instance");
    let out = call(&ec2, &ctx, "CancelSpotInstanceRequests", json!({"SpotInstanceRequestIds": [persistent]}));
    assert_eq!(str_at(&out, "/CancelledSpotInstanceRequests/0/State"), "cancelled");
    assert_eq!(
        status(&request(&ec2, &ctx, &persistent)),
        ("cancelled".into(), "request-canceled-and-instance-running".into())
    );
    call(&ec2, &ctx, "TerminateInstances", json!({"InstanceIds": [second]}));
    assert_eq!(str_at(&request(&ec2, &ctx, &persistent), "/InstanceId"), second, "no relaunch once cancelled");
}

#[test]
fn held_requests_refusals_and_prices() {
    let (ec2, mut ctx) = (Ec2::default(), RequestContext::for_tests());
    let image = al2023(&ec2, &ctx);
    let spec = json!({"ImageId": image, "InstanceType": "m5.large"});
    let low = call(&ec2, &ctx, "RequestSpotInstances", json!({"SpotPrice": "0.0001", "LaunchSpecification": spec}));
    let low = str_at(&low, "/SpotInstanceRequests/0/SpotInstanceRequestId").to_string();
    assert_eq!(status(&request(&ec2, &ctx, &low)), ("open".into(), "price-too-low".into()));
    let from = (ctx.now + Duration::hours(2)).timestamp();
    let later = call(&ec2, &ctx, "RequestSpotInstances", json!({"ValidFrom": from, "LaunchSpecification": spec}));
    let later = str_at(&later, "/SpotInstanceRequests/0/SpotInstanceRequestId").to_string();
    assert_eq!(status(&request(&ec2, &ctx, &later)).1, "not-scheduled-yet");
    ctx.now += Duration::hours(3);
    call(&ec2, &ctx, "RequestSpotInstances", json!({"SpotPrice": "0.0001", "LaunchSpecification": spec}));
    assert_eq!(status(&request(&ec2, &ctx, &later)), ("active".into(), "fulfilled".into()), "launched once due");

    let code = |op: &str, input: Value| refused(&ec2, &ctx, op, input);
    assert_eq!(
        code("DescribeSpotInstanceRequests", json!({"SpotInstanceRequestIds": ["sir-12345678"]})),
        "InvalidSpotInstanceRequestID.NotFound"
    );
    assert_eq!(
        code("CancelSpotInstanceRequests", json!({"SpotInstanceRequestIds": ["nope"]})),
        "InvalidSpotInstanceRequestID.Malformed"
    );
    assert_eq!(
        code("RequestSpotInstances", json!({"InstanceInterruptionBehavior": "stop", "LaunchSpecification": spec})),
        "InvalidParameterCombination"
    );
    assert_eq!(
        code("RequestSpotInstances", json!({"InstanceCount": 0, "LaunchSpecification": spec})),
        "InvalidParameterValue"
    );
    let run = json!({"ImageId": image, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1,
        "InstanceMarketOptions": {"MarketType": "spot", "SpotOptions": {"MaxPrice": "0.00001"}}});
    assert_eq!(code("RunInstances", run), "SpotMaxPriceTooLow");

    let history = json!({"InstanceTypes": ["m5.large"], "ProductDescriptions": ["Linux/UNIX"],
        "StartTime": (ctx.now - Duration::days(1)).timestamp()});
    let a = call(&ec2, &ctx, "DescribeSpotPriceHistory", history.clone());
    assert_eq!(a, call(&ec2, &ctx, "DescribeSpotPriceHistory", history), "prices are deterministic");
    let prices = a["SpotPriceHistory"].as_array().unwrap();
    assert!(!prices.is_empty());
    assert!(prices.iter().all(|p| p["InstanceType"] == "m5.large" && p["ProductDescription"] == "Linux/UNIX"));
    let paged = call(&ec2, &ctx, "DescribeSpotPriceHistory", json!({"InstanceTypes": ["m5.large"], "MaxResults": 1}));
    assert_eq!(paged["SpotPriceHistory"].as_array().unwrap().len(), 1);
    assert!(!str_at(&paged, "/NextToken").is_empty());
}
