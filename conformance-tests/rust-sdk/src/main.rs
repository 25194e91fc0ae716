//! aws-sdk-rust conformance cases against a running nimbus.
//!
//! `cargo run --manifest-path conformance-tests/rust-sdk/Cargo.toml -- --endpoint http://127.0.0.1:4566`
//! (or `NIMBUS_ENDPOINT=...`). Prints `PASS <case>` / `FAIL <case>: <reason>` per case, then a
//! summary line, and exits 1 when any case failed. `--case SUBSTRING` (repeatable) runs only the
//! cases whose name contains one of the substrings.

mod cloudwatch;
mod support;

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use aws_sdk_ec2::types::AvailabilityZoneState;
use aws_smithy_types::DateTime;

use support::{describe_raw, expect_refusal, Ctx, Opts, Recorder};

type CaseResult = Result<(), String>;
type CaseFuture = Pin<Box<dyn Future<Output = CaseResult> + Send>>;
type CaseFn = fn(Arc<Ctx>) -> CaseFuture;

/// Longest a single case may take before it counts as failed (nothing here should take a second).
const CASE_TIMEOUT: Duration = Duration::from_secs(60);

const ROOT_ACCOUNT: &str = "000000000000";
const ROOT_ARN: &str = "arn:aws:iam::000000000000:root";
const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/Conformance";
const ROLE_ACCOUNT: &str = "111122223333";
/// AWS's wording for a signature computed with another secret, and for a credential scope naming
/// another region than the endpoint's.
const SIG_MISMATCH: &str = "The request signature we calculated does not match the signature you provided";
const BAD_SCOPE: &str = "Credential should be scoped to a valid region";
const ASSUMED_ROLE_ARN: &str = "arn:aws:sts::111122223333:assumed-role/Conformance/rust-sdk";

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

macro_rules! ensure_eq {
    ($what:expr, $got:expr, $want:expr) => {{
        let got = $got;
        let want = $want;
        if got != want {
            return Err(format!("{}: got {:?}, want {:?}", $what, got, want));
        }
    }};
}

/// `.await` an SDK call that must succeed; on error, fail the case with the full error and raw response.
macro_rules! ok {
    ($what:expr, $call:expr) => {
        match $call.await {
            Ok(out) => out,
            Err(e) => return Err(format!("{} failed: {}", $what, support::describe_sdk_error(&e))),
        }
    };
}

fn cases() -> Vec<(&'static str, CaseFn)> {
    vec![
        ("sts.get_caller_identity", |c| Box::pin(sts_get_caller_identity(c))),
        ("ec2.describe_regions", |c| Box::pin(ec2_describe_regions(c))),
        ("ec2.describe_availability_zones", |c| Box::pin(ec2_describe_availability_zones(c))),
        ("cloudwatch.put_metric_data_then_list_metrics", |c| Box::pin(cw_put_then_list(c))),
        ("cloudwatch.list_metrics_pagination", |c| Box::pin(cw_list_metrics_pagination(c))),
        ("cloudwatch.error_codes", |c| Box::pin(cw_error_codes(c))),
        ("cloudwatch.statistics_hand_computed", |c| Box::pin(cloudwatch::statistics(c))),
        ("cloudwatch.metric_math", |c| Box::pin(cloudwatch::metric_math(c))),
        ("cloudwatch.alarm_on_driven_clock", |c| Box::pin(cloudwatch::alarm_on_driven_clock(c))),
        ("cloudwatch.composite_alarm_and_dashboard", |c| Box::pin(cloudwatch::composite_and_dashboard(c))),
        ("sts.get_session_token", |c| Box::pin(sts_get_session_token(c))),
        ("sts.assume_role", |c| Box::pin(sts_assume_role(c))),
        ("sts.assume_role_wrong_session_token", |c| Box::pin(sts_assume_role_wrong_token(c))),
        ("sts.refuse_wrong_secret", |c| Box::pin(sts_refuse_wrong_secret(c))),
        ("ec2.refuse_wrong_secret", |c| Box::pin(ec2_refuse_wrong_secret(c))),
        ("cloudwatch.refuse_wrong_secret", |c| Box::pin(cw_refuse_wrong_secret(c))),
        ("sts.refuse_expired_clock", |c| Box::pin(sts_refuse_expired_clock(c))),
        ("ec2.refuse_expired_clock", |c| Box::pin(ec2_refuse_expired_clock(c))),
        ("cloudwatch.refuse_expired_clock", |c| Box::pin(cw_refuse_expired_clock(c))),
        ("sts.refuse_foreign_region_scope", |c| Box::pin(sts_refuse_foreign_scope(c))),
        ("ec2.refuse_foreign_region_scope", |c| Box::pin(ec2_refuse_foreign_scope(c))),
        ("cloudwatch.refuse_foreign_region_scope", |c| Box::pin(cw_refuse_foreign_scope(c))),
        ("sts.host_region_matches_scope", |c| Box::pin(sts_host_region_control(c))),
        ("ec2.host_region_matches_scope", |c| Box::pin(ec2_host_region_control(c))),
        ("cloudwatch.host_region_matches_scope", |c| Box::pin(cw_host_region_control(c))),
    ]
}

