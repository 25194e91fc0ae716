use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use super::data::{merge_into_run_request, resolve};
use super::describe::{describe_launch_template_versions, describe_launch_templates};
use super::manage::{
    create_launch_template, create_launch_template_version, delete_launch_template, delete_launch_template_versions,
    modify_launch_template,
};
use super::records::response_data;
use crate::generated::dto::{
    CreateLaunchTemplateRequest, CreateLaunchTemplateVersionRequest, DeleteLaunchTemplateRequest,
    DeleteLaunchTemplateVersionsRequest, DescribeLaunchTemplateVersionsRequest, DescribeLaunchTemplatesRequest, Filter,
    LaunchTemplateInstanceMetadataOptionsRequest, LaunchTemplateSpecification, LaunchTemplateTagSpecificationRequest,
    LaunchTemplateVersion, ModifyLaunchTemplateRequest, RequestLaunchTemplateData, RunInstancesRequest, Tag,
    TagSpecification,
};
use crate::state::shared::Shared;
use crate::state::support::testing::setup;
use crate::state::Ec2State;

fn data(image: &str, instance_type: Option<&str>) -> RequestLaunchTemplateData {
    RequestLaunchTemplateData {
        image_id: Some(image.into()),
        instance_type: instance_type.map(str::to_string),
        ..Default::default()
    }
}

fn create(s: &mut Ec2State, ctx: &RequestContext, name: &str, d: RequestLaunchTemplateData) -> String {
    let input = CreateLaunchTemplateRequest {
        launch_template_name: name.into(),
        launch_template_data: d,
        version_description: Some("first".into()),
        ..Default::default()
    };
    create_launch_template(s, ctx, &Shared::default(), input)
        .unwrap()
        .launch_template
        .unwrap()
        .launch_template_id
        .unwrap()
}

fn new_version(
    s: &mut Ec2State,
    ctx: &RequestContext,
    id: &str,
    source: Option<&str>,
    d: RequestLaunchTemplateData,
) -> Result<LaunchTemplateVersion, ApiError> {
    let input = CreateLaunchTemplateVersionRequest {
        launch_template_id: Some(id.into()),
        source_version: source.map(str::to_string),
        launch_template_data: d,
        ..Default::default()
    };
    create_launch_template_version(s, ctx, &Shared::default(), input).map(|o| o.launch_template_version.unwrap())
}

fn versions(s: &Ec2State, ctx: &RequestContext, input: DescribeLaunchTemplateVersionsRequest) -> Vec<i64> {
    describe_launch_template_versions(s, ctx, &Shared::default(), input)
        .unwrap()
        .launch_template_versions
        .unwrap()
        .iter()
        .map(|v| v.version_number.unwrap())
        .collect()
}

