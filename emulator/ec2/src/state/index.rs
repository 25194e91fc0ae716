//! Bookkeeping derived from the resources, so that a write costs what it touches and
//! not what the partition holds: which instances and volumes the clock may still move
//! on (the lifecycle's `settle` looks only at them), and which interfaces and volumes
//! may be attached to each instance. Never saved: after a restore (or in a partition
//! built by hand) `built` is false and the next write rebuilds it from the resources;
//! until then every reader falls back to scanning them.
//!
//! The sets may hold more than they must (an entry is checked against the resource when
//! used, and dropped once it no longer applies), never less: whatever puts an instance
//! or volume into transition, or attaches something to an instance, notes it here. In
//! debug builds every write checks that against a full scan (`Index::check`).

use std::collections::{BTreeMap, BTreeSet};

use super::lifecycle::InstanceStateName as Name;
use super::{dto, Ec2State, InstanceRecord};

#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Whether the sets below are complete (see the module's notes).
    pub built: bool,
    /// Instances whose stored state is not final: pending, stopping, shutting down,
    /// terminated (it vanishes later).
    pub moving_instances: BTreeSet<String>,
    /// Volumes being created or with an attachment attaching or detaching.
    pub moving_volumes: BTreeSet<String>,
    /// Instance id -> interfaces and volumes that may be attached to it.
    pub attached: BTreeMap<String, BTreeSet<String>>,
}

/// Whether the clock may still change this instance's stored state (or remove it).
pub fn instance_moves(rec: &InstanceRecord) -> bool {
    !matches!(rec.stored_state, Name::Running | Name::Stopped)
}

/// Whether the clock may still change this volume or one of its attachments.
pub fn volume_moves(v: &dto::Volume) -> bool {
    v.state.as_deref() == Some("creating")
        || v.attachments.iter().flatten().any(|a| matches!(a.state.as_deref(), Some("attaching" | "detaching")))
}

impl Index {
    /// An instance whose stored state was just set.
    pub fn instance(&mut self, id: &str) {
        self.moving_instances.insert(id.to_string());
    }

    /// A volume that was just created or whose attachment changed state.
    pub fn volume(&mut self, id: &str) {
        self.moving_volumes.insert(id.to_string());
    }

    /// An interface or volume that was just attached to an instance.
    pub fn attach(&mut self, instance_id: &str, id: &str) {
        self.attached.entry(instance_id.to_string()).or_default().insert(id.to_string());
    }
}

impl Ec2State {
    /// Rebuilds the index from the resources, if it is not complete.
    pub fn build_index(&mut self) {
        if !self.index.built {
            self.index = self.full_index();
        }
    }

    /// The index as a scan of every resource finds it.
    fn full_index(&self) -> Index {
        let mut index = Index { built: true, ..Index::default() };
        for (id, rec) in &self.instances {
            if instance_moves(rec) {
                index.instance(id);
            }
        }
        for (id, v) in &self.volumes {
            if volume_moves(v) {
                index.volume(id);
            }
            for a in v.attachments.iter().flatten() {
                if let Some(instance) = &a.instance_id {
                    index.attach(instance, id);
                }
            }
        }
        for (id, e) in &self.network_interfaces {
            if let Some(instance) = e.attachment.as_ref().and_then(|a| a.instance_id.as_ref()) {
                index.attach(instance, id);
            }
        }
        index
    }

    /// The instances the clock may move on: the index's, or all of them before it is built.
    pub fn moving_instances(&self) -> Box<dyn Iterator<Item = (&String, &InstanceRecord)> + '_> {
        if self.index.built {
            Box::new(self.index.moving_instances.iter().filter_map(|id| self.instances.get_key_value(id)))
        } else {
            Box::new(self.instances.iter())
        }
    }

    /// The volumes the clock may move on, as [`Ec2State::moving_instances`].
    pub fn moving_volumes(&self) -> Box<dyn Iterator<Item = (&String, &dto::Volume)> + '_> {
        if self.index.built {
            Box::new(self.index.moving_volumes.iter().filter_map(|id| self.volumes.get_key_value(id)))
        } else {
            Box::new(self.volumes.iter())
        }
    }

    /// Drops what no longer moves from the index (after the clock's changes are applied).
    pub fn prune_moving(&mut self) {
        let (instances, volumes) = (&self.instances, &self.volumes);
        self.index.moving_instances.retain(|id| instances.get(id).is_some_and(instance_moves));
        self.index.moving_volumes.retain(|id| volumes.get(id).is_some_and(volume_moves));
    }

    /// The interfaces attached to an instance: (id, the interface).
    pub fn interfaces_of<'a>(
        &'a self,
        instance_id: &'a str,
    ) -> Box<dyn Iterator<Item = (&'a String, &'a dto::NetworkInterface)> + 'a> {
        let attached_here = move |e: &dto::NetworkInterface| {
            e.attachment.as_ref().and_then(|a| a.instance_id.as_deref()) == Some(instance_id)
        };
        if self.index.built {
            let ids = self.index.attached.get(instance_id).into_iter().flatten();
            Box::new(
                ids.filter_map(|id| self.network_interfaces.get_key_value(id)).filter(move |(_, e)| attached_here(e)),
            )
        } else {
            Box::new(self.network_interfaces.iter().filter(move |(_, e)| attached_here(e)))
        }
    }

    /// The volumes with an attachment to an instance.
    pub fn volumes_of<'a>(&'a self, instance_id: &'a str) -> Box<dyn Iterator<Item = &'a dto::Volume> + 'a> {
        let attached_here = move |v: &dto::Volume| {
            v.attachments.iter().flatten().any(|a| a.instance_id.as_deref() == Some(instance_id))
        };
        if self.index.built {
            let ids = self.index.attached.get(instance_id).into_iter().flatten();
            Box::new(ids.filter_map(|id| self.volumes.get(id)).filter(move |v| attached_here(v)))
        } else {
            Box::new(self.volumes.values().filter(move |v| attached_here(v)))
        }
    }

    /// Instances that are not terminated (the quota counts them).
    pub fn live_instances(&self) -> usize {
        if self.index.built {
            let terminated = self.moving_instances().filter(|(_, r)| r.stored_state == Name::Terminated).count();
            self.instances.len() - terminated
        } else {
            self.instances.values().filter(|r| r.stored_state != Name::Terminated).count()
        }
    }

    /// Panics if the index misses an instance or volume in transition or an attachment
    /// (debug builds check it after every write).
    pub fn check_index(&self) {
        if !self.index.built {
            return;
        }
        let full = self.full_index();
        for id in &full.moving_instances {
            assert!(self.index.moving_instances.contains(id), "instance {id} moves but is not in the index");
        }
        for id in &full.moving_volumes {
            assert!(self.index.moving_volumes.contains(id), "volume {id} moves but is not in the index");
        }
        for (instance, ids) in &full.attached {
            for id in ids {
                let noted = self.index.attached.get(instance).is_some_and(|s| s.contains(id));
                assert!(noted, "{id} is attached to {instance} but not in the index");
            }
        }
    }
}
