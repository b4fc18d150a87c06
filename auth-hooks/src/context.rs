//! Everything a hook is told about the login or logout it runs for.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::{RequestMeta, Sanitizer, SessionMeta, TokenKind, TokenMeta};

/// Everything a hook is told about the login or logout it runs for.
///
/// Hooks get it by shared reference (`&AuthHookContext`): one context is shared by every
/// hook of a phase, possibly across threads, so no hook can change what the next one sees.
/// It never holds a secret: credentials are sanitized when the builder receives them, the
/// request has no body, cookie or authorization header, sessions and tokens are described
/// by metadata only.
///
/// ```
/// use auth_hooks::{AuthHookContext, RequestMeta};
/// use serde_json::json;
///
/// struct User { id: u64, admin: bool }
///
/// let ctx = AuthHookContext::builder()
///     .user_id("42")
///     .user(User { id: 42, admin: false })
///     .credentials(json!({ "username": "ada", "password": "hunter2" }))
///     .request(RequestMeta::new("POST", "/login"))
///     .auth_backend("password")
///     .metadata("tenant", "acme")
///     .build();
///
/// assert_eq!(ctx.user::<User>().map(|u| u.id), Some(42));
/// assert_eq!(ctx.credentials(), &json!({ "username": "ada" }));
/// assert_eq!(ctx.username(), Some("ada"));
/// ```
#[derive(Clone, Default)]
pub struct AuthHookContext {
    user: Option<Arc<dyn Any + Send + Sync>>,
    user_id: Option<String>,
    credentials: Value,
    request: Option<RequestMeta>,
    session: Option<SessionMeta>,
    tokens: Vec<TokenMeta>,
    auth_backend: Option<Cow<'static, str>>,
    metadata: Map<String, Value>,
    extensions: Vec<Arc<dyn Any + Send + Sync>>,
    attempt_id: Option<Arc<str>>,
}

impl AuthHookContext {
    /// The id of the login, logout, refresh or registration attempt this context is
    /// for: the same in every phase of the attempt, in its hooks' spans and in the log
    /// lines of its failures. The flow sets a random one per attempt.
    pub fn attempt_id(&self) -> Option<&str> {
        self.attempt_id.as_deref()
    }

    /// Starts building a context.
    pub fn builder() -> AuthHookContextBuilder {
        AuthHookContextBuilder::default()
    }

    /// The authenticated user, if it is a `U` (the type the application put in).
    pub fn user<U: Any>(&self) -> Option<&U> {
        self.user.as_deref()?.downcast_ref()
    }

    /// The user's id, when known (after authentication, and at logout).
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The credentials the login was attempted with, every secret removed.
    pub fn credentials(&self) -> &Value {
        &self.credentials
    }

    /// The login name from the credentials (the first of `username`, `email`, `login`),
    /// [normalized](crate::normalize_login): NFKC, lower-cased, trimmed, the form the
    /// stores and the built-in lockout compare. Compare it with a normalized name:
    /// `ctx.username() == Some("mallory")` refuses `Mallory` and `ＭＡＬＬＯＲＹ` alike.
    pub fn username(&self) -> Option<&str> {
        crate::LOGIN_FIELDS
            .into_iter()
            .find_map(|key| self.credentials.get(key)?.as_str())
    }

    /// The request behind the login or logout.
    pub fn request(&self) -> Option<&RequestMeta> {
        self.request.as_ref()
    }

    /// The session created by the login or ended by the logout.
    pub fn session(&self) -> Option<&SessionMeta> {
        self.session.as_ref()
    }

    /// Every token issued by the login or revoked by the logout.
    pub fn tokens(&self) -> &[TokenMeta] {
        &self.tokens
    }

    /// The token of `kind`, if there is one.
    pub fn token(&self, kind: TokenKind) -> Option<&TokenMeta> {
        self.tokens.iter().find(|t| t.kind == kind)
    }

    /// The name of the authentication backend (e.g. `"password"`); hooks declared with
    /// `backend = "…"` only run when it matches.
    pub fn auth_backend(&self) -> Option<&str> {
        self.auth_backend.as_deref()
    }

    /// Free metadata the application attached.
    pub fn metadata(&self) -> &Map<String, Value> {
        &self.metadata
    }

    /// A service the flow or the application attached by type (a store handle, a
    /// clock), for hooks that need more than facts; `None` if there is no `T`.
    ///
    /// Built-in hooks find their stores this way. Never put secrets here.
    pub fn extension<T: Any>(&self) -> Option<&T> {
        self.extensions.iter().find_map(|e| e.downcast_ref::<T>())
    }

    /// A builder holding a copy of this context, to describe a later step of the same flow.
    pub fn to_builder(&self) -> AuthHookContextBuilder {
        AuthHookContextBuilder { ctx: self.clone() }
    }

    /// A builder holding this context, for a later step of the same flow that no longer
    /// needs this one: [`to_builder`](Self::to_builder) without the copy.
    pub fn into_builder(self) -> AuthHookContextBuilder {
        AuthHookContextBuilder { ctx: self }
    }
}

