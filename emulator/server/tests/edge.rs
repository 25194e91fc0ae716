//! The HTTP edge on a real socket: health, limits, timeouts, gzip, graceful shutdown,
//! the admin API and partitioning.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use nimbus_server::Config;
use support::{parse_response, send, Req, Server};

#[test]
fn health_reports_services_and_version() {
    let s = Server::new();
    let r = s.request(&Req::get("/_nimbus/health"));
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["status"], "running");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    for svc in ["ec2", "monitoring", "sts"] {
        assert_eq!(v["services"][svc]["status"], "running", "{svc}");
    }
    assert!(v["uptimeSeconds"].as_f64().unwrap() >= 0.0);
    // The test server runs in this process, so the figures are the test binary's own.
    if cfg!(target_os = "linux") {
        assert!(v["memory"]["residentBytes"].as_u64().unwrap() > 1 << 20, "{}", v["memory"]);
    }
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        let in_use = v["memory"]["heapInUseBytes"].as_u64().unwrap();
        assert!(in_use > 0 && v["memory"]["heapFreeBytes"].is_u64(), "{}", v["memory"]);
    }
}

#[test]
fn every_response_has_a_request_id_and_a_date() {
    let s = Server::new();
    let r = s.request(&Req::form("sts", "Action=GetCallerIdentity&Version=2011-06-15"));
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.header("x-amzn-requestid").unwrap();
    assert_eq!(id.len(), 36);
    assert!(r.text().contains(&format!("<RequestId>{id}</RequestId>")));
    assert!(r.header("date").unwrap().ends_with("GMT"));
    let ec2 = s.request(&Req::form("ec2", "Action=DescribeRegions&Version=2016-11-15&RegionName.1=us-east-1"));
    let id = ec2.header("x-amzn-requestid").unwrap();
    assert!(ec2.text().contains(&format!("<requestId>{id}</requestId>")), "{}", ec2.text());
}

#[test]
fn gzip_bodies_are_accepted_and_bombs_refused() {
    use flate2::write::GzEncoder;
    let s = Server::new();
    let body = br#"{"Namespace":"Gz","MetricData":[{"MetricName":"M","Value":1}]}"#;
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body).unwrap();
    let r = s.request(&Req::json("PutMetricData", &gz.finish().unwrap()).header("Content-Encoding", "gzip"));
    assert_eq!(r.status, 200, "{}", r.text());
    let listed = s.request(&Req::json("ListMetrics", br#"{"Namespace":"Gz"}"#));
    assert!(listed.text().contains("\"MetricName\":\"M\""), "{}", listed.text());

    // 64 MiB of zeros compress to ~64 KiB: refused as too large once inflated.
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b' '; 64 * 1024 * 1024]).unwrap();
    let r = s.request(&Req::json("ListMetrics", &gz.finish().unwrap()).header("Content-Encoding", "gzip"));
    assert_eq!((r.status, r.error_code().as_deref()), (413, Some("RequestEntityTooLarge")));
    let r = s.request(&Req::json("ListMetrics", b"{}").header("Content-Encoding", "br"));
    assert_eq!(r.status, 415);
}

