"""STS's SAML federation, root sessions, scoped credentials and authorization messages
with boto3 and the AWS CLI: the credentials they issue are verified by nimbus's SigV4
check like any other, and each refusal carries AWS's error code."""

import base64
import datetime

import botocore
import botocore.exceptions
import pytest

from conftest import admin, aws_cli, client, no_retries

ROLE = "arn:aws:iam::333344445555:role/SAMLAdmin"
PROVIDER = "arn:aws:iam::333344445555:saml-provider/Okta"


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def saml_response(session="alice", role=f"{ROLE},{PROVIDER}", minutes=5):
    """A SAML 2.0 response as an IdP posts it (unsigned: nimbus has no IAM provider holding
    the IdP's certificate, so it checks what AWS reads from the assertion, not its signature)."""
    now = datetime.datetime.fromisoformat(admin("GET", "/_nimbus/clock")[1]["now"].replace("Z", "+00:00"))
    later = (now + datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    attr = lambda name, value: (
        f'<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/{name}">'
        f"<saml2:AttributeValue>{value}</saml2:AttributeValue></saml2:Attribute>"
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">'
        "<saml2:Issuer>http://www.okta.com/exk1</saml2:Issuer><saml2:Assertion><saml2:Subject>"
        '<saml2:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">alice@example.com</saml2:NameID>'
        f'<saml2:SubjectConfirmation><saml2:SubjectConfirmationData NotOnOrAfter="{later}" Recipient="https://signin.aws.amazon.com/saml"/>'
        "</saml2:SubjectConfirmation></saml2:Subject><saml2:AttributeStatement>"
        + attr("Role", role)
        + (attr("RoleSessionName", session) if session else "")
        + attr("SessionDuration", "1800")
        + "</saml2:AttributeStatement></saml2:Assertion></saml2p:Response>"
    )
    return base64.b64encode(xml.encode()).decode()


def credentials_client(c):
    return client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"], token=c["SessionToken"])


def test_assume_role_with_saml_is_unsigned_and_reads_the_assertion():
    unsigned = client("sts", config=no_retries(signature_version=botocore.UNSIGNED))
    out = unsigned.assume_role_with_saml(RoleArn=ROLE, PrincipalArn=PROVIDER, SAMLAssertion=saml_response())
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::333344445555:assumed-role/SAMLAdmin/alice"
    assert (out["Subject"], out["SubjectType"]) == ("alice@example.com", "transient")
    assert (out["Issuer"], out["Audience"]) == ("http://www.okta.com/exk1", "https://signin.aws.amazon.com/saml")
    assert out["NameQualifier"]
    ident = credentials_client(out["Credentials"]).get_caller_identity()
    assert (ident["Account"], ident["Arn"]) == ("333344445555", out["AssumedRoleUser"]["Arn"])
    for assertion, want in (
        (base64.b64encode(b"<html>not saml</html>").decode(), "InvalidIdentityToken"),
        (saml_response(session=None), "InvalidIdentityToken"),
        (saml_response(session="no spaces allowed"), "InvalidIdentityToken"),
        (saml_response(role="arn:aws:iam::333344445555:role/Other,arn:aws:iam::333344445555:saml-provider/Okta"), "AccessDenied"),
        (saml_response(minutes=-1), "ExpiredTokenException"),
    ):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            unsigned.assume_role_with_saml(RoleArn=ROLE, PrincipalArn=PROVIDER, SAMLAssertion=assertion)
        assert code(e) == want
    with pytest.raises(botocore.exceptions.ClientError) as e:
        unsigned.assume_role_with_saml(
            RoleArn=ROLE, PrincipalArn="arn:aws:iam::333344445555:oidc-provider/x", SAMLAssertion=saml_response()
        )
    assert code(e) == "ValidationError"


def test_assume_root_from_an_admin_session():
    admin_role = client("sts").assume_role(RoleArn="arn:aws:iam::000000000000:role/OrgAdmin", RoleSessionName="me")
    sts = credentials_client(admin_role["Credentials"])
    out = sts.assume_root(
        TargetPrincipal="444455556666", TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}
    )
    ident = credentials_client(out["Credentials"]).get_caller_identity()
    assert (ident["Account"], ident["Arn"]) == ("444455556666", "arn:aws:iam::444455556666:root")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_root(TargetPrincipal="444455556666", TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/AdministratorAccess"})
    assert code(e) == "ValidationError"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client("sts").assume_root(
            TargetPrincipal="444455556666", TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"}
        )
    assert code(e) == "AccessDenied"


def test_scoped_credentials_keep_the_identity():
    role = client("sts").assume_role(RoleArn="arn:aws:iam::000000000000:role/App", RoleSessionName="run")
    sts = credentials_client(role["Credentials"])
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}'
    out = sts.get_scoped_credentials(Policy=policy, DurationSeconds=900)
    assert out["ScopedPoliciesCount"] == 1
    assert out["SessionInfo"]["Arn"] == role["AssumedRoleUser"]["Arn"]
    ident = credentials_client(out["Credentials"]).get_caller_identity()
    assert ident["Arn"] == role["AssumedRoleUser"]["Arn"]
    for kwargs, want in (
        ({"Policy": "{not json"}, "MalformedPolicyDocument"),
        ({"DurationSeconds": 100000}, "InsufficientSessionLifetime"),
        ({}, "ValidationError"),
    ):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sts.get_scoped_credentials(**kwargs)
        assert code(e) == want
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client("sts").get_scoped_credentials(Policy=policy)
    assert code(e) == "InvalidSubjectCredentials"


def test_decode_authorization_message_refuses_what_sts_did_not_issue():
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client("sts").decode_authorization_message(EncodedMessage="not-a-message-sts-issued")
    assert code(e) == "InvalidAuthorizationMessageException"


def test_the_aws_cli_assumes_root():
    role = client("sts").assume_role(RoleArn="arn:aws:iam::000000000000:role/OrgAdmin", RoleSessionName="cli")["Credentials"]
    env = {"AWS_ACCESS_KEY_ID": role["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": role["SecretAccessKey"],
           "AWS_SESSION_TOKEN": role["SessionToken"]}
    out = aws_cli("sts", "assume-root", "--target-principal", "444455556666",
                  "--task-policy-arn", "arn=arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy", env=env)
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
