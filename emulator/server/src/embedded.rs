//! nimbus inside a test process: [`Nimbus::start`] serves a fresh, in-memory cloud on a
//! free loopback port from a thread of its own (its own Tokio runtime, so it serves
//! whatever runtime, or none, the test runs on), and stops it on drop.
//!
//! ```no_run
//! let nimbus = nimbus_server::embedded::Nimbus::start().unwrap();
//! // point any AWS SDK at nimbus.endpoint() with nimbus.access_key_id() / secret_access_key()
//! nimbus.advance_clock(std::time::Duration::from_secs(3600));
//! assert_eq!(nimbus.count("ec2", "instances"), 0);
//! nimbus.reset();
//! ```

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use nimbus_core::auth::{AuthMode, Credential};
use serde_json::Value;

use crate::{serve, App, Config};

/// How to start an embedded nimbus; [`Nimbus::builder`].
#[derive(Debug, Clone)]
pub struct Builder {
    config: Config,
    region: String,
    credentials_given: bool,
}

impl Builder {
    /// The credential pair clients sign with, and the account it belongs to. The first
    /// pair given is the one [`Nimbus::access_key_id`] reports; call again for more
    /// accounts. Without any, nimbus knows `test`/`test` in account `000000000000`.
    #[must_use]
    pub fn credentials(mut self, access_key: &str, secret_key: &str, account: &str) -> Builder {
        if !self.credentials_given {
            self.config.credentials.clear();
            self.credentials_given = true;
        }
        self.config.credentials.push(Credential::new(access_key, secret_key, account));
        self
    }

    /// The region [`Nimbus::region`] reports and [`Nimbus::count`] looks in
    /// (`us-east-1` by default). nimbus serves every region whatever this says.
    #[must_use]
    pub fn region(mut self, region: &str) -> Builder {
        region.clone_into(&mut self.region);
        self
    }

    /// Instances an account may have in a region (`--ec2-instance-quota`).
    #[must_use]
    pub fn instance_quota(mut self, quota: usize) -> Builder {
        self.config.ec2.instance_quota = quota;
        self
    }

    /// Seconds each lifecycle step takes on nimbus's clock (`--ec2-transition-secs`);
    /// 0, the default, settles every resource by the next Describe.
    #[must_use]
    pub fn transition_secs(mut self, secs: u32) -> Builder {
        self.config.ec2.transition_delay_secs = secs;
        self
    }

    /// Seeds the identifiers nimbus makes, so that two runs make the same ids.
    #[must_use]
    pub fn id_seed(mut self, seed: u64) -> Builder {
        self.config.id_seed = Some(seed);
        self
    }

    /// Reads signatures for the account and region without checking them.
    #[must_use]
    pub fn without_signature_checks(mut self) -> Builder {
        self.config.auth = AuthMode::Off;
        self
    }

    /// Any other setting, on the configuration the builder has so far. The address is
    /// always a free loopback port.
    #[must_use]
    pub fn configure(mut self, change: impl FnOnce(&mut Config)) -> Builder {
        change(&mut self.config);
        self
    }

    /// Starts nimbus and returns once it answers on its port.
    ///
    /// # Errors
    /// When no loopback port can be bound, the Tokio runtime cannot start, or the
    /// configuration cannot be opened (a state directory that does not recover).
    pub fn start(self) -> io::Result<Nimbus> {
        let mut config = self.config;
        config.addr = SocketAddr::from(([127, 0, 0, 1], 0));
        if config.credentials.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "nimbus needs at least one credential pair"));
        }
        let listener = std::net::TcpListener::bind(config.addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        if !config.seed_images.is_empty() {
            // Process-wide and once (as in the binary): the first nimbus here that brings
            // seed images installs them for every nimbus of the process.
            config.seed_images.clone().install();
        }
        let app = App::open(config).map_err(io::Error::other)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("nimbus-embedded")
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = app.clone();
        let thread = std::thread::Builder::new().name("nimbus-embedded".into()).spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                serve(listener, served, async {
                    let _ = stopped.await;
                })
                .await
            })
        })?;
        Ok(Nimbus { addr, app, region: self.region, stop: Some(stop), thread: Some(thread) })
    }
}

/// A nimbus serving on a loopback port of this process until it is dropped (or
/// [`Nimbus::stop`]ped).
pub struct Nimbus {
    addr: SocketAddr,
    app: Arc<App>,
    region: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
}

impl Nimbus {
    /// A nimbus with the defaults: `test`/`test` in account `000000000000`, region
    /// `us-east-1`, signatures checked.
    ///
    /// # Errors
    /// See [`Builder::start`].
    pub fn start() -> io::Result<Nimbus> {
        Nimbus::builder().start()
    }

    /// A builder with the defaults, for credentials, region, quotas and the rest.
    #[must_use]
    pub fn builder() -> Builder {
        // Connections still open at a test's end are the SDK's idle pool: no need to
        // give them the server's ten seconds.
        let config = Config { shutdown_grace: Duration::from_secs(1), ..Config::default() };
        Builder { config, region: "us-east-1".into(), credentials_given: false }
    }

