"""SSM Parameter Store with boto3: parameters and their versions, labels, tags, paths and
filters, AWS's refusals; the public parameters under /aws/service/, which agree with
DescribeImages; and `resolve:ssm:` as an image id in RunInstances and launch templates."""

import botocore.exceptions
import pytest

from conftest import ACCOUNT, client, no_retries, unique

AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


@pytest.fixture
def ssm():
    return client("ssm", config=no_retries())


@pytest.fixture
def prefix():
    return "/" + unique("nimbus")


def error(call):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    return e.value.response["Error"]


def test_put_get_versions_and_overwrite(ssm, prefix):
    name = f"{prefix}/db/url"
    out = ssm.put_parameter(Name=name, Value="one", Type="String", Description="the database")
    assert (out["Version"], out["Tier"]) == (1, "Standard")
    e = error(lambda: ssm.put_parameter(Name=name, Value="two", Type="String"))
    assert e["Code"] == "ParameterAlreadyExists"
    assert ssm.put_parameter(Name=name, Value="two", Overwrite=True)["Version"] == 2
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Value"], p["Version"], p["Type"], p["DataType"]) == ("two", 2, "String", "text")
    assert p["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{name}"
    assert ssm.get_parameter(Name=f"{name}:1")["Parameter"]["Value"] == "one"
    assert ssm.get_parameter(Name=f"{name}:1")["Parameter"]["Selector"] == ":1"
    e = error(lambda: ssm.get_parameter(Name=f"{name}:9"))
    assert e["Code"] == "ParameterVersionNotFound"

    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [h["Value"] for h in history] == ["one", "two"]
    assert history[1]["Description"] == "the database"
    assert history[0]["LastModifiedUser"] == f"arn:aws:iam::{ACCOUNT}:root"

    ssm.delete_parameter(Name=name)
    assert error(lambda: ssm.get_parameter(Name=name))["Code"] == "ParameterNotFound"
    assert error(lambda: ssm.delete_parameter(Name=name))["Code"] == "ParameterNotFound"


def test_secure_string_and_string_list(ssm, prefix):
    ssm.put_parameter(Name=f"{prefix}/pw", Value="hunter2", Type="SecureString")
    enc = ssm.get_parameter(Name=f"{prefix}/pw")["Parameter"]["Value"]
    assert enc != "hunter2"
    assert ssm.get_parameter(Name=f"{prefix}/pw", WithDecryption=True)["Parameter"]["Value"] == "hunter2"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{prefix}/pw"]}])["Parameters"]
    assert meta[0]["KeyId"] == "alias/aws/ssm"
    ssm.put_parameter(Name=f"{prefix}/list", Value="a,b,c", Type="StringList")
    assert ssm.get_parameter(Name=f"{prefix}/list")["Parameter"]["Type"] == "StringList"


def test_get_parameters_and_by_path(ssm, prefix):
    for n in ["a", "b", "c", "deep/d"]:
        ssm.put_parameter(Name=f"{prefix}/{n}", Value=n, Type="String")
    got = ssm.get_parameters(Names=[f"{prefix}/a", f"{prefix}/nope"])
    assert [p["Name"] for p in got["Parameters"]] == [f"{prefix}/a"]
    assert got["InvalidParameters"] == [f"{prefix}/nope"]

    one = ssm.get_parameters_by_path(Path=prefix)["Parameters"]
    assert sorted(p["Name"] for p in one) == [f"{prefix}/{n}" for n in "abc"]
    pages = ssm.get_paginator("get_parameters_by_path").paginate(
        Path=prefix, Recursive=True, PaginationConfig={"PageSize": 2}
    )
    names = [p["Name"] for page in pages for p in page["Parameters"]]
    assert len(names) == 4 and f"{prefix}/deep/d" in names
    e = error(
        lambda: ssm.get_parameters_by_path(Path=prefix, ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    )
    assert e["Code"] == "InvalidFilterKey"


def test_describe_parameters_filters_and_paging(ssm, prefix):
    for n in ["x1", "x2", "y/z"]:
        ssm.put_parameter(Name=f"{prefix}/{n}", Value=n, Type="String", Tags=[{"Key": "team", "Value": n[0]}])
    paths = ssm.get_paginator("describe_parameters").paginate(
        ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [prefix]}],
        PaginationConfig={"PageSize": 1},
    )
    assert sorted(p["Name"] for page in paths for p in page["Parameters"]) == [
        f"{prefix}/x1",
        f"{prefix}/x2",
        f"{prefix}/y/z",
    ]
    tagged = ssm.describe_parameters(
        ParameterFilters=[
            {"Key": "Path", "Option": "Recursive", "Values": [prefix]},
            {"Key": "tag:team", "Values": ["y"]},
        ]
    )["Parameters"]
    assert [p["Name"] for p in tagged] == [f"{prefix}/y/z"]
    e = error(lambda: ssm.describe_parameters(ParameterFilters=[{"Key": "Path", "Option": "Equals", "Values": ["/a"]}]))
    assert e["Code"] == "InvalidFilterOption"


