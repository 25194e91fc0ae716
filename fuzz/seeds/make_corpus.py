"""Writes fuzz/corpus/<target>/seed-* from real clients' requests.

1. The golden fixtures (fixtures/golden/*/NN-*.request.json): requests captured byte
   for byte from boto3 by conformance-tests/golden/capture.sh.
2. More requests serialised and signed by botocore itself (the client boto3 and the
   AWS CLI use), taken at botocore's `before-send` hook so no server is needed:
   operations with deep inputs the golden set lacks (RunInstances, PutMetricAlarm,
   AssumeRole, ...) and a presigned URL.

Run from the repository root with a Python that has botocore:
    python3 fuzz/seeds/make_corpus.py
"""

import base64
import datetime
import json
import pathlib
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fuzz" / "corpus"
TARGETS = ["query_decoder", "json_decoder", "cbor_decoder", "sigv4_header", "filter_engine", "dispatch", "dispatch_seq"]


def raw_request(method, path, query, headers, body):
    target = path + ("?" + query if query else "")
    head = "\n".join([f"{method} {target}"] + [f"{k}: {v}" for k, v in headers])
    return head.encode() + b"\n\n" + body


def filters_of(body):
    """`Filter.N.Name`/`Filter.N.Value.M` of a form body as filter_engine lines."""
    names, values = {}, {}
    for k, v in urllib.parse.parse_qsl(body.decode(), keep_blank_values=True):
        parts = k.split(".")
        if parts[0] == "Filter" and len(parts) == 3 and parts[2] == "Name":
            names[int(parts[1])] = v
        elif parts[0] == "Filter" and len(parts) == 4 and parts[2] == "Value":
            values.setdefault(int(parts[1]), []).append(v)
    return "\n".join("\t".join([names[i]] + values.get(i, [])) for i in sorted(names)).encode()


class Corpus:
    def __init__(self):
        self.files = {t: {} for t in TARGETS}

    def add(self, target, name, data):
        if data:
            self.files[target][name] = data

    def request(self, protocol, name, method, path, query, headers, body):
        raw = raw_request(method, path, query, headers, body)
        self.add("dispatch", f"{protocol}-{name}", raw)
        self.add("sigv4_header", f"{protocol}-{name}", raw)
        if protocol in ("ec2", "query"):
            self.add("query_decoder", f"{protocol}-{name}", body)
            self.add("filter_engine", f"{protocol}-{name}", filters_of(body))
        elif protocol == "json":
            self.add("json_decoder", name, body)
        elif protocol == "rpcv2-cbor":
            self.add("cbor_decoder", name, body)

    def write(self):
        for target, files in self.files.items():
            d = CORPUS / target
            d.mkdir(parents=True, exist_ok=True)
            for old in d.glob("seed-*"):
                old.unlink()
            for name, data in files.items():
                (d / f"seed-{name}").write_bytes(data)
            print(f"{target}: {len(files)} seeds")


def golden(corpus):
    for f in sorted((ROOT / "fixtures" / "golden").glob("*/*.request.json")):
        r = json.loads(f.read_text())
        body = base64.b64decode(r["body"])
        name = f.name.removesuffix(".request.json")
        corpus.request(f.parent.name, "golden-" + name, r["method"], r["path"], r["query"], r["headers"], body)


