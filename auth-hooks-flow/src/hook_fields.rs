//! What of the credentials a hook is shown: an allow-list of fields, then the
//! sanitizer's blocklist as a second net.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use auth_hooks::Sanitizer;

use crate::Credentials;

/// The fields of credentials hooks see, and the sanitizer they pass through after.
///
/// Only top-level fields named here reach a hook: [`DEFAULT`](Self::DEFAULT) plus the
/// ones the application adds ([`AuthFlowBuilder::hook_fields`](crate::AuthFlowBuilder::hook_fields)).
/// A field nobody named (`code`, `mfa_code`, `client_assertion`, `SAMLResponse`,
/// `card_number`, `ssn`, …) never does, whatever its name; an allowed one still goes
/// through the [`Sanitizer`] ([`AuthFlowBuilder::sanitizer`](crate::AuthFlowBuilder::sanitizer)),
/// which drops secret-looking keys at any depth.
#[derive(Debug, Clone)]
pub(crate) struct HookFields {
    allowed: BTreeSet<String>,
    sanitizer: Sanitizer,
}

impl HookFields {
    /// The fields every hook sees by default: the login name, the e-mail, the tenant,
    /// the identity provider and the method.
    pub(crate) const DEFAULT: &'static [&'static str] =
        &["username", "email", "login", "tenant", "provider", "method"];

    /// Also shows hooks `fields`.
    pub(crate) fn allow<I, S>(&mut self, fields: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed.extend(fields.into_iter().map(Into::into));
    }

    /// Sanitizes with `sanitizer` from now on.
    pub(crate) fn set_sanitizer(&mut self, sanitizer: Sanitizer) {
        self.sanitizer = sanitizer;
    }

    /// The sanitizer hooks' credentials go through.
    pub(crate) fn sanitizer(&self) -> &Sanitizer {
        &self.sanitizer
    }

    /// The allowed fields of `credentials`, as raw JSON for
    /// `AuthHookContextBuilder::credentials_with` (which sanitizes them).
    pub(crate) fn select(&self, credentials: &Credentials) -> Value {
        let Value::Object(fields) = credentials.to_json() else {
            unreachable!("credentials are an object")
        };
        let shown: Map<String, Value> = fields
            .into_iter()
            .filter(|(key, _)| self.allowed.contains(key))
            .collect();
        Value::Object(shown)
    }
}

impl Default for HookFields {
    fn default() -> Self {
        HookFields {
            allowed: Self::DEFAULT.iter().map(|&f| f.to_owned()).collect(),
            sanitizer: Sanitizer::shared().clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_named_fields_pass() {
        let mut fields = HookFields::default();
        fields.allow(["region"]);
        let creds = Credentials::from_json(json!({
            "username": "ada", "tenant": "acme", "region": "eu", "code": "123456",
        }))
        .unwrap();
        assert_eq!(
            fields.select(&creds),
            json!({ "username": "ada", "tenant": "acme", "region": "eu" })
        );
    }
}
