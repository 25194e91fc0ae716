"""Key pairs and launch templates with boto3. Created keys are real: OpenSSH's
ssh-keygen loads the private key nimbus hands out and derives the public key nimbus
keeps, and OpenSSL computes the same fingerprints as AWS's documentation does. Launch
templates go through their versions, defaults and AWS's errors."""

import base64
import os
import re
import shutil
import subprocess

import botocore.exceptions
import pytest

from conftest import client, unique


@pytest.fixture
def ec2():
    return client("ec2")


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def run(*args, stdin=None):
    out = subprocess.run(args, input=stdin, capture_output=True, check=True)
    return out.stdout


def private_file(tmp_path, name, material):
    """The key material written as a user would: exactly as received."""
    path = tmp_path / name
    path.write_text(material)
    os.chmod(path, 0o600)
    return path


def openssl_digest(algorithm, data):
    """`openssl <algorithm> -c` of some bytes, as AWS's documentation computes fingerprints."""
    out = run("openssl", algorithm, "-c", stdin=data).decode()
    return out.strip().split("= ")[-1]


def public_key(ec2, name):
    return ec2.describe_key_pairs(KeyNames=[name], IncludePublicKey=True)["KeyPairs"][0]["PublicKey"]


def keygen(tmp_path, kind, bits=None):
    """A key pair made locally with ssh-keygen: (private key path, public key line)."""
    path = tmp_path / unique(kind)
    args = ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "made@locally", "-f", str(path)]
    if bits:
        args += ["-b", str(bits)]
    run(*args)
    return path, (tmp_path / (path.name + ".pub")).read_text()


# --- Key pairs -----------------------------------------------------------------------


def test_created_rsa_key_is_real_and_fingerprinted_as_aws_documents(ec2, tmp_path):
    name = unique("rsa")
    out = ec2.create_key_pair(
        KeyName=name, TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "team", "Value": "ops"}]}]
    )
    assert re.fullmatch(r"key-[0-9a-f]{17}", out["KeyPairId"])
    assert out["KeyName"] == name
    assert out["Tags"] == [{"Key": "team", "Value": "ops"}]
    material = out["KeyMaterial"]
    assert material.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert material.endswith("-----END RSA PRIVATE KEY-----")
    key = private_file(tmp_path, "rsa.pem", material)

    derived = run("ssh-keygen", "-y", "-f", str(key)).decode().split()
    stored = public_key(ec2, name).split()
    assert derived[:2] == stored[:2]
    assert stored[0] == "ssh-rsa"
    assert run("ssh-keygen", "-l", "-f", str(key)).decode().startswith("2048 ")

    pkcs8 = run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", str(key), "-outform", "DER")
    assert out["KeyFingerprint"] == openssl_digest("sha1", pkcs8)

    info = ec2.describe_key_pairs(KeyNames=[name])["KeyPairs"][0]
    assert info["KeyPairId"] == out["KeyPairId"]
    assert info["KeyType"] == "rsa"
    assert info["KeyFingerprint"] == out["KeyFingerprint"]
    assert "PublicKey" not in info
    assert info["CreateTime"].year >= 2024
    assert info["Tags"] == [{"Key": "team", "Value": "ops"}]


