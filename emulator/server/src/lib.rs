//! The `nimbus` server: configuration, listeners, the HTTP edge and the admin API.
//! [`App`] answers requests without a socket; [`serve`] runs it on a listener until a
//! shutdown signal, letting in-flight requests finish; [`embedded::Nimbus`] runs it inside
//! a test process.

pub mod admin;
pub mod client_env;
pub mod config;
mod ec2_actions;
mod edge;
pub mod embedded;
pub mod instances;
pub mod persistence;
mod ssm_catalogue;
pub mod tls;

use std::sync::Arc;
use std::time::{Duration, Instant};

use nimbus_core::auth::{Authenticator, CredentialStore, DEFAULT_ACCOUNT};
use nimbus_core::clock::Clock;
use nimbus_core::dispatch::Dispatcher;
use nimbus_core::Service;
use nimbus_persist::Journal;
use tokio::net::TcpListener;

pub use config::Config;
pub use edge::{handle, Request, Response};

/// One nimbus: its services, credentials, clock and limits.
pub struct App {
    pub dispatcher: Dispatcher,
    pub store: Arc<CredentialStore>,
    pub config: Config,
    pub started: Instant,
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// With `--state-dir`: the journal acknowledged changes go to.
    pub journal: Option<Arc<Journal>>,
    /// With `--state-dir`: what was recovered at start.
    pub recovered: Option<nimbus_persist::Recovered>,
    /// With `--instances run`: the runtime that makes EC2's instances run.
    pub instances: Option<instances::InstanceRuntime>,
    /// The console at `/_nimbus/ui`, unless `--ui off`.
    pub console: Option<nimbus_console::Console>,
    ec2: Arc<nimbus_ec2::Ec2>,
    cloudwatch: Arc<nimbus_cloudwatch::CloudWatch>,
}

impl App {
    /// A nimbus on `config`: with `--state-dir`, the directory's cloud is recovered
    /// and every acknowledged change is journaled there.
    pub fn open(config: Config) -> Result<Arc<App>, String> {
        let mut app = App::in_memory(config);
        if let Some(dir) = app.config.state_dir.clone() {
            let (journal, recovered) = persistence::open(&dir, &app.dispatcher)?;
            app.dispatcher = app.dispatcher.with_recorder(journal.clone());
            app.journal = Some(journal);
            app.recovered = Some(recovered);
        }
        if app.config.instances.mode == config::InstancesMode::Run {
            let ec2 = app.ec2.clone();
            let keep_disks = app.config.state_dir.is_some();
            let names = std::sync::Mutex::new(std::collections::HashMap::<(String, String), Option<String>>::new());
            let source = move || {
                let snapshot = nimbus_core::Service::snapshot(ec2.as_ref()).unwrap_or_default();
                let image_name = |region: &str, image: &str| {
                    let mut cache = names.lock().unwrap_or_else(|e| e.into_inner());
                    let key = (region.to_string(), image.to_string());
                    cache.entry(key).or_insert_with(|| nimbus_ec2::public_image_name(region, image)).clone()
                };
                instances::desired::from_snapshot(&snapshot, &image_name)
            };
            let publisher = instances::Publisher::new(
                app.cloudwatch.clone(),
                app.dispatcher.clock.clone(),
                app.config.instances.metrics_period,
            );
            let credentials = instances::StsIssuer { store: app.store.clone(), clock: app.dispatcher.clock.clone() };
            app.instances = Some(instances::InstanceRuntime::start(
                &app.config.instances,
                keep_disks,
                source,
                publisher,
                credentials,
            )?);
            if let Some(run) = &app.instances {
                app.ec2.set_instance_host(Arc::new(instances::RuntimeHost(run.runtime.clone())));
            }
        }
        Ok(Arc::new(app))
    }

    /// [`App::open`] for tests.
    ///
    /// # Panics
    /// When the state directory cannot be recovered.
    pub fn new(config: Config) -> Arc<App> {
        App::open(config).unwrap_or_else(|e| panic!("nimbus: {e}"))
    }

