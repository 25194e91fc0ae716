//! nimbus embedded in the test process (`nimbus_server::embedded`), driven by aws-sdk-ec2:
//! the example docs/embedded.md shows. No server to start first: `cargo test --manifest-path
//! conformance-tests/rust-sdk/Cargo.toml --test embedded`.

use std::time::Duration;

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{Filter, InstanceStateName, InstanceType};
use nimbus_server::embedded::Nimbus;

/// An EC2 client for `nimbus`. Without the SDK's default features there is no TLS
/// stack, so the plain-HTTP hyper client is given explicitly.
fn ec2_client(nimbus: &Nimbus) -> aws_sdk_ec2::Client {
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(nimbus.endpoint())
        .region(Region::new(nimbus.region().to_owned()))
        .credentials_provider(Credentials::new(
            nimbus.access_key_id(),
            nimbus.secret_access_key(),
            None,
            None,
            "nimbus",
        ))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_ec2::Client::from_conf(config)
}

async fn al2023_image(ec2: &aws_sdk_ec2::Client) -> String {
    let images = ec2
        .describe_images()
        .owners("amazon")
        .filters(Filter::builder().name("name").values("al2023-ami-2023.*-x86_64").build())
        .send()
        .await
        .expect("DescribeImages");
    images.images()[0].image_id().expect("an image id").to_owned()
}

async fn states(ec2: &aws_sdk_ec2::Client) -> Vec<(String, InstanceStateName)> {
    let out = ec2.describe_instances().send().await.expect("DescribeInstances");
    let mut states: Vec<_> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .map(|i| {
            let state = i.state().and_then(|s| s.name()).cloned().expect("a state");
            (i.instance_id().unwrap_or_default().to_owned(), state)
        })
        .collect();
    states.sort_by(|a, b| a.0.cmp(&b.0));
    states
}

#[tokio::test]
async fn instances_follow_the_clock_and_reset_empties_the_cloud() {
    let nimbus = Nimbus::builder()
        .credentials("AKIAEMBEDDEDTEST0001", "embedded/test/secret", "123456789012")
        .region("eu-west-1")
        .instance_quota(2)
        .transition_secs(30)
        .start()
        .expect("nimbus starts");
    let ec2 = ec2_client(&nimbus);
    let image = al2023_image(&ec2).await;

    let run = ec2
        .run_instances()
        .image_id(&image)
        .instance_type(InstanceType::T3Micro)
        .min_count(2)
        .max_count(2)
        .send()
        .await
        .expect("RunInstances");
    assert_eq!(run.owner_id(), Some("123456789012"));
    assert_eq!(run.instances().len(), 2);
    assert_eq!(nimbus.count("ec2", "instances"), 2);

    // Each lifecycle step takes 30 s on nimbus's clock, which the test moves.
    assert!(states(&ec2).await.iter().all(|(_, s)| *s == InstanceStateName::Pending));
    nimbus.advance_clock(Duration::from_secs(31));
    assert!(states(&ec2).await.iter().all(|(_, s)| *s == InstanceStateName::Running));

    // The builder's quota holds.
    let refused = ec2.run_instances().image_id(&image).min_count(1).max_count(1).send().await.unwrap_err();
    assert_eq!(refused.code(), Some("InstanceLimitExceeded"), "{refused:?}");

    // A terminated instance stays visible for about an hour, then goes.
    let first = run.instances()[0].instance_id().unwrap().to_owned();
    ec2.terminate_instances().instance_ids(&first).send().await.expect("TerminateInstances");
    nimbus.advance_clock(Duration::from_secs(31));
    let after = states(&ec2).await;
    assert!(after.contains(&(first.clone(), InstanceStateName::Terminated)), "{after:?}");
    nimbus.advance_clock(Duration::from_secs(2 * 3600));
    let later = states(&ec2).await;
    assert_eq!(later.len(), 1, "{later:?}");
    assert!(later.iter().all(|(id, _)| *id != first));

    // The state dump is the one GET /_nimbus/state gives.
    let state = nimbus.state();
    assert!(state["ec2"]["123456789012"]["eu-west-1"]["instances"].is_object());

    nimbus.reset();
    assert!(states(&ec2).await.is_empty());
    assert_eq!(nimbus.count("ec2", "instances"), 0);
}

#[tokio::test]
async fn every_nimbus_is_its_own_cloud() {
    let (one, two) = (Nimbus::start().unwrap(), Nimbus::start().unwrap());
    assert_ne!(one.endpoint(), two.endpoint());
    let vpc = ec2_client(&one).create_vpc().cidr_block("10.8.0.0/16").send().await.expect("CreateVpc");
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_owned();
    let missing = ec2_client(&two).describe_vpcs().vpc_ids(&vpc_id).send().await.unwrap_err();
    assert_eq!(missing.code(), Some("InvalidVpcID.NotFound"));
    let listed = ec2_client(&two).describe_vpcs().send().await.expect("DescribeVpcs");
    assert_eq!(listed.vpcs().len(), 1, "only the default VPC");
    assert_eq!((one.count("ec2", "vpcs"), two.count("ec2", "vpcs")), (2, 1));
}
