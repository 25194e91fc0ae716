//! The request path after HTTP: detect, authenticate, decode, handle, encode.
//! Callable without a socket, which is how the golden and bad-input tests drive it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::model::{Protocol, ServiceModel};
use crate::protocol::{self, WireRequest, WireResponse};
use crate::service::{RequestContext, Service};
use crate::{ids, ApiError};

/// A dispatched request: the response plus what the access log needs.
#[derive(Debug)]
pub struct Outcome {
    pub response: WireResponse,
    pub service: &'static str,
    pub operation: String,
    pub request_id: String,
    /// The protocol the request was read in (and answered in).
    pub protocol: Option<Protocol>,
    pub error: Option<ApiError>,
}

pub struct Dispatcher {
    services: Vec<Arc<dyn Service>>,
    models: Vec<&'static ServiceModel>,
    pub auth: Authenticator,
    pub clock: Arc<Clock>,
    /// With `--id-seed`: the seeded id sequence, held for a whole handler call so that
    /// ids depend only on the order of requests.
    id_seed: Option<Mutex<u64>>,
}

impl Dispatcher {
    pub fn new(services: Vec<Arc<dyn Service>>, auth: Authenticator, clock: Arc<Clock>) -> Self {
        let models = services.iter().map(|s| s.model()).collect();
        Dispatcher { services, models, auth, clock, id_seed: None }
    }

    /// Makes generated ids deterministic: the same requests in the same order get the
    /// same ids. Requests are then handled one at a time.
    pub fn with_id_seed(mut self, seed: u64) -> Self {
        self.id_seed = Some(Mutex::new(seed));
        self
    }

    pub fn services(&self) -> &[Arc<dyn Service>] {
        &self.services
    }

    pub fn dispatch(&self, req: &WireRequest) -> Outcome {
        let request_id = ids::request_id();
        let fail =
            |protocol: Protocol, model: Option<&'static ServiceModel>, operation: String, error: ApiError| Outcome {
                response: protocol::encode_error(protocol, model, &error, &request_id),
                service: model.map_or("unknown", |m| m.signing_name),
                operation,
                request_id: request_id.clone(),
                protocol: Some(protocol),
                error: Some(error),
            };

        let env = match protocol::detect(req, &self.models) {
            Ok(env) => env,
            Err(e) => return fail(e.protocol, e.service, String::new(), e.error),
        };
        let model = env.service;
        let now = self.clock.now();
        let authed = match self.auth.authenticate(req, model, chrono::Utc::now(), now) {
            Ok(a) => a,
            Err(e) => return fail(env.protocol, Some(model), env.operation.clone(), e.to_api_error(env.protocol)),
        };
        if env.protocol != Protocol::RpcV2Cbor
            && env.protocol != Protocol::Json10
            && req.method != http::Method::GET
            && req.method != http::Method::POST
        {
            let error = ApiError::new("MethodNotAllowed", format!("The method {} is not allowed.", req.method), 405);
            return fail(env.protocol, Some(model), env.operation.clone(), error);
        }
        let Some(op) = model.operation(&env.operation) else {
            return fail(env.protocol, Some(model), env.operation.clone(), ApiError::invalid_action(&env.operation));
        };
        let Some(service) = self.services.iter().find(|s| std::ptr::eq(s.model(), model)) else {
            return fail(
                env.protocol,
                Some(model),
                env.operation.clone(),
                ApiError::internal("no service is registered for this model"),
            );
        };
        if !service.implemented().contains(&op.name) {
            return fail(
                env.protocol,
                Some(model),
                op.name.to_string(),
                ApiError::not_implemented(model.service_id, op.name),
            );
        }
        let input = match protocol::decode_input(&env, op, &req.body) {
            Ok(v) => v,
            Err(e) => {
                return fail(env.protocol, Some(model), op.name.to_string(), service.decode_error(&e, env.protocol))
            }
        };
        if let (true, Some(shape)) = (service.validates_constraints(), op.input) {
            if let Some(error) = crate::validate::check(model, shape, &input) {
                return fail(env.protocol, Some(model), op.name.to_string(), error);
            }
        }
        let ctx = RequestContext {
            caller: authed.caller,
            region: authed.region,
            request_id: request_id.clone(),
            now,
            protocol: env.protocol,
        };
        let call = || service.call(&ctx, op.name, input);
        let result = match &self.id_seed {
            None => catch_unwind(AssertUnwindSafe(call)),
            Some(seed) => {
                let mut state = crate::state::lock(seed);
                ids::with_seed(&mut state, || catch_unwind(AssertUnwindSafe(call)))
            }
        };
        match result {
            Ok(Ok(output)) => Outcome {
                response: protocol::encode_output(&env, op, &output, &request_id),
                service: model.signing_name,
                operation: op.name.to_string(),
                request_id,
                protocol: Some(env.protocol),
                error: None,
            },
            Ok(Err(error)) => fail(env.protocol, Some(model), op.name.to_string(), error),
            Err(_) => {
                tracing::error!(request_id = %request_id, operation = op.name, "handler panicked");
                let error = ApiError::internal("We encountered an internal error. Please try again.");
                fail(env.protocol, Some(model), op.name.to_string(), error)
            }
        }
    }
}