def test_created_ed25519_key_is_real_and_fingerprinted_as_aws_documents(ec2, tmp_path):
    name = unique("ed")
    out = ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    assert out["KeyMaterial"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    key = private_file(tmp_path, "ed", out["KeyMaterial"])
    derived = run("ssh-keygen", "-y", "-f", str(key)).decode().split()
    assert derived[:2] == public_key(ec2, name).split()[:2]
    assert derived[0] == "ssh-ed25519"
    # ssh-keygen prints SHA256:<base64 without padding>; AWS pads it and drops the prefix.
    local = run("ssh-keygen", "-l", "-E", "sha256", "-f", str(key)).decode().split()[1]
    assert local.startswith("SHA256:")
    assert out["KeyFingerprint"] == local[len("SHA256:") :] + "="
    assert ec2.describe_key_pairs(KeyNames=[name])["KeyPairs"][0]["KeyType"] == "ed25519"


@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_ppk_key_is_a_putty_private_key_file(ec2, tmp_path, key_type):
    name = unique("ppk")
    out = ec2.create_key_pair(KeyName=name, KeyType=key_type, KeyFormat="ppk")
    material = out["KeyMaterial"]
    assert material.startswith(f"PuTTY-User-Key-File-3: ssh-{key_type}\nEncryption: none\n")
    assert "\nPrivate-MAC: " in material
    if shutil.which("puttygen") is None:
        pytest.skip("puttygen (putty-tools) is not installed")
    path = tmp_path / "key.ppk"
    path.write_text(material)
    # puttygen checks the MAC when it loads the file.
    derived = run("puttygen", str(path), "-O", "public-openssh", "-o", "/dev/stdout").decode().split()
    assert derived[:2] == public_key(ec2, name).split()[:2]
    openssh = tmp_path / "converted"
    run("puttygen", str(path), "-O", "private-openssh", "-o", str(openssh))
    assert run("ssh-keygen", "-y", "-f", str(openssh)).decode().split()[:2] == derived[:2]


def test_imported_keys_in_every_accepted_form(ec2, tmp_path):
    rsa_key, rsa_line = keygen(tmp_path, "rsa", 2048)
    spki_pem = run("ssh-keygen", "-e", "-m", "PKCS8", "-f", str(rsa_key) + ".pub")
    rfc4716 = run("ssh-keygen", "-e", "-f", str(rsa_key) + ".pub")
    spki_der = run("openssl", "pkey", "-pubin", "-outform", "DER", stdin=spki_pem)
    # AWS: imported RSA keys are fingerprinted by the MD5 of the DER public key.
    expected = openssl_digest("md5", spki_der)
    for material in [rsa_line.encode(), rfc4716, spki_pem, spki_der]:
        name = unique("imp")
        out = ec2.import_key_pair(KeyName=name, PublicKeyMaterial=material)
        assert out["KeyFingerprint"] == expected, material[:40]
        assert re.fullmatch(r"key-[0-9a-f]{17}", out["KeyPairId"])
        info = ec2.describe_key_pairs(KeyNames=[name], IncludePublicKey=True)["KeyPairs"][0]
        assert info["KeyType"] == "rsa"
        assert info["PublicKey"].split()[:2] == rsa_line.split()[:2]

    ed_key, ed_line = keygen(tmp_path, "ed25519")
    name = unique("imp-ed")
    out = ec2.import_key_pair(
        KeyName=name,
        PublicKeyMaterial=ed_line.encode(),
        TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "k", "Value": "v"}]}],
    )
    local = run("ssh-keygen", "-l", "-f", str(ed_key) + ".pub").decode().split()[1]
    assert out["KeyFingerprint"] == local[len("SHA256:") :] + "="
    assert out["Tags"] == [{"Key": "k", "Value": "v"}]
    assert ec2.describe_key_pairs(KeyNames=[name])["KeyPairs"][0]["KeyType"] == "ed25519"


def test_duplicate_names_and_bad_material_are_refused(ec2, tmp_path):
    name = unique("dup")
    ec2.create_key_pair(KeyName=name)
    assert error(ec2.create_key_pair, KeyName=name) == (
        "InvalidKeyPair.Duplicate",
        f"The keypair '{name}' already exists.",
    )
    _, line = keygen(tmp_path, "ed25519")
    assert error(ec2.import_key_pair, KeyName=name, PublicKeyMaterial=line.encode())[0] == "InvalidKeyPair.Duplicate"

    _, ecdsa = keygen(tmp_path, "ecdsa")
    _, rsa3072 = keygen(tmp_path, "rsa", 3072)
    bad = [b"garbage", b"ssh-rsa AAAA", ecdsa.encode(), rsa3072.encode(), line.replace("ssh-ed25519", "ssh-rsa").encode()]
    for material in bad:
        code, message = error(ec2.import_key_pair, KeyName=unique("bad"), PublicKeyMaterial=material)
        assert (code, message) == ("InvalidKey.Format", "Key is not in valid OpenSSH public key format"), material
    assert error(ec2.create_key_pair, KeyName="k" * 256)[0] == "InvalidParameterValue"
    assert error(ec2.create_key_pair, KeyName=unique("dry"), DryRun=True)[0] == "DryRunOperation"