    /// `http://127.0.0.1:<port>`, the endpoint URL for every service.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first credential pair's access key id.
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        self.first_credential().map_or("", |c| c.access_key.as_str())
    }

    #[must_use]
    pub fn secret_access_key(&self) -> &str {
        self.first_credential().map_or("", |c| c.secret_key.as_str())
    }

    /// The account of the first credential pair.
    #[must_use]
    pub fn account_id(&self) -> &str {
        self.first_credential().map_or("", |c| c.account.as_str())
    }

    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    fn first_credential(&self) -> Option<&Credential> {
        self.app.config.credentials.first()
    }

    /// The server itself, for what the methods here do not cover.
    #[must_use]
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Empties the cloud (as `POST /_nimbus/reset`): every service's state and the
    /// temporary credentials STS issued; the configuration stays.
    pub fn reset(&self) {
        self.app.reset();
    }

    /// Moves nimbus's clock forward (as `POST /_nimbus/clock`): lifecycles, terminated
    /// instances' visibility and alarm evaluation follow it; signatures are still
    /// checked against the real time.
    ///
    /// # Panics
    /// When `by` is beyond any clock's range (hundreds of millions of years).
    pub fn advance_clock(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).expect("a clock advance within chrono's range");
        self.app.advance_clock(by);
    }

    /// The time on nimbus's clock.
    #[must_use]
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.app.dispatcher.clock.now()
    }

    /// The whole state, as `GET /_nimbus/state` shows it:
    /// `{ "<service>": { "<account>": { "<region>": { ... } } } }` with services named as
    /// they sign (`ec2`, `monitoring`, `sts`, `ssm`). Records are as stored: a lifecycle
    /// that the clock has moved on shows its new state on the next API call.
    #[must_use]
    pub fn state(&self) -> Value {
        let mut out = serde_json::Map::new();
        for s in self.app.dispatcher.services() {
            out.insert(s.model().signing_name.to_string(), s.state());
        }
        Value::Object(out)
    }

    /// One service's state in the first credential's account and [`Nimbus::region`]
    /// (`Null` before anything was made there).
    #[must_use]
    pub fn partition(&self, service: &str) -> Value {
        let mut state = self.state();
        state
            .get_mut(service)
            .and_then(|s| s.get_mut(self.account_id()))
            .and_then(|a| a.get_mut(&self.region))
            .map(Value::take)
            .unwrap_or(Value::Null)
    }

    /// How many records one collection of [`Nimbus::partition`] holds, e.g.
    /// `count("ec2", "instances")` or `count("ec2", "vpcs")` (the default VPC counts).
    #[must_use]
    pub fn count(&self, service: &str, collection: &str) -> usize {
        match self.partition(service).get(collection) {
            Some(Value::Object(m)) => m.len(),
            Some(Value::Array(a)) => a.len(),
            _ => 0,
        }
    }

    /// Stops accepting, lets open requests finish, and waits for the server's thread.
    ///
    /// # Errors
    /// What serving failed with, if it did.
    pub fn stop(mut self) -> io::Result<()> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread.join().unwrap_or_else(|_| Err(io::Error::other("nimbus's server thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Nimbus {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}

impl std::fmt::Debug for Nimbus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nimbus").field("endpoint", &self.endpoint()).field("region", &self.region).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    fn get(nimbus: &Nimbus, path: &str) -> String {
        let mut s = std::net::TcpStream::connect(nimbus.addr()).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", nimbus.addr()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_on_a_loopback_port_and_stops_on_drop() {
        let nimbus = Nimbus::start().unwrap();
        let addr = nimbus.addr();
        assert!(addr.ip().is_loopback() && addr.port() != 0);
        assert_eq!(nimbus.endpoint(), format!("http://{addr}"));
        assert!(get(&nimbus, "/_nimbus/health").starts_with("HTTP/1.1 200"));
        assert_eq!(
            (nimbus.access_key_id(), nimbus.secret_access_key(), nimbus.account_id()),
            ("test", "test", "000000000000")
        );
        drop(nimbus);
        assert!(std::net::TcpStream::connect(addr).is_err());
    }

    #[test]
    fn builder_settings_reach_the_server() {
        let nimbus = Nimbus::builder()
            .credentials("AKIAEMBEDDED00000001", "embedded-secret", "123456789012")
            .credentials("AKIAEMBEDDED00000002", "second-secret", "210987654321")
            .region("eu-west-1")
            .instance_quota(3)
            .start()
            .unwrap();
        assert_eq!(nimbus.access_key_id(), "AKIAEMBEDDED00000001");
        assert_eq!(nimbus.account_id(), "123456789012");
        assert_eq!(nimbus.region(), "eu-west-1");
        assert_eq!(nimbus.app().config.credentials.len(), 2);
        assert_eq!(nimbus.app().config.ec2.instance_quota, 3);
        nimbus.stop().unwrap();
    }

    #[test]
    fn the_clock_moves_and_reset_empties() {
        let nimbus = Nimbus::start().unwrap();
        let before = nimbus.now();
        nimbus.advance_clock(Duration::from_secs(3600));
        assert!(nimbus.now() - before >= chrono::Duration::seconds(3600));
        assert!(get(&nimbus, "/_nimbus/clock").contains("\"offsetSeconds\": 3600"));
        assert_eq!(nimbus.count("ec2", "instances"), 0);
        assert_eq!(nimbus.partition("ec2"), Value::Null);
        nimbus.reset();
        assert!(nimbus.state().get("ec2").is_some());
    }

    #[test]
    fn no_credentials_is_refused() {
        let err = Nimbus::builder().configure(|c| c.credentials.clear()).start().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
