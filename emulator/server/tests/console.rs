//! The console at /_nimbus/ui on a real socket: served by default on loopback, gone
//! with `--ui off`, and reading what signed requests built.

mod support;

use nimbus_server::Config;
use support::{Req, Server};

#[test]
fn the_console_is_served_and_reads_the_cloud() {
    let s = Server::new();
    let r = s.request(&Req::get("/_nimbus/ui"));
    assert_eq!((r.status, r.header("location")), (302, Some("/_nimbus/ui/")));
    let page = s.request(&Req::get("/_nimbus/ui/"));
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(page.text().contains("<script src=\"console.js\">"));
    assert_eq!(s.request(&Req::get("/_nimbus/ui/console.js")).status, 200);

    let vpc = s.request(&Req::form("ec2", "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.9.0.0/16"));
    assert_eq!(vpc.status, 200, "{}", vpc.text());
    let net = s.request(&Req::get("/_nimbus/ui/api/network?account=000000000000&region=us-east-1"));
    assert_eq!(net.status, 200);
    let net: serde_json::Value = serde_json::from_slice(&net.body).unwrap();
    assert!(net["vpcs"].as_array().unwrap().iter().any(|v| v["cidr"] == "10.9.0.0/16"), "{net}");
    assert_eq!(s.request(&Req::get("/_nimbus/ui/api/network?account=1")).status, 400);
}

#[test]
fn ui_off_answers_404() {
    let s = Server::start(Config { addr: "127.0.0.1:0".parse().unwrap(), ui: false, ..Config::default() });
    for path in ["/_nimbus/ui", "/_nimbus/ui/", "/_nimbus/ui/console.js", "/_nimbus/ui/api/partitions"] {
        assert_eq!(s.request(&Req::get(path)).status, 404, "{path}");
    }
    assert_eq!(s.request(&Req::get("/_nimbus/health")).status, 200);
}