#[test]
fn templates_are_named_uniquely_and_tagged() {
    let (mut s, ctx) = setup();
    let input = CreateLaunchTemplateRequest {
        launch_template_name: "web".into(),
        launch_template_data: data("ami-12345678", Some("t3.micro")),
        tag_specifications: Some(vec![TagSpecification {
            resource_type: Some("launch-template".into()),
            tags: Some(vec![Tag { key: Some("env".into()), value: Some("prod".into()) }]),
        }]),
        ..Default::default()
    };
    let lt = create_launch_template(&mut s, &ctx, &Shared::default(), input.clone()).unwrap().launch_template.unwrap();
    assert!(lt.launch_template_id.as_deref().unwrap().starts_with("lt-"));
    assert_eq!((lt.default_version_number, lt.latest_version_number), (Some(1), Some(1)));
    assert_eq!(lt.created_by.as_deref(), Some(ctx.caller.arn.as_str()));
    assert_eq!(lt.tags.unwrap().len(), 1);
    let err = create_launch_template(&mut s, &ctx, &Shared::default(), input.clone()).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.message.as_str()),
        ("InvalidLaunchTemplateName.AlreadyExistsException", "Launch template name already in use.")
    );
    for bad in ["ab", "has space", &"x".repeat(129)] {
        let input = CreateLaunchTemplateRequest { launch_template_name: bad.into(), ..input.clone() };
        let err = create_launch_template(&mut s, &ctx, &Shared::default(), input).unwrap_err();
        assert_eq!(err.code, "InvalidLaunchTemplateName.MalformedException", "{bad}");
    }
    let wrong_type = CreateLaunchTemplateRequest {
        launch_template_name: "other".into(),
        tag_specifications: Some(vec![TagSpecification { resource_type: Some("instance".into()), tags: None }]),
        ..input
    };
    assert_eq!(
        create_launch_template(&mut s, &ctx, &Shared::default(), wrong_type).unwrap_err().code,
        "InvalidParameterValue"
    );

    let by = |name: &str, value: &str| DescribeLaunchTemplatesRequest {
        filters: Some(vec![Filter { name: Some(name.into()), values: Some(vec![value.into()]) }]),
        ..Default::default()
    };
    let found = |r| describe_launch_templates(&s, &ctx, r).unwrap().launch_templates.unwrap().len();
    assert_eq!(found(by("tag:env", "prod")), 1);
    assert_eq!(found(by("launch-template-name", "w*")), 1);
    assert_eq!(found(by("create-time", &Timestamp(ctx.now).iso8601())), 1);
    assert_eq!(found(by("launch-template-name", "nope")), 0);
    let err = describe_launch_templates(
        &s,
        &ctx,
        DescribeLaunchTemplatesRequest { launch_template_names: Some(vec!["nope".into()]), ..Default::default() },
    )
    .unwrap_err();
    assert_eq!(err.code, "InvalidLaunchTemplateName.NotFoundException");
    let err = describe_launch_templates(
        &s,
        &ctx,
        DescribeLaunchTemplatesRequest {
            launch_template_ids: Some(vec!["lt-0123456789abcdef0".into()]),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.message, "The specified launch template, with template ID lt-0123456789abcdef0, does not exist.");
}

#[test]
fn versions_build_on_their_source_and_the_default_moves() {
    let (mut s, ctx) = setup();
    let mut first = data("ami-1", Some("t3.micro"));
    first.security_group_ids = Some(vec!["sg-1".into(), "sg-2".into()]);
    let id = create(&mut s, &ctx, "app", first);
    let v2 = new_version(&mut s, &ctx, &id, None, data("ami-2", None)).unwrap();
    assert_eq!((v2.version_number, v2.default_version), (Some(2), Some(false)));
    assert_eq!(v2.launch_template_data.as_ref().unwrap().instance_type, None, "no source: nothing inherited");
    let mut over = data("ami-3", None);
    over.security_group_ids = Some(vec!["sg-3".into()]);
    let v3 = new_version(&mut s, &ctx, &id, Some("1"), over).unwrap();
    let d = v3.launch_template_data.unwrap();
    assert_eq!(d.image_id.as_deref(), Some("ami-3"));
    assert_eq!(d.instance_type.as_deref(), Some("t3.micro"), "inherited from version 1");
    assert_eq!(d.security_group_ids, Some(vec!["sg-3".to_string()]), "lists are replaced");
    let v4 = new_version(&mut s, &ctx, &id, Some("$Latest"), RequestLaunchTemplateData::default()).unwrap();
    assert_eq!(v4.launch_template_data.unwrap().image_id.as_deref(), Some("ami-3"));
    let err = new_version(&mut s, &ctx, &id, Some("9"), RequestLaunchTemplateData::default()).unwrap_err();
    assert_eq!(err.code, "InvalidLaunchTemplateId.VersionNotFound");

    let modify = |s: &mut Ec2State, v: &str| {
        modify_launch_template(
            s,
            &ctx,
            ModifyLaunchTemplateRequest {
                launch_template_name: Some("app".into()),
                default_version: Some(v.into()),
                ..Default::default()
            },
        )
    };
    assert_eq!(modify(&mut s, "3").unwrap().launch_template.unwrap().default_version_number, Some(3));
    let err = modify(&mut s, "7").unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.message.as_str()),
        (
            "InvalidLaunchTemplateId.VersionNotFound",
            "The launch template version 7 is not found for the specified launch template."
        )
    );
    let both = ModifyLaunchTemplateRequest {
        launch_template_id: Some(id.clone()),
        launch_template_name: Some("app".into()),
        ..Default::default()
    };
    assert_eq!(modify_launch_template(&mut s, &ctx, both).unwrap_err().code, "InvalidParameterCombination");

    let of = |versions: &[&str]| DescribeLaunchTemplateVersionsRequest {
        launch_template_id: Some(id.clone()),
        versions: Some(versions.iter().map(|v| v.to_string()).collect()),
        ..Default::default()
    };
    assert_eq!(versions(&s, &ctx, of(&[])), vec![1, 2, 3, 4]);
    assert_eq!(versions(&s, &ctx, of(&["$Default", "$Latest", "1"])), vec![1, 3, 4]);
    let ranged = DescribeLaunchTemplateVersionsRequest {
        min_version: Some("2".into()),
        max_version: Some("3".into()),
        ..of(&[])
    };
    assert_eq!(versions(&s, &ctx, ranged), vec![2, 3]);
    let default_only = DescribeLaunchTemplateVersionsRequest {
        filters: Some(vec![Filter { name: Some("is-default-version".into()), values: Some(vec!["true".into()]) }]),
        ..of(&[])
    };
    assert_eq!(versions(&s, &ctx, default_only), vec![3]);
    let by_image = DescribeLaunchTemplateVersionsRequest {
        filters: Some(vec![Filter { name: Some("image-id".into()), values: Some(vec!["ami-3".into()]) }]),
        ..of(&[])
    };
    assert_eq!(versions(&s, &ctx, by_image), vec![3, 4]);
    let err = describe_launch_template_versions(&s, &ctx, &Shared::default(), of(&["8"])).unwrap_err();
    assert_eq!(err.message, format!("Could not find the specified version 8 for the launch template with ID {id}."));
    let paged = DescribeLaunchTemplateVersionsRequest { max_results: Some(3), ..of(&[]) };
    let first_page = describe_launch_template_versions(&s, &ctx, &Shared::default(), paged.clone()).unwrap();
    assert_eq!(first_page.launch_template_versions.unwrap().len(), 3);
    let rest = DescribeLaunchTemplateVersionsRequest { next_token: first_page.next_token, ..paged };
    assert_eq!(versions(&s, &ctx, rest), vec![4]);
}

