//! The login flow: hooks around a backend, then sessions and tokens.

use std::any::TypeId;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::builtin::{unmet_requirement, MissingExtension};
use crate::hook_fields::HookFields;
use crate::random::{hex, random_bytes};
use crate::second_factor::{SecondFactor, AMR_PASSWORD};
use crate::undo::{Created, Pending};
use crate::{
    AuthBackend, AuthOutcome, AuthenticatedUser, Credentials, LoginError, NewSession,
    SessionEnricher, SessionId, SessionManager, StoreError, TokenClaims, TokenManager, TokenPair,
};
use auth_hooks::{
    AuthHookContext, AuthHookContextBuilder, AuthHookError, AuthHookRegistry, HookChallenged,
    Phase, RequestMeta, Sanitizer,
};
use serde_json::{Map, Value};

type Extension = Arc<dyn Fn(AuthHookContextBuilder) -> AuthHookContextBuilder + Send + Sync>;

/// A login/logout flow: an [`AuthBackend`], the hooks an application activated, and
/// sessions and/or tokens. Framework-agnostic: a web layer calls [`login`](Self::login),
/// [`logout`](Self::logout), [`authenticate_session`](Self::authenticate_session),
/// [`authenticate_token`](Self::authenticate_token) and [`refresh`](Self::refresh).
///
/// Cheap to share: keep it in an `Arc` in your application state.
pub struct AuthFlow {
    pub(crate) hooks: Arc<AuthHookRegistry>,
    pub(crate) backend: Arc<dyn AuthBackend>,
    pub(crate) backend_name: Cow<'static, str>,
    pub(crate) sessions: Option<Arc<SessionManager>>,
    pub(crate) tokens: Option<Arc<TokenManager>>,
    extensions: Vec<Extension>,
    /// What of the credentials hooks see.
    pub(crate) hook_fields: HookFields,
    /// Second factors, when the flow challenges logins.
    pub(crate) second_factor: Option<SecondFactor>,
}

/// Builds an [`AuthFlow`].
#[must_use = "call .build() to get the flow"]
pub struct AuthFlowBuilder {
    flow: AuthFlow,
    /// The type of each extension, to check what the activated built-ins need.
    extension_types: Vec<TypeId>,
}

/// The flow cannot work as configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlowConfigError {
    /// Neither sessions nor tokens: a login would create nothing.
    #[error("an AuthFlow needs sessions, tokens or both: call .sessions(…) or .tokens(…)")]
    NothingToIssue,
    /// An activated built-in hook lacks what it needs: every login would fail.
    #[error("{0}")]
    MissingExtension(MissingExtension),
}

/// Options of one login.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct LoginOptions {
    /// The session the client came with (an anonymous or older session cookie). It is
    /// ended atomically as the new session is created, so a fixated id never becomes
    /// an authenticated one.
    pub previous_session: Option<SessionId>,
}

impl LoginOptions {
    /// Ends `previous` atomically as the new session is created.
    pub fn replacing_session(mut self, previous: SessionId) -> Self {
        self.previous_session = Some(previous);
        self
    }
}

/// A successful login: what to hand the client.
#[derive(Debug)]
#[non_exhaustive]
pub struct LoginSuccess {
    /// Who logged in.
    pub user: AuthenticatedUser,
    /// The new session (its id goes into the cookie), when the flow has sessions.
    pub session: Option<NewSession>,
    /// The new tokens, when the flow has tokens.
    pub tokens: Option<TokenPair>,
}

impl AuthFlow {
    /// Starts a flow authenticating with `backend`.
    pub fn builder(backend: impl AuthBackend + 'static) -> AuthFlowBuilder {
        Self::builder_shared(Arc::new(backend))
    }

    /// Starts a flow with a shared backend.
    pub fn builder_shared(backend: Arc<dyn AuthBackend>) -> AuthFlowBuilder {
        AuthFlowBuilder {
            flow: AuthFlow {
                backend_name: backend.name(),
                backend,
                hooks: Arc::new(AuthHookRegistry::new()),
                sessions: None,
                tokens: None,
                extensions: Vec::new(),
                hook_fields: HookFields::default(),
                second_factor: None,
            },
            extension_types: Vec::new(),
        }
    }

