//! The pluggable authentication backend, and the password backend.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::hash_pool::{HashPool, PoolError};
use crate::random::{hex, random_bytes};
use crate::{
    Credentials, NewUserOutcome, PasswordError, PasswordHasher, PasswordPolicy, PasswordRejected,
    PasswordUser, StoreError, UserStore,
};

/// A user the backend vouched for.
#[derive(Clone)]
pub struct AuthenticatedUser {
    /// The stable user id (session owner, token `sub`).
    pub id: String,
    user: Option<Arc<dyn Any + Send + Sync>>,
}

impl AuthenticatedUser {
    /// A user known by id only.
    pub fn new(id: impl Into<String>) -> Self {
        AuthenticatedUser {
            id: id.into(),
            user: None,
        }
    }

    /// Attaches the application's user value; hooks read it with
    /// [`AuthHookContext::user`](auth_hooks::AuthHookContext::user). Keep secrets out of it.
    pub fn with_user<U: Any + Send + Sync>(mut self, user: U) -> Self {
        self.user = Some(Arc::new(user));
        self
    }

    /// The application's user value, if it is a `U`.
    pub fn user<U: Any>(&self) -> Option<&U> {
        self.user.as_deref()?.downcast_ref()
    }

    pub(crate) fn shared_user(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        self.user.clone()
    }
}

impl fmt::Debug for AuthenticatedUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticatedUser")
            .field("id", &self.id)
            .field("user", &self.user.as_ref().map(|_| ".."))
            .finish()
    }
}

/// What a backend concluded from the credentials.
#[derive(Debug)]
pub enum AuthOutcome {
    /// The credentials are good.
    Authenticated(AuthenticatedUser),
    /// They are not, for whatever reason (unknown user, wrong password, disabled
    /// account): the flow answers one generic error.
    InvalidCredentials,
}

/// What a backend did with a registration. The flow answers the client the same for
/// both (see [`AuthFlow::register`](crate::AuthFlow::register)).
#[derive(Debug)]
pub enum Registration {
    /// The new user is stored.
    Created(AuthenticatedUser),
    /// The login name belongs to this existing user; nothing was stored.
    LoginTaken(AuthenticatedUser),
}

/// What a backend did with a password change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    /// The new password is stored.
    Changed,
    /// The current password was wrong (or the user may no longer log in): nothing changed.
    WrongPassword,
}

/// Why a backend could not reach a conclusion.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The credentials lack what this backend needs; the text says what (safe to show).
    #[error("malformed credentials: {0}")]
    Malformed(Cow<'static, str>),
    /// A store could not answer: the login is refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Too many logins are being checked right now (every hashing thread is busy and
    /// their queue is full): the login is refused, to be tried again after `retry_after`.
    #[error("too many logins are being checked; retry after {} s", retry_after.as_secs())]
    Overloaded {
        /// About how long the queue takes to drain.
        retry_after: Duration,
    },
    /// A new password does not meet the backend's [`PasswordPolicy`]; the text says
    /// why (safe to show).
    #[error("{0}")]
    WeakPassword(PasswordRejected),
    /// This backend does not do that (registration, password change).
    #[error("the auth backend does not support {0}")]
    Unsupported(&'static str),
}

impl From<PoolError> for BackendError {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Overloaded { retry_after } => BackendError::Overloaded { retry_after },
            PoolError::Failed(error) => {
                BackendError::Store(StoreError::new(format!("password hashing failed: {error}")))
            }
        }
    }
}

/// Checks credentials: passwords here; an LDAP bind, a WebAuthn assertion, an OAuth code
/// elsewhere. Usable as `Arc<dyn AuthBackend>`.
#[async_trait]
pub trait AuthBackend: Send + Sync {
    /// The backend's name, put in the hook context (hooks declared with
    /// `backend = "…"` run only for it).
    fn name(&self) -> Cow<'static, str>;

