//! What the application keeps with a session: typed values under string keys, written
//! by `on_login` hooks, stored with the session in every store.

use std::sync::{Arc, Mutex};

use auth_hooks::AuthHookContext;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Data kept with a session: serde values under string keys, stored as one JSON object
/// with the session (memory, SQLite, Redis), so it survives a restart of a server whose
/// store does. Read it back typed, as tower-sessions' `Session::get::<T>(key)` does.
///
/// It is application data: never put a secret in it (it is not sanitized).
///
/// ```
/// use auth_hooks_flow::SessionData;
///
/// let mut data = SessionData::new();
/// data.insert("tenant", &"acme")?;
/// data.insert("roles", &vec!["admin"])?;
/// assert_eq!(data.get::<String>("tenant")?, Some("acme".to_owned()));
/// assert_eq!(data.get::<Vec<String>>("roles")?, Some(vec!["admin".to_owned()]));
/// assert_eq!(data.get::<u32>("missing")?, None);
/// assert!(data.get::<u32>("tenant").is_err(), "a value of another type is an error");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionData(Map<String, Value>);

impl SessionData {
    /// No data.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value under `key` as a `T`; `Ok(None)` if there is none, an error if it is
    /// not a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, serde_json::Error> {
        self.0
            .get(key)
            .cloned()
            .map(serde_json::from_value)
            .transpose()
    }

    /// Stores `value` under `key`, replacing what was there.
    pub fn insert<T: Serialize + ?Sized>(
        &mut self,
        key: impl Into<String>,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.0.insert(key.into(), serde_json::to_value(value)?);
        Ok(())
    }

    /// Removes the value under `key`, returning it.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.remove(key)
    }

    /// Whether there is no data.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every value, by key.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The data as a JSON object, as stores keep it.
    pub fn to_json(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }

    /// Data read back from [`to_json`](Self::to_json)'s text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// How an `on_login` hook enriches the session its login created: the flow puts one in
/// `on_login`'s context when the login created a session, and stores what the hooks
/// inserted once they all ran (a store failure then undoes the login).
///
/// ```
/// use auth_hooks::{on_login, AuthHookContext};
/// use auth_hooks_flow::SessionEnricher;
///
/// #[on_login]
/// fn remember_tenant(ctx: &AuthHookContext) -> Result<(), serde_json::Error> {
///     if let Some(session) = SessionEnricher::of(ctx) {
///         session.insert("tenant", "demo")?;
///     }
///     Ok(())
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, Default)]
pub struct SessionEnricher(Arc<Mutex<SessionData>>);

impl SessionEnricher {
    /// The enricher of the session the login in `ctx` created, if it created one.
    pub fn of(ctx: &AuthHookContext) -> Option<&SessionEnricher> {
        ctx.extension()
    }

    /// Stores `value` under `key` with the session.
    pub fn insert<T: Serialize + ?Sized>(
        &self,
        key: impl Into<String>,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        let value = serde_json::to_value(value)?;
        let mut data = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        data.0.insert(key.into(), value);
        Ok(())
    }

    /// What the hooks inserted.
    pub(crate) fn take(&self) -> SessionData {
        let mut data = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::take(&mut data)
    }
}