def test_describe_filters_waiter_and_delete(ec2):
    ed = unique("flt-ed")
    rsa = unique("flt-rsa")
    ed_out = ec2.create_key_pair(
        KeyName=ed,
        KeyType="ed25519",
        TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "role", "Value": "bastion"}]}],
    )
    rsa_out = ec2.create_key_pair(KeyName=rsa)
    ec2.get_waiter("key_pair_exists").wait(KeyNames=[ed, rsa], WaiterConfig={"Delay": 1, "MaxAttempts": 3})

    def names(*filters):
        found = ec2.describe_key_pairs(Filters=[{"Name": n, "Values": [v]} for n, v in filters])["KeyPairs"]
        return sorted(k["KeyName"] for k in found if k["KeyName"] in (ed, rsa))

    assert names(("key-name", ed)) == [ed]
    assert names(("key-type", "ed25519")) == [ed]
    assert names(("fingerprint", rsa_out["KeyFingerprint"])) == [rsa]
    assert names(("key-pair-id", ed_out["KeyPairId"])) == [ed]
    assert names(("tag:role", "bastion")) == [ed]
    assert names(("tag-key", "role")) == [ed]
    assert names(("key-name", "flt-*")) == sorted([ed, rsa])
    assert error(ec2.describe_key_pairs, Filters=[{"Name": "owner-id", "Values": ["x"]}])[0] == "InvalidParameterValue"
    by_id = ec2.describe_key_pairs(KeyPairIds=[rsa_out["KeyPairId"]])["KeyPairs"]
    assert [k["KeyName"] for k in by_id] == [rsa]

    missing = unique("missing")
    assert error(ec2.describe_key_pairs, KeyNames=[ed, missing]) == (
        "InvalidKeyPair.NotFound",
        f"The key pair '{missing}' does not exist",
    )

    out = ec2.delete_key_pair(KeyName=ed)
    assert out["Return"] is True
    assert out["KeyPairId"] == ed_out["KeyPairId"]
    ec2.delete_key_pair(KeyPairId=rsa_out["KeyPairId"])
    assert error(ec2.describe_key_pairs, KeyNames=[rsa])[0] == "InvalidKeyPair.NotFound"
    # Deleting what is not there succeeds, as at AWS.
    assert ec2.delete_key_pair(KeyName=ed)["Return"] is True
    # The name can be used again.
    ec2.create_key_pair(KeyName=ed, KeyType="ed25519")


# --- Launch templates ----------------------------------------------------------------

USER_DATA = base64.b64encode(b"#!/bin/sh\necho hello\n").decode()


def template_data(**extra):
    data = {
        "ImageId": "ami-0123456789abcdef0",
        "InstanceType": "t3.micro",
        "SecurityGroupIds": ["sg-0123456789abcdef0"],
        "UserData": USER_DATA,
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "web"}]}],
    }
    data.update(extra)
    return data