#[test]
fn versions_of_every_template_only_by_alias() {
    let (mut s, ctx) = setup();
    let a = create(&mut s, &ctx, "aaa", data("ami-1", None));
    create(&mut s, &ctx, "bbb", data("ami-1", None));
    new_version(&mut s, &ctx, &a, None, data("ami-2", None)).unwrap();
    let all = |v: &[&str]| DescribeLaunchTemplateVersionsRequest {
        versions: Some(v.iter().map(|v| v.to_string()).collect()),
        ..Default::default()
    };
    assert_eq!(versions(&s, &ctx, all(&["$Latest"])).len(), 2);
    assert_eq!(versions(&s, &ctx, all(&["$Latest", "$Default"])).len(), 3);
    assert_eq!(
        describe_launch_template_versions(&s, &ctx, &Shared::default(), all(&["1"])).unwrap_err().code,
        "InvalidParameterValue"
    );
    assert_eq!(
        describe_launch_template_versions(&s, &ctx, &Shared::default(), all(&[])).unwrap_err().code,
        "MissingParameter"
    );
    let missing =
        DescribeLaunchTemplateVersionsRequest { launch_template_name: Some("zzz".into()), ..Default::default() };
    let err = describe_launch_template_versions(&s, &ctx, &Shared::default(), missing).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.message.as_str()),
        (
            "InvalidLaunchTemplateName.NotFoundException",
            "The specified launch template, with template name zzz, does not exist."
        )
    );
}

