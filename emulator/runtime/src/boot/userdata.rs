//! User data as cloud-init reads it: a `#!` script runs as it is; `#cloud-config` is
//! turned into one shell script here (so an image needs only sh and coreutils, not
//! Python and a YAML library) doing, in cloud-init's order, `write_files`, `users`,
//! `ssh_authorized_keys`, deferred `write_files`, then `runcmd`. Other keys are named on
//! the console as ignored. Gzip-compressed user data is inflated first.

use std::fmt::Write;
use std::io::Read;

use base64::Engine;
use serde_norway::Value;

/// What to run, and lines for the console about what was not understood.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Prepared {
    pub script: Option<Vec<u8>>,
    pub notes: Vec<String>,
}

/// Single-quotes `s` for sh.
pub fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub fn prepare(raw: &[u8]) -> Prepared {
    let mut data = raw.to_vec();
    if data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(raw).read_to_end(&mut out).is_ok() {
            data = out;
        }
    }
    if data.starts_with(b"#!") {
        return Prepared { script: Some(data), notes: Vec::new() };
    }
    let text = String::from_utf8_lossy(&data);
    let first = text.lines().next().unwrap_or("").trim();
    if first == "#cloud-config" {
        return cloud_config(&text);
    }
    let note = if text.trim().is_empty() {
        return Prepared::default();
    } else {
        format!(
            "user data starting '{}' is not a #! script or #cloud-config; not run",
            first.chars().take(40).collect::<String>()
        )
    };
    Prepared { script: None, notes: vec![note] }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
        Some(Value::Sequence(items)) => items.iter().filter_map(scalar).collect(),
        _ => Vec::new(),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn cloud_config(text: &str) -> Prepared {
    let mut notes = Vec::new();
    let doc: Value = match serde_norway::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Prepared { script: None, notes: vec![format!("cloud-config is not valid YAML: {e}")] };
        }
    };
    let Value::Mapping(map) = &doc else {
        return Prepared { script: None, notes: vec!["cloud-config is not a mapping; ignored".into()] };
    };
    let mut s = String::from("#!/bin/sh\n# nimbus: #cloud-config as a script\n");
    for key in map.keys().filter_map(|k| k.as_str()) {
        if !matches!(key, "write_files" | "users" | "ssh_authorized_keys" | "runcmd") {
            notes.push(format!("cloud-config key '{key}' is not supported by nimbus; ignored"));
        }
    }
    for note in &notes {
        let _ = writeln!(s, "echo {}", sq(&format!("nimbus: {note}")));
    }
    let files: Vec<&Value> =
        map.get("write_files").and_then(Value::as_sequence).map(|v| v.iter().collect()).unwrap_or_default();
    write_files(&mut s, files.iter().copied().filter(|f| !deferred(f)));
    if let Some(Value::Sequence(users)) = map.get("users") {
        for u in users {
            user(&mut s, u);
        }
    }
    for key in strings(map.get("ssh_authorized_keys")) {
        let _ = writeln!(s, "nimbus_key \"$DEFAULT_USER\" {}", sq(&key));
    }
    write_files(&mut s, files.iter().copied().filter(|f| deferred(f)));
    if let Some(Value::Sequence(cmds)) = map.get("runcmd") {
        for c in cmds {
            match c {
                Value::Sequence(argv) => {
                    let words: Vec<String> = argv.iter().filter_map(scalar).map(|w| sq(&w)).collect();
                    let _ = writeln!(s, "{}", words.join(" "));
                }
                other => {
                    if let Some(line) = scalar(other) {
                        let _ = writeln!(s, "sh -c {}", sq(&line));
                    }
                }
            }
        }
    }
    let script = format!("{HELPERS}{}", s.split_once('\n').map(|x| x.1).unwrap_or(""));
    Prepared { script: Some(format!("#!/bin/sh\n{script}").into_bytes()), notes }
}

const HELPERS: &str = r#". /run/nimbus/env
nimbus_key() {
    h=$(getent passwd "$1" | cut -d: -f6); [ -n "$h" ] || return 0
    mkdir -p "$h/.ssh"; echo "$2" >> "$h/.ssh/authorized_keys"
    chmod 700 "$h/.ssh"; chmod 600 "$h/.ssh/authorized_keys"; chown -R "$1:" "$h/.ssh" 2>/dev/null
}
"#;

fn deferred(file: &Value) -> bool {
    file.get("defer").and_then(Value::as_bool).unwrap_or(false)
}

fn write_files<'a>(s: &mut String, files: impl Iterator<Item = &'a Value>) {
    for f in files {
        let Some(path) = f.get("path").and_then(scalar) else { continue };
        let content = f.get("content").and_then(scalar).unwrap_or_default();
        let encoding = f.get("encoding").and_then(scalar).unwrap_or_default().to_ascii_lowercase();
        let b64 = base64::engine::general_purpose::STANDARD;
        let bytes: Vec<u8> = match encoding.as_str() {
            "b64" | "base64" => b64.decode(content.split_whitespace().collect::<String>()).unwrap_or_default(),
            "gz+b64" | "gzip+base64" | "gz+base64" | "gzip+b64" => {
                let packed = b64.decode(content.split_whitespace().collect::<String>()).unwrap_or_default();
                let mut out = Vec::new();
                let _ = flate2::read::GzDecoder::new(&packed[..]).read_to_end(&mut out);
                out
            }
            _ => content.into_bytes(),
        };
        let append = f.get("append").and_then(Value::as_bool).unwrap_or(false);
        let perms = f.get("permissions").and_then(scalar).unwrap_or_else(|| "0644".into());
        let owner = f.get("owner").and_then(scalar).unwrap_or_else(|| "root:root".into());
        let p = sq(&path);
        let _ = writeln!(s, "mkdir -p \"$(dirname {p})\"");
        let _ = writeln!(s, "echo {} | base64 -d {} {p}", sq(&b64.encode(&bytes)), if append { ">>" } else { ">" });
        let _ = writeln!(s, "chmod {} {p}", sq(&perms));
        let _ = writeln!(s, "chown {} {p}", sq(&owner));
    }
}

