//! The request path after HTTP: detect, authenticate, decode, handle, encode.
//! Callable without a socket, which is how the golden and bad-input tests drive it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::journal::{Mutation, Recorder};
use crate::model::{Protocol, ServiceModel};
use crate::protocol::typed::WireInput;
use crate::protocol::{self, WireRequest, WireResponse};
use crate::service::{Caller, Output, RequestContext, Service};
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
    /// With `--state-dir`: where acknowledged mutations go.
    recorder: Option<Arc<dyn Recorder>>,
    /// Held across a journaled mutation and its record, so that the journal's order is
    /// the order the mutations were applied in.
    mutation_order: Mutex<()>,
    /// `http`, or `https` behind TLS: the scheme of the endpoint requests reach.
    scheme: &'static str,
}

impl Dispatcher {
    pub fn new(services: Vec<Arc<dyn Service>>, auth: Authenticator, clock: Arc<Clock>) -> Self {
        let models = services.iter().map(|s| s.model()).collect();
        Dispatcher {
            services,
            models,
            auth,
            clock,
            id_seed: None,
            recorder: None,
            mutation_order: Mutex::new(()),
            scheme: "http",
        }
    }

    /// Requests reach nimbus over TLS: endpoints are `https://`.
    pub fn with_tls(mut self) -> Self {
        self.scheme = "https";
        self
    }

    /// Journals every acknowledged mutation to `recorder`, and answers it only once the
    /// record is durable. Mutations are then applied one at a time.
    pub fn with_recorder(mut self, recorder: Arc<dyn Recorder>) -> Self {
        self.recorder = Some(recorder);
        self
    }

    pub fn journaled(&self) -> bool {
        self.recorder.is_some()
    }

    /// Runs `f` while no journaled mutation is being applied: for snapshots, and for
    /// the admin routes' changes, which are journaled in the same order.
    pub fn exclusive<R>(&self, f: impl FnOnce() -> R) -> R {
        let _order = crate::state::lock(&self.mutation_order);
        f()
    }

