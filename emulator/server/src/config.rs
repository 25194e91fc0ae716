//! Configuration: command-line flags over `NIMBUS_*` environment variables over a TOML
//! config file over the defaults.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use nimbus_core::auth::{AuthMode, Credential, DEFAULT_ACCOUNT};
use serde::Deserialize;

#[derive(Debug, Parser)]
#[command(
    name = "nimbus",
    version,
    about = "A local AWS cloud: EC2 + VPC, CloudWatch and STS, SigV4-verified, in memory."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub options: Options,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve (the default).
    Serve,
    /// Exit 0 when a nimbus answers /_nimbus/health on the configured address (for container HEALTHCHECKs).
    Healthcheck,
    /// Print the environment AWS clients need to reach nimbus on the configured address
    /// (endpoint, credential pair, region) as `export` lines: `eval "$(nimbus env)"`.
    Env,
    /// Relay standard input and output to HOST:PORT from the internet namespace of a
    /// nimbus running with --instances run: an SSH ProxyCommand (`nimbus connect %h %p`).
    /// Needs root, as the running nimbus does.
    Connect {
        /// An instance's public or Elastic IP address.
        #[arg(id = "instance_host", value_name = "HOST")]
        host: String,
        #[arg(id = "instance_port", value_name = "PORT")]
        port: u16,
    },
    /// Move a cloud between machines: export a state directory to one file, or import one.
    #[command(subcommand)]
    State(StateCommand),
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Write the --state-dir's cloud (snapshot plus journal) as one snapshot file.
    Export {
        /// Where to write it [default: standard output].
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Make FILE (from `nimbus state export`) the --state-dir's cloud.
    Import {
        file: PathBuf,
        /// Replace a state directory that already holds a cloud.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthSetting {
    #[default]
    On,
    Off,
}

/// What an EC2 instance is: a record (the default) or a running sandbox.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstancesMode {
    #[default]
    Record,
    Run,
}

