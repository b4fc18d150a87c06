//! Users with a password hash: the [`UserStore`] trait the password backend reads.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::{PasswordError, PasswordHasher, StoreError};

/// A user as the password backend needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordUser {
    /// The stable id: the session's user, the tokens' `sub`.
    pub id: String,
    /// The login name (stored and matched lower-cased by [`MemoryUserStore`]).
    pub login: String,
    /// The argon2 PHC string.
    pub password_hash: String,
    /// A disabled user cannot log in; their sessions and tokens are refused. The login
    /// answers "invalid credentials", as for an unknown user.
    pub disabled: bool,
    /// A suspended user's password is still verified, and the account is then handed
    /// to `before_login` hooks, which decide (and may say so: only someone with the
    /// password learns it). The password backend reports it in
    /// [`PasswordAccount::suspended`](crate::PasswordAccount::suspended).
    pub suspended: bool,
}

impl PasswordUser {
    /// An enabled user whose `password` is hashed by `hasher` right here.
    pub fn with_password(
        id: &str,
        login: &str,
        password: &str,
        hasher: &PasswordHasher,
    ) -> Result<Self, PasswordError> {
        Ok(PasswordUser {
            id: id.to_owned(),
            login: login.to_owned(),
            password_hash: hasher.hash(password)?,
            disabled: false,
            suspended: false,
        })
    }
}

impl fmt::Debug for PasswordUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordUser")
            .field("id", &self.id)
            .field("login", &self.login)
            .field("password_hash", &"<redacted>")
            .field("disabled", &self.disabled)
            .field("suspended", &self.suspended)
            .finish()
    }
}

/// What [`UserStore::create`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewUserOutcome {
    /// The user is stored.
    Created,
    /// The login name belongs to this user already; nothing was stored.
    LoginTaken(PasswordUser),
}

/// Where the password backend finds users.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Stores a new user unless its login name is taken (compared as
    /// [`find_by_login`](Self::find_by_login) compares), atomically: of any number of
    /// creates of one name at once, exactly one stores its user. A user with the same
    /// id is an error: ids are the store's to keep unique, and a caller generates them
    /// at random.
    async fn create(&self, user: PasswordUser) -> Result<NewUserOutcome, StoreError>;

    /// The user with login name `login` (the store decides on case folding).
    async fn find_by_login(&self, login: &str) -> Result<Option<PasswordUser>, StoreError>;

    /// The user with id `id`: maps a session's user or a token's `sub` back to a user.
    async fn find_by_id(&self, id: &str) -> Result<Option<PasswordUser>, StoreError>;

    /// Replaces the stored hash of user `id` (after a rehash on login).
    async fn update_password_hash(&self, id: &str, password_hash: &str) -> Result<(), StoreError>;
}

/// Users in a `HashMap`: for tests, examples and demos. Logins are lower-cased.
#[derive(Debug, Default)]
pub struct MemoryUserStore {
    users: Mutex<HashMap<String, PasswordUser>>,
}

impl MemoryUserStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, PasswordUser>>, StoreError> {
        self.users
            .lock()
            .map_err(|_| StoreError::poisoned("MemoryUserStore"))
    }

    /// Adds (or replaces) a user.
    pub fn insert(&self, mut user: PasswordUser) -> Result<(), StoreError> {
        user.login = auth_hooks::normalize_login(&user.login);
        self.lock()?.insert(user.id.clone(), user);
        Ok(())
    }

    /// Adds a user with id `id`, login `login` and `password` hashed by `hasher`.
    pub fn add(
        &self,
        id: &str,
        login: &str,
        password: &str,
        hasher: &PasswordHasher,
    ) -> Result<(), PasswordError> {
        self.insert(PasswordUser::with_password(id, login, password, hasher)?)?;
        Ok(())
    }

    /// Enables or disables user `id`; `false` if there is no such user.
    pub fn set_disabled(&self, id: &str, disabled: bool) -> Result<bool, StoreError> {
        Ok(match self.lock()?.get_mut(id) {
            Some(user) => {
                user.disabled = disabled;
                true
            }
            None => false,
        })
    }

    /// The stored user `id` (to inspect its hash in tests).
    pub fn get(&self, id: &str) -> Result<Option<PasswordUser>, StoreError> {
        Ok(self.lock()?.get(id).cloned())
    }
}

#[async_trait]
impl UserStore for MemoryUserStore {
    async fn create(&self, mut user: PasswordUser) -> Result<NewUserOutcome, StoreError> {
        user.login = auth_hooks::normalize_login(&user.login);
        let mut users = self.lock()?;
        if let Some(existing) = users.values().find(|u| u.login == user.login) {
            return Ok(NewUserOutcome::LoginTaken(existing.clone()));
        }
        if users.contains_key(&user.id) {
            return Err(StoreError::new("a user with this id exists already"));
        }
        users.insert(user.id.clone(), user);
        Ok(NewUserOutcome::Created)
    }

    async fn find_by_login(&self, login: &str) -> Result<Option<PasswordUser>, StoreError> {
        let login = auth_hooks::normalize_login(login);
        Ok(self.lock()?.values().find(|u| u.login == login).cloned())
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<PasswordUser>, StoreError> {
        self.get(id)
    }

    async fn update_password_hash(&self, id: &str, password_hash: &str) -> Result<(), StoreError> {
        match self.lock()?.get_mut(id) {
            Some(user) => {
                user.password_hash = password_hash.to_owned();
                Ok(())
            }
            None => Err(StoreError::new("no such user")),
        }
    }
}
