//! `cargo xtask specs`: download the pinned botocore wheel with pip and write the
//! trimmed service models into `api-specs/`.

use std::io::Read;
use std::process::Command;

use serde_json::Value;

use crate::{root, Result, SERVICES};

/// Keys that only carry prose; everything else in the model is kept.
const DROPPED_KEYS: &[&str] = &["documentation", "documentationUrl", "deprecatedMessage"];

pub fn run() -> Result {
    let root = root();
    let version = std::fs::read_to_string(root.join("api-specs/BOTOCORE_VERSION"))
        .map_err(|e| format!("api-specs/BOTOCORE_VERSION: {e}"))?;
    let version = version.trim();
    let work = std::env::temp_dir().join(format!("nimbus-botocore-{version}"));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;

    let status = Command::new("python3")
        .args(["-m", "pip", "download", "--quiet", "--no-deps"])
        .arg(format!("botocore=={version}"))
        .arg("-d")
        .arg(&work)
        .status()
        .map_err(|e| format!("pip: {e}"))?;
    if !status.success() {
        return Err("pip download botocore failed".into());
    }
    let wheel = std::fs::read_dir(&work)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("botocore-{version}-")) && n.ends_with(".whl"))
        })
        .ok_or("the botocore wheel was not downloaded")?;
    let extracted = work.join("wheel");
    let status = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&extracted)
        .status()
        .map_err(|e| format!("python3 -m zipfile: {e}"))?;
    if !status.success() {
        return Err("unpacking the wheel failed".into());
    }

    for svc in SERVICES {
        let src = extracted.join(format!("botocore/data/{}/{}", svc.botocore, svc.version));
        let dst = root.join("api-specs").join(svc.key);
        std::fs::create_dir_all(&dst).map_err(|e| e.to_string())?;
        for name in ["service-2.json", "paginators-1.json", "waiters-2.json"] {
            let Some(text) = read_maybe_gz(&src.join(name))? else {
                continue;
            };
            let mut model: Value = serde_json::from_str(&text).map_err(|e| format!("{}/{name}: {e}", svc.key))?;
            strip(&mut model);
            let mut out = serde_json::to_string_pretty(&model).map_err(|e| e.to_string())?;
            out.push('\n');
            std::fs::write(dst.join(name), out).map_err(|e| e.to_string())?;
            println!("api-specs/{}/{name}", svc.key);
        }
    }
    Ok(())
}

fn read_maybe_gz(path: &std::path::Path) -> Result<Option<String>> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return Ok(Some(text));
    }
    let gz = path.with_extension("json.gz");
    let Ok(bytes) = std::fs::read(&gz) else {
        return Ok(None);
    };
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).map_err(|e| format!("{}: {e}", gz.display()))?;
    Ok(Some(text))
}

fn strip(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| !DROPPED_KEYS.contains(&k.as_str()));
            map.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}
