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
