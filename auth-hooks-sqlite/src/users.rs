//! [`UserStore`] for [`SqliteStore`]: the table `auth_users`, and the methods that fill
//! it (a demo's seed user, an admin's "disable").

use auth_hooks_flow::async_trait;
use rusqlite::{params, OptionalExtension, Row};

use super::SqliteStore;
use auth_hooks_flow::{
    NewUserOutcome, PasswordError, PasswordHasher, PasswordUser, StoreError, UserStore,
};

const COLUMNS: &str = "id, login, password_hash, disabled, suspended";

fn from_row(row: &Row<'_>) -> rusqlite::Result<PasswordUser> {
    Ok(PasswordUser {
        id: row.get(0)?,
        login: row.get(1)?,
        password_hash: row.get(2)?,
        disabled: row.get(3)?,
        suspended: row.get(4)?,
    })
}

impl SqliteStore {
    /// Adds user `user`, or replaces the user with the same id. Logins are stored and
    /// matched lower-cased; a login already used by another user is an error.
    pub async fn insert_user(&self, mut user: PasswordUser) -> Result<(), StoreError> {
        user.login = auth_hooks_flow::normalize_login(&user.login);
        self.call("store a user", move |conn| {
            conn.execute(
                &format!(
                    "INSERT INTO auth_users ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (id) DO UPDATE
                     SET login = ?2, password_hash = ?3, disabled = ?4, suspended = ?5"
                ),
                params![
                    user.id,
                    user.login,
                    user.password_hash,
                    user.disabled,
                    user.suspended
                ],
            )
            .map(drop)
        })
        .await
    }

    /// Adds a user with id `id`, login `login` and `password` hashed by `hasher` (or
    /// replaces the user with that id).
    pub async fn add_user(
        &self,
        id: &str,
        login: &str,
        password: &str,
        hasher: &PasswordHasher,
    ) -> Result<(), PasswordError> {
        self.insert_user(PasswordUser::with_password(id, login, password, hasher)?)
            .await?;
        Ok(())
    }

    /// Enables or disables user `id`; `false` if there is no such user.
    pub async fn set_user_disabled(&self, id: &str, disabled: bool) -> Result<bool, StoreError> {
        let id = id.to_owned();
        let changed = self
            .call("disable a user", move |conn| {
                conn.execute(
                    "UPDATE auth_users SET disabled = ?2 WHERE id = ?1",
                    params![id, disabled],
                )
            })
            .await?;
        Ok(changed > 0)
    }
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create(&self, mut user: PasswordUser) -> Result<NewUserOutcome, StoreError> {
        user.login = auth_hooks_flow::normalize_login(&user.login);
        self.call("create a user", move |conn| {
            // One statement: the UNIQUE login decides, however many creates race.
            let inserted = conn.execute(
                &format!(
                    "INSERT INTO auth_users ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (login) DO NOTHING"
                ),
                params![
                    user.id,
                    user.login,
                    user.password_hash,
                    user.disabled,
                    user.suspended
                ],
            )?;
            if inserted == 1 {
                return Ok(NewUserOutcome::Created);
            }
            conn.query_row(
                &format!("SELECT {COLUMNS} FROM auth_users WHERE login = ?1"),
                [&user.login],
                from_row,
            )
            .map(NewUserOutcome::LoginTaken)
        })
        .await
    }

    async fn find_by_login(&self, login: &str) -> Result<Option<PasswordUser>, StoreError> {
        let login = auth_hooks_flow::normalize_login(login);
        self.call("find a user by login", move |conn| {
            conn.query_row(
                &format!("SELECT {COLUMNS} FROM auth_users WHERE login = ?1"),
                [login],
                from_row,
            )
            .optional()
        })
        .await
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<PasswordUser>, StoreError> {
        let id = id.to_owned();
        self.call("find a user by id", move |conn| {
            conn.query_row(
                &format!("SELECT {COLUMNS} FROM auth_users WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()
        })
        .await
    }

    async fn update_password_hash(&self, id: &str, password_hash: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        let password_hash = password_hash.to_owned();
        let changed = self
            .call("update a password hash", move |conn| {
                conn.execute(
                    "UPDATE auth_users SET password_hash = ?2 WHERE id = ?1",
                    params![id, password_hash],
                )
            })
            .await?;
        if changed == 0 {
            return Err(StoreError::new("no such user"));
        }
        Ok(())
    }
}
