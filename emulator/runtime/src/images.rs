//! The image store. An AMI is a stack of read-only root filesystem layers; an instance is
//! an overlayfs upper directory on its AMI's stack. `CreateImage` copies the instance's
//! upper directory into a new layer on top of the stack it was launched from, so a
//! baked image keeps what was installed and shares everything below.
//!
//! Any AMI the store does not hold (the public catalogue's Amazon Linux, Ubuntu and
//! Debian images) boots the base root filesystem, with the image's default user.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cmd;
use crate::error::{io, Result, RuntimeError};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ImageRecord {
    pub id: String,
    /// Read-only layers, top first.
    pub layers: Vec<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct ImageStore {
    dir: PathBuf,
    base: PathBuf,
}

fn valid_id(id: &str) -> Result<()> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(RuntimeError::Invalid(format!("image id '{id}' is not of the form ami-...")));
    }
    Ok(())
}

impl ImageStore {
    pub fn new(dir: PathBuf, base: PathBuf) -> Result<ImageStore> {
        std::fs::create_dir_all(&dir).map_err(io(format!("create {}", dir.display())))?;
        Ok(ImageStore { dir, base })
    }

    pub fn base(&self) -> &Path {
        &self.base
    }

    fn record_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    pub fn get(&self, id: &str) -> Option<ImageRecord> {
        let text = std::fs::read_to_string(self.record_path(id)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The layers an instance of `id` boots from.
    pub fn layers(&self, id: &str) -> Vec<PathBuf> {
        self.get(id).map(|r| r.layers).unwrap_or_else(|| vec![self.base.clone()])
    }

    fn save(&self, record: &ImageRecord) -> Result<()> {
        let path = self.record_path(&record.id);
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(record).expect("image records serialise");
        std::fs::write(&tmp, text).map_err(io(format!("write {}", tmp.display())))?;
        std::fs::rename(&tmp, &path).map_err(io(format!("rename {}", path.display())))
    }

    /// A user's own root filesystem (a directory) as AMI `id`. It is used in place, read-only.
    pub fn register_rootfs(&self, id: &str, rootfs: &Path) -> Result<ImageRecord> {
        valid_id(id)?;
        if !rootfs.join("bin/sh").exists() && !rootfs.join("usr/bin/sh").exists() {
            return Err(RuntimeError::Invalid(format!("{} has no /bin/sh: not a root filesystem", rootfs.display())));
        }
        let record = ImageRecord { id: id.to_string(), layers: vec![rootfs.to_path_buf()] };
        self.save(&record)?;
        Ok(record)
    }

    /// A new image `id` from an instance's upper directory, on top of `parent`'s layers.
    pub fn capture(&self, id: &str, parent: &str, upper: &Path) -> Result<ImageRecord> {
        valid_id(id)?;
        let layer = self.dir.join(id);
        let tmp = self.dir.join(format!("{id}.partial"));
        let _ = std::fs::remove_dir_all(&tmp);
        // cp -a keeps owners, modes, xattrs (overlayfs's opaque markers) and the whiteout
        // devices that record deletions.
        cmd::run("cp", &["-a", &upper.to_string_lossy(), &tmp.to_string_lossy()])?;
        let _ = std::fs::remove_dir_all(&layer);
        std::fs::rename(&tmp, &layer).map_err(io(format!("rename {}", layer.display())))?;
        let mut layers = vec![layer];
        layers.extend(self.layers(parent));
        let record = ImageRecord { id: id.to_string(), layers };
        self.save(&record)?;
        Ok(record)
    }

    /// Forgets image `id`; its own layer goes when no other image stacks on it.
    pub fn deregister(&self, id: &str) -> Result<()> {
        valid_id(id)?;
        let own = self.dir.join(id);
        let _ = std::fs::remove_file(self.record_path(id));
        let used_elsewhere = std::fs::read_dir(&self.dir)
            .map_err(io("read image store"))?
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .filter_map(|t| serde_json::from_str::<ImageRecord>(&t).ok())
            .any(|r| r.layers.contains(&own));
        if !used_elsewhere {
            let _ = std::fs::remove_dir_all(&own);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_images_boot_the_base_and_captures_stack() {
        let dir = std::env::temp_dir().join(format!("nimbus-images-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = ImageStore::new(dir.join("store"), PathBuf::from("/base")).unwrap();
        assert_eq!(store.layers("ami-catalogue"), vec![PathBuf::from("/base")]);
        let upper = dir.join("upper");
        std::fs::create_dir_all(upper.join("etc")).unwrap();
        std::fs::write(upper.join("etc/baked"), "yes").unwrap();
        let one = store.capture("ami-1", "ami-catalogue", &upper).unwrap();
        assert_eq!(one.layers, vec![dir.join("store/ami-1"), PathBuf::from("/base")]);
        assert_eq!(std::fs::read_to_string(dir.join("store/ami-1/etc/baked")).unwrap(), "yes");
        let two = store.capture("ami-2", "ami-1", &upper).unwrap();
        assert_eq!(two.layers.len(), 3);
        store.deregister("ami-1").unwrap();
        assert!(dir.join("store/ami-1").exists(), "ami-2 still stacks on it");
        store.deregister("ami-2").unwrap();
        assert!(!dir.join("store/ami-2").exists());
        assert!(store.register_rootfs("ami-x", &dir).is_err());
        assert!(store.capture("../evil", "ami-1", &upper).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
