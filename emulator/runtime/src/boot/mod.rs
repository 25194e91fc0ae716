//! What an instance finds at boot: `/run/nimbus/` (the seed, read-only inside) with the
//! init script, its identity, the key pair's public key and the user data to run.

pub mod userdata;

use std::path::Path;

use crate::desired::Instance;
use crate::error::{io, Result};
use userdata::sq;

pub const INIT: &str = include_str!("init.sh");

/// Writes the seed directory for `inst` (replacing what a previous boot left).
pub fn write_seed(dir: &Path, inst: &Instance) -> Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(io(format!("create {}", dir.display())))?;
    let write =
        |name: &str, data: &[u8]| std::fs::write(dir.join(name), data).map_err(io(format!("write seed {name}")));
    let env = format!(
        "INSTANCE_ID={}\nIMAGE_ID={}\nDEFAULT_USER={}\nLOCAL_IPV4={}\n",
        sq(&inst.id),
        sq(&inst.image_id),
        sq(&inst.default_user),
        inst.private_ip
    );
    write("env", env.as_bytes())?;
    write("init", INIT.as_bytes())?;
    if let Some(key) = &inst.public_key {
        write("authorized_keys", format!("{}\n", key.trim()).as_bytes())?;
    }
    if let Some(raw) = &inst.user_data {
        let prepared = userdata::prepare(raw);
        if let Some(script) = prepared.script {
            write("user-data", &script)?;
        }
        if !prepared.notes.is_empty() {
            let text: String = prepared.notes.iter().map(|n| format!("nimbus: {n}\n")).collect();
            write("notes", text.as_bytes())?;
        }
    }
    Ok(())
}

/// `ip-10-0-1-5`: EC2's hostname for a private address.
pub fn hostname(inst: &Instance) -> String {
    format!("ip-{}", inst.private_ip.to_string().replace('.', "-"))
}