/// The console at `/_nimbus/ui`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UiSetting {
    On,
    Off,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Default, Args, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    /// Address to listen on [default: 127.0.0.1].
    #[arg(long, env = "NIMBUS_HOST", global = true)]
    pub host: Option<IpAddr>,
    /// Port to listen on; 0 picks a free one [default: 4566].
    #[arg(long, env = "NIMBUS_PORT", global = true)]
    pub port: Option<u16>,
    /// A TOML file with any of these options (kebab-case keys).
    #[arg(long, env = "NIMBUS_CONFIG", global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// `on` verifies every SigV4 signature; `off` accepts any [default: on].
    #[arg(long, env = "NIMBUS_AUTH", value_enum)]
    pub auth: Option<AuthSetting>,
    /// Credentials, comma-separated `ACCESS_KEY:SECRET[:ACCOUNT]`; replaces the default `test:test:000000000000`.
    #[arg(long, env = "NIMBUS_CREDENTIALS", global = true)]
    pub credentials: Option<String>,
    /// A file of credentials, one `ACCESS_KEY:SECRET[:ACCOUNT]` per line (`#` comments); added to --credentials.
    #[arg(long, env = "NIMBUS_CREDENTIALS_FILE", global = true)]
    pub credentials_file: Option<PathBuf>,
    /// PEM certificate chain for TLS.
    #[arg(long, env = "NIMBUS_TLS_CERT", requires = "tls_key", global = true)]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    #[arg(long, env = "NIMBUS_TLS_KEY", requires = "tls_cert", global = true)]
    pub tls_key: Option<PathBuf>,
    /// Serve TLS with a freshly generated self-signed certificate for localhost.
    #[arg(long, env = "NIMBUS_TLS_SELF_SIGNED", global = true)]
    pub tls_self_signed: Option<bool>,
    /// Largest accepted request body, after gzip decompression [default: 5242880].
    #[arg(long, env = "NIMBUS_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Seconds a client has to send a request's headers, and then its body [default: 30].
    #[arg(long, env = "NIMBUS_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<u64>,
    /// Seconds a kept-alive connection may wait for its next request (and that
    /// request's headers) before it is closed [default: 60].
    #[arg(long, env = "NIMBUS_IDLE_TIMEOUT_SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Connections served at once; at the cap idle kept-alive connections are closed
    /// to make room and newcomers wait in the listen backlog [default: 1024].
    #[arg(long, env = "NIMBUS_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Seconds in-flight requests get to finish on SIGTERM/SIGINT [default: 10].
    #[arg(long, env = "NIMBUS_SHUTDOWN_GRACE_SECS")]
    pub shutdown_grace_secs: Option<u64>,
    /// Seconds each EC2 lifecycle step (instance pending -> running, stopping ->
    /// stopped, NAT gateway pending -> available, ...) takes on nimbus's clock [default: 0].
    #[arg(long, env = "NIMBUS_EC2_TRANSITION_SECS")]
    pub ec2_transition_secs: Option<u32>,
    /// Instances an account may have per region before InstanceLimitExceeded [default: 1000].
    #[arg(long, env = "NIMBUS_EC2_INSTANCE_QUOTA")]
    pub ec2_instance_quota: Option<usize>,
    /// Seconds a terminated instance stays visible before it vanishes [default: 3600].
    #[arg(long, env = "NIMBUS_EC2_TERMINATED_VISIBLE_SECS")]
    pub ec2_terminated_visible_secs: Option<u32>,
    /// A JSON file of the team's own AMIs (`fixtures/images.json`'s shape, plus `ImageId`
    /// and `Regions`) that join every region's image catalogue.
    #[arg(long, env = "NIMBUS_SEED_IMAGES")]
    pub seed_images: Option<PathBuf>,
    /// Make generated ids deterministic from this seed (the same requests in the same
    /// order get the same ids; requests are then handled one at a time).
    #[arg(long, env = "NIMBUS_ID_SEED")]
    pub id_seed: Option<u64>,
    /// Write every AWS request received (method, path, headers, base64 body) as JSON
    /// into this directory: how the golden wire tests capture real clients' bytes.
    #[arg(long, env = "NIMBUS_CAPTURE_DIR")]
    pub capture_dir: Option<PathBuf>,
    /// Keep the state in this directory across restarts (a snapshot plus a journal of
    /// acknowledged changes); off by default: state lives in memory only.
    #[arg(long, env = "NIMBUS_STATE_DIR", global = true)]
    pub state_dir: Option<PathBuf>,
    /// `run`: instances really run (Linux sandboxes on their VPC's network; needs root,
    /// runc, nftables; see docs/runtime.md) [default: record].
    #[arg(long, env = "NIMBUS_INSTANCES", value_enum, global = true)]
    pub instances: Option<InstancesMode>,
    /// Prefix of every namespace, container and cgroup the instances get; two nimbus
    /// processes on one host need two prefixes [default: nimbus].
    #[arg(long, env = "NIMBUS_INSTANCES_PREFIX", global = true)]
    pub instances_prefix: Option<String>,
    /// Where instance disks and baked images live [default: /var/lib/nimbus].
    #[arg(long, env = "NIMBUS_INSTANCES_DIR")]
    pub instances_dir: Option<PathBuf>,
    /// The root filesystem the catalogue's Linux AMIs boot (built by
    /// emulator/runtime/images/build-base.sh) [default: /var/lib/nimbus/images/debian-bookworm/rootfs].
    #[arg(long, env = "NIMBUS_INSTANCES_IMAGE")]
    pub instances_image: Option<PathBuf>,
    /// The web console at /_nimbus/ui [default: on when listening on a loopback
    /// address, off otherwise].
    #[arg(long, env = "NIMBUS_UI", value_enum)]
    pub ui: Option<UiSetting>,
    /// Accounts whose STS GetWebIdentityToken is refused as outbound identity federation
    /// disabled: comma-separated account ids, or `all` [default: none, on for every account].
    #[arg(long, env = "NIMBUS_OUTBOUND_FEDERATION_DISABLED")]
    pub outbound_federation_disabled: Option<String>,
    /// Log filter, as in RUST_LOG [default: info].
    #[arg(long, env = "NIMBUS_LOG")]
    pub log: Option<String>,
    /// Log line format [default: text].
    #[arg(long, env = "NIMBUS_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Clone)]