#[test]
fn the_default_version_is_not_deleted_with_the_others() {
    let (mut s, ctx) = setup();
    let id = create(&mut s, &ctx, "app", data("ami-1", None));
    new_version(&mut s, &ctx, &id, None, data("ami-2", None)).unwrap();
    let input = DeleteLaunchTemplateVersionsRequest {
        launch_template_name: Some("app".into()),
        versions: vec!["1".into(), "2".into(), "5".into()],
        ..Default::default()
    };
    let out = delete_launch_template_versions(&mut s, &ctx, input).unwrap();
    let ok: Vec<i64> =
        out.successfully_deleted_launch_template_versions.unwrap().iter().map(|v| v.version_number.unwrap()).collect();
    assert_eq!(ok, vec![2]);
    let failed: Vec<(i64, String)> = out
        .unsuccessfully_deleted_launch_template_versions
        .unwrap()
        .iter()
        .map(|f| (f.version_number.unwrap(), f.response_error.clone().unwrap().code.unwrap()))
        .collect();
    assert_eq!(failed, vec![(1, "unexpectedError".into()), (5, "launchTemplateVersionDoesNotExist".into())]);
    let lt = &s.launch_templates[&id].template;
    assert_eq!(lt.latest_version_number, Some(2), "numbers are never reused");

    let gone = DeleteLaunchTemplateVersionsRequest {
        launch_template_id: Some("lt-0123456789abcdef0".into()),
        versions: vec!["1".into()],
        ..Default::default()
    };
    let out = delete_launch_template_versions(&mut s, &ctx, gone).unwrap();
    let f = &out.unsuccessfully_deleted_launch_template_versions.unwrap()[0];
    assert_eq!(f.response_error.clone().unwrap().code.as_deref(), Some("launchTemplateIdDoesNotExist"));

    let del = DeleteLaunchTemplateRequest { launch_template_id: Some(id.clone()), ..Default::default() };
    assert_eq!(
        delete_launch_template(&mut s, &ctx, del.clone()).unwrap().launch_template.unwrap().launch_template_id,
        Some(id.clone())
    );
    assert_eq!(delete_launch_template(&mut s, &ctx, del).unwrap_err().code, "InvalidLaunchTemplateId.NotFound");
    let malformed = DeleteLaunchTemplateRequest { launch_template_id: Some("nope".into()), ..Default::default() };
    assert_eq!(delete_launch_template(&mut s, &ctx, malformed).unwrap_err().code, "InvalidLaunchTemplateId.Malformed");
    let neither = DeleteLaunchTemplateRequest::default();
    let err = delete_launch_template(&mut s, &ctx, neither).unwrap_err();
    assert_eq!(err.message, "The request must contain the parameter launch template ID or launch template name");
    create(&mut s, &ctx, "app", data("ami-1", None));
}

#[test]
fn response_data_keeps_what_was_given() {
    let mut d = data("ami-1", Some("t3.small"));
    d.user_data = Some("IyEvYmluL3NoCg==".into());
    d.security_group_ids = Some(vec!["sg-1".into()]);
    d.metadata_options = Some(LaunchTemplateInstanceMetadataOptionsRequest {
        http_tokens: Some("required".into()),
        ..Default::default()
    });
    d.tag_specifications = Some(vec![LaunchTemplateTagSpecificationRequest {
        resource_type: Some("instance".into()),
        tags: Some(vec![Tag { key: Some("k".into()), value: Some("v".into()) }]),
    }]);
    let r = response_data(&d);
    assert_eq!(r.user_data.as_deref(), Some("IyEvYmluL3NoCg=="));
    assert_eq!(r.security_group_ids, Some(vec!["sg-1".to_string()]));
    assert_eq!(r.metadata_options.unwrap().http_tokens.as_deref(), Some("required"));
    let spec = &r.tag_specifications.unwrap()[0];
    assert_eq!(spec.resource_type.as_deref(), Some("instance"));
    assert_eq!(spec.tags.as_ref().unwrap()[0].key.as_deref(), Some("k"));
}