def test_labels_and_tags(ssm, prefix):
    name = f"{prefix}/app"
    ssm.put_parameter(Name=name, Value="v1", Type="String", Tags=[{"Key": "env", "Value": "dev"}])
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)
    out = ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["stable", "9bad"])
    assert (out["ParameterVersion"], out["InvalidLabels"]) == (1, ["9bad"])
    assert ssm.get_parameter(Name=f"{name}:stable")["Parameter"]["Value"] == "v1"
    ssm.label_parameter_version(Name=name, Labels=["stable"])
    assert ssm.get_parameter(Name=f"{name}:stable")["Parameter"]["Value"] == "v2"
    out = ssm.unlabel_parameter_version(Name=name, ParameterVersion=2, Labels=["stable", "other"])
    assert (out["RemovedLabels"], out["InvalidLabels"]) == (["stable"], ["other"])

    tags = lambda: ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert tags() == [{"Key": "env", "Value": "dev"}]
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "team", "Value": "a"}])
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["env"])
    assert tags() == [{"Key": "team", "Value": "a"}]
    e = error(lambda: ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=f"{prefix}/none"))
    assert e["Code"] == "InvalidResourceId"


def test_refusals(ssm, prefix):
    e = error(lambda: ssm.put_parameter(Name=f"{prefix}/t", Value="v", Type="String", Overwrite=True, Tags=[{"Key": "k", "Value": "v"}]))
    assert e["Code"] == "ValidationException"
    assert "tags and overwrite can't be used together" in e["Message"]
    e = error(lambda: ssm.put_parameter(Name="no/leading/slash", Value="v", Type="String"))
    assert e["Code"] == "ValidationException"
    e = error(lambda: ssm.put_parameter(Name="/ssm/mine", Value="v", Type="String"))
    assert e["Code"] == "ValidationException"
    e = error(lambda: ssm.put_parameter(Name=AL2023, Value="ami-12345678", Type="String", Overwrite=True))
    assert e["Code"] == "AccessDeniedException"
    e = error(lambda: ssm.put_parameter(Name=prefix + "/l" * 15, Value="v", Type="String"))
    assert e["Code"] == "HierarchyLevelLimitExceededException"
    e = error(lambda: ssm.put_parameter(Name=f"{prefix}/n", Value="12a", Type="String", AllowedPattern=r"^\d+$"))
    assert e["Code"] == "ParameterPatternMismatchException"
    e = error(lambda: ssm.put_parameter(Name=f"{prefix}/i", Value="nope", Type="String", DataType="aws:ec2:image"))
    assert e["Code"] == "ValidationException"
    e = error(lambda: ssm.put_parameter(Name=f"{prefix}/big", Value="x" * 5000, Type="String"))
    assert e["Code"] == "ValidationException"
    e = error(lambda: ssm.get_parameters(Names=[f"/n{i}" for i in range(11)]))
    assert e["Code"] == "ValidationException"
    assert "Member must have length less than or equal to 10" in e["Message"]
    advanced = ssm.put_parameter(Name=f"{prefix}/big", Value="x" * 5000, Type="String", Tier="Intelligent-Tiering")
    assert advanced["Tier"] == "Advanced"


def test_parameters_are_per_region_and_account(ssm, prefix):
    ssm.put_parameter(Name=f"{prefix}/here", Value="v", Type="String")
    other = client("ssm", region="eu-west-1", config=no_retries())
    assert error(lambda: other.get_parameter(Name=f"{prefix}/here"))["Code"] == "ParameterNotFound"


def test_public_amazon_linux_parameters_match_describe_images(ssm):
    p = ssm.get_parameter(Name=AL2023)["Parameter"]
    assert p["ARN"] == f"arn:aws:ssm:us-east-1::parameter{AL2023}"
    image = client("ec2").describe_images(ImageIds=[p["Value"]])["Images"][0]
    assert image["Name"].startswith("al2023-ami-2023.") and image["Name"].endswith("-kernel-6.1-x86_64")
    newest = max(
        client("ec2").describe_images(
            Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-kernel-6.1-x86_64"]}]
        )["Images"],
        key=lambda i: i["CreationDate"],
    )
    assert newest["ImageId"] == p["Value"]
    eu = client("ssm", region="eu-west-1").get_parameter(Name=AL2023)["Parameter"]["Value"]
    assert eu != p["Value"]

    family = ssm.get_parameters_by_path(Path="/aws/service/ami-amazon-linux-latest")
    names = [x["Name"].rsplit("/", 1)[1] for x in family["Parameters"]]
    assert "al2023-ami-kernel-default-arm64" in names
    history = ssm.get_parameter_history(Name=AL2023)["Parameters"]
    assert history[-1]["Value"] == p["Value"] and len(history) > 1
    assert ssm.get_parameter(Name=f"{AL2023}:1")["Parameter"]["Value"] == history[0]["Value"]