    /// The hooks in force.
    pub fn hooks(&self) -> &AuthHookRegistry {
        &self.hooks
    }

    /// The session manager, if the flow has sessions.
    pub fn sessions(&self) -> Option<&Arc<SessionManager>> {
        self.sessions.as_ref()
    }

    /// The token manager, if the flow has tokens.
    pub fn tokens(&self) -> Option<&Arc<TokenManager>> {
        self.tokens.as_ref()
    }

    /// The second-factor service, if logins may be challenged.
    pub fn second_factor(&self) -> Option<&SecondFactor> {
        self.second_factor.as_ref()
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn AuthBackend> {
        &self.backend
    }

    /// A context builder with the request, the backend's name and every extension the
    /// flow attaches (`Arc<SessionManager>`, `Arc<TokenManager>`, and the
    /// application's own, such as the built-in hooks' [`Lockout`](crate::builtin::lockout::Lockout)).
    ///
    /// Each call starts an attempt: a random id (64 bits, hex) every phase of it shares.
    pub(crate) fn context(&self, request: RequestMeta) -> AuthHookContextBuilder {
        let mut builder = AuthHookContext::builder()
            .request(request)
            .auth_backend(self.backend_name.clone());
        // An id for logs, not a secret: a failed RNG leaves the attempt without one.
        if let Ok(bytes) = random_bytes::<8>() {
            builder = builder.attempt_id(hex(&bytes));
        }
        if let Some(sessions) = &self.sessions {
            builder = builder.extension(Arc::clone(sessions));
        }
        if let Some(tokens) = &self.tokens {
            builder = builder.extension(Arc::clone(tokens));
        }
        self.extensions.iter().fold(builder, |b, ext| ext(b))
    }

    /// [`context`](Self::context) with what hooks may see of `credentials`: the
    /// allowed fields ([`AuthFlowBuilder::hook_fields`]), through the flow's sanitizer
    /// ([`AuthFlowBuilder::sanitizer`]).
    pub(crate) fn context_with(
        &self,
        request: RequestMeta,
        credentials: &Credentials,
    ) -> AuthHookContextBuilder {
        self.context(request).credentials_with(
            self.hook_fields.select(credentials),
            self.hook_fields.sanitizer(),
        )
    }

    /// Logs a user in; see [`login_with`](Self::login_with).
    pub async fn login(
        &self,
        credentials: Credentials,
        request: RequestMeta,
    ) -> Result<LoginSuccess, LoginError> {
        self.login_with(credentials, request, LoginOptions::default())
            .await
    }

    /// Logs a user in. The contract, in order (every login goes through it):
    ///
    /// 1. Builds the context: of the credentials only the fields hooks may see
    ///    ([`AuthFlowBuilder::hook_fields`]), sanitized, the login name normalized;
    ///    request metadata, backend name.
    /// 2. Runs `before_authenticate`, the gate: no secret and no user in the context. A
    ///    reject (under any policy) or a failure under `raise` denies the login before
    ///    any password is checked; nothing is created. The built-in lockout and IP
    ///    throttle reserve the attempt here, atomically, so no burst gets more
    ///    verifications than their limits.
    /// 3. Asks the backend to verify the credentials. Bad credentials run
    ///    `on_login_failed` (the attempt is already counted; this phase is for the
    ///    application's own reactions) and answer [`LoginError::InvalidCredentials`], the
    ///    same for an unknown user and a wrong password, or [`LoginError::HookFailed`]
    ///    when an `on_login_failed` hook failed under `raise`. A store failure answers
    ///    [`LoginError::StoreUnavailable`]. Hashes run on the backend's bounded pool of
    ///    hashing threads; when it is full the login answers [`LoginError::Overloaded`]
    ///    at once (503 with `Retry-After`), without running `on_login_failed`.
    /// 4. Runs `before_login` with the authenticated user (the backend's user value,
    ///    typed: [`AuthHookContext::user`]) and the sanitized credentials. A reject or a
    ///    failure under `raise` denies the login; nothing is created. A wrong password
    ///    never gets here, so a refusal tells nothing to someone without it.
    /// 5. Creates the session (rotating `options.previous_session` away atomically)
    ///    and/or the tokens.
    /// 6. Runs `on_login` with the user, session and token metadata; it may enrich the
    ///    session ([`SessionEnricher`]), whose data is stored once every hook ran. If it fails under
    ///    `raise`, the session and tokens just created are revoked before the error
    ///    is returned; if the login is cancelled while it runs (the future dropped, as
    ///    when the client hangs up), they are revoked on a spawned Tokio task (with no Tokio
    ///    runtime current that is logged as an error, and they expire by their TTL).
    pub async fn login_with(
        &self,
        credentials: Credentials,
        request: RequestMeta,
        options: LoginOptions,
    ) -> Result<LoginSuccess, LoginError> {
        let base = self.context_with(request, &credentials).build();

        if let Err(error) = self.hooks.run(Phase::BeforeAuthenticate, &base).await {
            let error = LoginError::from_hook(error);
            tracing::info!(attempt = base.attempt_id(), backend = %self.backend_name, error = %auth_hooks::LogSafe(&error), "login denied before authentication");
            return Err(error);
        }

        let user = match self.backend.authenticate(&credentials).await {
            Ok(AuthOutcome::Authenticated(user)) => user,
            Ok(AuthOutcome::InvalidCredentials) => {
                drop(credentials);
                let ctx = base
                    .into_builder()
                    .metadata("failure", "invalid_credentials")
                    .build();
                self.hooks
                    .run(Phase::OnLoginFailed, &ctx)
                    .await
                    .map_err(LoginError::from_hook)?;
                return Err(LoginError::InvalidCredentials);
            }
            Err(error) => return Err(LoginError::from_backend(error, &self.backend_name)),
        };
        drop(credentials);
        self.complete_login(base, user, &options).await
    }

    /// Steps 4 to 6 of [`login_with`](Self::login_with), for a `user` whose
    /// credentials were verified (or who just registered): `before_login`, the session
    /// and tokens, `on_login`. `base` is the context so far (request, sanitized fields).
    pub(crate) async fn complete_login(
        &self,
        base: AuthHookContext,
        user: AuthenticatedUser,
        options: &LoginOptions,
    ) -> Result<LoginSuccess, LoginError> {
        let amr = vec![self.first_factor()];
        // The gate's context is not needed any more: moved, not copied.
        let (authenticated, claims) = self.authenticated_context(base.into_builder(), &user, &amr);
        let ran = self.hooks.run(Phase::BeforeLogin, &authenticated).await;
        self.finish_login(ran, authenticated, user, options, claims, amr)
            .await
    }

    /// The `amr` value of the backend's factor: `pwd` for passwords.
    fn first_factor(&self) -> String {
        match &*self.backend_name {
            "password" => AMR_PASSWORD.to_owned(),
            other => other.to_owned(),
        }
    }

    /// The context of `before_login`: the user, the factors passed so far (metadata
    /// `amr`), and the claims hooks may add to the tokens about to be issued.
    pub(crate) fn authenticated_context(
        &self,
        ctx: AuthHookContextBuilder,
        user: &AuthenticatedUser,
        amr: &[String],
    ) -> (AuthHookContext, Option<TokenClaims>) {
        let mut ctx = ctx.user_id(user.id.clone()).metadata("amr", amr.to_vec());
        if let Some(shared) = user.shared_user() {
            ctx = ctx.shared_user(shared);
        }
        let claims = self.tokens.as_ref().map(|_| TokenClaims::default());
        if let Some(claims) = &claims {
            ctx = ctx.extension(claims.clone());
        }
        (ctx.build(), claims)
    }

    /// What `before_login` came to (`ran`), then, if it let the login through, the
    /// session and tokens and `on_login`. A challenge keeps the login waiting for its
    /// second factor ([`LoginError::SecondFactorRequired`]).
    pub(crate) async fn finish_login(
        &self,
        ran: Result<(), AuthHookError>,
        authenticated: AuthHookContext,
        user: AuthenticatedUser,
        options: &LoginOptions,
        claims: Option<TokenClaims>,
        amr: Vec<String>,
    ) -> Result<LoginSuccess, LoginError> {
        match ran {
            Ok(()) => {}
            Err(AuthHookError::Challenged(challenged)) => {
                let HookChallenged {
                    hook, challenge, ..
                } = *challenged;
                return Err(self
                    .challenge(&authenticated, &user, hook, challenge, amr)
                    .await);
            }
            Err(error) => {
                let error = LoginError::from_hook(error);
                tracing::info!(attempt = authenticated.attempt_id(), backend = %self.backend_name, user_id = %user.id, error = %auth_hooks::LogSafe(&error), "login denied after authentication");
                return Err(error);
            }
        }
        let mut claims = claims.map(|claims| claims.take()).unwrap_or_default();
        if self.tokens.is_some() {
            claims.insert(crate::AMR_CLAIM.to_owned(), Value::from(amr));
        }

        let pending = self
            .create(&user, options.previous_session.as_ref(), &claims)
            .await?;
        let created = pending.created();

        let mut ctx = authenticated.into_builder();
        // on_login may enrich the session it sees: what it inserts is stored after it.
        let mut enricher = None;
        if let Some(session) = &created.session {
            let session_enricher = SessionEnricher::default();
            ctx = ctx
                .session(session.meta.clone())
                .extension(session_enricher.clone());
            enricher = Some(session_enricher);
        }
        if let Some(tokens) = &created.tokens {
            ctx = ctx
                .token(tokens.access.meta.clone())
                .token(tokens.refresh.meta.clone());
        }
        let ctx = ctx.build();

        if let Err(error) = self.hooks.run(Phase::OnLogin, &ctx).await {
            pending.undo().await;
            return Err(LoginError::from_hook(error));
        }
        if let Err(error) = self.store_session_data(created, enricher).await {
            tracing::error!(attempt = ctx.attempt_id(), user_id = %user.id, error = %auth_hooks::LogSafe(&error), "login refused: the session's data could not be stored");
            pending.undo().await;
            return Err(LoginError::StoreUnavailable(error));
        }
        let created = pending.keep();
        Ok(LoginSuccess {
            user,
            session: created.session,
            tokens: created.tokens,
        })
    }

    /// Stores what `on_login` hooks put in the session, if they put anything.
    async fn store_session_data(
        &self,
        created: &Created,
        enricher: Option<SessionEnricher>,
    ) -> Result<(), StoreError> {
        let (Some(session), Some(enricher), Some(sessions)) =
            (&created.session, enricher, &self.sessions)
        else {
            return Ok(());
        };
        let data = enricher.take();
        if data.is_empty() {
            return Ok(());
        }
        match sessions
            .store()
            .set_data(&session.meta.id_hash, &data)
            .await?
        {
            true => Ok(()),
            false => Err(StoreError::new(
                "the new session vanished before its data was stored",
            )),
        }
    }

    async fn create(
        &self,
        user: &AuthenticatedUser,
        previous: Option<&SessionId>,
        claims: &Map<String, Value>,
    ) -> Result<Pending, LoginError> {
        let session = match &self.sessions {
            Some(sessions) => Some(sessions.rotate(previous, &user.id).await.inspect_err(|error| {
                tracing::error!(user_id = %user.id, error = %auth_hooks::LogSafe(error), "login refused: the session could not be stored");
            })?),
            None => None,
        };
        // One login, one link: tokens issued with a session name it and share its
        // family, so a logout with either credential ends both.
        let sid = session.as_ref().map(|s| s.meta.id_hash.as_str());
        let issued = |tokens: &TokenManager| tokens.issue_login(&user.id, sid, claims);
        let tokens = match &self.tokens {
            Some(tokens) => match issued(tokens) {
                Ok(pair) => Some(pair),
                Err(error) => {
                    tracing::error!(user_id = %user.id, error = %auth_hooks::LogSafe(&error), "login refused: tokens could not be issued");
                    let created = Created {
                        session,
                        tokens: None,
                    };
                    self.pending(&user.id, created).undo().await;
                    return Err(error.into());
                }
            },
            None => None,
        };
        Ok(self.pending(&user.id, Created { session, tokens }))
    }

    /// `created` on probation: revoked unless the login completes.
    fn pending(&self, user_id: &str, created: Created) -> Pending {
        Pending::new(
            user_id,
            self.sessions.as_ref(),
            self.tokens.as_ref(),
            created,
        )
    }
}

impl fmt::Debug for AuthFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthFlow")
            .field("backend", &self.backend_name)
            .field("hooks", &self.hooks)
            .field("sessions", &self.sessions)
            .field("tokens", &self.tokens)
            .field("extensions", &self.extensions.len())
            .field("second_factor", &self.second_factor)
            .finish()
    }
}