def botocore_requests(corpus):
    import botocore.session
    from botocore.awsrequest import AWSResponse

    import copy

    import botocore.loaders

    class _ProtocolLoader(botocore.loaders.Loader):
        """CloudWatch's model with one protocol forced (as conformance-tests/python/conftest.py
        does), so botocore's own query, json or smithy-rpc-v2-cbor serializer runs."""

        def __init__(self, protocol):
            super().__init__()
            self._protocol = protocol

        def load_service_model(self, service_name, type_name, api_version=None):
            model = super().load_service_model(service_name, type_name, api_version)
            if type_name == "service-2" and service_name == "cloudwatch":
                model = copy.deepcopy(model)
                model["metadata"]["protocol"] = self._protocol
                model["metadata"]["protocols"] = [self._protocol]
            return model

    taken = []

    def take(request, **_):
        taken.append(request)
        return AWSResponse(request.url, 500, {}, None)

    def make(service, protocol=None):
        session = botocore.session.get_session()
        if protocol:
            session.register_component("data_loader", _ProtocolLoader(protocol))
        c = session.create_client(service, region_name="us-east-1", endpoint_url="http://localhost:4566",
                                  aws_access_key_id="test", aws_secret_access_key="test",
                                  config=botocore.config.Config(retries={"max_attempts": 0}))
        c.meta.events.register("before-send", take)
        return c

    def call(protocol, name, fn):
        taken.clear()
        try:
            fn()
        except Exception:
            pass
        for r in taken[:1]:
            u = urllib.parse.urlsplit(r.url)
            body = r.body if isinstance(r.body, bytes) else (r.body or "").encode()
            headers = [(k.lower(), v.decode() if isinstance(v, bytes) else v) for k, v in r.headers.items()]
            corpus.request(protocol, "botocore-" + name, r.method, u.path or "/", u.query, headers, body)

    ec2 = make("ec2")
    call("ec2", "run-instances", lambda: ec2.run_instances(
        ImageId="ami-0123456789abcdef0", InstanceType="t3.micro", MinCount=1, MaxCount=2, KeyName="k",
        SecurityGroupIds=["sg-0123456789abcdef0"], SubnetId="subnet-0123456789abcdef0", UserData="echo hi",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "VolumeType": "gp3",
                                                                 "DeleteOnTermination": True}}],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}],
        MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
        NetworkInterfaces=[{"DeviceIndex": 1, "Groups": ["sg-1"], "PrivateIpAddresses": [
            {"PrivateIpAddress": "10.0.0.5", "Primary": True}]}]))
    call("ec2", "describe-instances", lambda: ec2.describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["running", "pend*"]},
                 {"Name": "tag:Name", "Values": ["web?"]}], MaxResults=5))
    call("ec2", "describe-vpcs", lambda: ec2.describe_vpcs(
        Filters=[{"Name": "cidr-block-association.cidr-block", "Values": ["10.0.0.0/16"]},
                 {"Name": "is-default", "Values": ["true"]}]))
    call("ec2", "describe-subnets", lambda: ec2.describe_subnets(
        Filters=[{"Name": "availability-zone", "Values": ["us-east-1a"]},
                 {"Name": "tag-key", "Values": ["*"]}]))
    call("ec2", "authorize-ingress", lambda: ec2.authorize_security_group_ingress(
        GroupId="sg-0123456789abcdef0", IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "ssh"}],
            "Ipv6Ranges": [{"CidrIpv6": "::/0"}], "UserIdGroupPairs": [{"GroupId": "sg-1"}]}]))
    call("ec2", "create-launch-template", lambda: ec2.create_launch_template(
        LaunchTemplateName="lt", LaunchTemplateData={"ImageId": "ami-1", "InstanceType": "t3.micro",
                                                     "TagSpecifications": [{"ResourceType": "instance", "Tags": [
                                                         {"Key": "a", "Value": "b"}]}]}))
    call("ec2", "create-tags", lambda: ec2.create_tags(Resources=["vpc-1", "subnet-2"],
                                                        Tags=[{"Key": "Name", "Value": "x & y"}]))
    call("ec2", "import-key-pair", lambda: ec2.import_key_pair(KeyName="k", PublicKeyMaterial=b"ssh-ed25519 AAAA"))

    for protocol, dirname in [("query", "query"), ("json", "json"), ("smithy-rpc-v2-cbor", "rpcv2-cbor")]:
        cw = make("cloudwatch", protocol)
        when = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.timezone.utc)
        call(dirname, "put-metric-alarm", lambda: cw.put_metric_alarm(
            AlarmName="cpu", MetricName="CPUUtilization", Namespace="AWS/EC2", Statistic="Average", Period=60,
            EvaluationPeriods=2, Threshold=80.5, ComparisonOperator="GreaterThanThreshold",
            Dimensions=[{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}],
            AlarmActions=["arn:aws:automate:us-east-1:ec2:stop"], Tags=[{"Key": "k", "Value": "v"}]))
        call(dirname, "get-metric-data", lambda: cw.get_metric_data(
            StartTime=when, EndTime=when + datetime.timedelta(hours=1), MetricDataQueries=[
                {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Latency", "Dimensions": [
                    {"Name": "Service", "Value": "api"}]}, "Period": 60, "Stat": "p99"}},
                {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True}]))
        call(dirname, "get-metric-statistics", lambda: cw.get_metric_statistics(
            Namespace="App", MetricName="Latency", StartTime=when, EndTime=when + datetime.timedelta(hours=1),
            Period=300, Statistics=["Average", "Maximum"], ExtendedStatistics=["p90"]))
        call(dirname, "set-alarm-state", lambda: cw.set_alarm_state(
            AlarmName="cpu", StateValue="ALARM", StateReason="test", StateReasonData="{}"))

    sts = make("sts")
    call("query", "sts-assume-role", lambda: sts.assume_role(
        RoleArn="arn:aws:iam::000000000000:role/r", RoleSessionName="s", DurationSeconds=900,
        Tags=[{"Key": "k", "Value": "v"}], PolicyArns=[{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]))

    # A presigned URL (query-string SigV4) for the SigV4 parser.
    url = ec2.generate_presigned_url("describe_vpcs", Params={"VpcIds": ["vpc-1"]}, ExpiresIn=300)
    u = urllib.parse.urlsplit(url)
    raw = raw_request("GET", u.path or "/", u.query, [("host", u.netloc)], b"")
    corpus.add("sigv4_header", "botocore-presigned-describe-vpcs", raw)
    corpus.add("dispatch", "botocore-presigned-describe-vpcs", raw)


def main():
    corpus = Corpus()
    golden(corpus)
    botocore_requests(corpus)
    # Hand-written filter lines: wildcards and escapes the captures do not show.
    corpus.add("filter_engine", "hand-wildcards", b"tag:Name\t*web*\tdb?\ntag-key\tteam\ncidr-block\t10.\\*.0.0/16\n")
    corpus.add("filter_engine", "hand-unknown", b"bogus-filter\tx\n")
    # dispatch_seq: the EC2 requests in capture order, four to an input, so that later
    # requests name what earlier ones made (ids are seeded, as in the golden test).
    d = corpus.files["dispatch"]
    golden_ec2 = [d[k] for k in sorted(d) if k.startswith("ec2-golden-")]
    for i in range(0, len(golden_ec2), 2):
        corpus.add("dispatch_seq", f"ec2-golden-chain-{i:02d}", b"\n----\n".join(golden_ec2[i:i + 4]))
    boto_ec2 = [d[k] for k in sorted(d) if k.startswith("ec2-botocore-")]
    corpus.add("dispatch_seq", "ec2-botocore-chain", b"\n----\n".join(boto_ec2[:4]))
    corpus.write()


if __name__ == "__main__":
    main()