def test_public_ubuntu_and_debian_parameters(ssm):
    for name in [
        "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
        "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
        "/aws/service/debian/release/12/latest/amd64",
    ]:
        value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
        assert client("ec2").describe_images(ImageIds=[value])["Images"][0]["State"] == "available"
    got = ssm.get_parameters(Names=[AL2023, "/aws/service/nothing/here"])
    assert got["InvalidParameters"] == ["/aws/service/nothing/here"]


def test_run_instances_resolves_ssm_parameters(ssm, prefix):
    ec2 = client("ec2", config=no_retries())
    public = ssm.get_parameter(Name=AL2023)["Parameter"]["Value"]
    run = ec2.run_instances(ImageId=f"resolve:ssm:{AL2023}", InstanceType="t3.micro", MinCount=1, MaxCount=1)
    instance = run["Instances"][0]
    assert instance["ImageId"] == public

    golden = f"{prefix}/golden"
    ssm.put_parameter(Name=golden, Value=public, Type="String", DataType="aws:ec2:image")
    other = ec2.describe_images(
        Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-kernel-6.1-x86_64"]}]
    )["Images"]
    older = next(i["ImageId"] for i in other if i["ImageId"] != public)
    ssm.put_parameter(Name=golden, Value=older, Overwrite=True)
    again = ec2.run_instances(ImageId=f"resolve:ssm:{golden}:1", InstanceType="t3.micro", MinCount=1, MaxCount=1)
    assert again["Instances"][0]["ImageId"] == public
    latest = ec2.run_instances(ImageId=f"resolve:ssm:{golden}", InstanceType="t3.micro", MinCount=1, MaxCount=1)
    assert latest["Instances"][0]["ImageId"] == older

    ssm.put_parameter(Name=f"{prefix}/text", Value=public, Type="String")
    e = error(lambda: ec2.run_instances(ImageId=f"resolve:ssm:{prefix}/text", InstanceType="t3.micro", MinCount=1, MaxCount=1))
    assert e["Code"] == "SsmInvalidParameter"
    assert e["Message"].startswith("Unsupported data type")
    e = error(lambda: ec2.run_instances(ImageId=f"resolve:ssm:{prefix}/none", InstanceType="t3.micro", MinCount=1, MaxCount=1))
    assert (e["Code"], e["Message"]) == ("SsmInvalidParameter", f"The following aliases are invalid: {prefix}/none")
    ids = [r["Instances"][0]["InstanceId"] for r in (run, again, latest)]
    ec2.terminate_instances(InstanceIds=ids)


def test_launch_templates_keep_the_alias_and_launches_resolve_it(ssm, prefix):
    ec2 = client("ec2", config=no_retries())
    public = ssm.get_parameter(Name=AL2023)["Parameter"]["Value"]
    name = unique("lt-ssm")
    alias = f"resolve:ssm:{AL2023}"
    lt = ec2.create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": alias, "InstanceType": "t3.micro"}
    )["LaunchTemplate"]
    versions = ec2.describe_launch_template_versions(LaunchTemplateId=lt["LaunchTemplateId"])
    assert versions["LaunchTemplateVersions"][0]["LaunchTemplateData"]["ImageId"] == alias
    resolved = ec2.describe_launch_template_versions(LaunchTemplateId=lt["LaunchTemplateId"], ResolveAlias=True)
    assert resolved["LaunchTemplateVersions"][0]["LaunchTemplateData"]["ImageId"] == public
    run = ec2.run_instances(LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"]}, MinCount=1, MaxCount=1)
    assert run["Instances"][0]["ImageId"] == public
    e = error(
        lambda: ec2.create_launch_template_version(
            LaunchTemplateId=lt["LaunchTemplateId"], LaunchTemplateData={"ImageId": f"resolve:ssm:{prefix}/none"}
        )
    )
    assert e["Code"] == "SsmInvalidParameter"
    ec2.terminate_instances(InstanceIds=[run["Instances"][0]["InstanceId"]])
    ec2.delete_launch_template(LaunchTemplateId=lt["LaunchTemplateId"])
