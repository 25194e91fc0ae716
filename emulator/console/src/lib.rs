//! nimbus's web console at `/_nimbus/ui`: the VPCs of an account and region drawn with
//! their subnets, route tables, gateways, instances and security groups; alarms with
//! their state history; CloudWatch dashboards drawn from the JSON PutDashboard stored.
//!
//! The page is plain HTML, CSS, JS and SVG compiled into the binary (no build step, no
//! network fetch). It reads the cloud through JSON endpoints under `/_nimbus/ui/api/`,
//! which call nimbus's own operations in-process as the account
//! ([`Dispatcher::call_as`]), so what the console shows is what an SDK would be told.

mod api;
mod history;

use nimbus_core::dispatch::Dispatcher;
use serde_json::Value;

pub use history::History;

/// The console's own state: the default account, and the instance state history it
/// has observed.
pub struct Console {
    default_account: String,
    history: History,
}

/// An answer to a `/_nimbus/ui...` request.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Answer {
    fn json(status: u16, body: &Value) -> Answer {
        Answer { status, content_type: "application/json", body: serde_json::to_vec(body).unwrap_or_default() }
    }

    fn error(status: u16, message: impl Into<String>) -> Answer {
        Answer::json(status, &serde_json::json!({ "error": message.into() }))
    }
}

/// The embedded assets: (path under /_nimbus/ui/, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("", "text/html; charset=utf-8", include_bytes!("../assets/index.html")),
    ("console.css", "text/css; charset=utf-8", include_bytes!("../assets/console.css")),
    ("console.js", "text/javascript; charset=utf-8", include_bytes!("../assets/console.js")),
    ("network.js", "text/javascript; charset=utf-8", include_bytes!("../assets/network.js")),
    ("dashboards.js", "text/javascript; charset=utf-8", include_bytes!("../assets/dashboards.js")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../assets/favicon.svg")),
];

impl Console {
    /// A console whose pages open on `default_account` (the first credential's).
    pub fn new(default_account: impl Into<String>) -> Console {
        Console { default_account: default_account.into(), history: History::default() }
    }

    /// Answers a request whose path starts with `/_nimbus/ui`; `None` for other paths.
    pub fn route(&self, dispatcher: &Dispatcher, method: &str, path: &str, query: &str, body: &[u8]) -> Option<Answer> {
        let rest = path.strip_prefix("/_nimbus/ui")?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        let rest = rest.trim_start_matches('/');
        if let Some(endpoint) = rest.strip_prefix("api/") {
            return Some(api::route(self, dispatcher, method, endpoint.trim_end_matches('/'), query, body));
        }
        let Some((_, content_type, bytes)) = ASSETS.iter().find(|(name, _, _)| *name == rest) else {
            return Some(Answer::error(404, format!("no console page {path}")));
        };
        if method != "GET" && method != "HEAD" {
            return Some(Answer::error(405, format!("{method} is not allowed on {path}")));
        }
        Some(Answer { status: 200, content_type, body: bytes.to_vec() })
    }
}

/// One query-string parameter, percent-decoded.
fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').filter_map(|pair| pair.split_once('=').or(Some((pair, "")))).find_map(|(k, v)| {
        (k == name).then(|| percent_encoding::percent_decode_str(&v.replace('+', " ")).decode_utf8_lossy().into_owned())
    })
}

#[cfg(test)]
mod tests;
