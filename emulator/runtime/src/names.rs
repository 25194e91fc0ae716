//! Every thing the runtime makes on the host carries the per-nimbus prefix, so that a
//! restart after a crash finds (and removes) what the previous run left behind:
//!
//! | thing | name |
//! |---|---|
//! | network namespace | `/run/netns/{prefix}-{vpc-id|i-id|nat-id}`, `{prefix}-internet` |
//! | runc container | `{prefix}-{instance-id}` under runc's root `{run_dir}/runc` |
//! | cgroup | `/{prefix}-sandboxes/{instance-id}` in every hierarchy |
//! | overlay mount | `{data_dir}/instances/{instance-id}/rootfs` |
//! | EBS volume | `{data_dir}/volumes/{vol-id}.img`, through a loop device whose backing file it is |
//! | EBS snapshot | `{data_dir}/snapshots/{snap-id}.img` |
//!
//! Interfaces, bridges and nftables tables live inside those namespaces, so they go with
//! them and their names only need to be unique per namespace.

use std::path::PathBuf;

use crate::error::{Result, RuntimeError};

/// The names of one runtime's things.
#[derive(Debug, Clone)]
pub struct Names {
    prefix: String,
    run_dir: PathBuf,
    data_dir: PathBuf,
}

impl Names {
    /// `prefix`: 1 to 20 lower-case letters, digits or dots, starting with a letter.
    pub fn new(prefix: &str, run_dir: PathBuf, data_dir: PathBuf) -> Result<Names> {
        let ok = !prefix.is_empty()
            && prefix.len() <= 20
            && prefix.starts_with(|c: char| c.is_ascii_lowercase())
            && prefix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.');
        if !ok {
            return Err(RuntimeError::Invalid(format!(
                "runtime prefix '{prefix}': use 1-20 lower-case letters, digits or dots, starting with a letter"
            )));
        }
        Ok(Names { prefix: prefix.to_string(), run_dir, data_dir })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether a namespace (or container id) name is one of ours.
    pub fn owns(&self, name: &str) -> bool {
        name.strip_prefix(&self.prefix).is_some_and(|rest| rest.starts_with('-'))
    }

    /// A namespace for a resource (`vpc-...`, `i-...`, `nat-...`) or `internet`.
    pub fn netns(&self, resource: &str) -> String {
        format!("{}-{resource}", self.prefix)
    }

    pub fn internet_netns(&self) -> String {
        self.netns("internet")
    }

    pub fn container(&self, instance: &str) -> String {
        format!("{}-{instance}", self.prefix)
    }

    /// The cgroup parent (relative to each hierarchy's root).
    pub fn cgroup_parent(&self) -> String {
        format!("{}-sandboxes", self.prefix)
    }

    pub fn cgroup(&self, instance: &str) -> String {
        format!("/{}/{instance}", self.cgroup_parent())
    }

    pub fn run_dir(&self) -> &PathBuf {
        &self.run_dir
    }

    pub fn data_dir(&self) -> &PathBuf {
        &self.data_dir
    }

    pub fn runc_root(&self) -> PathBuf {
        self.run_dir.join("runc")
    }

    pub fn instances_dir(&self) -> PathBuf {
        self.data_dir.join("instances")
    }

    pub fn instance_dir(&self, instance: &str) -> PathBuf {
        self.instances_dir().join(instance)
    }

    pub fn images_dir(&self) -> PathBuf {
        self.data_dir.join("images")
    }

    /// EBS volumes: one sparse file each (`{id}.img`).
    pub fn volumes_dir(&self) -> PathBuf {
        self.data_dir.join("volumes")
    }

    /// EBS snapshots: a sparse copy of their volume's file each.
    pub fn snapshots_dir(&self) -> PathBuf {
        self.data_dir.join("snapshots")
    }

    pub fn lock_file(&self) -> PathBuf {
        self.run_dir.with_extension("lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_prefix_and_only_ours_are_owned() {
        let n = Names::new("nimbus", "/run/nimbus/nimbus".into(), "/var/lib/nimbus/nimbus".into()).unwrap();
        assert_eq!(n.netns("vpc-0123"), "nimbus-vpc-0123");
        assert_eq!(n.container("i-1"), "nimbus-i-1");
        assert_eq!(n.cgroup("i-1"), "/nimbus-sandboxes/i-1");
        assert!(n.owns("nimbus-internet"));
        assert!(!n.owns("nimbus2-internet"));
        assert!(!n.owns("nimbus"));
        assert!(Names::new("Bad", "/r".into(), "/d".into()).is_err());
        assert!(Names::new("", "/r".into(), "/d".into()).is_err());
        assert!(Names::new("a/b", "/r".into(), "/d".into()).is_err());
    }
}