    /// Applies a journaled mutation again, as it was first applied: same caller,
    /// region, clock reading and id sequence. `Ok` when it ends as it first did
    /// (answered, or refused with the same code).
    pub fn replay(&self, m: &Mutation) -> Result<(), ApiError> {
        let service = self
            .services
            .iter()
            .find(|s| s.model().signing_name == m.service)
            .ok_or_else(|| ApiError::internal(format!("the journal names an unknown service {}", m.service)))?;
        let op = service.model().operation(&m.operation).ok_or_else(|| ApiError::invalid_action(&m.operation))?;
        let ctx = RequestContext {
            caller: m.caller.clone(),
            region: m.region.clone(),
            request_id: m.request_id.clone(),
            now: m.now,
            protocol: m.protocol,
            endpoint: None,
        };
        let mut seed = m.seed;
        let input = m.input.clone();
        let outcome =
            ids::with_seed(&mut seed, || catch_unwind(AssertUnwindSafe(|| service.call(&ctx, op.name, input))));
        // A seeded nimbus goes on from where the journal's last call left the sequence,
        // so ids made after a restart do not repeat those made before it.
        self.set_id_seed_state(seed);
        match outcome {
            Ok(Ok(_)) if m.error.is_none() => Ok(()),
            Ok(Ok(_)) => Err(ApiError::internal(format!(
                "{} was refused with {} but succeeds on replay",
                m.operation,
                m.error.as_deref().unwrap_or_default()
            ))),
            Ok(Err(e)) if m.error.as_deref() == Some(e.code.as_str()) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ApiError::internal(format!("replaying {} panicked", m.operation))),
        }
    }

    /// Makes generated ids deterministic: the same requests in the same order get the
    /// same ids. Requests are then handled one at a time.
    pub fn with_id_seed(mut self, seed: u64) -> Self {
        self.id_seed = Some(Mutex::new(seed));
        self
    }

    /// Where the id sequence of a seeded nimbus (`with_id_seed`) stands: what a snapshot
    /// keeps, so that a restart goes on from there.
    pub fn id_seed_state(&self) -> Option<u64> {
        self.id_seed.as_ref().map(|seed| *crate::state::lock(seed))
    }

    /// Moves a seeded nimbus's id sequence to `state` (no effect on an unseeded one).
    pub fn set_id_seed_state(&self, state: u64) {
        if let Some(seed) = &self.id_seed {
            *crate::state::lock(seed) = state;
        }
    }

    pub fn services(&self) -> &[Arc<dyn Service>] {
        &self.services
    }

    pub fn dispatch(&self, req: &WireRequest) -> Outcome {
        let request_id = ids::request_id();
        let fail = |protocol: Protocol, model: Option<&'static ServiceModel>, operation: String, error: ApiError| {
            let (response, error) = match catch_unwind(AssertUnwindSafe(|| {
                protocol::encode_error(protocol, model, &error, &request_id)
            })) {
                Ok(response) => (response, error),
                Err(_) => {
                    tracing::error!(request_id = %request_id, operation, code = %error.code, "encoding the error panicked");
                    let error = internal_error();
                    (protocol::encode_error(protocol, model, &error, &request_id), error)
                }
            };
            Outcome {
                response,
                service: model.map_or("unknown", |m| m.signing_name),
                operation,
                request_id: request_id.clone(),
                protocol: Some(protocol),
                error: Some(error),
            }
        };

        let env = match protocol::detect(req, &self.models) {
            Ok(env) => env,
            Err(e) => return fail(e.protocol, e.service, String::new(), e.error),
        };
        let model = env.service;
        let now = self.clock.now();
        let authed = match self.auth.authenticate(req, model, chrono::Utc::now(), now) {
            Ok(a) => a,
            Err(_) if model.operation(&env.operation).is_some_and(|op| op.unsigned) => self.auth.anonymous(req),
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
        let ctx = RequestContext {
            caller: authed.caller,
            region: authed.region,
            request_id: request_id.clone(),
            now,
            protocol: env.protocol,
            endpoint: req.header("host").map(|host| format!("{}://{host}", self.scheme)),
        };
        // The typed fast path first; whatever it does not take goes the document's way.
        let fast = op.input.filter(|_| WireInput::supported(env.protocol)).and_then(|shape| {
            let wire = WireInput { protocol: env.protocol, model, shape, body: &req.body };
            self.run_wire(service.as_ref(), op.name, &ctx, &wire)
        });
        let result = match fast {
            Some(result) => result,
            None => {
                let input = match protocol::decode_input(&env, op, &req.body) {
                    Ok(v) => v,
                    Err(e) => {
                        let error = service.decode_error(&e, env.protocol);
                        return fail(env.protocol, Some(model), op.name.to_string(), error);
                    }
                };
                if let (true, Some(shape)) = (service.validates_constraints(), op.input) {
                    if let Some(mut error) = crate::validate::check(model, shape, &input) {
                        error.code = service.validation_error_code().to_string();
                        return fail(env.protocol, Some(model), op.name.to_string(), error);
                    }
                }
                self.run(service.as_ref(), model, op.name, &ctx, input)
            }
        };
        match result {
            // Encoding panics only on an output that does not fit its shape (strict
            // encoding, debug builds): a handler's bug, answered as one.
            Ok(Ok(output)) => {
                match catch_unwind(AssertUnwindSafe(|| protocol::encode_answer(&env, op, &output, &request_id))) {
                    Ok(response) => Outcome {
                        response,
                        service: model.signing_name,
                        operation: op.name.to_string(),
                        request_id,
                        protocol: Some(env.protocol),
                        error: None,
                    },
                    Err(_) => {
                        tracing::error!(request_id = %request_id, operation = op.name, "encoding the output panicked");
                        fail(env.protocol, Some(model), op.name.to_string(), internal_error())
                    }
                }
            }
            Ok(Err(error)) => fail(env.protocol, Some(model), op.name.to_string(), error),
            Err(_) => {
                tracing::error!(request_id = %request_id, operation = op.name, "handler panicked");
                fail(env.protocol, Some(model), op.name.to_string(), internal_error())
            }
        }
    }

    /// Calls `operation` of the service signed as `signing_name` as `caller` in
    /// `region`, with an input document, on the request path's terms past SigV4: a
    /// mutation (a read that settles lifecycles or runs due alarm evaluations
    /// included) is journaled and seeded as a signed request's would be. How nimbus's
    /// own console reads the cloud.
    pub fn call_as(
        &self,
        caller: Caller,
        region: &str,
        signing_name: &str,
        operation: &str,
        input: Value,
    ) -> Result<Value, ApiError> {
        let Some(service) = self.services.iter().find(|s| s.model().signing_name == signing_name) else {
            return Err(ApiError::internal(format!("no service is signed as {signing_name}")));
        };
        let model = service.model();
        let op = model.operation(operation).ok_or_else(|| ApiError::invalid_action(operation))?;
        if !service.implemented().contains(&op.name) {
            return Err(ApiError::not_implemented(model.service_id, op.name));
        }
        let ctx = RequestContext {
            caller,
            region: region.to_string(),
            request_id: ids::request_id(),
            now: self.clock.now(),
            protocol: model.protocols.first().copied().unwrap_or(Protocol::Json10),
            endpoint: None,
        };
        match self.run(service.as_ref(), model, op.name, &ctx, input) {
            Ok(result) => result.and_then(Output::into_value),
            Err(_) => {
                tracing::error!(request_id = %ctx.request_id, operation = op.name, "handler panicked");
                Err(internal_error())
            }
        }
    }

    /// Runs a call on its input read straight into the handler's type, on the seeded id
    /// sequence when there is one; `None` when the service or the fast path does not
    /// take it, or when the call would be journaled (the journal records documents).
    fn run_wire(
        &self,
        service: &dyn Service,
        operation: &'static str,
        ctx: &RequestContext,
        wire: &WireInput<'_>,
    ) -> Option<std::thread::Result<Result<Output, ApiError>>> {
        if self.recorder.is_some() && service.mutates(ctx, operation) {
            return None;
        }
        let outcome = match &self.id_seed {
            None => catch_unwind(AssertUnwindSafe(|| service.answer_wire(ctx, operation, wire))),
            Some(seed) => {
                let mut state = crate::state::lock(seed);
                ids::with_seed(&mut state, || {
                    catch_unwind(AssertUnwindSafe(|| service.answer_wire(ctx, operation, wire)))
                })
            }
        };
        match outcome {
            Ok(None) => None,
            Ok(Some(result)) => Some(Ok(result)),
            Err(panic) => Some(Err(panic)),
        }
    }

    /// Runs a decoded call: journaled when it mutates and a recorder is set, on the
    /// seeded id sequence when there is one; a panic is caught.
    fn run(
        &self,
        service: &dyn Service,
        model: &'static ServiceModel,
        operation: &'static str,
        ctx: &RequestContext,
        input: Value,
    ) -> std::thread::Result<Result<Output, ApiError>> {
        let (now, request_id) = (ctx.now, &ctx.request_id);
        let journal = self.recorder.as_ref().filter(|_| service.mutates(ctx, operation));
        match (journal, &self.id_seed) {
            (Some(recorder), _) => {
                let order = crate::state::lock(&self.mutation_order);
                let mut state = match &self.id_seed {
                    Some(seed) => *crate::state::lock(seed),
                    None => ids::random_u64(),
                };
                let seed = state;
                let recorded = input.clone();
                let result = ids::with_seed(&mut state, || {
                    catch_unwind(AssertUnwindSafe(|| service.answer(ctx, operation, input)))
                });
                if let Some(id_seed) = &self.id_seed {
                    *crate::state::lock(id_seed) = state;
                }
                // A panicked handler is a bug: its call is not replayed.
                let ticket = result.as_ref().ok().map(|outcome| {
                    recorder.record(&Mutation {
                        service: model.signing_name.to_string(),
                        operation: operation.to_string(),
                        input: recorded,
                        caller: ctx.caller.clone(),
                        region: ctx.region.clone(),
                        request_id: request_id.clone(),
                        now,
                        protocol: ctx.protocol,
                        seed,
                        error: outcome.as_ref().err().map(|e| e.code.clone()),
                    })
                });
                drop(order);
                if let Some(ticket) = ticket {
                    recorder.wait_durable(ticket);
                }
                result
            }
            (None, None) => catch_unwind(AssertUnwindSafe(|| service.answer(ctx, operation, input))),
            (None, Some(seed)) => {
                let mut state = crate::state::lock(seed);
                ids::with_seed(&mut state, || catch_unwind(AssertUnwindSafe(|| service.answer(ctx, operation, input))))
            }
        }
    }
}

