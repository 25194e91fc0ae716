//! State partitioned by account and region: one lock per partition, taken for short
//! synchronous sections, never across an await.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::Serialize;
use serde_json::Value;

type Key = (String, String);

/// `(account, region) -> S`, created on first use with `S::default()`.
#[derive(Debug, Default)]
pub struct Partitioned<S> {
    parts: RwLock<BTreeMap<Key, Arc<RwLock<S>>>>,
}

impl<S: Default> Partitioned<S> {
    pub fn new() -> Self {
        Partitioned { parts: RwLock::new(BTreeMap::new()) }
    }

    fn existing(&self, account: &str, region: &str) -> Option<Arc<RwLock<S>>> {
        read(&self.parts).get(&(account.to_string(), region.to_string())).cloned()
    }

    /// Runs `f` with shared access to one partition (a fresh default one if it does
    /// not exist yet, without creating it).
    pub fn read<R>(&self, account: &str, region: &str, f: impl FnOnce(&S) -> R) -> R {
        match self.existing(account, region) {
            Some(part) => f(&read(&part)),
            None => f(&S::default()),
        }
    }

    /// Runs `f` with exclusive access to one partition. A partition is created by the
    /// first write that succeeds, so a refused request leaves no trace.
    pub fn write<R, E>(&self, account: &str, region: &str, f: impl FnOnce(&mut S) -> Result<R, E>) -> Result<R, E> {
        if let Some(part) = self.existing(account, region) {
            return f(&mut write(&part));
        }
        let key = (account.to_string(), region.to_string());
        let mut parts = write(&self.parts);
        if let Some(part) = parts.get(&key).cloned() {
            drop(parts);
            return f(&mut write(&part));
        }
        let mut state = S::default();
        let result = f(&mut state);
        if result.is_ok() {
            parts.insert(key, Arc::new(RwLock::new(state)));
        }
        result
    }

    /// Every partition that exists, in key order.
    pub fn partitions(&self) -> Vec<(Key, Arc<RwLock<S>>)> {
        read(&self.parts).iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub fn clear(&self) {
        write(&self.parts).clear();
    }
}

impl<S: Default + Serialize> Partitioned<S> {
    /// `{ "<account>": { "<region>": <state> } }`
    pub fn dump(&self) -> Value {
        let mut out = serde_json::Map::new();
        for ((account, region), part) in self.partitions() {
            let state = serde_json::to_value(&*read(&part)).unwrap_or(Value::Null);
            let entry = out.entry(account).or_insert_with(|| Value::Object(serde_json::Map::new()));
            if let Value::Object(regions) = entry {
                regions.insert(region, state);
            }
        }
        Value::Object(out)
    }
}

/// Lock helpers that survive a poisoned lock: a handler that panicked was answered
/// with an InternalError and its partial write is the best state there is.
pub fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

pub fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

pub fn lock<T>(lock: &Mutex<T>) -> MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_separate_per_account_and_region() {
        let p: Partitioned<Vec<u32>> = Partitioned::new();
        let push = |n| {
            move |v: &mut Vec<u32>| -> Result<(), ()> {
                v.push(n);
                Ok(())
            }
        };
        p.write("111111111111", "us-east-1", push(1)).unwrap();
        p.write("111111111111", "eu-west-1", push(2)).unwrap();
        p.write("222222222222", "us-east-1", push(3)).unwrap();
        assert!(p.write("333333333333", "us-east-1", |_| Err::<(), _>("refused")).is_err());
        assert_eq!(p.read("333333333333", "us-east-1", |v| v.len()), 0);
        assert_eq!(p.read("111111111111", "us-east-1", |v| v.clone()), vec![1]);
        assert_eq!(p.read("222222222222", "us-east-1", |v| v.clone()), vec![3]);
        let dump = p.dump();
        assert!(dump.get("333333333333").is_none(), "a refused first write creates nothing");
        assert_eq!(dump["111111111111"]["eu-west-1"], serde_json::json!([2]));
        p.clear();
        assert!(p.partitions().is_empty());
    }
}
