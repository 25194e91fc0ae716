//! What a client needs to reach this nimbus: the endpoint, a credential pair and a
//! region, as the environment variables every AWS SDK and tool reads. The start-up
//! banner shows them and `nimbus env` prints them as `export` lines for `eval`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use nimbus_core::auth::{AuthMode, DEFAULT_REGION};

use crate::config::{Config, Tls};

/// The endpoint URL clients use for a nimbus listening on `addr`: an unspecified
/// address (`0.0.0.0`, `::`) is reached on loopback.
pub fn endpoint(config: &Config, addr: SocketAddr) -> String {
    let scheme = if matches!(config.tls, Tls::Off) { "http" } else { "https" };
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("{scheme}://{}", SocketAddr::new(ip, addr.port()))
}

/// The variables, in the order they are printed. `AWS_REGION` is what the JavaScript,
/// Rust and Go SDKs read, `AWS_DEFAULT_REGION` what boto3 and the AWS CLI read.
pub fn variables(config: &Config, addr: SocketAddr) -> Vec<(&'static str, String)> {
    let mut vars = vec![("AWS_ENDPOINT_URL", endpoint(config, addr))];
    if let Some(c) = config.credentials.first() {
        vars.push(("AWS_ACCESS_KEY_ID", c.access_key.clone()));
        vars.push(("AWS_SECRET_ACCESS_KEY", c.secret_key.clone()));
    }
    vars.push(("AWS_REGION", DEFAULT_REGION.to_string()));
    vars.push(("AWS_DEFAULT_REGION", DEFAULT_REGION.to_string()));
    vars
}

/// `export NAME=value` lines a POSIX shell can `eval`.
pub fn export_lines(config: &Config, addr: SocketAddr) -> String {
    variables(config, addr).iter().map(|(name, value)| format!("export {name}={}\n", shell_quote(value))).collect()
}

/// The lines printed on start: where nimbus listens, what to export, the credential pair.
pub fn banner(config: &Config, addr: SocketAddr) -> String {
    let vars = variables(config, addr);
    let line = |names: &[&str]| {
        let parts: Vec<String> =
            vars.iter().filter(|(n, _)| names.contains(n)).map(|(n, v)| format!("{n}={}", shell_quote(v))).collect();
        format!("  export {}\n", parts.join(" "))
    };
    let scheme = if matches!(config.tls, Tls::Off) { "http" } else { "https" };
    let auth = match config.auth {
        AuthMode::Verify => "signatures verified",
        AuthMode::Off => "auth off: any signature accepted",
    };
    let mut out = format!("nimbus {} listening on {scheme}://{addr} ({auth})\n", env!("CARGO_PKG_VERSION"));
    out.push_str("AWS clients reach it with (or: eval \"$(nimbus env)\", given the same options):\n");
    out.push_str(&line(&["AWS_ENDPOINT_URL"]));
    out.push_str(&line(&["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"]));
    if let Some(c) = config.credentials.first() {
        let more = match config.credentials.len() {
            1 => String::new(),
            n => format!(", and {} more pair{}", n - 1, if n == 2 { "" } else { "s" }),
        };
        out.push_str(&format!(
            "Credentials: access key {}, secret {} (account {}){more}\n",
            c.access_key, c.secret_key, c.account
        ));
    }
    if matches!(config.tls, Tls::SelfSigned) {
        out.push_str("TLS: a self-signed certificate; clients must skip verification (aws --no-verify-ssl)\n");
    }
    out
}

/// A value as one POSIX shell word: as is when it holds only safe characters,
/// otherwise in single quotes.
fn shell_quote(value: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c);
    if !value.is_empty() && value.chars().all(safe) {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::auth::Credential;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_export_the_test_pair() {
        let out = export_lines(&Config::default(), addr("127.0.0.1:4566"));
        assert_eq!(
            out,
            "export AWS_ENDPOINT_URL=http://127.0.0.1:4566\nexport AWS_ACCESS_KEY_ID=test\n\
             export AWS_SECRET_ACCESS_KEY=test\nexport AWS_REGION=us-east-1\nexport AWS_DEFAULT_REGION=us-east-1\n"
        );
    }

    #[test]
    fn unspecified_addresses_are_reached_on_loopback() {
        let c = Config::default();
        assert_eq!(endpoint(&c, addr("0.0.0.0:5000")), "http://127.0.0.1:5000");
        assert_eq!(endpoint(&c, addr("[::]:5000")), "http://[::1]:5000");
        assert_eq!(endpoint(&c, addr("[fd00::1]:80")), "http://[fd00::1]:80");
        let tls = Config { tls: Tls::SelfSigned, ..Config::default() };
        assert_eq!(endpoint(&tls, addr("10.0.0.1:443")), "https://10.0.0.1:443");
    }

    #[test]
    fn secrets_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("conformance/secret/one"), "conformance/secret/one");
        assert_eq!(shell_quote("a b$c"), "'a b$c'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn the_banner_names_the_first_pair_and_counts_the_rest() {
        let c = Config {
            credentials: vec![
                Credential::new("AKIA1", "s3cret", "111111111111"),
                Credential::new("b", "c", "000000000000"),
            ],
            ..Config::default()
        };
        let b = banner(&c, addr("0.0.0.0:4566"));
        assert!(b.starts_with(&format!(
            "nimbus {} listening on http://0.0.0.0:4566 (signatures verified)\n",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(b.contains("  export AWS_ENDPOINT_URL=http://127.0.0.1:4566\n"), "{b}");
        assert!(
            b.contains("  export AWS_ACCESS_KEY_ID=AKIA1 AWS_SECRET_ACCESS_KEY=s3cret AWS_REGION=us-east-1"),
            "{b}"
        );
        assert!(b.contains("access key AKIA1, secret s3cret (account 111111111111), and 1 more pair\n"), "{b}");
    }
}