fn internal_error() -> ApiError {
    ApiError::internal("We encountered an internal error. Please try again.")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{json, Value};

    use super::*;
    use crate::auth::{AuthMode, CredentialStore};
    use crate::service::Output;
    use crate::testing::{EC2_MODEL, MODEL};

    /// A service whose one operation answers `output`, fitting or not.
    struct Answering {
        model: &'static ServiceModel,
        output: Value,
    }

    impl Service for Answering {
        fn model(&self) -> &'static ServiceModel {
            self.model
        }
        fn implemented(&self) -> &'static [&'static str] {
            &["Op"]
        }
        fn call(&self, _: &RequestContext, _: &str, _: Value) -> Result<Value, ApiError> {
            Ok(self.output.clone())
        }
        fn reset(&self) {}
        fn state(&self) -> Value {
            Value::Null
        }
    }

    /// The same, answering typed (as the generated DTOs do), with one misspelt field.
    struct AnsweringTyped {
        misspelt: bool,
    }

    #[derive(serde::Serialize)]
    struct Item {
        #[serde(rename = "Id")]
        id: &'static str,
        #[serde(rename = "Misspelt", skip_serializing_if = "Option::is_none")]
        misspelt: Option<&'static str>,
    }

    #[derive(serde::Serialize)]
    struct Out {
        #[serde(rename = "Name")]
        name: &'static str,
        #[serde(rename = "Items")]
        items: Vec<Item>,
    }

    impl Service for AnsweringTyped {
        fn model(&self) -> &'static ServiceModel {
            &MODEL
        }
        fn implemented(&self) -> &'static [&'static str] {
            &["Op"]
        }
        fn call(&self, ctx: &RequestContext, op: &str, input: Value) -> Result<Value, ApiError> {
            self.answer(ctx, op, input)?.into_value()
        }
        fn answer(&self, _: &RequestContext, _: &str, _: Value) -> Result<Output, ApiError> {
            let misspelt = self.misspelt.then_some("b");
            Ok(Output::Typed(Box::new(Out { name: "n", items: vec![Item { id: "a", misspelt }] })))
        }
        fn reset(&self) {}
        fn state(&self) -> Value {
            Value::Null
        }
    }

    fn typed_dispatcher(misspelt: bool) -> Dispatcher {
        let auth = Authenticator { mode: AuthMode::Off, store: Arc::new(CredentialStore::new([])) };
        Dispatcher::new(vec![Arc::new(AnsweringTyped { misspelt })], auth, Arc::new(Clock::new()))
    }

    #[test]
    fn a_typed_answer_is_written_as_its_document_is() {
        let (typed, doc) = (typed_dispatcher(false), dispatcher(json!({"Name": "n", "Items": [{"Id": "a"}]})));
        for (protocol, req) in requests().into_iter().filter(|(p, _)| *p != Protocol::Ec2) {
            let (a, b) = (typed.dispatch(&req), doc.dispatch(&req));
            assert_eq!(a.response.status, 200, "{protocol:?}: {:?}", a.error);
            let body = |o: &Outcome| String::from_utf8_lossy(&o.response.body).replace(&o.request_id, "RID");
            assert_eq!(body(&a), body(&b), "{protocol:?}");
        }
    }

    #[test]
    #[cfg_attr(not(debug_assertions), ignore = "strict encoding is off in release builds")]
    fn a_typed_answer_with_a_key_the_shape_lacks_is_an_internal_error() {
        let d = typed_dispatcher(true);
        for (protocol, req) in requests().into_iter().filter(|(p, _)| *p != Protocol::Ec2) {
            let outcome = d.dispatch(&req);
            assert_eq!(outcome.response.status, 500, "{protocol:?}");
            assert_eq!(outcome.error.map(|e| e.code).as_deref(), Some("InternalError"), "{protocol:?}");
        }
    }

    fn dispatcher(output: Value) -> Dispatcher {
        let services: Vec<Arc<dyn Service>> = vec![
            Arc::new(Answering { model: &MODEL, output: output.clone() }),
            Arc::new(Answering { model: &EC2_MODEL, output }),
        ];
        let auth = Authenticator { mode: AuthMode::Off, store: Arc::new(CredentialStore::new([])) };
        Dispatcher::new(services, auth, Arc::new(Clock::new()))
    }

    /// The operation `Op` in each protocol: ec2, awsQuery, awsJson1_0, RPC v2 CBOR.
    fn requests() -> Vec<(Protocol, WireRequest)> {
        let request = |path: &str, headers: &[(&'static str, &str)], body: &[u8]| {
            let mut map = http::HeaderMap::new();
            for (k, v) in headers {
                map.insert(*k, v.parse().unwrap());
            }
            WireRequest {
                method: http::Method::POST,
                path: path.into(),
                query: String::new(),
                headers: map,
                body: bytes::Bytes::copy_from_slice(body),
                wire_body: bytes::Bytes::copy_from_slice(body),
            }
        };
        let form = [("content-type", "application/x-www-form-urlencoded")];
        vec![
            (Protocol::Ec2, request("/", &form, b"Action=Op&Version=2020-02-02")),
            (Protocol::Query, request("/", &form, b"Action=Op&Version=2020-01-01")),
            (
                Protocol::Json10,
                request("/", &[("x-amz-target", "Test.Op"), ("content-type", "application/x-amz-json-1.0")], b"{}"),
            ),
            (
                Protocol::RpcV2Cbor,
                request(
                    "/service/Test/operation/Op",
                    &[("smithy-protocol", "rpc-v2-cbor"), ("content-type", "application/cbor")],
                    &[0xa0],
                ),
            ),
        ]
    }

    #[test]
    fn an_output_that_fits_its_shape_is_answered_in_every_protocol() {
        let d = dispatcher(json!({"Name": "n", "Items": [{"Id": "a"}]}));
        for (protocol, req) in requests() {
            let outcome = d.dispatch(&req);
            assert_eq!(outcome.protocol, Some(protocol));
            assert_eq!(outcome.response.status, 200, "{protocol:?}: {:?}", outcome.error);
        }
    }

    /// In-process calls (the console's) reach the service past SigV4, as the caller
    /// given, and are refused as a request would be for an operation that is not there.
    #[test]
    fn call_as_answers_the_document_or_the_error() {
        let d = dispatcher(json!({"Name": "n"}));
        let caller = Caller { account: "123456789012".into(), ..Default::default() };
        let signing = MODEL.signing_name;
        assert_eq!(d.call_as(caller.clone(), "eu-west-1", signing, "Op", json!({})).unwrap(), json!({"Name": "n"}));
        let err = d.call_as(caller.clone(), "eu-west-1", signing, "Nope", json!({})).unwrap_err();
        assert_eq!(err.code, ApiError::invalid_action("Nope").code);
        assert_eq!(d.call_as(caller, "eu-west-1", "nothing", "Op", json!({})).unwrap_err().status, 500);
    }

    #[test]
    #[cfg_attr(not(debug_assertions), ignore = "strict encoding is off in release builds")]
    fn an_output_key_the_shape_lacks_is_an_internal_error_in_every_protocol() {
        let d = dispatcher(json!({"Name": "n", "Items": [{"Id": "a", "Misspelt": "b"}]}));
        for (protocol, req) in requests() {
            let outcome = d.dispatch(&req);
            assert_eq!(outcome.protocol, Some(protocol));
            assert_eq!(outcome.response.status, 500, "{protocol:?}");
            assert_eq!(outcome.error.map(|e| e.code).as_deref(), Some("InternalError"), "{protocol:?}");
        }
    }

    #[test]
    #[cfg_attr(debug_assertions, ignore = "strict encoding is on in debug builds")]
    fn release_builds_leave_an_unknown_key_out() {
        let d = dispatcher(json!({"Name": "n", "Misspelt": "b"}));
        for (protocol, req) in requests() {
            let outcome = d.dispatch(&req);
            assert_eq!(outcome.response.status, 200, "{protocol:?}");
            assert!(!String::from_utf8_lossy(&outcome.response.body).contains("Misspelt"), "{protocol:?}");
        }
    }
}