def test_launch_template_versions_and_defaults(ec2):
    name = unique("lt")
    out = ec2.create_launch_template(
        LaunchTemplateName=name,
        VersionDescription="first",
        LaunchTemplateData=template_data(),
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "env", "Value": "test"}]}],
    )["LaunchTemplate"]
    lt_id = out["LaunchTemplateId"]
    assert re.fullmatch(r"lt-[0-9a-f]{17}", lt_id)
    assert (out["LaunchTemplateName"], out["DefaultVersionNumber"], out["LatestVersionNumber"]) == (name, 1, 1)
    assert out["CreatedBy"] == "arn:aws:iam::000000000000:root"
    assert out["Tags"] == [{"Key": "env", "Value": "test"}]

    v1 = ec2.describe_launch_template_versions(LaunchTemplateId=lt_id)["LaunchTemplateVersions"]
    assert len(v1) == 1
    assert v1[0]["LaunchTemplateData"] == template_data()
    assert (v1[0]["VersionNumber"], v1[0]["DefaultVersion"], v1[0]["VersionDescription"]) == (1, True, "first")

    v2 = ec2.create_launch_template_version(
        LaunchTemplateName=name, SourceVersion="1", LaunchTemplateData={"InstanceType": "t3.large"}
    )["LaunchTemplateVersion"]
    assert (v2["VersionNumber"], v2["DefaultVersion"]) == (2, False)
    assert v2["LaunchTemplateData"] == template_data(InstanceType="t3.large")
    v3 = ec2.create_launch_template_version(
        LaunchTemplateId=lt_id, VersionDescription="bare", LaunchTemplateData={"ImageId": "ami-0fedcba9876543210"}
    )["LaunchTemplateVersion"]
    assert v3["LaunchTemplateData"] == {"ImageId": "ami-0fedcba9876543210"}

    modified = ec2.modify_launch_template(LaunchTemplateId=lt_id, DefaultVersion="2")["LaunchTemplate"]
    assert (modified["DefaultVersionNumber"], modified["LatestVersionNumber"]) == (2, 3)

    def numbers(**kw):
        versions = ec2.describe_launch_template_versions(LaunchTemplateId=lt_id, **kw)["LaunchTemplateVersions"]
        return [v["VersionNumber"] for v in versions]

    assert numbers(Versions=["$Default"]) == [2]
    assert numbers(Versions=["$Latest", "1"]) == [1, 3]
    assert numbers(MinVersion="2") == [2, 3]
    assert numbers(MaxVersion="2") == [1, 2]
    assert numbers(Filters=[{"Name": "instance-type", "Values": ["t3.large"]}]) == [2]
    assert numbers(Filters=[{"Name": "is-default-version", "Values": ["true"]}]) == [2]
    every = ec2.describe_launch_template_versions(Versions=["$Latest"])["LaunchTemplateVersions"]
    assert any(v["LaunchTemplateId"] == lt_id and v["VersionNumber"] == 3 for v in every)

    deleted = ec2.delete_launch_template_versions(LaunchTemplateId=lt_id, Versions=["1", "2", "9"])
    assert [v["VersionNumber"] for v in deleted["SuccessfullyDeletedLaunchTemplateVersions"]] == [1]
    failed = {v["VersionNumber"]: v["ResponseError"]["Code"] for v in deleted["UnsuccessfullyDeletedLaunchTemplateVersions"]}
    assert failed == {2: "unexpectedError", 9: "launchTemplateVersionDoesNotExist"}
    assert numbers() == [2, 3]

    gone = ec2.delete_launch_template(LaunchTemplateName=name)["LaunchTemplate"]
    assert gone["LaunchTemplateId"] == lt_id
    assert error(ec2.describe_launch_templates, LaunchTemplateIds=[lt_id]) == (
        "InvalidLaunchTemplateId.NotFound",
        f"The specified launch template, with template ID {lt_id}, does not exist.",
    )
    # The name is free again.
    ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": "ami-0123456789abcdef0"})