fn user(s: &mut String, u: &Value) {
    if u.as_str() == Some("default") {
        return; // the default user is made by init
    }
    let Some(name) = u.get("name").and_then(scalar) else { return };
    let n = sq(&name);
    let mut add = String::from("useradd -m");
    if let Some(shell) = u.get("shell").and_then(scalar) {
        let _ = write!(add, " -s {}", sq(&shell));
    }
    if let Some(home) = u.get("homedir").and_then(scalar) {
        let _ = write!(add, " -d {}", sq(&home));
    }
    if let Some(gecos) = u.get("gecos").and_then(scalar) {
        let _ = write!(add, " -c {}", sq(&gecos));
    }
    if u.get("system").and_then(Value::as_bool).unwrap_or(false) {
        add.push_str(" -r");
    }
    let _ = writeln!(s, "id {n} >/dev/null 2>&1 || {add} {n}");
    for g in strings(u.get("groups")) {
        let _ = writeln!(s, "getent group {g} >/dev/null || groupadd {g}; usermod -aG {g} {n}", g = sq(&g));
    }
    for rule in strings(u.get("sudo")) {
        if rule != "false" {
            let _ = writeln!(s, "echo {} >> /etc/sudoers.d/90-cloud-init-users", sq(&format!("{name} {rule}")));
        }
    }
    for key in strings(u.get("ssh_authorized_keys")) {
        let _ = writeln!(s, "nimbus_key {n} {}", sq(&key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(p: &Prepared) -> String {
        String::from_utf8(p.script.clone().unwrap()).unwrap()
    }

    #[test]
    fn shell_scripts_run_as_they_are() {
        let p = prepare(b"#!/bin/bash\necho hi\n");
        assert_eq!(p.script.as_deref(), Some(&b"#!/bin/bash\necho hi\n"[..]));
        assert!(prepare(b"").script.is_none());
        assert_eq!(prepare(b"hello").notes.len(), 1);
    }

    #[test]
    fn gzip_user_data_is_inflated() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, b"#!/bin/sh\necho zipped\n").unwrap();
        let p = prepare(&gz.finish().unwrap());
        assert_eq!(script(&p), "#!/bin/sh\necho zipped\n");
    }

    #[test]
    fn cloud_config_in_cloud_init_order() {
        let p = prepare(
            b"#cloud-config\npackages: [nginx]\nwrite_files:\n  - path: /etc/motd\n    content: \"it's here\\n\"\n    permissions: '0600'\n  - path: /late\n    content: x\n    defer: true\nusers:\n  - default\n  - name: deploy\n    groups: [adm, sudo]\n    sudo: ALL=(ALL) NOPASSWD:ALL\n    ssh_authorized_keys: [ssh-ed25519 AAAA deploy]\nssh_authorized_keys:\n  - ssh-ed25519 BBBB extra\nruncmd:\n  - echo one > /tmp/one\n  - [touch, /tmp/two]\n",
        );
        let s = script(&p);
        assert_eq!(p.notes, vec!["cloud-config key 'packages' is not supported by nimbus; ignored"]);
        let motd = s.find("'/etc/motd'").unwrap();
        let useradd = s.find("useradd -m 'deploy'").unwrap();
        let extra = s.find("nimbus_key \"$DEFAULT_USER\" 'ssh-ed25519 BBBB extra'").unwrap();
        let late = s.find("'/late'").unwrap();
        let run1 = s.find("sh -c 'echo one > /tmp/one'").unwrap();
        let run2 = s.find("'touch' '/tmp/two'").unwrap();
        assert!(motd < useradd && useradd < extra && extra < late && late < run1 && run1 < run2, "{s}");
        assert!(s.contains(&format!("echo {} | base64 -d > '/etc/motd'", sq("aXQncyBoZXJlCg=="))), "{s}");
        assert!(s.contains("chmod '0600' '/etc/motd'"), "{s}");
        assert!(s.contains("usermod -aG 'sudo' 'deploy'"), "{s}");
        assert!(s.contains("echo 'deploy ALL=(ALL) NOPASSWD:ALL' >> /etc/sudoers.d/90-cloud-init-users"), "{s}");
        assert!(s.contains("nimbus_key 'deploy' 'ssh-ed25519 AAAA deploy'"), "{s}");
        assert!(s.contains("echo 'nimbus: cloud-config key '\\''packages'\\'' is not supported"), "{s}");
    }

    #[test]
    fn bad_yaml_is_reported_not_run() {
        let p = prepare(b"#cloud-config\nruncmd: [unclosed\n");
        assert!(p.script.is_none());
        assert!(p.notes[0].contains("not valid YAML"));
    }
}
