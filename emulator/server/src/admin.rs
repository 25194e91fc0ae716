//! `/_nimbus/...`: health, reset, a state dump, the clock, and the console.

use bytes::Bytes;
use http::Method;
use serde_json::{json, Value};

use crate::edge::Response;
use crate::App;

pub fn route(app: &App, method: &Method, path: &str, query: &str, host: Option<&str>, body: &[u8]) -> Response {
    if path == "/_nimbus/ui" || path.starts_with("/_nimbus/ui/") {
        return console(app, method, path, query, body);
    }
    if let Some(rest) = path.strip_prefix("/_nimbus/sts/outbound/") {
        return outbound_discovery(app, method, rest, host);
    }
    match (method.as_str(), path.trim_end_matches('/')) {
        ("GET" | "HEAD", "/_nimbus/health") => respond(200, health(app)),
        ("POST", "/_nimbus/reset") => {
            crate::persistence::blocking(|| app.reset());
            tracing::info!("state reset");
            respond(200, json!({ "reset": true }))
        }
        ("GET", "/_nimbus/state") => {
            // The whole state as a JSON tree is a burst of memory; give it back once sent
            // to bytes rather than keep it on an arena's free lists.
            let dumped = respond(200, state(app));
            nimbus_heap::release_free_memory();
            dumped
        }
        ("GET", "/_nimbus/clock") => respond(200, clock(app)),
        ("POST", "/_nimbus/clock") => advance_clock(app, body),
        (_, "/_nimbus/health" | "/_nimbus/reset" | "/_nimbus/state" | "/_nimbus/clock") => {
            respond(405, json!({ "error": format!("{method} is not allowed on {path}") }))
        }
        _ => respond(404, json!({ "error": format!("no admin route {path}") })),
    }
}

/// The OpenID Connect discovery documents of an account's outbound web identity tokens
/// (STS GetWebIdentityToken): `<account>/.well-known/openid-configuration` and
/// `<account>/.well-known/jwks.json`, under the issuer URL the tokens name, which is
/// built from the `Host` the request was sent to, as the tokens' is.
fn outbound_discovery(app: &App, method: &Method, rest: &str, host: Option<&str>) -> Response {
    let Some((account, document)) = rest.split_once('/') else {
        return respond(404, json!({ "error": format!("no admin route /_nimbus/sts/outbound/{rest}") }));
    };
    let is_account = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let known = matches!(document, ".well-known/openid-configuration" | ".well-known/jwks.json");
    if !is_account || !known {
        return respond(404, json!({ "error": format!("no admin route /_nimbus/sts/outbound/{rest}") }));
    }
    if !matches!(method.as_str(), "GET" | "HEAD") {
        return respond(405, json!({ "error": format!("{method} is not allowed on /_nimbus/sts/outbound/{rest}") }));
    }
    if document == ".well-known/jwks.json" {
        return respond(200, crate::persistence::blocking(|| nimbus_sts::outbound::jwks(account)));
    }
    let scheme = if matches!(app.config.tls, crate::config::Tls::Off) { "http" } else { "https" };
    let endpoint = match host {
        Some(host) => format!("{scheme}://{host}"),
        None => format!("{scheme}://{}", app.config.addr),
    };
    respond(200, nimbus_sts::outbound::openid_configuration(&nimbus_sts::outbound::issuer(&endpoint, account)))
}

fn health(app: &App) -> Value {
    let services: serde_json::Map<String, Value> = app
        .dispatcher
        .services()
        .iter()
        .map(|s| {
            let m = s.model();
            (
                m.signing_name.to_string(),
                json!({ "status": "running", "apiVersion": m.api_version, "operations": s.implemented().len() }),
            )
        })
        .collect();
    let persistence = match (&app.config.state_dir, &app.recovered) {
        (Some(dir), Some(r)) => json!({
            "stateDir": dir.display().to_string(),
            "recoveredSnapshot": r.snapshot,
            "replayed": r.replayed,
            "diverged": r.diverged,
            "tornTail": r.torn_tail,
        }),
        _ => Value::Null,
    };
    json!({
        "status": "running",
        "version": env!("CARGO_PKG_VERSION"),
        "persistence": persistence,
        "memory": memory(),
        "uptimeSeconds": app.started.elapsed().as_secs_f64(),
        "startedAt": app.started_at.to_rfc3339(),
        "services": services,
    })
}

