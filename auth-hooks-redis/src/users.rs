//! [`UserStore`] for [`RedisStore`]: a hash per user and a key per login name.

use std::collections::HashMap;

use auth_hooks_flow::async_trait;

use super::codec::{field, fields};
use super::keys::{LOGIN, USER};
use super::RedisStore;
use auth_hooks_flow::{
    NewUserOutcome, PasswordError, PasswordHasher, PasswordUser, StoreError, UserStore,
};

fn user_from(id: String, map: &HashMap<String, String>) -> Result<PasswordUser, StoreError> {
    Ok(PasswordUser {
        login: field(map, "user", "login")?.to_owned(),
        password_hash: field(map, "user", "hash")?.to_owned(),
        disabled: field(map, "user", "disabled")? == "1",
        // Users written before suspension existed have no such field: not suspended.
        suspended: map.get("suspended").is_some_and(|flag| flag == "1"),
        id,
    })
}

impl RedisStore {
    /// Adds user `user`, or replaces the user with the same id. Logins are stored and
    /// matched lower-cased; a login already used by another user is an error.
    pub async fn insert_user(&self, mut user: PasswordUser) -> Result<(), StoreError> {
        user.login = auth_hooks_flow::normalize_login(&user.login);
        let mut invocation = self.scripts.user_put.prepare_invoke();
        invocation
            .key(self.keys.of(USER, &user.id))
            .key(self.keys.of(LOGIN, &user.login))
            .arg(&user.id)
            .arg(&user.login)
            .arg(&user.password_hash)
            .arg(if user.disabled { "1" } else { "0" })
            .arg(self.keys.kind(LOGIN))
            .arg(if user.suspended { "1" } else { "0" });
        let _: i64 = self.run("store a user", &invocation).await?;
        Ok(())
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
        let mut invocation = self.scripts.set_field_if_exists.prepare_invoke();
        invocation
            .key(self.keys.of(USER, id))
            .arg("disabled")
            .arg(if disabled { "1" } else { "0" });
        let changed: i64 = self.run("disable a user", &invocation).await?;
        Ok(changed == 1)
    }
}

#[async_trait]
impl UserStore for RedisStore {
    async fn create(&self, mut user: PasswordUser) -> Result<NewUserOutcome, StoreError> {
        user.login = auth_hooks_flow::normalize_login(&user.login);
        let mut invocation = self.scripts.user_create.prepare_invoke();
        invocation
            .key(self.keys.of(USER, &user.id))
            .key(self.keys.of(LOGIN, &user.login))
            .arg(&user.id)
            .arg(&user.login)
            .arg(&user.password_hash)
            .arg(if user.disabled { "1" } else { "0" })
            .arg(if user.suspended { "1" } else { "0" })
            .arg(self.keys.kind(USER));
        let mut reply: Vec<String> = self.run("create a user", &invocation).await?;
        if reply.is_empty() {
            return Ok(NewUserOutcome::Created);
        }
        let id = reply.remove(0);
        user_from(id, &fields(reply)).map(NewUserOutcome::LoginTaken)
    }

    async fn find_by_login(&self, login: &str) -> Result<Option<PasswordUser>, StoreError> {
        let mut invocation = self.scripts.user_by_login.prepare_invoke();
        invocation
            .key(
                self.keys
                    .of(LOGIN, &auth_hooks_flow::normalize_login(login)),
            )
            .arg(self.keys.kind(USER));
        let mut reply: Vec<String> = self.run("find a user by login", &invocation).await?;
        if reply.is_empty() {
            return Ok(None);
        }
        let id = reply.remove(0);
        user_from(id, &fields(reply)).map(Some)
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<PasswordUser>, StoreError> {
        let map: HashMap<String, String> = ::redis::cmd("HGETALL")
            .arg(self.keys.of(USER, id))
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.error("find a user by id", e))?;
        if map.is_empty() {
            return Ok(None);
        }
        user_from(id.to_owned(), &map).map(Some)
    }

    async fn update_password_hash(&self, id: &str, password_hash: &str) -> Result<(), StoreError> {
        let mut invocation = self.scripts.set_field_if_exists.prepare_invoke();
        invocation
            .key(self.keys.of(USER, id))
            .arg("hash")
            .arg(password_hash);
        let changed: i64 = self.run("update a password hash", &invocation).await?;
        if changed == 0 {
            return Err(StoreError::new("no such user"));
        }
        Ok(())
    }
}