pub enum Tls {
    Off,
    Files { cert: PathBuf, key: PathBuf },
    SelfSigned,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub auth: AuthMode,
    pub credentials: Vec<Credential>,
    pub tls: Tls,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request's headers.
    pub idle_timeout: Duration,
    /// Connections served at once; the accept loop stops accepting at this many.
    pub max_connections: usize,
    pub shutdown_grace: Duration,
    pub capture_dir: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    pub id_seed: Option<u64>,
    pub ec2: nimbus_ec2::Ec2Settings,
    pub seed_images: nimbus_ec2::SeedImages,
    pub log: String,
    pub log_format: LogFormat,
    pub instances: Instances,
    /// Whether the console at `/_nimbus/ui` is served.
    pub ui: bool,
    /// Which accounts may call STS GetWebIdentityToken.
    pub outbound_federation: nimbus_sts::OutboundFederation,
}

/// `--instances` and its companions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instances {
    pub mode: InstancesMode,
    pub prefix: String,
    pub dir: PathBuf,
    pub image: PathBuf,
    /// AWS/EC2 metric period instead of the monitoring's (1 and 5 minutes); for tests.
    pub metrics_period: Option<Duration>,
}

impl Default for Instances {
    fn default() -> Self {
        Instances {
            mode: InstancesMode::Record,
            prefix: "nimbus".into(),
            dir: PathBuf::from("/var/lib/nimbus"),
            image: PathBuf::from("/var/lib/nimbus/images/debian-bookworm/rootfs"),
            metrics_period: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 4566)),
            auth: AuthMode::Verify,
            credentials: vec![Credential::new("test", "test", DEFAULT_ACCOUNT)],
            tls: Tls::Off,
            max_body_bytes: 5 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
            capture_dir: None,
            state_dir: None,
            id_seed: None,
            ec2: nimbus_ec2::Ec2Settings::default(),
            seed_images: nimbus_ec2::SeedImages::default(),
            log: "info".into(),
            log_format: LogFormat::Text,
            instances: Instances::default(),
            ui: true,
            outbound_federation: nimbus_sts::OutboundFederation::Enabled,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("credentials: {0}")]
    Credentials(String),
}

impl Options {
    /// Fills every option still unset from `other` (the lower-precedence source).
    fn or(self, other: Options) -> Options {
        Options {
            host: self.host.or(other.host),
            port: self.port.or(other.port),
            config: self.config.or(other.config),
            auth: self.auth.or(other.auth),
            credentials: self.credentials.or(other.credentials),
            credentials_file: self.credentials_file.or(other.credentials_file),
            tls_cert: self.tls_cert.or(other.tls_cert),
            tls_key: self.tls_key.or(other.tls_key),
            tls_self_signed: self.tls_self_signed.or(other.tls_self_signed),
            max_body_bytes: self.max_body_bytes.or(other.max_body_bytes),
            request_timeout_secs: self.request_timeout_secs.or(other.request_timeout_secs),
            idle_timeout_secs: self.idle_timeout_secs.or(other.idle_timeout_secs),
            max_connections: self.max_connections.or(other.max_connections),
            shutdown_grace_secs: self.shutdown_grace_secs.or(other.shutdown_grace_secs),
            capture_dir: self.capture_dir.or(other.capture_dir),
            state_dir: self.state_dir.or(other.state_dir),
            id_seed: self.id_seed.or(other.id_seed),
            seed_images: self.seed_images.or(other.seed_images),
            ec2_transition_secs: self.ec2_transition_secs.or(other.ec2_transition_secs),
            ec2_instance_quota: self.ec2_instance_quota.or(other.ec2_instance_quota),
            ec2_terminated_visible_secs: self.ec2_terminated_visible_secs.or(other.ec2_terminated_visible_secs),
            instances: self.instances.or(other.instances),
            instances_prefix: self.instances_prefix.or(other.instances_prefix),
            instances_dir: self.instances_dir.or(other.instances_dir),
            instances_image: self.instances_image.or(other.instances_image),
            ui: self.ui.or(other.ui),
            outbound_federation_disabled: self.outbound_federation_disabled.or(other.outbound_federation_disabled),
            log: self.log.or(other.log),
            log_format: self.log_format.or(other.log_format),
        }
    }

