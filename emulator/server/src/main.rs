use std::process::ExitCode;

use clap::Parser;
use nimbus_server::config::{Cli, Command, Config, LogFormat, StateCommand};
use nimbus_server::{client_env, serve, shutdown_signal, App};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.options.resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("nimbus: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => run(config),
        Command::Healthcheck => healthcheck(&config),
        Command::Env => env(&config),
        Command::State(cmd) => state(&config, cmd),
        Command::Connect { host, port } => connect(&config, &host, port),
    }
}

/// `nimbus connect HOST PORT`: an SSH ProxyCommand into the internet namespace.
fn connect(config: &Config, host: &str, port: u16) -> ExitCode {
    let timeout = std::time::Duration::from_secs(10);
    let result = nimbus_runtime::proxy::connect(&config.instances.prefix, host, port, timeout)
        .and_then(nimbus_runtime::proxy::relay_stdio);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nimbus connect: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `nimbus state export|import`.
fn state(config: &Config, cmd: StateCommand) -> ExitCode {
    let Some(dir) = config.state_dir.as_deref() else {
        eprintln!("nimbus: `state` needs --state-dir (or NIMBUS_STATE_DIR)");
        return ExitCode::from(2);
    };
    let result = match cmd {
        StateCommand::Export { out } => nimbus_server::persistence::export(config, dir).and_then(|snapshot| {
            let text = serde_json::to_vec(&snapshot).map_err(|e| e.to_string())?;
            match out {
                Some(path) => std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display())),
                None => std::io::Write::write_all(&mut std::io::stdout().lock(), &text).map_err(|e| e.to_string()),
            }
        }),
        StateCommand::Import { file, force } => nimbus_server::persistence::import(config, &file, dir, force),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nimbus: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.compact().init(),
    }
}

fn run(config: Config) -> ExitCode {
    init_logging(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("nimbus: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(config.addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("nimbus: cannot listen on {}: {e}", config.addr);
                return ExitCode::FAILURE;
            }
        };
        let addr = listener.local_addr().unwrap_or(config.addr);
        match config.log_format {
            // Before any log line, where a person starting nimbus looks first.
            LogFormat::Text => eprint!("{}", client_env::banner(&config, addr)),
            LogFormat::Json => tracing::info!(
                auth = ?config.auth,
                endpoint = %client_env::endpoint(&config, addr),
                "nimbus {} listening on {addr}",
                env!("CARGO_PKG_VERSION")
            ),
        }
        if !config.seed_images.is_empty() {
            tracing::info!(images = config.seed_images.len(), "seed images joined the image catalogue");
            config.seed_images.clone().install();
        }
        let app = match App::open(config) {
            Ok(app) => app,
            Err(e) => {
                eprintln!("nimbus: {e}");
                return ExitCode::FAILURE;
            }
        };
        match serve(listener, app, shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("nimbus: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// `nimbus env`: the client environment for `eval`. Port 0 is picked at start, so
/// there is nothing to print for it.
fn env(config: &Config) -> ExitCode {
    if config.addr.port() == 0 {
        eprintln!("nimbus env: port 0 is picked when nimbus starts; its start-up lines show the port");
        return ExitCode::from(2);
    }
    print!("{}", client_env::export_lines(config, config.addr));
    ExitCode::SUCCESS
}

/// A dependency-free probe for container HEALTHCHECKs (slim images have no curl).
fn healthcheck(config: &Config) -> ExitCode {
    use std::io::{Read, Write};
    let mut addr = config.addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let probe = || -> std::io::Result<bool> {
        let timeout = std::time::Duration::from_secs(3);
        let mut s = std::net::TcpStream::connect_timeout(&addr, timeout)?;
        s.set_read_timeout(Some(timeout))?;
        write!(s, "GET /_nimbus/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
        let mut response = String::new();
        s.read_to_string(&mut response)?;
        Ok(response.starts_with("HTTP/1.1 200"))
    };
    match probe() {
        Ok(true) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}
