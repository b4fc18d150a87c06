//! What a client sends to log in, kept raw for the backend only (the login name
//! normalized).

use std::fmt;

use serde_json::{Map, Value};

use auth_hooks::{normalize_login, normalize_login_fields, Sanitizer, LOGIN_FIELDS};

/// The credentials of one login attempt, as the client sent them.
///
/// Only the authentication backend reads the raw values; hooks get a sanitized copy in
/// the context. The login name (`username`, `email`, `login`) is
/// [normalized](auth_hooks::normalize_login) here, once, as the credentials are built:
/// the backend, the stores, the lockout and the hooks all see one form of it
/// (`ＡＤＡ`, `ADA ` and `ada` are one account). `Debug` shows the sanitized copy, so logging a `Credentials` by mistake
/// leaks nothing.
///
/// ```
/// use auth_hooks_flow::Credentials;
///
/// let creds = Credentials::password(" Ada@Example.com", "hunter2");
/// assert_eq!(creds.login(), Some("ada@example.com"));
/// assert!(!format!("{creds:?}").contains("hunter2"));
/// ```
#[derive(Clone)]
pub struct Credentials {
    fields: Map<String, Value>,
}

/// Credentials that are not a JSON object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("credentials must be a JSON object, got {0}")]
pub struct NotAnObject(pub &'static str);

impl Credentials {
    /// A login name and a password (fields `username` and `password`).
    pub fn password(login: impl Into<String>, password: impl Into<String>) -> Self {
        let mut fields = Map::new();
        fields.insert(
            "username".into(),
            Value::String(normalize_login(&login.into())),
        );
        fields.insert("password".into(), Value::String(password.into()));
        Credentials { fields }
    }

    /// Any fields a backend understands (a login form or JSON body as received).
    pub fn from_json(value: Value) -> Result<Self, NotAnObject> {
        match value {
            Value::Object(fields) => {
                let mut fields = Value::Object(fields);
                normalize_login_fields(&mut fields);
                let Value::Object(fields) = fields else {
                    unreachable!("normalizing keeps an object an object")
                };
                Ok(Credentials { fields })
            }
            Value::Null => Err(NotAnObject("null")),
            Value::Bool(_) => Err(NotAnObject("a boolean")),
            Value::Number(_) => Err(NotAnObject("a number")),
            Value::String(_) => Err(NotAnObject("a string")),
            Value::Array(_) => Err(NotAnObject("an array")),
        }
    }

    /// Adds or replaces a field (a login field normalized).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        let key = key.into();
        let value = match value.into() {
            Value::String(login) if LOGIN_FIELDS.contains(&key.as_str()) => {
                Value::String(normalize_login(&login))
            }
            other => other,
        };
        self.fields.insert(key, value);
        self
    }

    /// The [normalized](auth_hooks::normalize_login) login name: the first string among
    /// `username`, `email`, `login`.
    pub fn login(&self) -> Option<&str> {
        LOGIN_FIELDS
            .into_iter()
            .find_map(|key| self.fields.get(key)?.as_str())
    }

    /// A raw string field, secrets included (`"password"`): for backends only.
    pub fn expose(&self, key: &str) -> Option<&str> {
        self.fields.get(key)?.as_str()
    }

    /// A raw field, secrets included: for backends only.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    /// The fields as raw JSON (secrets included), for handing to the context builder,
    /// which sanitizes them on receipt.
    pub(crate) fn to_json(&self) -> Value {
        Value::Object(self.fields.clone())
    }

    /// The fields with every secret removed by the shared [`Sanitizer`].
    pub fn sanitized(&self) -> Value {
        Sanitizer::shared().sanitize(self.to_json())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Credentials")
            .field(&self.sanitized())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn debug_hides_every_secret() {
        let creds = Credentials::from_json(json!({
            "email": "a@b.c", "password": "p-1", "otp": "123456", "nested": { "apiKey": "k-9" }
        }))
        .unwrap();
        let debug = format!("{creds:?}");
        for secret in ["p-1", "123456", "k-9"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("a@b.c"));
        assert_eq!(creds.expose("password"), Some("p-1"));
    }

    #[test]
    fn non_objects_are_refused_clearly() {
        let err = Credentials::from_json(json!(["a"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "credentials must be a JSON object, got an array"
        );
    }
}