    /// Checks `credentials`.
    async fn authenticate(&self, credentials: &Credentials) -> Result<AuthOutcome, BackendError>;

    /// Maps a user id (a session's user, a token's `sub`) back to a user, or `None` if
    /// the user no longer exists or may no longer log in: their sessions and tokens
    /// are then refused.
    async fn resolve_user(&self, user_id: &str) -> Result<Option<AuthenticatedUser>, StoreError>;

    /// An opaque value that changes whenever user `user_id`'s credentials change (the
    /// password backend: the stored hash, whose salt is new at every change), or `None`
    /// when the backend has none. A login waiting for its second factor is refused if
    /// it changed meanwhile, so a password change ends pending logins too. The flow
    /// keeps only a keyed hash of it. By default `None`.
    async fn credentials_version(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        let _ = user_id;
        Ok(None)
    }

    /// Stores a new user from a registration's fields (for passwords: `username` and
    /// `password`). A name already taken is not an error: it is
    /// [`Registration::LoginTaken`], so the flow can answer as for a new user. By
    /// default [`BackendError::Unsupported`].
    async fn register(&self, fields: &Credentials) -> Result<Registration, BackendError> {
        let _ = fields;
        Err(BackendError::Unsupported("registration"))
    }

    /// Whether `password` may become a password (the backend's policy), before
    /// anything is counted or hashed. By default [`BackendError::Unsupported`].
    async fn check_new_password(&self, password: &str) -> Result<(), BackendError> {
        let _ = password;
        Err(BackendError::Unsupported("password change"))
    }

    /// Replaces user `user_id`'s password with `new` if `current` is theirs. By
    /// default [`BackendError::Unsupported`].
    async fn change_password(
        &self,
        user_id: &str,
        current: &str,
        new: &str,
    ) -> Result<PasswordChange, BackendError> {
        let _ = (user_id, current, new);
        Err(BackendError::Unsupported("password change"))
    }

    /// The login name of `user`, for the gate's counters (the lockout) when the user
    /// acts on their own account (a password change). `None` by default.
    fn login_name_of(&self, user: &AuthenticatedUser) -> Option<String> {
        let _ = user;
        None
    }
}

/// What the password backend tells hooks about the user (no hash): read it in
/// `before_login` with `ctx.user::<PasswordAccount>()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordAccount {
    /// The user id.
    pub id: String,
    /// The login name.
    pub login: String,
    /// The store marks the account suspended ([`PasswordUser::suspended`](crate::PasswordUser::suspended)):
    /// its password was right, and a `before_login` hook decides what that means.
    pub suspended: bool,
}

impl From<PasswordUser> for PasswordAccount {
    fn from(user: PasswordUser) -> Self {
        PasswordAccount {
            id: user.id,
            login: user.login,
            suspended: user.suspended,
        }
    }
}

/// Logs users in with a login name and a password checked with argon2id.
///
/// - Unknown login: a dummy verify of the same cost, then `InvalidCredentials`, so
///   neither the answer nor the time says whether the account exists.
/// - Correct password whose hash has old parameters: rehashed with the current ones and
///   stored (a failure to store it is logged; the login goes on).
/// - Disabled user or unreadable stored hash: `InvalidCredentials` (the latter logged
///   as an error).
///
/// Credentials need `username` (or `email`, `login`) and `password` strings.
///
/// Every hash of a login (the verify, the dummy verify, the rehash) runs on the
/// backend's own hashing threads, each with one reusable argon2 buffer, never on the
/// async runtime's workers: memory stays within `threads` × m_cost however many logins
/// arrive at once. Logins wait in a bounded queue; when it is full a login is refused
/// at once with [`BackendError::Overloaded`] (see [`PasswordBackendBuilder`]). Clones
/// share the threads, which end when the last clone is dropped.
#[derive(Clone)]
pub struct PasswordBackend {
    users: Arc<dyn UserStore>,
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    pool: HashPool,
}