    /// A nimbus on `config` whose state lives in memory only, whatever `state_dir` says.
    pub fn in_memory(config: Config) -> App {
        let store = Arc::new(CredentialStore::new(config.credentials.clone()));
        let clock = Arc::new(Clock::new());
        let ssm = Arc::new(nimbus_ssm::Ssm::new(Arc::new(ssm_catalogue::Ec2Images)));
        let ec2 = Arc::new(
            nimbus_ec2::Ec2::new(config.ec2).with_parameters(Arc::new(ssm_catalogue::SsmParameters(ssm.clone()))),
        );
        let alarm_actions = Arc::new(ec2_actions::Ec2Actions { ec2: ec2.clone(), clock: clock.clone() });
        let cloudwatch = Arc::new(nimbus_cloudwatch::CloudWatch::new().with_ec2_actions(alarm_actions));
        let sts = nimbus_sts::Sts::new(store.clone()).with_outbound_federation(config.outbound_federation.clone());
        let services: Vec<Arc<dyn Service>> = vec![ec2.clone(), cloudwatch.clone(), Arc::new(sts), ssm];
        let auth = Authenticator { mode: config.auth, store: store.clone() };
        let mut dispatcher = Dispatcher::new(services, auth, clock);
        if let Some(seed) = config.id_seed {
            dispatcher = dispatcher.with_id_seed(seed);
        }
        if !matches!(config.tls, config::Tls::Off) {
            dispatcher = dispatcher.with_tls();
        }
        let console = config.ui.then(|| {
            nimbus_console::Console::new(config.credentials.first().map_or(DEFAULT_ACCOUNT, |c| c.account.as_str()))
        });
        App {
            dispatcher,
            store,
            config,
            started: Instant::now(),
            started_at: chrono::Utc::now(),
            journal: None,
            recovered: None,
            instances: None,
            console,
            ec2,
            cloudwatch,
        }
    }

    /// Wipes every service's state and the issued temporary credentials; configuration
    /// stays. Journaled, with `--state-dir`.
    pub fn reset(&self) {
        self.dispatcher.exclusive(|| {
            for s in self.dispatcher.services() {
                s.reset();
            }
            self.store.reset();
            if let Some(journal) = &self.journal {
                journal.record_entry(&nimbus_persist::Entry::Reset);
            }
        });
    }

    /// Moves nimbus's clock. Journaled, with `--state-dir`.
    pub fn advance_clock(&self, by: chrono::Duration) {
        self.dispatcher.exclusive(|| {
            self.dispatcher.clock.advance(by);
            if let Some(journal) = &self.journal {
                let offset_ms = self.dispatcher.clock.offset().num_milliseconds();
                journal.record_entry(&nimbus_persist::Entry::Clock { offset_ms });
            }
        });
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting and
/// gives open connections `config.shutdown_grace` to finish their requests.
pub async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let tls = tls::acceptor(&app.config.tls).map_err(std::io::Error::other)?;
    // The connection cap: a permit per open connection. At the cap the loop accepts
    // one more connection and holds it while idle kept-alive connections are asked to
    // close (busy ones are left alone); it stops accepting until a permit frees, so
    // further connections wait in the kernel's listen backlog and are served in order.
    // Nothing is refused or answered 503: SDK clients would only retry a 503, and a
    // local emulator has no other node to shed load to. Every timeout (header, body,
    // idle, write stall) bounds how long a connection holds its permit.
    let max = app.config.max_connections.max(1);
    let permits = Arc::new(tokio::sync::Semaphore::new(max));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let signals = edge::Signals { stop: stop_rx, room_wanted: Arc::new(tokio::sync::Notify::new()) };
    let checkpoints = app.journal.as_ref().map(|_| tokio::spawn(persistence::checkpoint_when_large(app.clone())));
    tokio::pin!(shutdown);
    'accepting: loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let permit = match permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                tracing::warn!(max_connections = max, "connection cap reached; closing idle connections to make room");
                loop {
                    signals.room_wanted.notify_waiters();
                    tokio::select! {
                        permit = permits.clone().acquire_owned() => match permit {
                            Ok(p) => break p,
                            Err(_) => break 'accepting,
                        },
                        // Connections that were busy may have gone idle since.
                        () = tokio::time::sleep(Duration::from_millis(100)) => {}
                        () = &mut shutdown => break 'accepting,
                    }
                }
            }
        };
        let _ = stream.set_nodelay(true);
        edge::spawn_connection(stream, peer, app.clone(), tls.clone(), signals.clone(), permit);
    }
    drop(listener);
    let open = max - permits.available_permits();
    tracing::info!(connections = open, "shutting down");
    let _ = stop_tx.send(true);
    let all_closed = permits.acquire_many(u32::try_from(max).unwrap_or(u32::MAX));
    if tokio::time::timeout(app.config.shutdown_grace, all_closed).await.is_err() {
        tracing::warn!("connections still open after the grace period; closing them");
    }
    if let Some(task) = checkpoints {
        task.abort();
    }
    if let Some(journal) = &app.journal {
        persistence::close(&app, journal).await;
    }
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
