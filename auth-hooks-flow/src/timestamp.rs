//! Instants as database stores keep them: whole nanoseconds since the Unix epoch, so a
//! `SystemTime` goes in and comes back out unchanged. For store implementations
//! (`auth-hooks-sqlite`, `auth-hooks-redis` and your own).

use std::time::{Duration, SystemTime};

use crate::StoreError;

/// `time` as signed nanoseconds since the Unix epoch (years 1677 to 2262).
pub fn to_unix_nanos(time: SystemTime) -> Result<i64, StoreError> {
    let out_of_range = || StoreError::new("time out of the storable range (years 1677 to 2262)");
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).map_err(|_| out_of_range()),
        Err(before) => i64::try_from(before.duration().as_nanos())
            .map(|n| -n)
            .map_err(|_| out_of_range()),
    }
}

/// The instant `nanos` nanoseconds after (or, negative, before) the Unix epoch.
pub fn from_unix_nanos(nanos: i64) -> SystemTime {
    let magnitude = Duration::from_nanos(nanos.unsigned_abs());
    if nanos >= 0 {
        SystemTime::UNIX_EPOCH + magnitude
    } else {
        SystemTime::UNIX_EPOCH - magnitude
    }
}

/// `now + window`, or a store error if that is past what `SystemTime` can hold.
pub fn checked_end(now: SystemTime, window: Duration) -> Result<SystemTime, StoreError> {
    now.checked_add(window)
        .ok_or_else(|| StoreError::new("window end out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_to_the_nanosecond() {
        for time in [
            SystemTime::UNIX_EPOCH,
            SystemTime::UNIX_EPOCH + Duration::new(4_000_000_000, 123_456_789),
            SystemTime::UNIX_EPOCH - Duration::new(86_400, 1),
            SystemTime::now(),
        ] {
            assert_eq!(from_unix_nanos(to_unix_nanos(time).unwrap()), time);
        }
    }

    #[test]
    fn instants_past_2262_are_an_error_not_a_wrap() {
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(10_000_000_000);
        assert!(to_unix_nanos(far).is_err());
        assert!(checked_end(SystemTime::now(), Duration::MAX).is_err());
    }
}
