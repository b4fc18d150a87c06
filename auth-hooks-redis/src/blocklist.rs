//! [`JtiBlocklist`] for [`RedisStore`]: a string per blocked id, expiring at its end.

use std::time::SystemTime;

use auth_hooks_flow::async_trait;

use super::codec::{instant, nanos};
use super::keys::JTI;
use super::RedisStore;
use auth_hooks_flow::{JtiBlocklist, StoreError};

#[async_trait]
impl JtiBlocklist for RedisStore {
    async fn block(&self, key: &str, until: SystemTime) -> Result<bool, StoreError> {
        let mut invocation = self.scripts.extend_end.prepare_invoke();
        invocation.key(self.keys.of(JTI, key)).arg(nanos(until)?);
        let new: i64 = self.run("block a token id", &invocation).await?;
        Ok(new == 1)
    }

    async fn is_blocked(&self, key: &str, now: SystemTime) -> Result<bool, StoreError> {
        let until: Option<String> = ::redis::cmd("GET")
            .arg(self.keys.of(JTI, key))
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.error("check the blocklist", e))?;
        match until {
            Some(until) => Ok(now < instant(&until)?),
            None => Ok(false),
        }
    }

    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        let now = nanos(now)?;
        self.sweep(
            "remove expired blocklist entries",
            &self.keys.pattern(JTI),
            &self.scripts.sweep_ends,
            &[&now],
        )
        .await
    }
}
