//! [`ContinuationStore`] for [`RedisStore`]: a hash per continuation (its record as
//! JSON and its end), expiring at its end; taken by a script, so once.

use std::time::SystemTime;

use auth_hooks_flow::async_trait;

use super::codec::nanos;
use super::keys::CONTINUATION;
use super::RedisStore;
use auth_hooks_flow::second_factor::{ContinuationRecord, ContinuationStore};
use auth_hooks_flow::StoreError;

#[async_trait]
impl ContinuationStore for RedisStore {
    async fn put(&self, id_hash: &str, record: &ContinuationRecord) -> Result<(), StoreError> {
        let mut invocation = self.scripts.continuation_put.prepare_invoke();
        invocation
            .key(self.keys.of(CONTINUATION, id_hash))
            .arg(record.to_json()?)
            .arg(nanos(record.expires_at)?);
        let _: i64 = self.run("store a continuation", &invocation).await?;
        Ok(())
    }

    async fn take(
        &self,
        id_hash: &str,
        now: SystemTime,
    ) -> Result<Option<ContinuationRecord>, StoreError> {
        let mut invocation = self.scripts.continuation_take.prepare_invoke();
        invocation.key(self.keys.of(CONTINUATION, id_hash));
        let json: Option<String> = self.run("take a continuation", &invocation).await?;
        let record = json
            .as_deref()
            .map(ContinuationRecord::from_json)
            .transpose()?;
        Ok(record.filter(|record| record.is_live_at(now)))
    }

    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        let now = nanos(now)?;
        self.sweep(
            "remove expired continuations",
            &self.keys.pattern(CONTINUATION),
            &self.scripts.sweep_ends,
            &[&now],
        )
        .await
    }
}