#[test]
fn oversized_bodies_get_413_in_the_requests_protocol() {
    let s = Server::start(Config { addr: "127.0.0.1:0".parse().unwrap(), max_body_bytes: 1024, ..Config::default() });
    let big = "x".repeat(4096);
    let r = s.request(&Req::json("ListMetrics", format!(r#"{{"Namespace":"{big}"}}"#).as_bytes()));
    assert_eq!(r.status, 413);
    assert_eq!(r.header("x-amzn-query-error"), Some("RequestEntityTooLarge;Sender"));
    let r = s.request(&Req::form("ec2", &format!("Action=DescribeRegions&Version=2016-11-15&X={big}")));
    assert_eq!(r.status, 413);
    assert!(r.text().contains("<Response><Errors><Error><Code>RequestEntityTooLarge</Code>"), "{}", r.text());
}

#[test]
fn slow_headers_get_408_in_aws_form() {
    let s = Server::start(Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        request_timeout: Duration::from_millis(300),
        ..Config::default()
    });
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = Instant::now();
    let mut raw = Vec::new();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = c.read_to_end(&mut raw);
    assert!(started.elapsed() < Duration::from_secs(3));
    let r = parse_response(&raw);
    assert_eq!(r.status, 408);
    assert!(r.text().contains("<Code>RequestTimeout</Code>"), "{}", r.text());
    // A client that never sends anything is simply dropped.
    let mut idle = TcpStream::connect(s.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    assert_eq!(idle.read_to_end(&mut buf).unwrap_or(0), 0);
    // Meanwhile others are served.
    assert_eq!(s.request(&Req::get("/_nimbus/health")).status, 200);
}

#[test]
fn in_flight_requests_finish_on_shutdown() {
    let s = Server::new();
    let addr = s.addr;
    let req = Req::form("sts", "Action=GetCallerIdentity&Version=2011-06-15").to_bytes(addr);
    let split = req.len() - 10;
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(&req[..split]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let stopper = std::thread::spawn(move || s.stop());
    std::thread::sleep(Duration::from_millis(200));
    c.write_all(&req[split..]).unwrap();
    let mut raw = Vec::new();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.read_to_end(&mut raw).unwrap();
    let r = parse_response(&raw);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<Account>000000000000</Account>"));
    stopper.join().unwrap();
    // The listener is closed.
    assert!(TcpStream::connect(addr).is_err() || send(addr, b"GET /_nimbus/health HTTP/1.1\r\n\r\n").status != 200);
}

#[test]
fn reset_wipes_state_but_keeps_configuration() {
    let s = Server::new();
    let r = s.request(&Req::json("PutMetricData", br#"{"Namespace":"R","MetricData":[{"MetricName":"M","Value":1}]}"#));
    assert_eq!(r.status, 200);
    assert_ne!(s.state()["monitoring"], serde_json::json!({}));
    let r = s.request(&Req::post("/_nimbus/reset", Vec::new()));
    assert_eq!(r.status, 200);
    assert_eq!(s.state()["monitoring"], serde_json::json!({}));
    // Credentials still work after a reset.
    let r = s.request(&Req::form("sts", "Action=GetCallerIdentity&Version=2011-06-15"));
    assert_eq!(r.status, 200);
    assert_eq!(s.request(&Req::get("/_nimbus/nope")).status, 404);
    assert_eq!(s.request(&Req::get("/_nimbus/reset")).status, 405);
}

#[test]
fn state_is_partitioned_by_account_and_region() {
    let s = Server::start(Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        credentials: vec![
            nimbus_core::auth::Credential::new("test", "test", "000000000000"),
            nimbus_core::auth::Credential::new("other", "secret", "123456789012"),
        ],
        ..Config::default()
    });
    let put = br#"{"Namespace":"P","MetricData":[{"MetricName":"M","Value":1}]}"#;
    let mut eu = Req::json("PutMetricData", put);
    eu.sign = Some(("monitoring".into(), "eu-west-1".into(), "test".into(), "test".into()));
    assert_eq!(s.request(&eu).status, 200);
    let mut other = Req::json("PutMetricData", put);
    other.sign = Some(("monitoring".into(), "us-east-1".into(), "other".into(), "secret".into()));
    assert_eq!(s.request(&other).status, 200);
    let state = s.state();
    assert!(state["monitoring"]["000000000000"]["eu-west-1"].is_object());
    assert!(state["monitoring"]["123456789012"]["us-east-1"].is_object());
    assert!(state["monitoring"]["000000000000"].get("us-east-1").is_none());
    let mut id = Req::form("sts", "Action=GetCallerIdentity&Version=2011-06-15");
    id.sign = Some(("sts".into(), "us-east-1".into(), "other".into(), "secret".into()));
    assert!(s.request(&id).text().contains("<Account>123456789012</Account>"));
}

#[test]
fn auth_off_accepts_any_signature() {
    let s = Server::start(Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        auth: nimbus_core::auth::AuthMode::Off,
        ..Config::default()
    });
    let mut r = Req::form("sts", "Action=GetCallerIdentity&Version=2011-06-15");
    r.sign = Some(("sts".into(), "eu-west-1".into(), "123456789012".into(), "whatever".into()));
    let resp = s.request(&r);
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp.text().contains("<Account>123456789012</Account>"));
    let resp = s.request(&Req::form("ec2", "Action=DescribeAvailabilityZones&Version=2016-11-15").unsigned());
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp.text().contains("<regionName>us-east-1</regionName>"));
}

#[test]
fn unimplemented_operations_are_named_in_each_protocol() {
    let s = Server::new();
    let r = s.request(&Req::form("ec2", "Action=DescribeFpgaImages&Version=2016-11-15"));
    assert_eq!(r.error_code().as_deref(), Some("NotImplemented"));
    assert!(r.text().contains("DescribeFpgaImages"));
    // CloudWatch implements its whole model; SSM (JSON 1.1) does not.
    let r = s.request(
        &Req::post("/", b"{}".to_vec())
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("X-Amz-Target", "AmazonSSM.ListOpsItemEvents")
            .signed("ssm"),
    );
    assert!(r.text().contains("\"__type\":\"NotImplemented\""), "{}", r.text());
    assert!(r.text().contains("ListOpsItemEvents"));
}

/// GetWebIdentityToken names the issuer by the Host the request reached, and nimbus
/// serves that issuer's discovery documents; an account with outbound federation turned
/// off is refused.
#[test]
fn web_identity_tokens_name_an_issuer_nimbus_serves() {
    let s = Server::start(Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        credentials: vec![
            nimbus_core::auth::Credential::new("test", "test", "000000000000"),
            nimbus_core::auth::Credential::new("other", "secret", "123456789012"),
        ],
        outbound_federation: nimbus_sts::OutboundFederation::parse("123456789012").unwrap(),
        ..Config::default()
    });
    let body = "Action=GetWebIdentityToken&Version=2011-06-15&Audience.member.1=https%3A%2F%2Fapi.example.com&SigningAlgorithm=ES384";
    let r = s.request(&Req::form("sts", body));
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    let start = text.find("<WebIdentityToken>").unwrap() + "<WebIdentityToken>".len();
    let token = &text[start..start + text[start..].find('<').unwrap()];
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap(),
    )
    .unwrap();
    let issuer = claims["iss"].as_str().unwrap();
    assert_eq!(issuer, format!("http://{}/_nimbus/sts/outbound/000000000000", s.addr));

    let config = s.request(&Req::get("/_nimbus/sts/outbound/000000000000/.well-known/openid-configuration"));
    assert_eq!(config.status, 200);
    let config: serde_json::Value = serde_json::from_slice(&config.body).unwrap();
    assert_eq!(config["issuer"], issuer);
    assert_eq!(config["jwks_uri"], format!("{issuer}/.well-known/jwks.json"));
    let jwks = s.request(&Req::get("/_nimbus/sts/outbound/000000000000/.well-known/jwks.json"));
    let jwks: serde_json::Value = serde_json::from_slice(&jwks.body).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert_eq!(s.request(&Req::get("/_nimbus/sts/outbound/nope/.well-known/jwks.json")).status, 404);
    assert_eq!(s.request(&Req::get("/_nimbus/sts/outbound/000000000000/.well-known/other")).status, 404);
    assert_eq!(
        s.request(&Req::post("/_nimbus/sts/outbound/000000000000/.well-known/jwks.json", Vec::new())).status,
        405
    );

    let mut other = Req::form("sts", body);
    other.sign = Some(("sts".into(), "us-east-1".into(), "other".into(), "secret".into()));
    let r = s.request(&other);
    assert_eq!(r.status, 403);
    assert_eq!(r.error_code().as_deref(), Some("OutboundWebIdentityFederationDisabledException"));
}