#[test]
fn resolve_picks_the_version_asked_for() {
    let (mut s, ctx) = setup();
    let id = create(&mut s, &ctx, "app", data("ami-1", None));
    new_version(&mut s, &ctx, &id, None, data("ami-2", None)).unwrap();
    let spec = |name: Option<&str>, id: Option<&str>, version: Option<&str>| LaunchTemplateSpecification {
        launch_template_name: name.map(str::to_string),
        launch_template_id: id.map(str::to_string),
        version: version.map(str::to_string),
    };
    let (got, n, d) = resolve(&s, &spec(Some("app"), None, None)).unwrap();
    assert_eq!((got.as_str(), n, d.image_id.as_deref()), (id.as_str(), 1, Some("ami-1")));
    assert_eq!(resolve(&s, &spec(None, Some(&id), Some("$Latest"))).unwrap().1, 2);
    assert_eq!(resolve(&s, &spec(None, Some(&id), Some("2"))).unwrap().2.image_id.as_deref(), Some("ami-2"));
    let code = |sp| resolve(&s, &sp).unwrap_err().code;
    assert_eq!(code(spec(Some("nope"), None, None)), "InvalidLaunchTemplateName.NotFoundException");
    assert_eq!(code(spec(None, Some("lt-0123456789abcdef0"), None)), "InvalidLaunchTemplateId.NotFound");
    assert_eq!(code(spec(None, Some(&id), Some("3"))), "InvalidLaunchTemplateId.VersionNotFound");
    assert_eq!(code(spec(None, None, None)), "MissingParameter");
}

#[test]
fn run_requests_keep_their_own_values_and_combine_tags() {
    let mut template = data("ami-template", Some("t3.large"));
    template.key_name = Some("ops".into());
    template.security_group_ids = Some(vec!["sg-a".into(), "sg-b".into()]);
    template.ram_disk_id = Some("ari-1".into());
    template.tag_specifications = Some(vec![
        LaunchTemplateTagSpecificationRequest {
            resource_type: Some("instance".into()),
            tags: Some(vec![
                Tag { key: Some("team".into()), value: Some("template".into()) },
                Tag { key: Some("cost".into()), value: Some("42".into()) },
            ]),
        },
        LaunchTemplateTagSpecificationRequest {
            resource_type: Some("volume".into()),
            tags: Some(vec![Tag { key: Some("v".into()), value: Some("1".into()) }]),
        },
    ]);
    let mut run = RunInstancesRequest {
        instance_type: Some("t3.nano".into()),
        security_group_ids: Some(vec!["sg-run".into()]),
        min_count: 1,
        max_count: 2,
        tag_specifications: Some(vec![TagSpecification {
            resource_type: Some("instance".into()),
            tags: Some(vec![Tag { key: Some("team".into()), value: Some("request".into()) }]),
        }]),
        ..Default::default()
    };
    merge_into_run_request(&template, &mut run).unwrap();
    assert_eq!(run.image_id.as_deref(), Some("ami-template"), "taken from the template");
    assert_eq!(run.key_name.as_deref(), Some("ops"));
    assert_eq!(run.ramdisk_id.as_deref(), Some("ari-1"));
    assert_eq!(run.instance_type.as_deref(), Some("t3.nano"), "the request wins");
    assert_eq!(run.security_group_ids, Some(vec!["sg-run".to_string()]), "lists are replaced, not merged");
    assert_eq!((run.min_count, run.max_count), (1, 2));
    let specs = run.tag_specifications.unwrap();
    assert_eq!(specs.len(), 2);
    let instance: Vec<(String, String)> =
        specs[0].tags.iter().flatten().map(|t| (t.key.clone().unwrap(), t.value.clone().unwrap())).collect();
    assert_eq!(instance, vec![("team".into(), "request".into()), ("cost".into(), "42".into())]);
    assert_eq!(specs[1].resource_type.as_deref(), Some("volume"));
}

