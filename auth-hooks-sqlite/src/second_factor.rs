//! [`SecondFactorStore`] for [`SqliteStore`]: the tables `auth_totp` and
//! `auth_recovery_codes`. Every spend is one statement, so it is atomic between
//! connections too.

use auth_hooks_flow::async_trait;
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use super::SqliteStore;
use auth_hooks_flow::second_factor::{SecondFactorStore, TotpEnrollment, TotpSecret};
use auth_hooks_flow::StoreError;

fn enrollment_from_row(row: &Row<'_>) -> rusqlite::Result<TotpEnrollment> {
    let secret = TotpSecret::try_from(row.get::<_, String>(0)?).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })?;
    let last_step: Option<i64> = row.get(2)?;
    let mut enrollment = if row.get(1)? {
        TotpEnrollment::confirmed(secret)
    } else {
        TotpEnrollment::pending(secret)
    };
    enrollment.last_step = last_step.map(u64::try_from).transpose().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Integer, e.into())
    })?;
    Ok(enrollment)
}

/// A time step as SQLite stores it (an `INTEGER` is signed).
fn sql_step(step: u64) -> Result<i64, StoreError> {
    i64::try_from(step).map_err(|_| StoreError::new("sqlite: a TOTP time step beyond 2^63"))
}

#[async_trait]
impl SecondFactorStore for SqliteStore {
    async fn totp(&self, user_id: &str) -> Result<Option<TotpEnrollment>, StoreError> {
        let user_id = user_id.to_owned();
        self.call("read a TOTP secret", move |conn| {
            conn.query_row(
                "SELECT secret, confirmed, last_step FROM auth_totp WHERE user_id = ?1",
                [user_id],
                enrollment_from_row,
            )
            .optional()
        })
        .await
    }

    async fn set_totp(&self, user_id: &str, enrollment: TotpEnrollment) -> Result<(), StoreError> {
        let user_id = user_id.to_owned();
        let last_step = enrollment.last_step.map(sql_step).transpose()?;
        let secret = enrollment.secret.to_base32();
        let confirmed = enrollment.confirmed;
        self.call("store a TOTP secret", move |conn| {
            conn.execute(
                "INSERT INTO auth_totp (user_id, secret, confirmed, last_step)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (user_id) DO UPDATE
                 SET secret = ?2, confirmed = ?3, last_step = ?4",
                params![user_id, secret, confirmed, last_step],
            )
            .map(drop)
        })
        .await
    }

    async fn confirm_totp(&self, user_id: &str) -> Result<bool, StoreError> {
        let user_id = user_id.to_owned();
        let changed = self
            .call("confirm a TOTP secret", move |conn| {
                conn.execute(
                    "UPDATE auth_totp SET confirmed = 1 WHERE user_id = ?1",
                    [user_id],
                )
            })
            .await?;
        Ok(changed > 0)
    }

    async fn accept_totp_step(&self, user_id: &str, step: u64) -> Result<bool, StoreError> {
        let user_id = user_id.to_owned();
        let step = sql_step(step)?;
        // One statement: of racing callers with one step, one updates the row.
        let changed = self
            .call("spend a TOTP time step", move |conn| {
                conn.execute(
                    "UPDATE auth_totp SET last_step = ?2
                     WHERE user_id = ?1 AND (last_step IS NULL OR last_step < ?2)",
                    params![user_id, step],
                )
            })
            .await?;
        Ok(changed == 1)
    }

    async fn set_recovery_codes(
        &self,
        user_id: &str,
        hashes: Vec<String>,
    ) -> Result<(), StoreError> {
        let user_id = user_id.to_owned();
        self.call("store recovery codes", move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM auth_recovery_codes WHERE user_id = ?1",
                [&user_id],
            )?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO auth_recovery_codes (user_id, hash) VALUES (?1, ?2)",
                )?;
                for hash in &hashes {
                    insert.execute(params![user_id, hash])?;
                }
            }
            tx.commit()
        })
        .await
    }

    async fn use_recovery_code(&self, user_id: &str, hash: &str) -> Result<bool, StoreError> {
        let (user_id, hash) = (user_id.to_owned(), hash.to_owned());
        // One statement: of racing callers with one code, one deletes the row.
        let removed = self
            .call("spend a recovery code", move |conn| {
                conn.execute(
                    "DELETE FROM auth_recovery_codes WHERE user_id = ?1 AND hash = ?2",
                    params![user_id, hash],
                )
            })
            .await?;
        Ok(removed > 0)
    }

    async fn recovery_codes_left(&self, user_id: &str) -> Result<usize, StoreError> {
        let user_id = user_id.to_owned();
        let count: i64 = self
            .call("count recovery codes", move |conn| {
                conn.query_row(
                    "SELECT count(*) FROM auth_recovery_codes WHERE user_id = ?1",
                    [user_id],
                    |row| row.get(0),
                )
            })
            .await?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    async fn remove(&self, user_id: &str) -> Result<bool, StoreError> {
        let user_id = user_id.to_owned();
        self.call("remove second factors", move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM auth_recovery_codes WHERE user_id = ?1",
                [&user_id],
            )?;
            let removed = tx.execute("DELETE FROM auth_totp WHERE user_id = ?1", [&user_id])?;
            tx.commit()?;
            Ok(removed > 0)
        })
        .await
    }
}
