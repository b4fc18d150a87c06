//! How [`RedisStore`](super::RedisStore) writes instants and reads records back.

use std::collections::HashMap;
use std::time::SystemTime;

use auth_hooks_flow::timestamp::{from_unix_nanos, to_unix_nanos};
use auth_hooks_flow::StoreError;

/// `time` as the decimal nanoseconds since the epoch that the scripts compare (they
/// compare non-negative decimals by length, then text).
pub(super) fn nanos(time: SystemTime) -> Result<String, StoreError> {
    let n = to_unix_nanos(time)?;
    if n < 0 {
        return Err(StoreError::new(
            "redis: instants before 1970 cannot be stored",
        ));
    }
    Ok(n.to_string())
}

/// An instant written by [`nanos`].
pub(super) fn instant(text: &str) -> Result<SystemTime, StoreError> {
    text.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .map(from_unix_nanos)
        .ok_or_else(|| StoreError::new("redis: a stored instant is malformed"))
}

/// A flat `[field, value, field, value, ...]` reply (`HGETALL`) as a map.
pub(super) fn fields(flat: Vec<String>) -> HashMap<String, String> {
    let mut map = HashMap::with_capacity(flat.len() / 2);
    let mut items = flat.into_iter();
    while let (Some(k), Some(v)) = (items.next(), items.next()) {
        map.insert(k, v);
    }
    map
}

/// Field `name` of a stored record, or an error naming what is missing.
pub(super) fn field<'a>(
    map: &'a HashMap<String, String>,
    record: &str,
    name: &str,
) -> Result<&'a str, StoreError> {
    map.get(name)
        .map(String::as_str)
        .ok_or_else(|| StoreError::new(format!("redis: a stored {record} lacks `{name}`")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn instants_round_trip_and_garbage_is_an_error() {
        let t = SystemTime::UNIX_EPOCH + Duration::new(4_000_000_000, 7);
        assert_eq!(instant(&nanos(t).unwrap()).unwrap(), t);
        assert!(nanos(SystemTime::UNIX_EPOCH - Duration::from_secs(1)).is_err());
        for bad in ["", "-5", "12x", "99999999999999999999999"] {
            assert!(instant(bad).is_err(), "{bad:?}");
        }
    }
}