/// Builds a [`PasswordBackend`]: how many threads hash, and how many logins may wait
/// for them.
#[must_use = "call .build() to get the backend"]
pub struct PasswordBackendBuilder {
    users: Arc<dyn UserStore>,
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    threads: Option<usize>,
    queue: Option<usize>,
}

impl PasswordBackend {
    /// The backend's name in the hook context.
    pub const NAME: &'static str = "password";

    /// How many logins may wait per hashing thread by default: a full queue drains in
    /// 16 hashes' time (under a second at OWASP parameters), so a queued login is not
    /// kept much longer than a client would wait; each waiting login holds only a copy
    /// of its password.
    pub const DEFAULT_QUEUE_PER_THREAD: usize = 16;

    /// Users from `users`, passwords checked and rehashed with `hasher`, on the
    /// default hashing threads (see [`builder`](Self::builder)).
    ///
    /// # Panics
    ///
    /// If the OS refuses to start a thread.
    pub fn new(users: Arc<dyn UserStore>, hasher: PasswordHasher) -> Self {
        Self::builder(users, hasher).build()
    }

    /// A backend to configure: by default one hashing thread per core
    /// ([`std::thread::available_parallelism`]) and a queue of
    /// [`DEFAULT_QUEUE_PER_THREAD`](Self::DEFAULT_QUEUE_PER_THREAD) logins per thread.
    pub fn builder(users: Arc<dyn UserStore>, hasher: PasswordHasher) -> PasswordBackendBuilder {
        PasswordBackendBuilder {
            users,
            hasher,
            policy: PasswordPolicy::nist(),
            threads: None,
            queue: None,
        }
    }

    pub(crate) fn with_pool(
        users: Arc<dyn UserStore>,
        hasher: PasswordHasher,
        pool: HashPool,
    ) -> Self {
        PasswordBackend {
            users,
            hasher,
            policy: PasswordPolicy::nist(),
            pool,
        }
    }

    /// The hasher.
    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// The rules new passwords must meet.
    pub fn policy(&self) -> &PasswordPolicy {
        &self.policy
    }

    /// The longest login name a registration may choose, in characters.
    pub const MAX_LOGIN_CHARS: usize = 128;

    /// A registration's login name (normalized when the credentials were built, so no
    /// control or invisible character is left in it), or why it cannot be one.
    fn new_login_name(fields: &Credentials) -> Result<&str, BackendError> {
        let malformed = |text| Err(BackendError::Malformed(Cow::Borrowed(text)));
        let Some(login) = fields.login().map(str::trim) else {
            return malformed("a `username` (or `email`, `login`) string is required");
        };
        if login.is_empty() {
            return malformed("the `username` is empty");
        }
        if login.chars().count() > Self::MAX_LOGIN_CHARS {
            return malformed("the `username` is longer than 128 characters");
        }
        Ok(login)
    }

    /// After a failed verify against `stored`: when that hash has cheaper parameters
    /// than the current ones (an account from before they were raised), one dummy
    /// verify with the current parameters, so the failure costs at least what an
    /// unknown user's does and its timing does not single out old accounts.
    async fn top_up_failed_verify(&self, password: &str, stored: &str) -> Result<(), BackendError> {
        if !self.hasher.costs_less(stored) {
            return Ok(());
        }
        match self.pool.dummy_verify(password).await {
            Err(PoolError::Overloaded { retry_after }) => {
                Err(BackendError::Overloaded { retry_after })
            }
            // Whatever the dummy verify found, the answer is the same.
            Ok(()) | Err(PoolError::Failed(_)) => Ok(()),
        }
    }

    /// `password` checked against the hasher's limit and the policy.
    fn new_password_ok(&self, password: &str) -> Result<(), BackendError> {
        if let Err(PasswordError::TooLong { max }) = self.hasher.check_input(password) {
            return Err(BackendError::Malformed(Cow::Owned(format!(
                "the password is longer than {max} bytes"
            ))));
        }
        self.policy
            .check(password)
            .map_err(BackendError::WeakPassword)
    }