#[test]
fn run_instances_from_a_template_merges_the_request_over_it() {
    use crate::testing::{call, refused, str_at};
    use serde_json::json;
    let ec2 = crate::Ec2::default();
    let ctx = RequestContext::for_tests();
    let image = crate::catalogue::public_images(&ctx.region)
        .into_iter()
        .find(|i| i.architecture.as_deref() == Some("x86_64"))
        .and_then(|i| i.image_id)
        .unwrap();
    call(&ec2, &ctx, "CreateKeyPair", json!({"KeyName": "ops"}));
    let data = json!({
        "ImageId": image, "InstanceType": "t3.small", "KeyName": "ops",
        "UserData": "ZWNobyBoaQ==", "Monitoring": {"Enabled": true},
        "MetadataOptions": {"HttpTokens": "required"},
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvdb", "Ebs": {"VolumeSize": 20, "VolumeType": "gp3"}}],
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": "web"}, {"Key": "Env", "Value": "t"}]}],
    });
    let made =
        call(&ec2, &ctx, "CreateLaunchTemplate", json!({"LaunchTemplateName": "web", "LaunchTemplateData": data}));
    let id = str_at(&made, "/LaunchTemplate/LaunchTemplateId");
    let run = json!({
        "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro",
        "LaunchTemplate": {"LaunchTemplateName": "web"},
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Env", "Value": "prod"}]}],
    });
    let launched = call(&ec2, &ctx, "RunInstances", run);
    let instance = &launched["Instances"][0];
    assert_eq!(instance["ImageId"], image.as_str());
    assert_eq!(instance["InstanceType"], "t3.micro", "the request wins");
    assert_eq!(instance["KeyName"], "ops");
    assert_eq!(instance["Monitoring"]["State"], "pending", "detailed monitoring is being enabled");
    assert_eq!(instance["MetadataOptions"]["HttpTokens"], "required");
    let tags: std::collections::BTreeMap<String, String> = instance["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["Key"].as_str().unwrap().into(), t["Value"].as_str().unwrap().into()))
        .collect();
    assert_eq!(tags["Env"], "prod");
    assert_eq!(tags["Role"], "web");
    assert_eq!(tags["aws:ec2launchtemplate:id"], id);
    assert_eq!(tags["aws:ec2launchtemplate:version"], "1");
    let devices = instance["BlockDeviceMappings"].as_array().unwrap();
    assert!(devices.iter().any(|d| d["DeviceName"] == "/dev/xvdb"), "{devices:?}");

    // The instance's parameters as template data, good for a new template.
    let instance_id = instance["InstanceId"].as_str().unwrap();
    let got =
        call(&ec2, &ctx, "GetLaunchTemplateData", json!({"InstanceId": instance_id}))["LaunchTemplateData"].clone();
    assert_eq!(got["ImageId"], image.as_str());
    assert_eq!(got["InstanceType"], "t3.micro");
    assert_eq!(got["KeyName"], "ops");
    assert_eq!(got["UserData"], "ZWNobyBoaQ==");
    assert_eq!(got["MetadataOptions"]["HttpTokens"], "required");
    assert_eq!(got["NetworkInterfaces"][0]["DeviceIndex"], 0);
    assert!(got["BlockDeviceMappings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["DeviceName"] == "/dev/xvdb" && d["Ebs"]["VolumeSize"] == 20 && d["Ebs"]["VolumeType"] == "gp3"));
    let tag_keys: Vec<&str> =
        got["TagSpecifications"][0]["Tags"].as_array().unwrap().iter().map(|t| t["Key"].as_str().unwrap()).collect();
    assert_eq!(tag_keys, ["Env", "Role"], "no aws: tags");
    let mut again = got.clone();
    again.as_object_mut().unwrap().remove("NetworkInterfaces");
    call(&ec2, &ctx, "CreateLaunchTemplate", json!({"LaunchTemplateName": "copy", "LaunchTemplateData": again}));
    let unknown = json!({"InstanceId": "i-0123456789abcdef0"});
    assert_eq!(refused(&ec2, &ctx, "GetLaunchTemplateData", unknown), "InvalidInstanceID.NotFound");

    let missing = json!({"MinCount": 1, "MaxCount": 1, "LaunchTemplate": {"LaunchTemplateName": "nope"}});
    assert_eq!(refused(&ec2, &ctx, "RunInstances", missing), "InvalidLaunchTemplateName.NotFoundException");
    let bad_version = json!({"MinCount": 1, "MaxCount": 1, "LaunchTemplate": {"LaunchTemplateId": id, "Version": "7"}});
    assert_eq!(refused(&ec2, &ctx, "RunInstances", bad_version), "InvalidLaunchTemplateId.VersionNotFound");
    let no_key =
        json!({"ImageId": image, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1, "KeyName": "absent"});
    assert_eq!(refused(&ec2, &ctx, "RunInstances", no_key), "InvalidKeyPair.NotFound");
}