def test_launch_template_errors(ec2):
    name = unique("lt-err")
    lt_id = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=template_data())["LaunchTemplate"][
        "LaunchTemplateId"
    ]
    assert error(ec2.create_launch_template, LaunchTemplateName=name, LaunchTemplateData=template_data()) == (
        "InvalidLaunchTemplateName.AlreadyExistsException",
        "Launch template name already in use.",
    )
    assert (
        error(ec2.create_launch_template, LaunchTemplateName="no spaces allowed", LaunchTemplateData=template_data())[0]
        == "InvalidLaunchTemplateName.MalformedException"
    )
    # An empty LaunchTemplateData is not sent at all on EC2's query protocol.
    assert error(ec2.create_launch_template, LaunchTemplateName=unique("lt"), LaunchTemplateData={})[0] == "MissingParameter"
    missing = unique("missing")
    assert error(ec2.describe_launch_templates, LaunchTemplateNames=[missing]) == (
        "InvalidLaunchTemplateName.NotFoundException",
        "At least one of the launch templates specified in the request does not exist.",
    )
    assert error(ec2.describe_launch_template_versions, LaunchTemplateName=missing) == (
        "InvalidLaunchTemplateName.NotFoundException",
        f"The specified launch template, with template name {missing}, does not exist.",
    )
    assert error(ec2.describe_launch_template_versions, LaunchTemplateName=name, Versions=["3"]) == (
        "InvalidLaunchTemplateId.VersionNotFound",
        f"Could not find the specified version 3 for the launch template with ID {lt_id}.",
    )
    assert error(ec2.modify_launch_template, LaunchTemplateName=name, DefaultVersion="2") == (
        "InvalidLaunchTemplateId.VersionNotFound",
        "The launch template version 2 is not found for the specified launch template.",
    )
    assert error(ec2.modify_launch_template, LaunchTemplateId=lt_id, LaunchTemplateName=name, DefaultVersion="1") == (
        "InvalidParameterCombination",
        "Either provide launch template ID or launch template name to modify the template.",
    )
    assert error(ec2.delete_launch_template) == (
        "MissingParameter",
        "The request must contain the parameter launch template ID or launch template name",
    )
    assert error(ec2.describe_launch_template_versions, Versions=["1"])[0] == "InvalidParameterValue"
    assert (
        error(
            ec2.create_launch_template_version,
            LaunchTemplateId=lt_id,
            SourceVersion="5",
            LaunchTemplateData={"ImageId": "ami-0123456789abcdef0"},
        )[0]
        == "InvalidLaunchTemplateId.VersionNotFound"
    )
    assert error(ec2.delete_launch_template, LaunchTemplateId="lt-0123456789abcdef0")[0] == "InvalidLaunchTemplateId.NotFound"


def test_describe_launch_templates_filters_and_pages(ec2):
    prefix = unique("ltf")
    ids = []
    for i in range(3):
        out = ec2.create_launch_template(
            LaunchTemplateName=f"{prefix}-{i}",
            LaunchTemplateData={"ImageId": "ami-0123456789abcdef0"},
            TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "n", "Value": str(i)}]}],
        )
        ids.append(out["LaunchTemplate"]["LaunchTemplateId"])

    def names(**kw):
        found = ec2.describe_launch_templates(**kw)["LaunchTemplates"]
        return sorted(t["LaunchTemplateName"] for t in found if t["LaunchTemplateId"] in ids)

    assert names(Filters=[{"Name": "launch-template-name", "Values": [f"{prefix}-*"]}]) == [f"{prefix}-{i}" for i in range(3)]
    assert names(Filters=[{"Name": "tag:n", "Values": ["1"]}]) == [f"{prefix}-1"]
    assert names(LaunchTemplateIds=[ids[2]]) == [f"{prefix}-2"]
    assert names(LaunchTemplateNames=[f"{prefix}-0", f"{prefix}-1"]) == [f"{prefix}-0", f"{prefix}-1"]
    pages = ec2.get_paginator("describe_launch_templates").paginate(
        Filters=[{"Name": "launch-template-name", "Values": [f"{prefix}-*"]}], PaginationConfig={"PageSize": 2}
    )
    seen = [t["LaunchTemplateId"] for page in pages for t in page["LaunchTemplates"]]
    assert sorted(seen) == sorted(ids)