    fn account(user: PasswordUser) -> AuthenticatedUser {
        AuthenticatedUser::new(user.id.clone()).with_user(PasswordAccount::from(user))
    }
}

impl PasswordBackendBuilder {
    /// How many threads hash passwords (at least one): at most this many hashes run,
    /// and hold an argon2 buffer, at once.
    pub fn hash_threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// How many logins may wait for a hashing thread; one more is refused at once with
    /// [`BackendError::Overloaded`].
    pub fn hash_queue(mut self, capacity: usize) -> Self {
        self.queue = Some(capacity);
        self
    }

    /// The rules new passwords must meet (default [`PasswordPolicy::nist`]).
    pub fn password_policy(mut self, policy: PasswordPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The backend, its hashing threads started.
    ///
    /// # Panics
    ///
    /// If the OS refuses to start a thread.
    pub fn build(self) -> PasswordBackend {
        let threads = self
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1);
        let queue = self
            .queue
            .unwrap_or(threads.saturating_mul(PasswordBackend::DEFAULT_QUEUE_PER_THREAD));
        let pool = HashPool::new(self.hasher.clone(), threads, queue);
        let backend = PasswordBackend::with_pool(self.users, self.hasher, pool);
        PasswordBackend {
            policy: self.policy,
            ..backend
        }
    }
}

