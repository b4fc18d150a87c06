//! Registration: `before_register`, the new user stored, `on_register`, and an
//! optional sign-in.

use auth_hooks::{Phase, RequestMeta};

use crate::{AuthFlow, Credentials, LoginError, LoginOptions, LoginSuccess, Registration};

/// Options of one registration.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct RegisterOptions {
    /// Sign the new user in right away (Kratos' `session` hook), and answer a taken
    /// login name with [`LoginError::LoginTaken`]. That answer tells anyone whether a
    /// name has an account; off by default.
    pub sign_in: bool,
    /// For the sign-in: the session the client came with, ended as the new one starts.
    pub login: LoginOptions,
}

impl RegisterOptions {
    /// Signs the new user in right away; see [`sign_in`](Self::sign_in).
    pub fn signing_in(mut self) -> Self {
        self.sign_in = true;
        self
    }
}

/// A registration the flow accepted.
// Returned once per registration and matched at once: boxing would buy nothing.
#[derive(Debug)]
#[non_exhaustive]
pub enum Registered {
    /// Handled: a new user was stored, or the name was taken and its owner's
    /// `on_register` hooks were told. Deliberately one answer for both.
    Accepted,
    /// The new user, signed in ([`RegisterOptions::sign_in`]).
    SignedIn(Box<LoginSuccess>),
}

impl AuthFlow {
    /// Registers a user; see [`register_with`](Self::register_with).
    pub async fn register(
        &self,
        fields: Credentials,
        request: RequestMeta,
    ) -> Result<Registered, LoginError> {
        self.register_with(fields, request, RegisterOptions::default())
            .await
    }

    /// Registers a user. The contract, in order:
    ///
    /// 1. Builds the context: the fields hooks may see
    ///    ([`AuthFlowBuilder::hook_fields`](crate::AuthFlowBuilder::hook_fields)), sanitized
    ///    (the normalized login name, an e-mail; never the password), the request, metadata `authentication_method` = `"registration"`.
    /// 2. Runs `before_register`. A reject (under any policy) or a failure under `raise`
    ///    refuses the registration; nothing is stored. It runs before anyone knows
    ///    whether the name is taken, so its answer says nothing about that.
    /// 3. Asks the backend to register: the login name and the password policy are
    ///    checked ([`LoginError::MalformedCredentials`], [`LoginError::WeakPassword`]),
    ///    the password is hashed on the backend's bounded hashing threads
    ///    ([`LoginError::Overloaded`] when they are full), and the store creates the user,
    ///    atomically: of two registrations of one name, one wins.
    /// 4. Runs `on_register` with the user the registration concerns and metadata
    ///    `registration`: `"created"`, or `"login_taken"` with the existing user (to
    ///    tell its owner). A failure under `raise` is returned; the user stays stored.
    /// 5. Without [`RegisterOptions::sign_in`], answers [`Registered::Accepted`] in both
    ///    cases: the same answer, after the same work (one hash, one store write), so a
    ///    registration form does not tell who has an account. With it, a new user is
    ///    logged in ([`login_with`](Self::login_with)'s steps 4 to 6: `before_login`,
    ///    session and tokens, `on_login`) and a taken name answers
    ///    [`LoginError::LoginTaken`].
    pub async fn register_with(
        &self,
        fields: Credentials,
        request: RequestMeta,
        options: RegisterOptions,
    ) -> Result<Registered, LoginError> {
        let base = self
            .context_with(request, &fields)
            .metadata("authentication_method", "registration")
            .build();
        if let Err(error) = self.hooks.run(Phase::BeforeRegister, &base).await {
            let error = LoginError::from_hook(error);
            tracing::info!(attempt = base.attempt_id(), backend = %self.backend_name, error = %auth_hooks::LogSafe(&error), "registration refused");
            return Err(error);
        }

        let registration = self.backend.register(&fields).await;
        drop(fields);
        let (user, created) = match registration {
            Ok(Registration::Created(user)) => (user, true),
            Ok(Registration::LoginTaken(user)) => (user, false),
            Err(error) => return Err(LoginError::from_backend(error, &self.backend_name)),
        };
        let outcome = if created { "created" } else { "login_taken" };
        tracing::info!(attempt = base.attempt_id(), backend = %self.backend_name, user_id = %user.id, outcome, "registration handled");

        let mut ctx = base
            .into_builder()
            .user_id(user.id.clone())
            .metadata("registration", outcome);
        if let Some(shared) = user.shared_user() {
            ctx = ctx.shared_user(shared);
        }
        let ctx = ctx.build();
        self.hooks
            .run(Phase::OnRegister, &ctx)
            .await
            .map_err(LoginError::from_hook)?;

        match (options.sign_in, created) {
            (false, _) => Ok(Registered::Accepted),
            (true, true) => self
                .complete_login(ctx, user, &options.login)
                .await
                .map(|success| Registered::SignedIn(Box::new(success))),
            (true, false) => Err(LoginError::LoginTaken),
        }
    }
}