fn usage(code: i32) -> ! {
    eprintln!(
        "usage: nimbus-conformance-rust [--endpoint URL] [--case SUBSTRING]...\n\
         (the endpoint defaults to $NIMBUS_ENDPOINT, then http://127.0.0.1:4566)"
    );
    std::process::exit(code);
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut endpoint = std::env::var("NIMBUS_ENDPOINT").ok();
    let mut filters: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--endpoint" => endpoint = Some(args.next().unwrap_or_else(|| usage(2))),
            "--case" => filters.push(args.next().unwrap_or_else(|| usage(2))),
            "-h" | "--help" => usage(0),
            other => match other.strip_prefix("--endpoint=") {
                Some(v) => endpoint = Some(v.to_owned()),
                None => usage(2),
            },
        }
    }
    let endpoint = endpoint.unwrap_or_else(|| "http://127.0.0.1:4566".to_owned());
    let ctx = match Ctx::new(&endpoint) {
        Ok(ctx) => Arc::new(ctx),
        Err(e) => {
            eprintln!("bad endpoint {endpoint:?}: {e}");
            return ExitCode::from(2);
        }
    };

    let (mut passed, mut failed) = (0usize, 0usize);
    for (name, case) in cases() {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        // Each case runs in its own task, so a panic is a FAIL of that case only.
        let task = tokio::spawn(tokio::time::timeout(CASE_TIMEOUT, case(ctx.clone())));
        let outcome = match task.await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(format!("timed out after {CASE_TIMEOUT:?}")),
            Err(e) => Err(format!("panicked: {e}")),
        };
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("PASS {name}");
            }
            Err(reason) => {
                failed += 1;
                println!("FAIL {name}: {}", reason.replace('\n', " "));
            }
        }
    }
    println!("rust-sdk: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A name no other run will use: seconds, nanoseconds and the process id.
fn unique(prefix: &str) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("{prefix}/{}-{}-{}", now.as_secs(), now.subsec_nanos(), std::process::id())
}

// ---------------------------------------------------------------------------------------------
// 1. STS identity