impl fmt::Debug for PasswordBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordBackend")
            .field("hasher", &self.hasher)
            .field("policy", &self.policy)
            .field("hash_threads", &self.pool.threads())
            .field("hash_queue", &self.pool.queue())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PasswordBackendBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordBackendBuilder")
            .field("hasher", &self.hasher)
            .field("hash_threads", &self.threads)
            .field("hash_queue", &self.queue)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl AuthBackend for PasswordBackend {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(Self::NAME)
    }

    async fn authenticate(&self, credentials: &Credentials) -> Result<AuthOutcome, BackendError> {
        let (Some(login), Some(password)) = (credentials.login(), credentials.expose("password"))
        else {
            return Err(BackendError::Malformed(Cow::Borrowed(
                "a `username` (or `email`, `login`) and a `password` string are required",
            )));
        };
        // Refused before any lookup, so the answer says nothing about the account.
        match self.hasher.check_input(password) {
            Err(PasswordError::TooLong { max }) => {
                return Err(BackendError::Malformed(Cow::Owned(format!(
                    "the password is longer than {max} bytes"
                ))))
            }
            Err(PasswordError::Empty) => return Ok(AuthOutcome::InvalidCredentials),
            _ => {}
        }
        let Some(user) = self.users.find_by_login(login).await? else {
            match self.pool.dummy_verify(password).await {
                Err(PoolError::Overloaded { retry_after }) => {
                    return Err(BackendError::Overloaded { retry_after })
                }
                // Whatever the dummy verify found, the answer is the same.
                Ok(()) | Err(PoolError::Failed(_)) => return Ok(AuthOutcome::InvalidCredentials),
            }
        };
        let needs_rehash = match self.pool.verify(password, user.password_hash.clone()).await {
            Ok((true, needs_rehash)) if !user.disabled => needs_rehash,
            Ok(_) => {
                self.top_up_failed_verify(password, &user.password_hash)
                    .await?;
                return Ok(AuthOutcome::InvalidCredentials);
            }
            Err(PoolError::Overloaded { retry_after }) => {
                return Err(BackendError::Overloaded { retry_after })
            }
            Err(PoolError::Failed(error)) => {
                tracing::error!(user_id = %user.id, error = %auth_hooks::LogSafe(&error), "stored password hash is unusable; login refused");
                return Ok(AuthOutcome::InvalidCredentials);
            }
        };
        if needs_rehash {
            match self.pool.hash(password).await {
                Ok(new_hash) => match self.users.update_password_hash(&user.id, &new_hash).await {
                    Ok(()) => {
                        tracing::info!(user_id = %user.id, "password rehashed with current parameters")
                    }
                    Err(error) => {
                        tracing::warn!(user_id = %user.id, error = %auth_hooks::LogSafe(&error), "could not store the rehashed password")
                    }
                },
                Err(PoolError::Overloaded { .. }) => {
                    tracing::info!(user_id = %user.id, "password not rehashed: the hashing threads are busy (the next login will)")
                }
                Err(PoolError::Failed(error)) => {
                    tracing::warn!(user_id = %user.id, error = %auth_hooks::LogSafe(&error), "could not rehash the password")
                }
            }
        }
        Ok(AuthOutcome::Authenticated(
            AuthenticatedUser::new(user.id.clone()).with_user(PasswordAccount::from(user)),
        ))
    }

    async fn resolve_user(&self, user_id: &str) -> Result<Option<AuthenticatedUser>, StoreError> {
        Ok(self
            .users
            .find_by_id(user_id)
            .await?
            .filter(|u| !u.disabled)
            .map(Self::account))
    }

    async fn credentials_version(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .users
            .find_by_id(user_id)
            .await?
            .map(|user| user.password_hash))
    }

    /// Checks the login name and the password policy, hashes the password on the
    /// hashing threads, then asks the store to create the user under a random id. The
    /// hash is made before the store is asked, so a taken name costs what a new one
    /// does.
    async fn register(&self, fields: &Credentials) -> Result<Registration, BackendError> {
        let login = Self::new_login_name(fields)?;
        let Some(password) = fields.expose("password") else {
            return Err(BackendError::Malformed(Cow::Borrowed(
                "a `password` string is required",
            )));
        };
        self.new_password_ok(password)?;
        let password_hash = self.pool.hash(password).await?;
        let user = PasswordUser {
            id: format!("u-{}", hex(&random_bytes::<16>()?)),
            login: login.to_owned(),
            password_hash,
            disabled: false,
            suspended: false,
        };
        Ok(match self.users.create(user.clone()).await? {
            NewUserOutcome::Created => Registration::Created(Self::account(user)),
            NewUserOutcome::LoginTaken(existing) => {
                Registration::LoginTaken(Self::account(existing))
            }
        })
    }

    async fn check_new_password(&self, password: &str) -> Result<(), BackendError> {
        self.new_password_ok(password)
    }

    /// Verifies `current` against the stored hash (on the hashing threads), then
    /// stores a hash of `new`. A disabled or vanished user is
    /// [`PasswordChange::WrongPassword`].
    async fn change_password(
        &self,
        user_id: &str,
        current: &str,
        new: &str,
    ) -> Result<PasswordChange, BackendError> {
        self.new_password_ok(new)?;
        let Some(user) = self
            .users
            .find_by_id(user_id)
            .await?
            .filter(|u| !u.disabled)
        else {
            self.pool.dummy_verify(current).await?;
            return Ok(PasswordChange::WrongPassword);
        };
        match self.pool.verify(current, user.password_hash.clone()).await {
            Ok((true, _)) => {}
            Ok((false, _)) => {
                self.top_up_failed_verify(current, &user.password_hash)
                    .await?;
                return Ok(PasswordChange::WrongPassword);
            }
            Err(PoolError::Failed(error)) => {
                tracing::error!(user_id = %user.id, error = %auth_hooks::LogSafe(&error), "stored password hash is unusable; password change refused");
                return Ok(PasswordChange::WrongPassword);
            }
            Err(overloaded) => return Err(overloaded.into()),
        }
        let new_hash = self.pool.hash(new).await?;
        self.users.update_password_hash(&user.id, &new_hash).await?;
        Ok(PasswordChange::Changed)
    }

    fn login_name_of(&self, user: &AuthenticatedUser) -> Option<String> {
        user.user::<PasswordAccount>().map(|a| a.login.clone())
    }
}
