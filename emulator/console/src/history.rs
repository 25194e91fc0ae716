//! Instance state history. EC2 keeps only an instance's current state (and its launch
//! time), so the console records each state it sees an instance in, with when it
//! first saw it; the launch itself is dated by the instance's LaunchTime.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{json, Value};

/// Most transitions kept per instance.
const KEEP: usize = 50;

/// `(account, region, instance id)`
type Key = (String, String, String);

/// A state, since when (epoch seconds), and how that is dated (`launch` or `observed`).
type Entry = (String, f64, &'static str);

#[derive(Debug, Default)]
pub struct History {
    seen: Mutex<BTreeMap<Key, Vec<Entry>>>,
}

impl History {
    /// Records `state` for an instance seen at `now` (epoch seconds) and answers its
    /// history, oldest first.
    pub fn observe(&self, account: &str, region: &str, instance: &str, state: &str, launched: f64, now: f64) -> Value {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let entries = seen.entry((account.into(), region.into(), instance.into())).or_default();
        if entries.is_empty() {
            entries.push(("pending".into(), launched, "launch"));
        }
        if entries.last().is_some_and(|(last, _, _)| last != state) {
            entries.push((state.into(), now, "observed"));
        }
        if entries.len() > KEEP {
            entries.drain(1..entries.len() - KEEP + 1);
        }
        entries.iter().map(|(state, at, how)| json!({ "state": state, "at": at, "dated": how })).collect()
    }

    /// Forgets instances of `(account, region)` that are no longer listed.
    pub fn retain(&self, account: &str, region: &str, listed: &[String]) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|(a, r, id), _| a != account || r != region || listed.contains(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_recorded_once_when_it_changes() {
        let h = History::default();
        h.observe("a", "r", "i-1", "pending", 10.0, 11.0);
        h.observe("a", "r", "i-1", "running", 10.0, 12.0);
        h.observe("a", "r", "i-1", "running", 10.0, 13.0);
        let v = h.observe("a", "r", "i-1", "stopped", 10.0, 14.0);
        let states: Vec<&str> = v.as_array().unwrap().iter().map(|e| e["state"].as_str().unwrap()).collect();
        assert_eq!(states, ["pending", "running", "stopped"]);
        assert_eq!(v[0]["at"], 10.0);
        assert_eq!(v[1]["at"], 12.0);
        h.retain("a", "r", &[]);
        assert_eq!(h.observe("a", "r", "i-1", "running", 10.0, 20.0).as_array().unwrap().len(), 2);
    }

    #[test]
    fn the_launch_is_kept_when_old_transitions_go() {
        let h = History::default();
        let states = ["running", "stopping", "stopped", "pending"];
        let mut last = Value::Null;
        for n in 0..200 {
            last = h.observe("a", "r", "i-1", states[n % 4], 1.0, n as f64);
        }
        let list = last.as_array().unwrap();
        assert_eq!(list.len(), KEEP);
        assert_eq!(list[0]["dated"], "launch");
        assert_eq!(list[KEEP - 1]["at"], 199.0);
    }
}