async fn sts_get_caller_identity(ctx: Arc<Ctx>) -> CaseResult {
    let sts = ctx.sts(&Opts::default()).await;
    let out = ok!("GetCallerIdentity", sts.get_caller_identity().send());
    ensure_eq!("Account", out.account(), Some(ROOT_ACCOUNT));
    ensure_eq!("Arn", out.arn(), Some(ROOT_ARN));
    ensure!(out.user_id().is_some_and(|u| !u.is_empty()), "UserId is empty: {:?}", out.user_id());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 2-3. EC2 regions and zones

async fn ec2_describe_regions(ctx: Arc<Ctx>) -> CaseResult {
    let ec2 = ctx.ec2(&Opts::default()).await;
    let out = ok!("DescribeRegions", ec2.describe_regions().send());
    let regions = out.regions();
    let names: Vec<_> = regions.iter().filter_map(|r| r.region_name()).collect();
    let us_east_1 = regions
        .iter()
        .find(|r| r.region_name() == Some("us-east-1"))
        .ok_or_else(|| format!("us-east-1 missing from DescribeRegions: {names:?}"))?;
    ensure_eq!("us-east-1 Endpoint", us_east_1.endpoint(), Some("ec2.us-east-1.amazonaws.com"));
    ensure_eq!("us-east-1 OptInStatus", us_east_1.opt_in_status(), Some("opt-in-not-required"));
    ensure!(names.contains(&"eu-west-1"), "eu-west-1 missing from DescribeRegions: {names:?}");

    let out = ok!("DescribeRegions(RegionNames=[eu-west-1])", ec2.describe_regions().region_names("eu-west-1").send());
    let names: Vec<_> = out.regions().iter().map(|r| r.region_name()).collect();
    ensure_eq!("DescribeRegions(RegionNames=[eu-west-1])", names, vec![Some("eu-west-1")]);
    ensure_eq!("eu-west-1 Endpoint", out.regions()[0].endpoint(), Some("ec2.eu-west-1.amazonaws.com"));
    Ok(())
}

async fn ec2_describe_availability_zones(ctx: Arc<Ctx>) -> CaseResult {
    let ec2 = ctx.ec2(&Opts { region: "eu-west-1", ..Opts::default() }).await;
    let out = ok!("DescribeAvailabilityZones", ec2.describe_availability_zones().send());
    let zones = out.availability_zones();
    let summary: Vec<_> = zones.iter().map(|z| (z.zone_name(), z.zone_id())).collect();
    ensure_eq!("number of zones in eu-west-1", zones.len(), 3);
    for z in zones {
        ensure_eq!("RegionName", z.region_name(), Some("eu-west-1"));
        ensure!(
            z.zone_name().is_some_and(|n| n.starts_with("eu-west-1")),
            "ZoneName {:?} does not start with eu-west-1 (zones {summary:?})",
            z.zone_name()
        );
        ensure!(
            z.zone_id().is_some_and(|id| id.starts_with("euw1-az")),
            "ZoneId {:?} does not start with euw1-az (zones {summary:?})",
            z.zone_id()
        );
        ensure_eq!(format!("State of {:?}", z.zone_name()), z.state(), Some(&AvailabilityZoneState::Available));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 4-6. CloudWatch over Smithy RPC v2 CBOR

fn dimension(name: &str, value: &str) -> Dimension {
    Dimension::builder().name(name).value(value).build()
}

fn sorted_dimensions(dims: &[Dimension]) -> Vec<(String, String)> {
    let mut v: Vec<_> = dims
        .iter()
        .map(|d| (d.name().unwrap_or("<none>").to_owned(), d.value().unwrap_or("<none>").to_owned()))
        .collect();
    v.sort();
    v
}

async fn cw_put_then_list(ctx: Arc<Ctx>) -> CaseResult {
    let recorder = Recorder::default();
    let cw = ctx.cloudwatch(&Opts { recorder: Some(recorder.clone()), ..Opts::default() }).await;
    let namespace = unique("Conformance/Rust");
    let dims = vec![dimension("Host", "web-1"), dimension("Stage", "prod")];
    let ts =
        DateTime::from_secs((SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() - 60) as i64);
    let datum = MetricDatum::builder()
        .metric_name("Latency")
        .set_dimensions(Some(dims.clone()))
        .timestamp(ts)
        .value(42.5)
        .unit(StandardUnit::Milliseconds)
        .build();
    ok!("PutMetricData", cw.put_metric_data().namespace(&namespace).metric_data(datum).send());

    // The wire: the SDK must have spoken Smithy RPC v2 CBOR, and nimbus must have answered in it.
    let exchanges = recorder.take();
    let put = exchanges
        .iter()
        .find(|x| x.path.ends_with("/PutMetricData"))
        .ok_or_else(|| format!("no PutMetricData request recorded: {exchanges:?}"))?;
    ensure_eq!(
        "PutMetricData request path",
        put.path.as_str(),
        "/service/GraniteServiceVersion20100801/operation/PutMetricData"
    );
    ensure_eq!("PutMetricData request content-type", put.content_type.as_deref(), Some("application/cbor"));
    ensure_eq!("PutMetricData request smithy-protocol", put.request_smithy_protocol.as_deref(), Some("rpc-v2-cbor"));
    ensure_eq!("PutMetricData response status", put.status, Some(200));
    ensure_eq!("PutMetricData response smithy-protocol", put.response_smithy_protocol.as_deref(), Some("rpc-v2-cbor"));

    let out = ok!("ListMetrics", cw.list_metrics().namespace(&namespace).send());
    let metrics = out.metrics();
    ensure_eq!("number of metrics listed", metrics.len(), 1);
    let m = &metrics[0];
    ensure_eq!("Namespace", m.namespace(), Some(namespace.as_str()));
    ensure_eq!("MetricName", m.metric_name(), Some("Latency"));
    ensure_eq!("Dimensions", sorted_dimensions(m.dimensions()), sorted_dimensions(&dims));
    ensure_eq!("NextToken", out.next_token(), None);

    let list = recorder.take();
    let lm = list
        .iter()
        .find(|x| x.path.ends_with("/ListMetrics"))
        .ok_or_else(|| format!("no ListMetrics request recorded: {list:?}"))?;
    ensure_eq!("ListMetrics response smithy-protocol", lm.response_smithy_protocol.as_deref(), Some("rpc-v2-cbor"));
    ensure_eq!("ListMetrics response content-type", lm.response_content_type.as_deref(), Some("application/cbor"));
    Ok(())
}

async fn cw_list_metrics_pagination(ctx: Arc<Ctx>) -> CaseResult {
    let cw = ctx.cloudwatch(&Opts::default()).await;
    let namespace = unique("Conformance/Rust/Pages");
    let names = ["Alpha", "Beta", "Gamma"];
    let mut put = cw.put_metric_data().namespace(&namespace);
    for (i, name) in names.iter().enumerate() {
        put = put.metric_data(
            MetricDatum::builder()
                .metric_name(*name)
                .dimensions(dimension("Index", &i.to_string()))
                .value(i as f64)
                .unit(StandardUnit::Count)
                .build(),
        );
    }
    ok!("PutMetricData (3 metrics)", put.send());

    let out = ok!("ListMetrics", cw.list_metrics().namespace(&namespace).send());
    let mut got: Vec<_> = out
        .metrics()
        .iter()
        .map(|m| {
            (
                m.namespace().unwrap_or_default().to_owned(),
                m.metric_name().unwrap_or_default().to_owned(),
                sorted_dimensions(m.dimensions()),
            )
        })
        .collect();
    got.sort();
    let want: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (namespace.clone(), n.to_string(), vec![("Index".to_owned(), i.to_string())]))
        .collect();
    ensure_eq!("metrics listed", got, want);
    ensure_eq!("NextToken", out.next_token(), None);
    Ok(())
}

async fn cw_error_codes(ctx: Arc<Ctx>) -> CaseResult {
    let recorder = Recorder::default();
    let cw = ctx.cloudwatch(&Opts { recorder: Some(recorder.clone()), ..Opts::default() }).await;
    let res = cw
        .put_metric_data()
        .namespace("AWS/EC2")
        .metric_data(MetricDatum::builder().metric_name("CPUUtilization").value(1.0).build())
        .send()
        .await;
    let err = match res {
        Ok(out) => return Err(format!("PutMetricData to AWS/EC2 succeeded: {out:?}")),
        Err(e) if e.as_service_error().is_none() => {
            return Err(format!("want InvalidParameterValue, got {}", support::describe_sdk_error(&e)))
        }
        Err(e) => e,
    };
    let raw = err.raw_response().map(describe_raw).unwrap_or_else(|| "<no response>".into());
    let status = err.raw_response().map(|r| r.status().as_u16());
    let service_err = match err.into_service_error() {
        aws_sdk_cloudwatch::operation::put_metric_data::PutMetricDataError::InvalidParameterValueException(e) => e,
        other => {
            return Err(format!(
                "want the modeled InvalidParameterValueException, got code {:?} message {:?} ({other:?}); response: {raw}",
                other.code(),
                other.message()
            ));
        }
    };
    ensure_eq!(format!("status (response: {raw})"), status, Some(400));
    ensure_eq!(format!("code (response: {raw})"), service_err.meta().code(), Some("InvalidParameterValue"));
    ensure_eq!(format!("error type (response: {raw})"), service_err.meta().extra("type"), Some("Sender"));
    ensure!(
        service_err.message().is_some_and(|m| m.contains("AWS/")),
        "message does not mention the reserved AWS/ prefix: {:?}; response: {raw}",
        service_err.message()
    );
    let exchanges = recorder.take();
    ensure!(
        exchanges.iter().any(|x| x.query_error.as_deref() == Some("InvalidParameterValue;Sender")),
        "no x-amzn-query-error: InvalidParameterValue;Sender response header: {exchanges:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 7. STS temporary credentials

async fn sts_get_session_token(ctx: Arc<Ctx>) -> CaseResult {
    let sts = ctx.sts(&Opts::default()).await;
    let out = ok!("GetSessionToken", sts.get_session_token().duration_seconds(900).send());
    let creds = out.credentials().ok_or("GetSessionToken returned no Credentials")?;
    support::check_temporary_credentials(creds)?;

    let session = ctx
        .sts(&Opts {
            access_key: creds.access_key_id().to_owned(),
            secret_key: creds.secret_access_key().to_owned(),
            session_token: Some(creds.session_token().to_owned()),
            ..Opts::default()
        })
        .await;
    let id = ok!("GetCallerIdentity with session credentials", session.get_caller_identity().send());
    ensure_eq!("Account", id.account(), Some(ROOT_ACCOUNT));
    ensure_eq!("Arn", id.arn(), Some(ROOT_ARN));
    Ok(())
}

async fn assume_conformance_role(ctx: &Ctx) -> Result<aws_sdk_sts::types::Credentials, String> {
    let sts = ctx.sts(&Opts::default()).await;
    let out = ok!("AssumeRole", sts.assume_role().role_arn(ROLE_ARN).role_session_name("rust-sdk").send());
    let user = out.assumed_role_user().ok_or("AssumeRole returned no AssumedRoleUser")?;
    ensure_eq!("AssumedRoleUser.Arn", user.arn(), ASSUMED_ROLE_ARN);
    ensure!(
        user.assumed_role_id().ends_with(":rust-sdk") && user.assumed_role_id().starts_with("AROA"),
        "AssumedRoleUser.AssumedRoleId {:?} is not AROA...:rust-sdk",
        user.assumed_role_id()
    );
    let creds = out.credentials().ok_or("AssumeRole returned no Credentials")?.clone();
    support::check_temporary_credentials(&creds)?;
    Ok(creds)
}

async fn sts_assume_role(ctx: Arc<Ctx>) -> CaseResult {
    let creds = assume_conformance_role(&ctx).await?;
    let role = ctx
        .sts(&Opts {
            access_key: creds.access_key_id().to_owned(),
            secret_key: creds.secret_access_key().to_owned(),
            session_token: Some(creds.session_token().to_owned()),
            ..Opts::default()
        })
        .await;
    let id = ok!("GetCallerIdentity as the assumed role", role.get_caller_identity().send());
    ensure_eq!("Account", id.account(), Some(ROLE_ACCOUNT));
    ensure_eq!("Arn", id.arn(), Some(ASSUMED_ROLE_ARN));
    ensure!(
        id.user_id().is_some_and(|u| u.ends_with(":rust-sdk")),
        "UserId {:?} does not end with :rust-sdk",
        id.user_id()
    );
    Ok(())
}

async fn sts_assume_role_wrong_token(ctx: Arc<Ctx>) -> CaseResult {
    let creds = assume_conformance_role(&ctx).await?;
    // The real token with its last character changed.
    let mut wrong = creds.session_token().to_owned();
    let last = wrong.pop().ok_or("AssumeRole returned an empty SessionToken")?;
    wrong.push(if last == 'A' { 'B' } else { 'A' });
    let role = ctx
        .sts(&Opts {
            access_key: creds.access_key_id().to_owned(),
            secret_key: creds.secret_access_key().to_owned(),
            session_token: Some(wrong),
            ..Opts::default()
        })
        .await;
    expect_refusal(role.get_caller_identity().send().await, "InvalidClientTokenId", 403, None)
}

// ---------------------------------------------------------------------------------------------
// 8a. wrong secret key

fn wrong_secret() -> Opts {
    Opts { secret_key: "not-the-secret".into(), ..Opts::default() }
}

async fn sts_refuse_wrong_secret(ctx: Arc<Ctx>) -> CaseResult {
    let sts = ctx.sts(&wrong_secret()).await;
    expect_refusal(sts.get_caller_identity().send().await, "SignatureDoesNotMatch", 403, Some(SIG_MISMATCH))
}

async fn ec2_refuse_wrong_secret(ctx: Arc<Ctx>) -> CaseResult {
    let ec2 = ctx.ec2(&wrong_secret()).await;
    expect_refusal(ec2.describe_regions().send().await, "AuthFailure", 401, None)
}

async fn cw_refuse_wrong_secret(ctx: Arc<Ctx>) -> CaseResult {
    let cw = ctx.cloudwatch(&wrong_secret()).await;
    expect_refusal(cw.list_metrics().send().await, "SignatureDoesNotMatch", 403, Some(SIG_MISMATCH))
}

// ---------------------------------------------------------------------------------------------
// 8b. a clock 20 minutes slow

fn slow_clock() -> Opts {
    Opts { clock_offset: Some(Duration::from_secs(20 * 60)), ..Opts::default() }
}

async fn sts_refuse_expired_clock(ctx: Arc<Ctx>) -> CaseResult {
    let sts = ctx.sts(&slow_clock()).await;
    expect_refusal(sts.get_caller_identity().send().await, "SignatureDoesNotMatch", 403, Some("Signature expired"))
}

async fn ec2_refuse_expired_clock(ctx: Arc<Ctx>) -> CaseResult {
    let ec2 = ctx.ec2(&slow_clock()).await;
    expect_refusal(ec2.describe_regions().send().await, "RequestExpired", 400, None)
}

async fn cw_refuse_expired_clock(ctx: Arc<Ctx>) -> CaseResult {
    let cw = ctx.cloudwatch(&slow_clock()).await;
    expect_refusal(cw.list_metrics().send().await, "SignatureDoesNotMatch", 403, Some("Signature expired"))
}

// ---------------------------------------------------------------------------------------------
// 8c. a credential scope (eu-west-1) naming another region than the endpoint's (Host: *.us-east-1.*),
// and the control: the same client with a Host naming eu-west-1 is accepted.

fn scoped(ctx: &Ctx, signing_name: &str, host_region: &str) -> Opts {
    Opts {
        region: "eu-west-1",
        host: Some(format!("{signing_name}.{host_region}.localhost:{}", ctx.port)),
        recorder: Some(Recorder::default()),
        ..Opts::default()
    }
}

/// The signed request really carried the overridden `host` header (the SDK did not replace it).
fn check_sent_host(opts: &Opts) -> CaseResult {
    let sent = opts.recorder.as_ref().map(Recorder::take).unwrap_or_default();
    ensure!(!sent.is_empty(), "no request recorded");
    for x in &sent {
        ensure_eq!("host header as sent", x.host.as_deref(), opts.host.as_deref());
    }
    Ok(())
}

async fn sts_refuse_foreign_scope(ctx: Arc<Ctx>) -> CaseResult {
    let opts = scoped(&ctx, "sts", "us-east-1");
    let sts = ctx.sts(&opts).await;
    expect_refusal(sts.get_caller_identity().send().await, "SignatureDoesNotMatch", 403, Some(BAD_SCOPE))?;
    check_sent_host(&opts)
}

async fn ec2_refuse_foreign_scope(ctx: Arc<Ctx>) -> CaseResult {
    let opts = scoped(&ctx, "ec2", "us-east-1");
    let ec2 = ctx.ec2(&opts).await;
    expect_refusal(ec2.describe_regions().send().await, "AuthFailure", 401, None)?;
    check_sent_host(&opts)
}

async fn cw_refuse_foreign_scope(ctx: Arc<Ctx>) -> CaseResult {
    let opts = scoped(&ctx, "monitoring", "us-east-1");
    let cw = ctx.cloudwatch(&opts).await;
    expect_refusal(cw.list_metrics().send().await, "SignatureDoesNotMatch", 403, Some(BAD_SCOPE))?;
    check_sent_host(&opts)
}

async fn sts_host_region_control(ctx: Arc<Ctx>) -> CaseResult {
    let opts = scoped(&ctx, "sts", "eu-west-1");
    let sts = ctx.sts(&opts).await;
    let out = ok!("GetCallerIdentity (Host in eu-west-1)", sts.get_caller_identity().send());
    ensure_eq!("Account", out.account(), Some(ROOT_ACCOUNT));
    ensure_eq!("Arn", out.arn(), Some(ROOT_ARN));
    check_sent_host(&opts)
}

async fn ec2_host_region_control(ctx: Arc<Ctx>) -> CaseResult {
    let opts = scoped(&ctx, "ec2", "eu-west-1");
    let ec2 = ctx.ec2(&opts).await;
    let out = ok!("DescribeAvailabilityZones (Host in eu-west-1)", ec2.describe_availability_zones().send());
    let regions: Vec<_> = out.availability_zones().iter().map(|z| z.region_name()).collect();
    ensure!(
        !regions.is_empty() && regions.iter().all(|r| *r == Some("eu-west-1")),
        "zones are not eu-west-1's: {regions:?}"
    );
    check_sent_host(&opts)
}

async fn cw_host_region_control(ctx: Arc<Ctx>) -> CaseResult {
    let opts = scoped(&ctx, "monitoring", "eu-west-1");
    let cw = ctx.cloudwatch(&opts).await;
    let namespace = unique("Conformance/Rust/EuWest1");
    ok!(
        "PutMetricData (Host in eu-west-1)",
        cw.put_metric_data()
            .namespace(&namespace)
            .metric_data(MetricDatum::builder().metric_name("Requests").value(1.0).build())
            .send()
    );
    let out = ok!("ListMetrics (Host in eu-west-1)", cw.list_metrics().namespace(&namespace).send());
    let names: Vec<_> = out.metrics().iter().map(|m| m.metric_name()).collect();
    ensure_eq!("metrics listed in eu-west-1", names, vec![Some("Requests")]);
    check_sent_host(&opts)?;
    // The metric went to eu-west-1, not us-east-1.
    let us = ctx.cloudwatch(&Opts::default()).await;
    let out = ok!("ListMetrics (us-east-1)", us.list_metrics().namespace(&namespace).send());
    ensure_eq!("metrics listed in us-east-1", out.metrics().len(), 0);
    Ok(())
}