/// Resident memory, and the heap as the allocator accounts for it: bytes in use grow
/// only with what nimbus keeps, while resident memory also holds freed chunks the
/// allocator keeps for the next burst (see `nimbus_heap`).
fn memory() -> Value {
    let resident = std::fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        let kib: u64 = s.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse().ok()?;
        Some(kib * 1024)
    });
    let heap = nimbus_heap::stats();
    json!({
        "residentBytes": resident,
        "heapInUseBytes": heap.map(|h| h.in_use),
        "heapFreeBytes": heap.map(|h| h.free),
    })
}

fn state(app: &App) -> Value {
    let mut out = serde_json::Map::new();
    for s in app.dispatcher.services() {
        out.insert(s.model().signing_name.to_string(), s.state());
    }
    Value::Object(out)
}

fn clock(app: &App) -> Value {
    let clock = &app.dispatcher.clock;
    json!({ "now": clock.now().to_rfc3339(), "offsetSeconds": clock.offset().num_milliseconds() as f64 / 1000.0 })
}

/// `{"advanceSeconds": 3600}` moves nimbus's clock forward: lifecycles and alarm
/// evaluation follow it, while signatures stay checked against the real time.
fn advance_clock(app: &App, body: &[u8]) -> Response {
    let secs = serde_json::from_slice::<Value>(body).ok().and_then(|v| v.get("advanceSeconds").and_then(Value::as_f64));
    match secs {
        Some(s) if (0.0..1.0e9).contains(&s) => {
            let by = chrono::Duration::milliseconds((s * 1000.0) as i64);
            crate::persistence::blocking(|| app.advance_clock(by));
            respond(200, clock(app))
        }
        _ => respond(400, json!({ "error": "expected {\"advanceSeconds\": <non-negative number>}" })),
    }
}

/// `/_nimbus/ui...`, answered by the console crate; 404 with `--ui off`. The page's
/// relative links need the trailing slash, so `/_nimbus/ui` redirects to `/_nimbus/ui/`.
fn console(app: &App, method: &Method, path: &str, query: &str, body: &[u8]) -> Response {
    let Some(console) = &app.console else {
        return respond(404, json!({ "error": format!("no admin route {path} (the console is off: --ui off)") }));
    };
    if path == "/_nimbus/ui" {
        let to = if query.is_empty() { "/_nimbus/ui/".to_string() } else { format!("/_nimbus/ui/?{query}") };
        let mut r = http::Response::new(http_body_util::Full::new(Bytes::new()));
        *r.status_mut() = http::StatusCode::FOUND;
        if let Ok(v) = http::HeaderValue::from_str(&to) {
            r.headers_mut().insert(http::header::LOCATION, v);
        }
        return r;
    }
    let answer = crate::persistence::blocking(|| console.route(&app.dispatcher, method.as_str(), path, query, body));
    let Some(answer) = answer else {
        return respond(404, json!({ "error": format!("no admin route {path}") }));
    };
    let mut r = http::Response::new(http_body_util::Full::new(Bytes::from(answer.body)));
    *r.status_mut() = http::StatusCode::from_u16(answer.status).unwrap_or(http::StatusCode::OK);
    let headers = r.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(answer.content_type));
    headers.insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    r
}

fn respond(status: u16, body: Value) -> Response {
    let mut r = http::Response::new(http_body_util::Full::new(Bytes::from(
        serde_json::to_vec_pretty(&body).unwrap_or_default(),
    )));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    r.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    r
}