impl fmt::Debug for AuthHookContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthHookContext")
            .field("user", &self.user.as_ref().map(|_| ".."))
            .field("user_id", &self.user_id)
            .field("credentials", &self.credentials)
            .field("request", &self.request)
            .field("session", &self.session)
            .field("tokens", &self.tokens)
            .field("auth_backend", &self.auth_backend)
            .field("metadata", &self.metadata)
            .field("extensions", &self.extensions.len())
            .field("attempt_id", &self.attempt_id)
            .finish()
    }
}

/// Builds an [`AuthHookContext`]; every field is optional.
#[derive(Default)]
#[must_use = "call .build() to get the context"]
pub struct AuthHookContextBuilder {
    ctx: AuthHookContext,
}

impl AuthHookContextBuilder {
    /// The authenticated user, of any type; hooks read it back with
    /// [`AuthHookContext::user`].
    pub fn user<U: Any + Send + Sync>(mut self, user: U) -> Self {
        self.ctx.user = Some(Arc::new(user));
        self
    }

    /// The user, already shared.
    pub fn shared_user(mut self, user: Arc<dyn Any + Send + Sync>) -> Self {
        self.ctx.user = Some(user);
        self
    }

    /// The user's id.
    pub fn user_id(mut self, id: impl Into<String>) -> Self {
        self.ctx.user_id = Some(id.into());
        self
    }

    /// The credentials, sanitized with the [shared](Sanitizer::shared) sanitizer right
    /// here (the raw values are not kept), their login fields
    /// [normalized](crate::normalize_login).
    pub fn credentials(self, credentials: Value) -> Self {
        self.credentials_with(credentials, Sanitizer::shared())
    }

    /// The credentials, sanitized with `sanitizer`, their login fields
    /// [normalized](crate::normalize_login).
    pub fn credentials_with(mut self, credentials: Value, sanitizer: &Sanitizer) -> Self {
        let mut credentials = sanitizer.sanitize(credentials);
        crate::normalize_login_fields(&mut credentials);
        self.ctx.credentials = credentials;
        self
    }

    /// The request behind the login or logout.
    pub fn request(mut self, request: RequestMeta) -> Self {
        self.ctx.request = Some(request);
        self
    }

    /// The session created or ended.
    pub fn session(mut self, session: SessionMeta) -> Self {
        self.ctx.session = Some(session);
        self
    }

    /// Adds a token issued or revoked.
    pub fn token(mut self, token: TokenMeta) -> Self {
        self.ctx.tokens.push(token);
        self
    }

    /// The authentication backend's name.
    pub fn auth_backend(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.ctx.auth_backend = Some(name.into());
        self
    }

    /// Adds a metadata entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.ctx.metadata.insert(key.into(), value.into());
        self
    }

    /// Attaches a service by type, replacing an earlier one of the same type; hooks read
    /// it with [`AuthHookContext::extension`].
    pub fn extension<T: Any + Send + Sync>(mut self, value: T) -> Self {
        self.ctx.extensions.retain(|e| !e.is::<T>());
        self.ctx.extensions.push(Arc::new(value));
        self
    }

    /// The attempt's id (not secret: it is logged): see [`AuthHookContext::attempt_id`].
    pub fn attempt_id(mut self, id: impl Into<Arc<str>>) -> Self {
        self.ctx.attempt_id = Some(id.into());
        self
    }

    /// The finished context.
    pub fn build(self) -> AuthHookContext {
        self.ctx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_secrets_are_nowhere_in_the_context() {
        let ctx = AuthHookContext::builder()
            .credentials(json!({ "username": "ada", "password": "hunter2", "nested": { "apiKey": "k-123" } }))
            .build();
        let debug = format!("{ctx:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("k-123"),
            "{debug}"
        );
        assert_eq!(
            ctx.credentials(),
            &json!({ "username": "ada", "nested": {} })
        );
    }

    #[test]
    fn the_username_is_the_normalized_login() {
        for typed in ["Mallory", " MALLORY", "ｍａｌｌｏｒｙ"] {
            let ctx = AuthHookContext::builder()
                .credentials(json!({ "username": typed }))
                .build();
            assert_eq!(ctx.username(), Some("mallory"), "{typed:?}");
        }
    }

    #[test]
    fn user_reads_back_typed_and_refuses_other_types() {
        #[derive(Debug, PartialEq)]
        struct User(u32);
        let ctx = AuthHookContext::builder().user(User(7)).build();
        assert_eq!(ctx.user::<User>(), Some(&User(7)));
        assert_eq!(ctx.user::<String>(), None);
    }

    #[test]
    fn extensions_are_found_by_type_and_replaced() {
        let ctx = AuthHookContext::builder()
            .extension(1u8)
            .extension("store")
            .extension(2u8)
            .build();
        assert_eq!(ctx.extension::<u8>(), Some(&2));
        assert_eq!(ctx.extension::<&str>(), Some(&"store"));
        assert_eq!(ctx.extension::<u16>(), None);
    }

    #[test]
    fn context_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<AuthHookContext>();
    }
}
