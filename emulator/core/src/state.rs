//! State partitioned by account and region: one lock per partition, taken for short
//! synchronous sections, never across an await.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::de::DeserializeOwned;
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
        let parts = read(&self.parts);
        // A cloud holds a few partitions: comparing in place spares every request
        // two allocations for the lookup key.
        if parts.len() <= 8 {
            return parts.iter().find(|((a, r), _)| a == account && r == region).map(|(_, part)| part.clone());
        }
        parts.get(&(account.to_string(), region.to_string())).cloned()
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

    /// Takes every partition of `other` in place of this one's.
    pub fn replace_with(&self, other: Partitioned<S>) {
        let parts = other.parts.into_inner().unwrap_or_else(|e| e.into_inner());
        *write(&self.parts) = parts;
    }
}

impl<S: Default + Serialize> Partitioned<S> {
    /// `{ "<account>": { "<region>": <state> } }`
    pub fn dump(&self) -> Value {
        self.try_dump().unwrap_or(Value::Null)
    }

    /// [`Partitioned::dump`], failing if a partition cannot be written as JSON.
    pub fn try_dump(&self) -> Result<Value, String> {
        self.save_with(|s| serde_json::to_value(s).map_err(|e| e.to_string()))
    }
}

impl<S: Default + DeserializeOwned> Partitioned<S> {
    /// Replaces every partition with those of a [`Partitioned::try_dump`].
    pub fn restore(&self, dump: Value) -> Result<(), String> {
        self.restore_with(dump, |v| serde_json::from_value(v).map_err(|e| e.to_string()))
    }
}

impl<S: Default> Partitioned<S> {
    /// `{ "<account>": { "<region>": save(state) } }`
    pub fn save_with(&self, save: impl Fn(&S) -> Result<Value, String>) -> Result<Value, String> {
        let mut out = serde_json::Map::new();
        for ((account, region), part) in self.partitions() {
            let state = save(&read(&part)).map_err(|e| format!("{account}/{region}: {e}"))?;
            let entry = out.entry(account).or_insert_with(|| Value::Object(serde_json::Map::new()));
            if let Value::Object(regions) = entry {
                regions.insert(region, state);
            }
        }
        Ok(Value::Object(out))
    }

    /// Replaces every partition with those `load` reads from a [`Partitioned::save_with`];
    /// nothing changes if one cannot be read.
    pub fn restore_with(&self, dump: Value, load: impl Fn(Value) -> Result<S, String>) -> Result<(), String> {
        let mut parts = BTreeMap::new();
        let accounts = match dump {
            Value::Object(accounts) => accounts,
            Value::Null => serde_json::Map::new(),
            other => return Err(format!("expected partitions by account, found {other}")),
        };
        for (account, regions) in accounts {
            let Value::Object(regions) = regions else {
                return Err(format!("{account}: expected partitions by region"));
            };
            for (region, state) in regions {
                let state = load(state).map_err(|e| format!("{account}/{region}: {e}"))?;
                parts.insert((account.clone(), region), Arc::new(RwLock::new(state)));
            }
        }
        *write(&self.parts) = parts;
        Ok(())
    }
}

/// `#[serde(with = "pairs")]` writes a map whose keys are not strings as a list of
/// `[key, value]` pairs, which JSON can hold.
pub mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(map: &BTreeMap<K, V>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K, V, D>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
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
