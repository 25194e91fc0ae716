//! The bad-input matrix: every protocol x every kind of broken input is answered with
//! a 4xx and an AWS error code, the server stays up, and no state changes.

mod support;

use nimbus_core::cbor::{self, Cbor};
use support::{Req, Server};

fn text(s: &str) -> Cbor {
    Cbor::Text(s.into())
}

fn map(entries: Vec<(&str, Cbor)>) -> Cbor {
    Cbor::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect())
}

/// A valid PutMetricData in each protocol, so that every broken variant is a near miss.
fn put_metric(protocol: &str, value: &str) -> Req {
    match protocol {
        "query" => Req::form(
            "monitoring",
            &format!("Action=PutMetricData&Version=2010-08-01&Namespace=Bad&MetricData.member.1.MetricName=M&MetricData.member.1.Value={value}"),
        ),
        "json" => Req::json("PutMetricData", format!(r#"{{"Namespace":"Bad","MetricData":[{{"MetricName":"M","Value":{value}}}]}}"#).as_bytes()),
        _ => Req::cbor(
            "PutMetricData",
            &cbor::encode(&map(vec![
                ("Namespace", text("Bad")),
                ("MetricData", Cbor::Array(vec![map(vec![("MetricName", text("M")), ("Value", Cbor::Float(value.parse().unwrap_or(1.0)))])])),
            ])),
        ),
    }
}

fn check(server: &Server, label: &str, req: Req, status: u16, code: &str) {
    let before = server.state();
    let r = server.request(&req);
    assert_eq!(r.status, status, "{label}: {}", r.text());
    assert_eq!(r.error_code().as_deref(), Some(code), "{label}: {}", r.text());
    assert!(r.header("x-amzn-requestid").is_some(), "{label}: no request id");
    assert_eq!(server.state(), before, "{label} changed state");
    assert_eq!(server.request(&Req::get("/_nimbus/health")).status, 200, "{label}: server down");
}

#[test]
fn the_valid_baselines_succeed() {
    let server = Server::new();
    for p in ["query", "json", "cbor"] {
        let r = server.request(&put_metric(p, "1.5"));
        assert_eq!(r.status, 200, "{p}: {}", r.text());
    }
    let state = server.state();
    assert_eq!(state["monitoring"]["000000000000"]["us-east-1"]["series"][0]["Datapoints"], 3);
}

#[test]
fn query_protocols() {
    let s = Server::new();
    let ec2 = |body: &str| Req::form("ec2", body);
    check(&s, "empty", ec2(""), 400, "MissingAction");
    check(&s, "truncated", ec2("Action=DescribeRegions&Version=2016-11-15&RegionName.1"), 400, "InvalidParameterValue");
    check(&s, "unknown action", ec2("Action=Nope&Version=2016-11-15"), 400, "InvalidAction");
    check(&s, "missing version", ec2("Action=DescribeRegions"), 400, "MissingParameter");
    check(
        &s,
        "wrong type",
        ec2("Action=DescribeRegions&Version=2016-11-15&AllRegions=yes"),
        400,
        "InvalidParameterValue",
    );
    check(&s, "unknown member", ec2("Action=DescribeRegions&Version=2016-11-15&Foo=1"), 400, "UnknownParameter");
    check(
        &s,
        "unknown nested member",
        ec2("Action=DescribeRegions&Version=2016-11-15&Filter.1.Name=x&Filter.1.Bogus=1"),
        400,
        "UnknownParameter",
    );
    check(
        &s,
        "invalid utf-8",
        ec2("Action=DescribeRegions&Version=2016-11-15&RegionName.1=%C3%28"),
        400,
        "MalformedQueryString",
    );
    check(
        &s,
        "repeated",
        ec2("Action=DescribeRegions&Version=2016-11-15&RegionName.1=a&RegionName.1=b"),
        400,
        "MalformedQueryString",
    );
    check(&s, "huge number", put_metric("query", "1e999"), 400, "InvalidParameterValue");
    check(&s, "nan", put_metric("query", "NaN"), 400, "InvalidParameterValue");
    check(&s, "infinity", put_metric("query", "Infinity"), 400, "InvalidParameterValue");
    check(
        &s,
        "missing required",
        Req::form("monitoring", "Action=PutMetricData&Version=2010-08-01&MetricData.member.1.Value=1"),
        400,
        "MissingParameter",
    );
    check(
        &s,
        "missing required nested",
        Req::form("monitoring", "Action=PutMetricData&Version=2010-08-01&Namespace=N&MetricData.member.1.Value=1"),
        400,
        "MissingParameter",
    );
    let deep = format!("Action=DescribeRegions&Version=2016-11-15&{}=1", vec!["Filter.1"; 500].join("."));
    check(&s, "deep nesting", ec2(&deep), 400, "UnknownParameter");
    let long_list: String = (1..=2000).map(|i| format!("&RegionName.{i}=us-east-1")).collect();
    check(
        &s,
        "oversized list",
        ec2(&format!("Action=DescribeRegions&Version=2016-11-15&RegionName.2001=mars-1{long_list}")),
        400,
        "InvalidParameterValue",
    );
    check(
        &s,
        "oversized string",
        Req::form("monitoring", &format!("Action=PutMetricData&Version=2010-08-01&Namespace={}&MetricData.member.1.MetricName=M&MetricData.member.1.Value=1", "n".repeat(300))),
        400,
        "ValidationError",
    );
    check(
        &s,
        "wrong content type",
        Req::post("/", b"Action=GetCallerIdentity&Version=2011-06-15".to_vec())
            .header("Content-Type", "text/plain")
            .signed("sts"),
        415,
        "UnsupportedMediaType",
    );
}

#[test]
fn json_protocol() {
    let s = Server::new();
    check(&s, "truncated", Req::json("PutMetricData", br#"{"Namespace":"#), 400, "SerializationException");
    check(&s, "not json", Req::json("ListMetrics", b"\x00\x01"), 400, "SerializationException");
    check(
        &s,
        "invalid utf-8",
        Req::json("ListMetrics", b"{\"Namespace\":\"\xc3\x28\"}"),
        400,
        "SerializationException",
    );
    check(&s, "wrong type", Req::json("ListMetrics", br#"{"Namespace":["a"]}"#), 400, "SerializationException");
    check(
        &s,
        "wrong nested type",
        Req::json("PutMetricData", br#"{"Namespace":"N","MetricData":[{"MetricName":"M","Value":"x"}]}"#),
        400,
        "SerializationException",
    );
    check(
        &s,
        "missing required",
        Req::json("PutMetricData", br#"{"MetricData":[{"MetricName":"M","Value":1}]}"#),
        400,
        "MissingParameter",
    );
    check(&s, "huge number", put_metric("json", "1e999"), 400, "SerializationException");
    check(&s, "nan", put_metric("json", "\"NaN\""), 400, "InvalidParameterValue");
    check(
        &s,
        "integer overflow",
        Req::json(
            "PutMetricData",
            br#"{"Namespace":"N","MetricData":[{"MetricName":"M","Value":1,"StorageResolution":99999999999}]}"#,
        ),
        400,
        "SerializationException",
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    check(&s, "deep nesting", Req::json("ListMetrics", deep.as_bytes()), 400, "SerializationException");
    check(&s, "unknown target", Req::json("Nope", b"{}"), 400, "InvalidAction");
    let long_ns = format!(r#"{{"Namespace":"{}","MetricData":[{{"MetricName":"M","Value":1}}]}}"#, "n".repeat(1000));
    check(&s, "oversized string", Req::json("PutMetricData", long_ns.as_bytes()), 400, "ValidationError");
    let many: Vec<String> = (0..1001).map(|i| format!(r#"{{"MetricName":"M{i}","Value":1}}"#)).collect();
    let body = format!(r#"{{"Namespace":"N","MetricData":[{}]}}"#, many.join(","));
    check(&s, "oversized list", Req::json("PutMetricData", body.as_bytes()), 400, "InvalidParameterValue");
    // Unknown members are ignored, as AWS's JSON services do.
    let r = s.request(&Req::json("ListMetrics", br#"{"Namespace":"N","Surprise":true}"#));
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn cbor_protocol() {
    let s = Server::new();
    let valid = cbor::encode(&map(vec![
        ("Namespace", text("N")),
        ("MetricData", Cbor::Array(vec![map(vec![("MetricName", text("M")), ("Value", Cbor::Float(1.0))])])),
    ]));
    for cut in [1, valid.len() / 2, valid.len() - 1] {
        check(
            &s,
            &format!("truncated at {cut}"),
            Req::cbor("PutMetricData", &valid[..cut]),
            400,
            "SerializationException",
        );
    }
    check(&s, "not cbor", Req::cbor("ListMetrics", b"\xff\xff"), 400, "SerializationException");
    check(
        &s,
        "invalid utf-8",
        Req::cbor("ListMetrics", &[0xa1, 0x69, b'N', b'a', b'm', b'e', b's', b'p', b'a', b'c', b'e', 0x62, 0xc3, 0x28]),
        400,
        "SerializationException",
    );
    check(
        &s,
        "wrong type",
        Req::cbor("ListMetrics", &cbor::encode(&map(vec![("Namespace", Cbor::Int(5))]))),
        400,
        "SerializationException",
    );
    check(
        &s,
        "top level not a map",
        Req::cbor("ListMetrics", &cbor::encode(&Cbor::Array(vec![]))),
        400,
        "SerializationException",
    );
    check(
        &s,
        "missing required",
        Req::cbor("PutMetricData", &cbor::encode(&map(vec![("MetricData", Cbor::Array(vec![]))]))),
        400,
        "MissingParameter",
    );
    check(&s, "nan", put_metric("cbor", "NaN"), 400, "InvalidParameterValue");
    check(&s, "infinity", put_metric("cbor", "inf"), 400, "InvalidParameterValue");
    let huge = map(vec![
        ("Namespace", text("N")),
        (
            "MetricData",
            Cbor::Array(vec![map(vec![
                ("MetricName", text("M")),
                ("Value", Cbor::Float(1.0)),
                ("StorageResolution", Cbor::Int(1 << 40)),
            ])]),
        ),
    ]);
    check(&s, "integer overflow", Req::cbor("PutMetricData", &cbor::encode(&huge)), 400, "SerializationException");
    let deep: Vec<u8> = std::iter::repeat_n(0x9f_u8, 100_000).collect();
    check(&s, "deep nesting", Req::cbor("ListMetrics", &deep), 400, "SerializationException");
    let bad_ts = map(vec![
        ("Namespace", text("N")),
        (
            "MetricData",
            Cbor::Array(vec![map(vec![
                ("MetricName", text("M")),
                ("Value", Cbor::Float(1.0)),
                ("Timestamp", Cbor::Tag(1, Box::new(text("yesterday")))),
            ])]),
        ),
    ]);
    check(&s, "bad timestamp", Req::cbor("PutMetricData", &cbor::encode(&bad_ts)), 400, "SerializationException");
    let mut wrong_path = Req::cbor("ListMetrics", &cbor::encode(&map(vec![])));
    wrong_path.path = "/service/GraniteServiceVersion20100801/ListMetrics".into();
    check(&s, "malformed rpc path", wrong_path, 404, "UnknownOperationException");
    check(&s, "unknown operation", Req::cbor("Nope", &cbor::encode(&map(vec![]))), 400, "InvalidAction");
}

/// The protocols of the matrix.
const PROTOCOLS: [&str; 5] = ["ec2", "monitoring-query", "sts-query", "json", "cbor"];

/// The malformations of the matrix (issue 6's list).
const MALFORMATIONS: [&str; 12] = [
    "empty",
    "truncated",
    "wrong content type",
    "wrong type",
    "missing required",
    "oversized list",
    "oversized string",
    "deep nesting",
    "invalid utf-8",
    "huge number",
    "nan/infinity",
    "unknown member",
];

/// What a cell must be answered.
enum Expect {
    /// This status and AWS error code, and no state change.
    Refused(u16, &'static str),
    /// Accepted with the unknown member ignored, as AWS's JSON and Query services do
    /// (only EC2 refuses unknown parameters): sent on a read, so still no state change.
    Ignored,
}

struct Cell {
    label: String,
    req: Req,
    expect: Expect,
}

fn refused(label: &str, req: Req, status: u16, code: &'static str) -> Cell {
    Cell { label: label.into(), req, expect: Expect::Refused(status, code) }
}

const EC2_V: &str = "Version=2016-11-15";
const CW_V: &str = "Version=2010-08-01";
const STS_V: &str = "Version=2011-06-15";
const ROLE: &str = "RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fr&RoleSessionName=ss";

fn ec2_req(params: &str) -> Req {
    Req::form("ec2", &format!("{params}&{EC2_V}"))
}
fn cw_query(params: &str) -> Req {
    Req::form("monitoring", &format!("{params}&{CW_V}"))
}
fn sts_req(params: &str) -> Req {
    Req::form("sts", &format!("{params}&{STS_V}"))
}

const PUT_DATUM: &str = "Action=PutMetricData&Namespace=N&MetricData.member.1.MetricName=M";
const ALARM: &str = "Action=PutMetricAlarm&AlarmName=A&MetricName=M&Namespace=N&Statistic=Average&Period=60&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold";

fn alarm_json(extra: &str) -> Vec<u8> {
    format!(r#"{{"AlarmName":"A","MetricName":"M","Namespace":"N","Statistic":"Average","Period":60,"EvaluationPeriods":1,"Threshold":1,"ComparisonOperator":"GreaterThanThreshold"{extra}}}"#).into_bytes()
}

fn alarm_cbor(extra: Vec<(&str, Cbor)>) -> Vec<u8> {
    let mut entries = vec![
        ("AlarmName", text("A")),
        ("MetricName", text("M")),
        ("Namespace", text("N")),
        ("Statistic", text("Average")),
        ("Period", Cbor::Int(60)),
        ("EvaluationPeriods", Cbor::Int(1)),
        ("Threshold", Cbor::Float(1.0)),
        ("ComparisonOperator", text("GreaterThanThreshold")),
    ];
    for (k, v) in extra {
        match entries.iter_mut().find(|(name, _)| *name == k) {
            Some(entry) => entry.1 = v,
            None => entries.push((k, v)),
        }
    }
    cbor::encode(&map(entries))
}

fn datum_cbor(datum: Vec<(&str, Cbor)>) -> Vec<u8> {
    cbor::encode(&map(vec![("Namespace", text("N")), ("MetricData", Cbor::Array(vec![map(datum)]))]))
}

/// Every cell of the matrix; `vpc` is an existing VPC for EC2's tag cells.
fn cells(protocol: &str, malformation: &str, vpc: &str) -> Vec<Cell> {
    let deep_query_key: String = vec!["a"; 100_000].join(".");
    let many_tags: String = (1..=51).map(|i| format!("&Tag.{i}.Key=k{i}&Tag.{i}.Value=v")).collect();
    let long = "x".repeat(300);
    match (protocol, malformation) {
        ("ec2", "empty") => vec![refused("empty body", ec2_req("").unsigned().signed("ec2"), 400, "MissingAction")],
        ("ec2", "truncated") => vec![
            refused("cut in an escape", ec2_req("Action=CreateVpc&CidrBlock=10.1.0.0%2"), 400, "InvalidParameterValue"),
            refused("cut after a key", ec2_req("Action=CreateTags&ResourceId.1"), 400, "MissingParameter"),
        ],
        ("ec2", "wrong content type") => vec![refused(
            "json content type",
            Req::post("/", format!("Action=CreateVpc&CidrBlock=10.1.0.0/16&{EC2_V}").into_bytes())
                .header("Content-Type", "application/json")
                .signed("ec2"),
            415,
            "UnsupportedMediaType",
        )],
        ("ec2", "wrong type") => vec![
            refused(
                "integer",
                ec2_req("Action=RunInstances&ImageId=ami-1&MinCount=one&MaxCount=1"),
                400,
                "InvalidParameterValue",
            ),
            refused(
                "boolean",
                ec2_req("Action=CreateVpc&CidrBlock=10.1.0.0/16&AmazonProvidedIpv6CidrBlock=maybe"),
                400,
                "InvalidParameterValue",
            ),
        ],
        ("ec2", "missing required") => vec![
            refused("RunInstances MaxCount", ec2_req("Action=RunInstances&ImageId=ami-1&MinCount=1"), 400, "MissingParameter"),
            refused("CreateTags Tags", ec2_req(&format!("Action=CreateTags&ResourceId.1={vpc}")), 400, "MissingParameter"),
        ],
        ("ec2", "oversized list") => vec![refused(
            "51 tags",
            ec2_req(&format!("Action=CreateTags&ResourceId.1={vpc}{many_tags}")),
            400,
            "TagLimitExceeded",
        )],
        ("ec2", "oversized string") => vec![refused(
            "129-character tag key",
            ec2_req(&format!("Action=CreateTags&ResourceId.1={vpc}&Tag.1.Key={}&Tag.1.Value=v", "k".repeat(129))),
            400,
            "InvalidParameterValue",
        )],
        ("ec2", "deep nesting") => vec![
            refused(
                "48 levels",
                ec2_req(&format!("Action=CreateVpc&CidrBlock=10.1.0.0/16&{}=1", vec!["TagSpecification.1"; 48].join("."))),
                400,
                "UnknownParameter",
            ),
            refused(
                "100000 levels",
                ec2_req(&format!("Action=CreateVpc&CidrBlock=10.1.0.0/16&{deep_query_key}=1")),
                400,
                "UnknownParameter",
            ),
        ],
        ("ec2", "invalid utf-8") => vec![refused(
            "tag value",
            ec2_req(&format!("Action=CreateTags&ResourceId.1={vpc}&Tag.1.Key=k&Tag.1.Value=%C3%28")),
            400,
            "MalformedQueryString",
        )],
        ("ec2", "huge number") => vec![refused(
            "MinCount 10^20",
            ec2_req("Action=RunInstances&ImageId=ami-1&MinCount=100000000000000000000&MaxCount=1"),
            400,
            "InvalidParameterValue",
        )],
        ("ec2", "nan/infinity") => vec![
            refused("NaN count", ec2_req("Action=RunInstances&ImageId=ami-1&MinCount=NaN&MaxCount=1"), 400, "InvalidParameterValue"),
            refused(
                "Infinity count",
                ec2_req("Action=RunInstances&ImageId=ami-1&MinCount=1&MaxCount=Infinity"),
                400,
                "InvalidParameterValue",
            ),
        ],
        ("ec2", "unknown member") => vec![
            refused("top level", ec2_req("Action=CreateVpc&CidrBlock=10.1.0.0/16&Bogus=1"), 400, "UnknownParameter"),
            refused(
                "nested",
                ec2_req(&format!("Action=CreateTags&ResourceId.1={vpc}&Tag.1.Key=k&Tag.1.Value=v&Tag.1.Colour=red")),
                400,
                "UnknownParameter",
            ),
        ],

        ("monitoring-query", "empty") => vec![refused("empty body", cw_query("").unsigned().signed("monitoring"), 400, "MissingAction")],
        ("monitoring-query", "truncated") => vec![refused(
            "cut in an escape",
            cw_query(&format!("{PUT_DATUM}&MetricData.member.1.Value=1&MetricData.member.1.Unit=Seconds%2")),
            400,
            "ValidationError",
        )],
        ("monitoring-query", "wrong content type") => vec![refused(
            "json content type",
            Req::post("/", format!("{PUT_DATUM}&MetricData.member.1.Value=1&{CW_V}").into_bytes())
                .header("Content-Type", "text/plain")
                .signed("monitoring"),
            415,
            "UnsupportedMediaType",
        )],
        ("monitoring-query", "wrong type") => vec![
            refused("double", cw_query(&format!("{PUT_DATUM}&MetricData.member.1.Value=one")), 400, "InvalidParameterValue"),
            refused("integer", cw_query(&ALARM.replace("Period=60", "Period=sixty")), 400, "InvalidParameterValue"),
        ],
        ("monitoring-query", "missing required") => vec![
            refused("Namespace", cw_query("Action=PutMetricData&MetricData.member.1.MetricName=M&MetricData.member.1.Value=1"), 400, "MissingParameter"),
            refused("AlarmName", cw_query(&ALARM.replace("AlarmName=A&", "")), 400, "MissingParameter"),
        ],
        ("monitoring-query", "oversized list") => {
            let many: String = (1..=1001).map(|i| format!("&MetricData.member.{i}.MetricName=M{i}&MetricData.member.{i}.Value=1")).collect();
            vec![refused("1001 datums", cw_query(&format!("Action=PutMetricData&Namespace=N{many}")), 400, "InvalidParameterValue")]
        }
        ("monitoring-query", "oversized string") => vec![
            refused("namespace", cw_query(&format!("Action=PutMetricData&Namespace={long}&MetricData.member.1.MetricName=M&MetricData.member.1.Value=1")), 400, "ValidationError"),
            refused("alarm name", cw_query(&ALARM.replace("AlarmName=A", &format!("AlarmName={long}"))), 400, "ValidationError"),
        ],
        ("monitoring-query", "deep nesting") => vec![refused(
            "100000 levels",
            cw_query(&format!("{PUT_DATUM}&MetricData.member.1.Value=1&{deep_query_key}=1")),
            400,
            "MalformedQueryString",
        )],
        ("monitoring-query", "invalid utf-8") => vec![refused(
            "metric name",
            cw_query("Action=PutMetricData&Namespace=N&MetricData.member.1.MetricName=%C3%28&MetricData.member.1.Value=1"),
            400,
            "MalformedQueryString",
        )],
        ("monitoring-query", "huge number") => vec![
            refused("1e999", cw_query(&format!("{PUT_DATUM}&MetricData.member.1.Value=1e999")), 400, "InvalidParameterValue"),
            refused("Period 10^20", cw_query(&ALARM.replace("Period=60", "Period=100000000000000000000")), 400, "InvalidParameterValue"),
        ],
        ("monitoring-query", "nan/infinity") => vec![
            refused("NaN value", cw_query(&format!("{PUT_DATUM}&MetricData.member.1.Value=NaN")), 400, "InvalidParameterValue"),
            refused("-Infinity value", cw_query(&format!("{PUT_DATUM}&MetricData.member.1.Value=-Infinity")), 400, "InvalidParameterValue"),
            refused("NaN threshold", cw_query(&ALARM.replace("Threshold=1", "Threshold=NaN")), 400, "InvalidParameterValue"),
        ],
        ("monitoring-query", "unknown member") => vec![Cell {
            label: "ListMetrics Surprise".into(),
            req: cw_query("Action=ListMetrics&Surprise=1"),
            expect: Expect::Ignored,
        }],

        ("sts-query", "empty") => vec![refused("empty body", sts_req("").unsigned().signed("sts"), 400, "MissingAction")],
        ("sts-query", "truncated") => vec![refused(
            "cut in an escape",
            sts_req("Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fr&RoleSessionName=ss%2"),
            400,
            "ValidationError",
        )],
        ("sts-query", "wrong content type") => vec![refused(
            "text/plain",
            Req::post("/", format!("Action=AssumeRole&{ROLE}&{STS_V}").into_bytes())
                .header("Content-Type", "text/plain")
                .signed("sts"),
            415,
            "UnsupportedMediaType",
        )],
        ("sts-query", "wrong type") => {
            vec![refused("DurationSeconds", sts_req(&format!("Action=AssumeRole&{ROLE}&DurationSeconds=long")), 400, "InvalidParameterValue")]
        }
        ("sts-query", "missing required") => vec![refused(
            "RoleSessionName",
            sts_req("Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fr"),
            400,
            "ValidationError",
        )],
        ("sts-query", "oversized list") => {
            let tags: String = (1..=51).map(|i| format!("&Tags.member.{i}.Key=k{i}&Tags.member.{i}.Value=v")).collect();
            vec![refused("51 session tags", sts_req(&format!("Action=AssumeRole&{ROLE}{tags}")), 400, "ValidationError")]
        }
        ("sts-query", "oversized string") => vec![refused(
            "65-character session name",
            sts_req(&format!("Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fr&RoleSessionName={}", "s".repeat(65))),
            400,
            "ValidationError",
        )],
        ("sts-query", "deep nesting") => vec![refused(
            "100000 levels",
            sts_req(&format!("Action=AssumeRole&{ROLE}&{deep_query_key}=1")),
            400,
            "MalformedQueryString",
        )],
        ("sts-query", "invalid utf-8") => vec![refused(
            "session name",
            sts_req("Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fr&RoleSessionName=%C3%28"),
            400,
            "MalformedQueryString",
        )],
        ("sts-query", "huge number") => vec![refused(
            "DurationSeconds 10^20",
            sts_req(&format!("Action=AssumeRole&{ROLE}&DurationSeconds=100000000000000000000")),
            400,
            "InvalidParameterValue",
        )],
        ("sts-query", "nan/infinity") => vec![refused(
            "DurationSeconds NaN",
            sts_req(&format!("Action=AssumeRole&{ROLE}&DurationSeconds=NaN")),
            400,
            "InvalidParameterValue",
        )],
        ("sts-query", "unknown member") => vec![Cell {
            label: "GetCallerIdentity Surprise".into(),
            req: sts_req("Action=GetCallerIdentity&Surprise=1"),
            expect: Expect::Ignored,
        }],

        ("json", "empty") => vec![refused("empty body", Req::json("PutMetricData", b""), 400, "MissingParameter")],
        ("json", "truncated") => vec![
            refused("cut object", Req::json("PutMetricData", br#"{"Namespace":"#), 400, "SerializationException"),
            refused("cut alarm", Req::json("PutMetricAlarm", &alarm_json("")[..40]), 400, "SerializationException"),
        ],
        ("json", "wrong content type") => vec![refused(
            "text/plain",
            Req::post("/", br#"{"Namespace":"N","MetricData":[{"MetricName":"M","Value":1}]}"#.to_vec())
                .header("Content-Type", "text/plain")
                .header("X-Amz-Target", "GraniteServiceVersion20100801.PutMetricData")
                .signed("monitoring"),
            415,
            "UnsupportedMediaTypeException",
        )],
        ("json", "wrong type") => vec![
            refused("string for double", Req::json("PutMetricData", br#"{"Namespace":"N","MetricData":[{"MetricName":"M","Value":"x"}]}"#), 400, "SerializationException"),
            refused("string for integer", Req::json("PutMetricAlarm", &alarm_json("").replace_period()), 400, "SerializationException"),
            refused("object for list", Req::json("PutMetricData", br#"{"Namespace":"N","MetricData":{"MetricName":"M"}}"#), 400, "SerializationException"),
        ],
        ("json", "missing required") => vec![
            refused("Namespace", Req::json("PutMetricData", br#"{"MetricData":[{"MetricName":"M","Value":1}]}"#), 400, "MissingParameter"),
            refused("nested MetricName", Req::json("PutMetricData", br#"{"Namespace":"N","MetricData":[{"Value":1}]}"#), 400, "MissingParameter"),
        ],
        ("json", "oversized list") => {
            let many: Vec<String> = (0..1001).map(|i| format!(r#"{{"MetricName":"M{i}","Value":1}}"#)).collect();
            let body = format!(r#"{{"Namespace":"N","MetricData":[{}]}}"#, many.join(","));
            vec![refused("1001 datums", Req::json("PutMetricData", body.as_bytes()), 400, "InvalidParameterValue")]
        }
        ("json", "oversized string") => vec![refused(
            "alarm name",
            Req::json("PutMetricAlarm", &alarm_json(&format!(r#","AlarmDescription":"{}""#, "d".repeat(1025)))),
            400,
            "ValidationError",
        )],
        ("json", "deep nesting") => {
            let deep = format!(r#"{{"Namespace":"N","MetricData":{}{}}}"#, "[".repeat(10_000), "]".repeat(10_000));
            vec![refused("10000 arrays", Req::json("PutMetricData", deep.as_bytes()), 400, "SerializationException")]
        }
        ("json", "invalid utf-8") => vec![refused(
            "namespace",
            Req::json("PutMetricData", b"{\"Namespace\":\"\xc3\x28\",\"MetricData\":[{\"MetricName\":\"M\",\"Value\":1}]}"),
            400,
            "SerializationException",
        )],
        ("json", "huge number") => vec![
            refused("1e999", put_metric("json", "1e999"), 400, "SerializationException"),
            refused("Period 10^20", Req::json("PutMetricAlarm", &alarm_json("").replace_period_with("100000000000000000000")), 400, "SerializationException"),
        ],
        ("json", "nan/infinity") => vec![
            refused("NaN value", put_metric("json", "\"NaN\""), 400, "InvalidParameterValue"),
            refused("Infinity value", put_metric("json", "\"Infinity\""), 400, "InvalidParameterValue"),
            refused("NaN threshold", Req::json("PutMetricAlarm", &alarm_json("").replace_threshold_with("\"NaN\"")), 400, "InvalidParameterValue"),
        ],
        ("json", "unknown member") => vec![Cell {
            label: "ListMetrics Surprise".into(),
            req: Req::json("ListMetrics", br#"{"Namespace":"N","Surprise":{"a":[1]}}"#),
            expect: Expect::Ignored,
        }],

        ("cbor", "empty") => vec![refused("empty body", Req::cbor("PutMetricData", b""), 400, "MissingParameter")],
        ("cbor", "truncated") => {
            let valid = alarm_cbor(vec![]);
            vec![refused("cut alarm", Req::cbor("PutMetricAlarm", &valid[..valid.len() / 2]), 400, "SerializationException")]
        }
        ("cbor", "wrong content type") => vec![refused(
            "application/json",
            {
                let mut r = Req::cbor("PutMetricData", &datum_cbor(vec![("MetricName", text("M")), ("Value", Cbor::Float(1.0))]));
                r.headers.retain(|(k, _)| k != "Content-Type");
                r.header("Content-Type", "application/json")
            },
            415,
            "UnsupportedMediaTypeException",
        )],
        ("cbor", "wrong type") => vec![
            refused("text for double", Req::cbor("PutMetricData", &datum_cbor(vec![("MetricName", text("M")), ("Value", text("1"))])), 400, "SerializationException"),
            refused("float for integer", Req::cbor("PutMetricAlarm", &alarm_cbor(vec![("Period", Cbor::Float(60.5))])), 400, "SerializationException"),
        ],
        ("cbor", "missing required") => vec![refused(
            "nested MetricName",
            Req::cbor("PutMetricData", &datum_cbor(vec![("Value", Cbor::Float(1.0))])),
            400,
            "MissingParameter",
        )],
        ("cbor", "oversized list") => {
            let many: Vec<Cbor> = (0..1001).map(|i| map(vec![("MetricName", text(&format!("M{i}"))), ("Value", Cbor::Float(1.0))])).collect();
            let body = cbor::encode(&map(vec![("Namespace", text("N")), ("MetricData", Cbor::Array(many))]));
            vec![refused("1001 datums", Req::cbor("PutMetricData", &body), 400, "InvalidParameterValue")]
        }
        ("cbor", "oversized string") => vec![refused(
            "metric name",
            Req::cbor("PutMetricData", &datum_cbor(vec![("MetricName", text(&"m".repeat(300))), ("Value", Cbor::Float(1.0))])),
            400,
            "ValidationError",
        )],
        ("cbor", "deep nesting") => {
            let mut body = vec![0xa2, 0x69];
            body.extend_from_slice(b"Namespace");
            body.extend_from_slice(&[0x61, b'N', 0x6a]);
            body.extend_from_slice(b"MetricData");
            body.extend(std::iter::repeat_n(0x81_u8, 100_000));
            body.push(0xa0);
            vec![refused("100000 arrays", Req::cbor("PutMetricData", &body), 400, "SerializationException")]
        }
        ("cbor", "invalid utf-8") => {
            let mut body = datum_cbor(vec![("MetricName", text("MM")), ("Value", Cbor::Float(1.0))]);
            let at = body.windows(3).position(|w| w == [0x62, b'M', b'M']).unwrap();
            body[at + 1] = 0xc3;
            body[at + 2] = 0x28;
            vec![refused("metric name", Req::cbor("PutMetricData", &body), 400, "SerializationException")]
        }
        ("cbor", "huge number") => vec![
            refused("Period 2^64-1", Req::cbor("PutMetricAlarm", &alarm_cbor(vec![("Period", Cbor::Int(u64::MAX.into()))])), 400, "SerializationException"),
            refused("bignum tag", Req::cbor("PutMetricAlarm", &alarm_cbor(vec![("Period", Cbor::Tag(2, Box::new(Cbor::Bytes(vec![1; 20]))))])), 400, "SerializationException"),
        ],
        ("cbor", "nan/infinity") => vec![
            refused("NaN value", put_metric("cbor", "NaN"), 400, "InvalidParameterValue"),
            refused("-inf value", put_metric("cbor", "-inf"), 400, "InvalidParameterValue"),
            refused("NaN threshold", Req::cbor("PutMetricAlarm", &alarm_cbor(vec![("Threshold", Cbor::Float(f64::NAN))])), 400, "InvalidParameterValue"),
        ],
        ("cbor", "unknown member") => vec![Cell {
            label: "ListMetrics Surprise".into(),
            req: Req::cbor("ListMetrics", &cbor::encode(&map(vec![("Surprise", Cbor::Array(vec![Cbor::Int(1)]))]))),
            expect: Expect::Ignored,
        }],
        _ => vec![],
    }
}

/// Byte-level edits of the JSON alarm.
trait AlarmEdit {
    fn replace_period(&self) -> Vec<u8>;
    fn replace_period_with(&self, with: &str) -> Vec<u8>;
    fn replace_threshold_with(&self, with: &str) -> Vec<u8>;
}

impl AlarmEdit for Vec<u8> {
    fn replace_period(&self) -> Vec<u8> {
        self.replace_period_with("\"60\"")
    }
    fn replace_period_with(&self, with: &str) -> Vec<u8> {
        String::from_utf8_lossy(self).replace(r#""Period":60"#, &format!(r#""Period":{with}"#)).into_bytes()
    }
    fn replace_threshold_with(&self, with: &str) -> Vec<u8> {
        String::from_utf8_lossy(self).replace(r#""Threshold":1"#, &format!(r#""Threshold":{with}"#)).into_bytes()
    }
}

/// Every protocol x malformation cell: each has at least one request, each is answered
/// as AWS answers it, and none changes state or takes the server down. Failures are
/// collected so that one run shows the whole matrix.
#[test]
fn the_bad_input_matrix() {
    let s = Server::new();
    let described = s.request(&Req::form("ec2", "Action=DescribeVpcs&Version=2016-11-15"));
    let vpc = {
        let t = described.text();
        let start = t.find("<vpcId>").expect("a default VPC") + 7;
        t[start..start + t[start..].find('<').unwrap()].to_string()
    };
    // The valid versions of the mutating requests succeed (so each cell is a near miss).
    for ok in [
        ec2_req(&format!("Action=CreateTags&ResourceId.1={vpc}&Tag.1.Key=k&Tag.1.Value=v")),
        cw_query(ALARM),
        sts_req(&format!("Action=AssumeRole&{ROLE}")),
        Req::json("PutMetricAlarm", &alarm_json("")),
        Req::cbor("PutMetricAlarm", &alarm_cbor(vec![])),
    ] {
        let r = s.request(&ok);
        assert_eq!(r.status, 200, "baseline: {}", r.text());
    }
    // Start the cells from a clean slate (an alarm left from the baselines could be
    // evaluated mid-run and change the state for reasons of its own).
    assert_eq!(s.request(&Req::post("/_nimbus/reset", Vec::new())).status, 200);
    let described = s.request(&Req::form("ec2", "Action=DescribeVpcs&Version=2016-11-15"));
    let vpc = {
        let t = described.text();
        let start = t.find("<vpcId>").expect("a default VPC") + 7;
        t[start..start + t[start..].find('<').unwrap()].to_string()
    };

    let mut failures = Vec::new();
    let mut ran = 0;
    for protocol in PROTOCOLS {
        for malformation in MALFORMATIONS {
            let cells = cells(protocol, malformation, &vpc);
            if cells.is_empty() {
                failures.push(format!("{protocol} x {malformation}: no cell"));
            }
            for cell in cells {
                ran += 1;
                let label = format!("{protocol} x {malformation} ({})", cell.label);
                let before = s.state();
                let r = s.request(&cell.req);
                let got = (r.status, r.error_code());
                match cell.expect {
                    Expect::Refused(status, code) => {
                        if got != (status, Some(code.to_string())) {
                            failures.push(format!("{label}: want {status} {code}, got {got:?}: {:.300}", r.text()));
                        }
                        if r.header("x-amzn-requestid").is_none() {
                            failures.push(format!("{label}: no request id"));
                        }
                    }
                    Expect::Ignored => {
                        if r.status != 200 {
                            failures.push(format!("{label}: want 200, got {got:?}: {:.300}", r.text()));
                        }
                    }
                }
                if s.state() != before {
                    failures.push(format!("{label}: state changed"));
                }
                assert_eq!(s.request(&Req::get("/_nimbus/health")).status, 200, "{label}: server down");
            }
        }
    }
    assert!(failures.is_empty(), "{} of {ran} cells failed:\n{}", failures.len(), failures.join("\n"));
}