impl AuthFlowBuilder {
    /// The hooks to run (from `ready!` or [`AuthHookRegistry::new`]).
    pub fn hooks(self, hooks: AuthHookRegistry) -> Self {
        self.shared_hooks(Arc::new(hooks))
    }

    /// The hooks, already shared.
    pub fn shared_hooks(mut self, hooks: Arc<AuthHookRegistry>) -> Self {
        self.flow.hooks = hooks;
        self
    }

    /// Logins create a server-side session.
    pub fn sessions(mut self, sessions: SessionManager) -> Self {
        self.flow.sessions = Some(Arc::new(sessions));
        self
    }

    /// Logins issue an access and a refresh token.
    pub fn tokens(mut self, tokens: TokenManager) -> Self {
        self.flow.tokens = Some(Arc::new(tokens));
        self
    }

    /// Attaches a service of the application's to every context, for its hooks
    /// ([`AuthHookContext::extension`]). Never a secret.
    pub fn extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extension_types.push(TypeId::of::<T>());
        self.flow
            .extensions
            .push(Arc::new(move |b: AuthHookContextBuilder| {
                b.extension(value.clone())
            }));
        self
    }

    /// Also shows hooks these top-level fields of the credentials (login and
    /// registration bodies).
    ///
    /// By default hooks see only `username`, `email`, `login`, `tenant`, `provider` and
    /// `method`: an allow-list, so a field the application never thought of (`code`,
    /// `mfa_code`, `code_verifier`, `client_assertion`, `SAMLResponse`, `card_number`,
    /// `ssn`, …) never reaches a hook. What is allowed still goes through the
    /// [`sanitizer`](Self::sanitizer).
    pub fn hook_fields<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.flow.hook_fields.allow(fields);
        self
    }

    /// The sanitizer every context's credentials go through after the
    /// [allow-list](Self::hook_fields), at any depth (default: [`Sanitizer::shared`]);
    /// e.g. `Sanitizer::default().with_pattern("maiden")`. Used by every phase's context:
    /// login, registration, password change (refresh and logout contexts carry no
    /// credentials).
    pub fn sanitizer(mut self, sanitizer: Sanitizer) -> Self {
        self.flow.hook_fields.set_sanitizer(sanitizer);
        self
    }

    /// Logins may wait for a second factor: where factors and waiting logins are kept
    /// (see [`second_factor`](crate::second_factor)). Also attached to every context,
    /// for the built-in [`totp`](crate::builtin::totp) hook.
    pub fn second_factor(mut self, second_factor: SecondFactor) -> Self {
        self.flow.second_factor = Some(second_factor.clone());
        self.extension(second_factor)
    }

    /// The flow, or why it cannot work.
    pub fn build(self) -> Result<AuthFlow, FlowConfigError> {
        if self.flow.sessions.is_none() && self.flow.tokens.is_none() {
            return Err(FlowConfigError::NothingToIssue);
        }
        let mut attached = self.extension_types.clone();
        if self.flow.sessions.is_some() {
            attached.push(TypeId::of::<Arc<SessionManager>>());
        }
        if self.flow.tokens.is_some() {
            attached.push(TypeId::of::<Arc<TokenManager>>());
        }
        if let Some(missing) = unmet_requirement(&self.flow.hooks, &attached) {
            return Err(FlowConfigError::MissingExtension(missing));
        }
        Ok(self.flow)
    }
}
