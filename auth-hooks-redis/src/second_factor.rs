//! [`SecondFactorStore`] for [`RedisStore`]: a hash per user's TOTP enrollment and a set
//! of recovery code hashes. A step is spent by a script, a code by one `SREM`: both
//! atomic between instances.

use std::collections::HashMap;

use auth_hooks_flow::async_trait;

use super::codec::field;
use super::keys::{RECOVERY, TOTP};
use super::RedisStore;
use auth_hooks_flow::second_factor::{SecondFactorStore, TotpEnrollment, TotpSecret};
use auth_hooks_flow::StoreError;

/// An enrollment read back from its hash fields.
fn enrollment(map: HashMap<String, String>) -> Result<TotpEnrollment, StoreError> {
    let secret = TotpSecret::try_from(field(&map, "TOTP enrollment", "secret")?.to_owned())
        .map_err(|e| StoreError::with_source("redis: a stored TOTP secret is malformed", e))?;
    let mut enrollment = match field(&map, "TOTP enrollment", "confirmed")? {
        "1" => TotpEnrollment::confirmed(secret),
        _ => TotpEnrollment::pending(secret),
    };
    enrollment.last_step = map
        .get("step")
        .map(|step| {
            step.parse::<u64>()
                .map_err(|_| StoreError::new("redis: a stored TOTP step is malformed"))
        })
        .transpose()?;
    Ok(enrollment)
}

#[async_trait]
impl SecondFactorStore for RedisStore {
    async fn totp(&self, user_id: &str) -> Result<Option<TotpEnrollment>, StoreError> {
        let map: HashMap<String, String> = ::redis::cmd("HGETALL")
            .arg(self.keys.of(TOTP, user_id))
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.error("read a TOTP secret", e))?;
        if map.is_empty() {
            return Ok(None);
        }
        enrollment(map).map(Some)
    }

    async fn set_totp(&self, user_id: &str, enrollment: TotpEnrollment) -> Result<(), StoreError> {
        let mut invocation = self.scripts.totp_set.prepare_invoke();
        invocation
            .key(self.keys.of(TOTP, user_id))
            .arg(enrollment.secret.to_base32())
            .arg(if enrollment.confirmed { "1" } else { "0" });
        if let Some(step) = enrollment.last_step {
            invocation.arg(step.to_string());
        }
        let _: i64 = self.run("store a TOTP secret", &invocation).await?;
        Ok(())
    }

    async fn confirm_totp(&self, user_id: &str) -> Result<bool, StoreError> {
        let mut invocation = self.scripts.set_field_if_exists.prepare_invoke();
        invocation
            .key(self.keys.of(TOTP, user_id))
            .arg("confirmed")
            .arg("1");
        let changed: i64 = self.run("confirm a TOTP secret", &invocation).await?;
        Ok(changed == 1)
    }

    async fn accept_totp_step(&self, user_id: &str, step: u64) -> Result<bool, StoreError> {
        let mut invocation = self.scripts.totp_accept_step.prepare_invoke();
        invocation
            .key(self.keys.of(TOTP, user_id))
            .arg(step.to_string());
        let accepted: i64 = self.run("spend a TOTP time step", &invocation).await?;
        Ok(accepted == 1)
    }

    async fn set_recovery_codes(
        &self,
        user_id: &str,
        hashes: Vec<String>,
    ) -> Result<(), StoreError> {
        let key = self.keys.of(RECOVERY, user_id);
        let mut pipe = ::redis::pipe();
        pipe.atomic().del(&key).ignore();
        if !hashes.is_empty() {
            pipe.sadd(&key, hashes).ignore();
        }
        let () = pipe
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.error("store recovery codes", e))?;
        Ok(())
    }

    async fn use_recovery_code(&self, user_id: &str, hash: &str) -> Result<bool, StoreError> {
        let removed: i64 = ::redis::cmd("SREM")
            .arg(self.keys.of(RECOVERY, user_id))
            .arg(hash)
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.error("spend a recovery code", e))?;
        Ok(removed == 1)
    }

    async fn recovery_codes_left(&self, user_id: &str) -> Result<usize, StoreError> {
        ::redis::cmd("SCARD")
            .arg(self.keys.of(RECOVERY, user_id))
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.error("count recovery codes", e))
    }

    async fn remove(&self, user_id: &str) -> Result<bool, StoreError> {
        let (removed,): (i64,) = ::redis::pipe()
            .atomic()
            .del(self.keys.of(RECOVERY, user_id))
            .ignore()
            .del(self.keys.of(TOTP, user_id))
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.error("remove second factors", e))?;
        Ok(removed == 1)
    }
}
