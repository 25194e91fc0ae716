//! What the `nimbus` binary tells a person starting it: the start-up lines and `nimbus env`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn nimbus() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nimbus"));
    // The developer's own environment must not leak into what is checked.
    for (name, _) in std::env::vars() {
        if name.starts_with("NIMBUS_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("NO_COLOR", "1").stdin(Stdio::null());
    cmd
}

/// `nimbus env ARGS` with extra environment: its standard output, or its error.
fn env_output(args: &[&str], vars: &[(&str, &str)]) -> Result<String, String> {
    let out = nimbus().arg("env").args(args).envs(vars.iter().copied()).output().unwrap();
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The exported value of `name` in `nimbus env`'s output.
fn exported<'a>(out: &'a str, name: &str) -> &'a str {
    let prefix = format!("export {name}=");
    out.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no {name} in {out}"))
}

#[test]
fn the_first_lines_say_where_nimbus_listens_and_what_to_export() {
    let mut child = nimbus()
        .args(["--port", "0", "--credentials", "AKIASTART0001:start/secret:111111111111,test:test"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap());
    let mut head = Vec::new();
    for _ in 0..5 {
        let mut line = String::new();
        assert!(log.read_line(&mut line).unwrap() > 0, "nimbus exited early: {head:?}");
        head.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(head[0].starts_with(&format!("nimbus {} listening on http://127.0.0.1:", env!("CARGO_PKG_VERSION"))));
    let port: u16 = head[0].split("127.0.0.1:").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert_ne!(port, 0, "the banner names the port picked");
    let all = head.concat();
    assert!(all.contains(&format!("  export AWS_ENDPOINT_URL=http://127.0.0.1:{port}\n")), "{all}");
    assert!(
        all.contains(
            "  export AWS_ACCESS_KEY_ID=AKIASTART0001 AWS_SECRET_ACCESS_KEY=start/secret AWS_REGION=us-east-1"
        ),
        "{all}"
    );
    assert!(
        all.contains("access key AKIASTART0001, secret start/secret (account 111111111111), and 1 more pair"),
        "{all}"
    );
}

#[test]
fn json_logs_carry_the_endpoint_instead() {
    let mut child = nimbus()
        .args(["--port", "0", "--host", "0.0.0.0", "--log-format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let endpoint = event["fields"]["endpoint"].as_str().unwrap();
    assert!(endpoint.starts_with("http://127.0.0.1:") && !endpoint.ends_with(":0"), "{line}");
}

#[test]
fn nimbus_env_prints_export_lines() {
    let out = env_output(&[], &[]).unwrap();
    assert_eq!(exported(&out, "AWS_ENDPOINT_URL"), "http://127.0.0.1:4566");
    assert_eq!((exported(&out, "AWS_ACCESS_KEY_ID"), exported(&out, "AWS_SECRET_ACCESS_KEY")), ("test", "test"));
    assert_eq!((exported(&out, "AWS_REGION"), exported(&out, "AWS_DEFAULT_REGION")), ("us-east-1", "us-east-1"));
    // A POSIX shell takes them as they are.
    let sh = Command::new("sh")
        .arg("-c")
        .arg(format!("{out}echo \"$AWS_ENDPOINT_URL $AWS_SECRET_ACCESS_KEY\""))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&sh.stdout), "http://127.0.0.1:4566 test\n");
}

#[test]
fn nimbus_env_follows_flags_environment_and_config_file_like_the_server() {
    let dir = std::env::temp_dir().join(format!("nimbus-startup-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("nimbus.toml");
    std::fs::write(&file, "port = 5001\nhost = \"0.0.0.0\"\ncredentials = \"AKIAFILE:it's secret\"\n").unwrap();
    let config = file.to_str().unwrap();

    let out = env_output(&["--config", config], &[]).unwrap();
    assert_eq!(exported(&out, "AWS_ENDPOINT_URL"), "http://127.0.0.1:5001");
    assert_eq!(exported(&out, "AWS_SECRET_ACCESS_KEY"), "'it'\\''s secret'");
    // Environment over the file, flags over the environment, flags before or after `env`.
    let out = env_output(&[], &[("NIMBUS_CONFIG", config), ("NIMBUS_PORT", "5002")]).unwrap();
    assert_eq!(exported(&out, "AWS_ENDPOINT_URL"), "http://127.0.0.1:5002");
    let out = env_output(&["--port", "5003", "--host", "::1"], &[("NIMBUS_PORT", "5002")]).unwrap();
    assert_eq!(exported(&out, "AWS_ENDPOINT_URL"), "'http://[::1]:5003'");
    let out = nimbus().args(["--port", "5004", "env"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("export AWS_ENDPOINT_URL=http://127.0.0.1:5004\n"));
    let out = env_output(&["--tls-self-signed", "true"], &[]).unwrap();
    assert_eq!(exported(&out, "AWS_ENDPOINT_URL"), "https://127.0.0.1:4566");
    let shell = Command::new("sh")
        .arg("-c")
        .arg(format!("{}printf %s \"$AWS_SECRET_ACCESS_KEY\"", env_output(&["--config", config], &[]).unwrap()))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&shell.stdout), "it's secret");

    let err = env_output(&["--port", "0"], &[]).unwrap_err();
    assert!(err.contains("port 0"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_exported_endpoint_answers() {
    let mut child = nimbus().args(["--port", "0"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    let mut log = BufReader::new(child.stderr.take().unwrap());
    log.read_line(&mut first).unwrap();
    let mut second = String::new();
    log.read_line(&mut second).unwrap();
    let mut third = String::new();
    log.read_line(&mut third).unwrap();
    let endpoint = third.trim().strip_prefix("export AWS_ENDPOINT_URL=http://").unwrap().to_string();
    let mut s = TcpStream::connect(&endpoint).unwrap();
    write!(s, "GET /_nimbus/health HTTP/1.1\r\nHost: {endpoint}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}