    /// Resolves flags and environment (already merged by clap) with the config file.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let file = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::File { path: path.clone(), message: e.to_string() })?;
                toml::from_str::<Options>(&text)
                    .map_err(|e| ConfigError::File { path: path.clone(), message: e.to_string() })?
            }
            None => Options::default(),
        };
        let o = self.or(file);
        let d = Config::default();

        let mut credentials = Vec::new();
        if let Some(list) = &o.credentials {
            for spec in list.split(',').filter(|s| !s.trim().is_empty()) {
                credentials.push(Credential::parse(spec).map_err(ConfigError::Credentials)?);
            }
        }
        if let Some(path) = &o.credentials_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::File { path: path.clone(), message: e.to_string() })?;
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
                credentials.push(Credential::parse(line).map_err(ConfigError::Credentials)?);
            }
        }
        if credentials.is_empty() {
            credentials = d.credentials;
        }

        let tls = match (o.tls_cert, o.tls_key, o.tls_self_signed) {
            (Some(cert), Some(key), _) => Tls::Files { cert, key },
            (None, None, Some(true)) => Tls::SelfSigned,
            (None, None, _) => Tls::Off,
            _ => return Err(ConfigError::Credentials("tls-cert and tls-key go together".into())),
        };

        let seed_images = match &o.seed_images {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::File { path: path.clone(), message: e.to_string() })?;
                nimbus_ec2::SeedImages::parse(&text)
                    .map_err(|e| ConfigError::File { path: path.clone(), message: e.to_string() })?
            }
            None => nimbus_ec2::SeedImages::default(),
        };

        let outbound_federation = match &o.outbound_federation_disabled {
            Some(spec) => nimbus_sts::OutboundFederation::parse(spec)
                .map_err(|e| ConfigError::Credentials(format!("outbound-federation-disabled: {e}")))?,
            None => nimbus_sts::OutboundFederation::Enabled,
        };

        let addr = SocketAddr::new(o.host.unwrap_or(d.addr.ip()), o.port.unwrap_or(d.addr.port()));
        Ok(Config {
            addr,
            auth: match o.auth.unwrap_or_default() {
                AuthSetting::On => AuthMode::Verify,
                AuthSetting::Off => AuthMode::Off,
            },
            credentials,
            tls,
            max_body_bytes: o.max_body_bytes.unwrap_or(d.max_body_bytes),
            request_timeout: o.request_timeout_secs.map(Duration::from_secs).unwrap_or(d.request_timeout),
            idle_timeout: o.idle_timeout_secs.map(Duration::from_secs).unwrap_or(d.idle_timeout),
            max_connections: o.max_connections.unwrap_or(d.max_connections).clamp(1, 1 << 20),
            shutdown_grace: o.shutdown_grace_secs.map(Duration::from_secs).unwrap_or(d.shutdown_grace),
            capture_dir: o.capture_dir,
            state_dir: o.state_dir,
            id_seed: o.id_seed,
            ec2: nimbus_ec2::Ec2Settings {
                transition_delay_secs: o.ec2_transition_secs.unwrap_or(d.ec2.transition_delay_secs),
                instance_quota: o.ec2_instance_quota.unwrap_or(d.ec2.instance_quota),
                terminated_visible_secs: o.ec2_terminated_visible_secs.unwrap_or(d.ec2.terminated_visible_secs),
            },
            seed_images,
            log: o.log.unwrap_or(d.log),
            log_format: o.log_format.unwrap_or_default(),
            instances: Instances {
                mode: o.instances.unwrap_or_default(),
                prefix: o.instances_prefix.unwrap_or(d.instances.prefix),
                dir: o.instances_dir.unwrap_or(d.instances.dir),
                image: o.instances_image.unwrap_or(d.instances.image),
                metrics_period: None,
            },
            // Off by default where others can reach it: the console reads every account.
            ui: match o.ui {
                Some(UiSetting::On) => true,
                Some(UiSetting::Off) => false,
                None => addr.ip().is_loopback(),
            },
            outbound_federation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = Options::default().resolve().unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:4566");
        assert_eq!(c.auth, AuthMode::Verify);
        assert_eq!(c.credentials, vec![Credential::new("test", "test", "000000000000")]);
        assert_eq!((c.max_connections, c.idle_timeout), (1024, Duration::from_secs(60)));
        assert!(c.ui);
    }

    #[test]
    fn the_console_is_on_by_default_on_loopback_only() {
        let on = |o: Options| o.resolve().unwrap().ui;
        assert!(!on(Options { host: Some("0.0.0.0".parse().unwrap()), ..Default::default() }));
        assert!(on(Options { host: Some("::1".parse().unwrap()), ..Default::default() }));
        assert!(on(Options { host: Some("0.0.0.0".parse().unwrap()), ui: Some(UiSetting::On), ..Default::default() }));
        assert!(!on(Options { ui: Some(UiSetting::Off), ..Default::default() }));
        let cli = Cli::try_parse_from(["nimbus", "--ui", "off"]).unwrap();
        assert_eq!(cli.options.ui, Some(UiSetting::Off));
        assert_eq!(toml::from_str::<Options>("ui = \"off\"\n").unwrap().ui, Some(UiSetting::Off));
    }

    #[test]
    fn flags_override_the_config_file() {
        let dir = std::env::temp_dir().join(format!("nimbus-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("nimbus.toml");
        std::fs::write(
            &path,
            "port = 5000\nhost = \"0.0.0.0\"\nauth = \"off\"\ncredentials = \"ak:sk:123456789012\"\nmax-connections = 7\nidle-timeout-secs = 2\n",
        )
        .unwrap();
        let c = Options { config: Some(path.clone()), port: Some(6000), ..Default::default() }.resolve().unwrap();
        assert_eq!(c.addr.to_string(), "0.0.0.0:6000");
        assert_eq!(c.auth, AuthMode::Off);
        assert_eq!(c.credentials[0].account, "123456789012");
        assert_eq!((c.max_connections, c.idle_timeout), (7, Duration::from_secs(2)));
        std::fs::write(&path, "prot = 1\n").unwrap();
        assert!(Options { config: Some(path), ..Default::default() }.resolve().is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        // The address and credential flags reach the subcommands that need them.
        let cli = Cli::try_parse_from(["nimbus", "env", "--port", "5000", "--credentials", "a:b"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Env)));
        assert_eq!((cli.options.port, cli.options.credentials.as_deref()), (Some(5000), Some("a:b")));
        let cli = Cli::try_parse_from(["nimbus", "connect", "203.0.113.5", "22"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Connect { ref host, port: 22 }) if host == "203.0.113.5"));
    }

    #[test]
    fn bad_credentials_are_refused() {
        let err = Options { credentials: Some("only-a-key".into()), ..Default::default() }.resolve().unwrap_err();
        assert!(err.to_string().contains("ACCESS_KEY:SECRET"));
    }
}
