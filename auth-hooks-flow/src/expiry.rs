//! Removing expired entries from the in-memory stores, a bounded number at a time.

use std::collections::HashMap;
use std::hash::Hash;

/// Removes at most `limit` entries of `map` that are `expired`; returns how many.
pub(crate) fn remove_at_most<K: Eq + Hash + Clone, V>(
    map: &mut HashMap<K, V>,
    limit: usize,
    expired: impl Fn(&V) -> bool,
) -> usize {
    if limit >= map.len() {
        let before = map.len();
        map.retain(|_, v| !expired(v));
        return before - map.len();
    }
    let doomed: Vec<K> = map
        .iter()
        .filter(|(_, v)| expired(v))
        .map(|(k, _)| k.clone())
        .take(limit)
        .collect();
    for key in &doomed {
        map.remove(key);
    }
    doomed.len()
}
