"""The codec cases: (operation, params) requests and (output | error) responses, in
boto3's own terms (datetimes, bytes), for every protocol nimbus speaks.

A case names its service, the protocols it runs in, the operation, and any of:
- `params`: what a boto3 user passes; botocore serializes it, and nimbus must decode the
  bytes into the protocol-neutral document of these params;
- `output`: what the operation answers; nimbus encodes its document, and botocore must
  parse nimbus's bytes back into exactly this;
- `error`: a code, a message, an HTTP status and (for modeled errors) the error shape's
  members; botocore must read them from nimbus's error bytes as its client does.

Timestamps are whole milliseconds (nimbus keeps milliseconds, as AWS does).
"""

import datetime

CW = ["query", "json", "smithy-rpc-v2-cbor"]


def at(*args, ms=0):
    return datetime.datetime(*args, microsecond=ms * 1000, tzinfo=datetime.timezone.utc)


T0 = at(2026, 11, 26, 16, 31, 32, ms=250)
T1 = at(2026, 11, 26, 17, 0, 0)

# A tiny PNG's opening bytes: a blob that is not text.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\xff"

CASES = [
    # ---------------------------------------------------------------- EC2 (ec2)
    {
        "name": "describe-vpcs",
        "service": "ec2",
        "protocols": ["ec2"],
        "operation": "DescribeVpcs",
        # Lists of structures holding lists (Filter.1.Value.1), a plain list (VpcId.1),
        # an integer and a boolean.
        "params": {
            "Filters": [
                {"Name": "tag:Name", "Values": ["web", "db"]},
                {"Name": "is-default", "Values": ["false"]},
            ],
            "VpcIds": ["vpc-0a1b2c3d4e5f60718", "vpc-0123456789abcdef0"],
            "MaxResults": 5,
            "DryRun": False,
        },
        # <vpcSet><item>, nested structures, an empty list (<tagSet/>), enums, booleans.
        "output": {
            "Vpcs": [
                {
                    "OwnerId": "000000000000",
                    "InstanceTenancy": "default",
                    "CidrBlockAssociationSet": [
                        {
                            "AssociationId": "vpc-cidr-assoc-0a1b2c3d4e5f60718",
                            "CidrBlock": "10.0.0.0/16",
                            "CidrBlockState": {"State": "associated"},
                        }
                    ],
                    "IsDefault": False,
                    "Tags": [{"Key": "Name", "Value": "web & <db>"}],
                    "VpcId": "vpc-0a1b2c3d4e5f60718",
                    "State": "available",
                    "CidrBlock": "10.0.0.0/16",
                    "DhcpOptionsId": "dopt-0a1b2c3d4e5f60718",
                },
                {
                    "OwnerId": "000000000000",
                    "IsDefault": True,
                    "Tags": [],
                    "VpcId": "vpc-0123456789abcdef0",
                    "State": "pending",
                    "CidrBlock": "172.31.0.0/16",
                },
            ],
            "NextToken": "token/with+odd=chars",
        },
    },
    {
        "name": "describe-vpcs-empty",
        "service": "ec2",
        "protocols": ["ec2"],
        "operation": "DescribeVpcs",
        # EC2 sends no parameter at all for an empty list.
        "params": {"VpcIds": [], "Filters": []},
        "output": {"Vpcs": []},
    },
    {
        "name": "create-tags",
        "service": "ec2",
        "protocols": ["ec2"],
        "operation": "CreateTags",
        # locationName members capitalised on input (ResourceId.1, Tag.1.Key); no output.
        "params": {
            "Resources": ["i-0123456789abcdef0"],
            "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "empty", "Value": ""}],
        },
        "output": {},
    },
    {
        "name": "import-key-pair",
        "service": "ec2",
        "protocols": ["ec2"],
        "operation": "ImportKeyPair",
        # A blob (base64 on the wire), a list of structures with a nested list.
        "params": {
            "KeyName": "deployer",
            "PublicKeyMaterial": b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO deployer\n",
            "TagSpecifications": [{"ResourceType": "key-pair", "Tags": [{"Key": "team", "Value": "ops"}]}],
        },
        "output": {
            "KeyFingerprint": "1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f",
            "KeyName": "deployer",
            "KeyPairId": "key-0a1b2c3d4e5f60718",
            "Tags": [{"Key": "team", "Value": "ops"}],
        },
    },
    {
        "name": "describe-spot-price-history",
        "service": "ec2",
        "protocols": ["ec2"],
        "operation": "DescribeSpotPriceHistory",
        # Timestamps on input (ISO 8601 on the wire), with and without fractions.
        "params": {
            "StartTime": T0,
            "EndTime": T1,
            "InstanceTypes": ["t3.micro", "m7g.large"],
            "ProductDescriptions": ["Linux/UNIX"],
            "MaxResults": 100,
        },
        "output": {
            "SpotPriceHistory": [
                {
                    "AvailabilityZone": "us-east-1a",
                    "InstanceType": "t3.micro",
                    "ProductDescription": "Linux/UNIX",
                    "SpotPrice": "0.003100",
                    "Timestamp": T0,
                }
            ]
        },
    },
    {
        "name": "get-instance-types-from-instance-requirements",
        "service": "ec2",
        "protocols": ["ec2"],
        "operation": "GetInstanceTypesFromInstanceRequirements",
        # Nested structures three deep, doubles, lists of enums.
        "params": {
            "ArchitectureTypes": ["arm64", "x86_64"],
            "VirtualizationTypes": ["hvm"],
            "InstanceRequirements": {
                "VCpuCount": {"Min": 2, "Max": 8},
                "MemoryMiB": {"Min": 4096},
                "MemoryGiBPerVCpu": {"Min": 0.5, "Max": 4.0},
                "BurstablePerformance": "excluded",
                "CpuManufacturers": ["amazon-web-services", "intel"],
            },
        },
        "output": {"InstanceTypes": [{"InstanceType": "m7g.large"}, {"InstanceType": "c7i.xlarge"}]},
    },
    {
        "name": "describe-instance-types",
        "service": "ec2",
        "protocols": ["ec2"],
        "operation": "DescribeInstanceTypes",
        "params": {"InstanceTypes": ["m7g.large"]},
        # Doubles in XML, lists of enums, nested structures, integers, booleans.
        "output": {
            "InstanceTypes": [
                {
                    "InstanceType": "m7g.large",
                    "CurrentGeneration": True,
                    "FreeTierEligible": False,
                    "SupportedUsageClasses": ["on-demand", "spot"],
                    "Hypervisor": "nitro",
                    "ProcessorInfo": {
                        "SupportedArchitectures": ["arm64"],
                        "SustainedClockSpeedInGhz": 2.6,
                        "Manufacturer": "AWS",
                    },
                    "VCpuInfo": {"DefaultVCpus": 2, "DefaultCores": 2, "DefaultThreadsPerCore": 1},
                    "MemoryInfo": {"SizeInMiB": 8192},
                    "NetworkInfo": {
                        "NetworkPerformance": "Up to 12.5 Gigabit",
                        "MaximumNetworkInterfaces": 3,
                        "NetworkCards": [
                            {
                                "NetworkCardIndex": 0,
                                "NetworkPerformance": "Up to 12.5 Gigabit",
                                "MaximumNetworkInterfaces": 3,
                                "BaselineBandwidthInGbps": 0.937,
                                "PeakBandwidthInGbps": 12.5,
                            }
                        ],
                        "Ipv6Supported": True,
                        "EnaSupport": "required",
                    },
                }
            ]
        },
    },
    {
        "name": "describe-instances",
        "service": "ec2",
        "protocols": ["ec2"],
        "operation": "DescribeInstances",
        "params": {"InstanceIds": ["i-0123456789abcdef0"]},
        # Lists in lists (reservationSet/instancesSet), timestamps in XML, integers.
        "output": {
            "Reservations": [
                {
                    "ReservationId": "r-0123456789abcdef0",
                    "OwnerId": "000000000000",
                    "Groups": [],
                    "Instances": [
                        {
                            "InstanceId": "i-0123456789abcdef0",
                            "ImageId": "ami-0123456789abcdef0",
                            "State": {"Code": 16, "Name": "running"},
                            "InstanceType": "t3.micro",
                            "LaunchTime": T0,
                            "AmiLaunchIndex": 0,
                            "Placement": {"AvailabilityZone": "us-east-1a", "Tenancy": "default"},
                            "Monitoring": {"State": "disabled"},
                            "BlockDeviceMappings": [
                                {
                                    "DeviceName": "/dev/xvda",
                                    "Ebs": {
                                        "AttachTime": T1,
                                        "DeleteOnTermination": True,
                                        "Status": "attached",
                                        "VolumeId": "vol-0123456789abcdef0",
                                    },
                                }
                            ],
                            "SecurityGroups": [{"GroupId": "sg-0123456789abcdef0", "GroupName": "default"}],
                        }
                    ],
                }
            ]
        },
    },
    {
        "name": "authorize-security-group-ingress",
        "service": "ec2",
        "protocols": ["ec2"],
        "operation": "AuthorizeSecurityGroupIngress",
        # IpPermissions: queryName-less members with locationNames, lists three deep.
        "params": {
            "GroupId": "sg-0123456789abcdef0",
            "IpPermissions": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "HTTPS from anywhere"}],
                    "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                }
            ],
        },
        # The boolean <return>, a list under another name (securityGroupRuleSet).
        "output": {
            "Return": True,
            "SecurityGroupRules": [
                {
                    "SecurityGroupRuleId": "sgr-0123456789abcdef0",
                    "GroupId": "sg-0123456789abcdef0",
                    "GroupOwnerId": "000000000000",
                    "IsEgress": False,
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "CidrIpv4": "0.0.0.0/0",
                    "Description": "HTTPS from anywhere",
                }
            ],
        },
    },
    {
        "name": "error-vpc-not-found",
        "service": "ec2",
        "protocols": ["ec2"],
        "operation": "DescribeVpcs",
        "error": {
            "code": "InvalidVpcID.NotFound",
            "message": "The vpc ID 'vpc-0123456789abcdef0' does not exist",
            "status": 400,
        },
    },
    {
        "name": "error-unauthorized",
        "service": "ec2",
        "protocols": ["ec2"],
        "operation": "RunInstances",
        "error": {
            "code": "UnauthorizedOperation",
            "message": "You are not authorized to perform this operation. <&>",
            "status": 403,
        },
    },
    # --------------------------------------------- CloudWatch (query, JSON, CBOR)
    {
        "name": "put-metric-data",
        "service": "cloudwatch",
        "protocols": CW,
        "operation": "PutMetricData",
        # member.N lists of structures, doubles (whole and fractional), integer lists,
        # a timestamp, a nested structure, an enum, and maps (entry.N.key/value).
        "params": {
            "Namespace": "App/Web",
            "MetricData": [
                {
                    "MetricName": "Latency",
                    "Dimensions": [{"Name": "Service", "Value": "api"}, {"Name": "Stage", "Value": "prod"}],
                    "Timestamp": T0,
                    "Value": 12.5,
                    "Unit": "Milliseconds",
                    "StorageResolution": 1,
                },
                {"MetricName": "Latency", "Values": [1.0, 2.5, 3.0], "Counts": [1.0, 1.0, 2.0]},
                {
                    "MetricName": "Requests",
                    "StatisticValues": {"SampleCount": 3.0, "Sum": 6.0, "Minimum": 1.0, "Maximum": 3.0},
                },
            ],
            "EntityMetricData": [
                {
                    "Entity": {
                        "KeyAttributes": {"Type": "Service", "Name": "checkout", "Environment": "prod"},
                        "Attributes": {"PlatformType": "Generic"},
                    },
                    "MetricData": [{"MetricName": "Orders", "Value": 7.0}],
                }
            ],
            "StrictEntityValidation": True,
        },
    },
    {
        "name": "describe-alarms",
        "service": "cloudwatch",
        "protocols": CW,
        "operation": "DescribeAlarms",
        # An empty list on input: awsQuery sends `AlarmNames=`, JSON and CBOR [].
        "params": {"AlarmNames": [], "AlarmTypes": ["MetricAlarm", "CompositeAlarm"], "StateValue": "ALARM", "MaxRecords": 10},
        # Structures in lists, timestamps, doubles, lists of strings, an empty list.
        "output": {
            "MetricAlarms": [
                {
                    "AlarmName": "cpu-high",
                    "AlarmArn": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high",
                    "AlarmConfigurationUpdatedTimestamp": T0,
                    "ActionsEnabled": True,
                    "OKActions": [],
                    "AlarmActions": ["arn:aws:automate:us-east-1:ec2:stop"],
                    "StateValue": "ALARM",
                    "StateReason": "Threshold Crossed: 1 datapoint [91.5 (26/11/26 16:30:00)] was greater than the threshold (80.0).",
                    "StateReasonData": "{\"version\":\"1.0\",\"queryDate\":\"2026-11-26T16:31:32.250+0000\"}",
                    "StateUpdatedTimestamp": T1,
                    "MetricName": "CPUUtilization",
                    "Namespace": "AWS/EC2",
                    "Statistic": "Average",
                    "Dimensions": [{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}],
                    "Period": 60,
                    "EvaluationPeriods": 3,
                    "DatapointsToAlarm": 2,
                    "Threshold": 80.0,
                    "ComparisonOperator": "GreaterThanThreshold",
                    "TreatMissingData": "missing",
                    "StateTransitionedTimestamp": T1,
                },
                {
                    "AlarmName": "error-rate",
                    "Metrics": [
                        {
                            "Id": "m1",
                            "MetricStat": {
                                "Metric": {"Namespace": "App/Web", "MetricName": "Errors"},
                                "Period": 300,
                                "Stat": "Sum",
                            },
                            "ReturnData": False,
                        },
                        {"Id": "e1", "Expression": "m1 * 100", "Label": "Error %", "ReturnData": True},
                    ],
                    "Threshold": 0.25,
                    "EvaluationPeriods": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                },
            ],
            "CompositeAlarms": [],
            "NextToken": "nimbus-alarms:2",
        },
    },
    {
        "name": "get-metric-statistics",
        "service": "cloudwatch",
        "protocols": CW,
        "operation": "GetMetricStatistics",
        "params": {
            "Namespace": "AWS/EC2",
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}],
            "StartTime": T0,
            "EndTime": T1,
            "Period": 300,
            "Statistics": ["Average", "Maximum"],
            "ExtendedStatistics": ["p99", "tm90"],
        },
        # A map (ExtendedStatistics: entry.N.key/value in XML), doubles, timestamps.
        "output": {
            "Label": "CPUUtilization",
            "Datapoints": [
                {
                    "Timestamp": T0,
                    "Average": 41.75,
                    "Maximum": 99.0,
                    "Unit": "Percent",
                    "ExtendedStatistics": {"p99": 98.5, "tm90": 40.125},
                },
                {"Timestamp": T1, "Average": 0.1, "Maximum": 1e-7, "Unit": "Percent"},
            ],
        },
    },
    {
        "name": "get-metric-data",
        "service": "cloudwatch",
        "protocols": CW,
        "operation": "GetMetricData",
        # Nested structures four deep, timestamps, a boolean, a structure (LabelOptions).
        "params": {
            "MetricDataQueries": [
                {
                    "Id": "cpu",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/EC2",
                            "MetricName": "CPUUtilization",
                            "Dimensions": [{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}],
                        },
                        "Period": 60,
                        "Stat": "p90",
                        "Unit": "Percent",
                    },
                    "ReturnData": False,
                },
                {"Id": "twice", "Expression": "cpu * 2", "Label": "Twice", "Period": 60},
            ],
            "StartTime": T0,
            "EndTime": T1,
            "ScanBy": "TimestampDescending",
            "MaxDatapoints": 1000,
            "LabelOptions": {"Timezone": "+0130"},
        },
        # Lists of timestamps and of doubles, enums, a list of structures, an empty list.
        "output": {
            "MetricDataResults": [
                {
                    "Id": "twice",
                    "Label": "Twice",
                    "Timestamps": [T1, T0],
                    "Values": [183.0, -0.5],
                    "StatusCode": "PartialData",
                    "Messages": [{"Code": "MaxDatapointsExceeded", "Value": "2"}],
                },
                {"Id": "empty", "Label": "Empty", "Timestamps": [], "Values": [], "StatusCode": "Complete"},
            ],
            "NextToken": "nimbus-data:1",
            "Messages": [],
        },
    },
    {
        "name": "get-metric-widget-image",
        "service": "cloudwatch",
        "protocols": CW,
        "operation": "GetMetricWidgetImage",
        "params": {"MetricWidget": "{\"metrics\":[[\"AWS/EC2\",\"CPUUtilization\"]]}", "OutputFormat": "png"},
        # A blob: base64 in XML and JSON, a byte string in CBOR.
        "output": {"MetricWidgetImage": PNG},
    },
    {
        "name": "list-tags-for-resource",
        "service": "cloudwatch",
        "protocols": CW,
        "operation": "ListTagsForResource",
        "params": {"ResourceARN": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high"},
        "output": {"Tags": [{"Key": "team", "Value": "ops"}, {"Key": "üñíçødé", "Value": "✓ \"quoted\" 'single'"}]},
    },
    {
        "name": "delete-alarms",
        "service": "cloudwatch",
        "protocols": CW,
        "operation": "DeleteAlarms",
        # An operation without output: an empty result element / body.
        "params": {"AlarmNames": ["cpu-high", "error-rate"]},
        "output": {},
    },
    {
        "name": "error-dashboard-not-found",
        "service": "cloudwatch",
        "protocols": CW,
        "operation": "GetDashboard",
        # Modeled: DashboardNotFoundError, whose awsQuery code is ResourceNotFound.
        "error": {"code": "ResourceNotFound", "message": "Dashboard ops does not exist.", "status": 404},
    },
    {
        "name": "error-dashboard-invalid",
        "service": "cloudwatch",
        "protocols": CW,
        "operation": "PutDashboard",
        # Modeled with a member of its own: a list of structures.
        "error": {
            "code": "InvalidParameterInput",
            "message": "The field DashboardBody must be a valid JSON object",
            "status": 400,
            "details": {
                "dashboardValidationMessages": [
                    {"DataPath": "/widgets/0", "Message": "Should have required property 'type'"},
                    {"DataPath": "/widgets/1/width", "Message": "Should be integer"},
                ]
            },
        },
    },
    {
        "name": "error-resource-not-found",
        "service": "cloudwatch",
        "protocols": CW,
        "operation": "TagResource",
        # Modeled with members and no message member.
        "error": {
            "code": "ResourceNotFoundException",
            "message": "Alarm cpu-high does not exist.",
            "status": 404,
            "details": {"ResourceType": "Alarm", "ResourceId": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high"},
        },
    },
    {
        "name": "error-invalid-parameter-combination",
        "service": "cloudwatch",
        "protocols": CW,
        "operation": "PutMetricData",
        "error": {
            "code": "InvalidParameterCombination",
            "message": "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both.",
            "status": 400,
        },
    },
    {
        "name": "error-not-modeled",
        "service": "cloudwatch",
        "protocols": CW,
        "operation": "ListManagedInsightRules",
        # Not a modeled error of CloudWatch: the code travels as is.
        "error": {
            "code": "NotImplemented",
            "message": "The operation ListManagedInsightRules of CloudWatch is not implemented by nimbus yet.",
            "status": 501,
        },
    },
    # ------------------------------------------------------------- STS (query)
    {
        "name": "assume-role",
        "service": "sts",
        "protocols": ["query"],
        "operation": "AssumeRole",
        # member.N lists of structures and of strings, an integer.
        "params": {
            "RoleArn": "arn:aws:iam::111111111111:role/deployer",
            "RoleSessionName": "ci-run-42",
            "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            "DurationSeconds": 3600,
            "Tags": [{"Key": "project", "Value": "nimbus"}, {"Key": "cost-center", "Value": "42"}],
            "TransitiveTagKeys": ["project"],
            "ExternalId": "ext-1",
        },
        # Timestamps in nested structures; an integer.
        "output": {
            "Credentials": {
                "AccessKeyId": "ASIAQAAAAAAAAAAAAAAA",
                "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "SessionToken": "FwoGZXIvYXdzEBYaDH+/=",
                "Expiration": T1,
            },
            "AssumedRoleUser": {
                "AssumedRoleId": "AROAQAAAAAAAAAAAAAAAA:ci-run-42",
                "Arn": "arn:aws:sts::111111111111:assumed-role/deployer/ci-run-42",
            },
            "PackedPolicySize": 6,
        },
    },
    {
        "name": "get-caller-identity",
        "service": "sts",
        "protocols": ["query"],
        "operation": "GetCallerIdentity",
        "params": {},
        "output": {"UserId": "000000000000", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"},
    },
    {
        "name": "error-expired-token",
        "service": "sts",
        "protocols": ["query"],
        "operation": "GetCallerIdentity",
        "error": {"code": "ExpiredToken", "message": "The security token included in the request is expired", "status": 400},
    },
    {
        "name": "error-validation",
        "service": "sts",
        "protocols": ["query"],
        "operation": "AssumeRole",
        "error": {
            "code": "ValidationError",
            "message": "1 validation error detected: Value 'x' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20",
            "status": 400,
        },
    },
    # ------------------------------------- NimbusCodec (made-up awsQuery service)
    {
        "name": "flattened-and-renamed",
        "service": "nimbuscodec",
        "protocols": ["query"],
        "operation": "Echo",
        # models/nimbuscodec: flattened lists (`FlatList.1`, a renamed member `Item.1`,
        # structures `Pair.1.left`), a list with a renamed member (`NamedList.Entry.1`), a
        # renamed member, a flattened map (`FlatMap.1.key`) and one with renamed key and
        # value (`NamedMap.entry.1.Name`/`.Val`).
        "params": {
            "FlatList": ["a", "b"],
            "NamedFlatList": ["c"],
            "NamedList": ["d", "e"],
            "Renamed": "r",
            "FlatMap": {"k1": "v1", "k2": "v2"},
            "NamedMap": {"n": {"Left": "l", "Right": 2}},
            "FlatStructures": [{"Left": "x", "Right": 1}, {"Right": 9007199254740993}],
            "Number": -7,
        },
        "output": {
            "FlatList": ["a", "b"],
            "NamedFlatList": ["c", "d"],
            "NamedList": ["e"],
            "Renamed": "r",
            "FlatMap": {"k1": "v1", "k2": "v2"},
            "NamedMap": {"n": {"Left": "l", "Right": 2}, "m": {"Left": "m"}},
            "FlatStructures": [{"Left": "x", "Right": 1}, {"Right": 9007199254740993}],
            "Number": -7,
        },
    },
]
