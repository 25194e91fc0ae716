//! Form bodies (EC2 query and awsQuery) through `Params::parse`, `protocol::detect` and
//! the query decoder, against the operation the body names and a fixed set of operations
//! with deep inputs (RunInstances, CreateVpc, DescribeInstances, PutMetricData, ...).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_core::model::{Protocol, ServiceModel};
use nimbus_core::protocol::query::{self, Params};
use nimbus_core::protocol::{self, Envelope};
use nimbus_fuzz::{assert_client_error, models, parse_raw_request};

/// (service, operation) pairs every input is also decoded against.
const FIXED: &[(usize, &str)] = &[
    (0, "RunInstances"),
    (0, "CreateVpc"),
    (0, "DescribeInstances"),
    (0, "AuthorizeSecurityGroupIngress"),
    (0, "CreateLaunchTemplate"),
    (0, "ModifyInstanceAttribute"),
    (1, "PutMetricData"),
    (1, "PutMetricAlarm"),
    (1, "GetMetricData"),
    (2, "AssumeRole"),
];

fn decode(model: &'static ServiceModel, protocol: Protocol, op: &str, params: &Params) {
    let Some(op) = model.operation(op) else { return };
    if let Err(e) = query::decode(model, protocol, op.input, params) {
        assert_client_error(&e.to_api_error(protocol), "query decode error");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(params) = Params::parse(data) else { return };
    let models = models();
    let pick = data.len() % FIXED.len();
    for (i, (svc, op)) in FIXED.iter().enumerate() {
        // Every fixed operation for short inputs; one of them for long ones.
        if data.len() < 512 || i == pick {
            let model = models[*svc];
            let protocol = if *svc == 0 { Protocol::Ec2 } else { Protocol::Query };
            decode(model, protocol, op, &params);
        }
    }
    // The whole envelope: POST / with the body form-encoded.
    let mut raw = b"POST /\ncontent-type: application/x-www-form-urlencoded\n\n".to_vec();
    raw.extend_from_slice(data);
    let Some(req) = parse_raw_request(&raw) else { return };
    match protocol::detect(&req, &models) {
        Ok(env @ Envelope { .. }) => {
            if let Some(op) = env.service.operation(&env.operation) {
                if let Err(e) = protocol::decode_input(&env, op, &req.body) {
                    assert_client_error(&e.to_api_error(env.protocol), "decode_input error");
                }
            }
        }
        Err(e) => assert_client_error(&e.error, "envelope error"),
    }
});
