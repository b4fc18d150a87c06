//! Challenging a login, and resuming it with the second factor.

use base64::Engine;
use serde_json::json;

use auth_hooks::{AuthHookChallenge, AuthHookContext, Phase, RequestMeta};

use super::recovery::normalize_recovery_code;
use super::{Continuation, ContinuationRecord, SecondFactor, AMR_OTP, AMR_RECOVERY_CODE};
use crate::random::random_bytes;
use crate::{AuthFlow, AuthenticatedUser, LoginError, LoginOptions, LoginSuccess, StoreError};

/// What a code proved, or that it proved nothing.
enum Checked {
    Passed(&'static str),
    Wrong,
}

impl AuthFlow {
    /// A `before_login` hook named `hook` required `challenge`: keeps where the login
    /// stopped under a new continuation and answers with it. Nothing else was created.
    pub(crate) async fn challenge(
        &self,
        authenticated: &AuthHookContext,
        user: &AuthenticatedUser,
        hook: String,
        challenge: AuthHookChallenge,
        amr: Vec<String>,
    ) -> LoginError {
        let Some(second_factor) = &self.second_factor else {
            tracing::error!(hook = %auth_hooks::LogSafe(&hook), "a before_login hook required a second factor but the flow has none: configure AuthFlowBuilder::second_factor; the login is refused");
            return LoginError::Unsupported("a second factor");
        };
        let token = match random_bytes::<32>() {
            Ok(bytes) => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
            Err(error) => return LoginError::StoreUnavailable(error),
        };
        let version = match self.backend.credentials_version(&user.id).await {
            Ok(version) => version,
            Err(error) => return LoginError::StoreUnavailable(error),
        };
        let record = ContinuationRecord {
            user_id: user.id.clone(),
            login: authenticated.username().unwrap_or_default().to_owned(),
            fields: authenticated.credentials().clone(),
            resume_after: hook,
            factor: challenge.factor().to_owned(),
            amr,
            expires_at: second_factor.clock.now() + second_factor.ttl,
            failures: 0,
            credentials: second_factor.credentials_stamp(&user.id, version.as_deref()),
        };
        let stored = second_factor
            .continuations
            .put(&second_factor.continuation_hash(&token), &record)
            .await;
        if let Err(error) = stored {
            tracing::error!(attempt = authenticated.attempt_id(), user_id = %user.id, error = %auth_hooks::LogSafe(&error), "login refused: the continuation could not be stored");
            return LoginError::StoreUnavailable(error);
        }
        tracing::info!(attempt = authenticated.attempt_id(), user_id = %user.id, factor = challenge.factor(), "login waits for a second factor");
        LoginError::SecondFactorRequired {
            factor: record.factor,
            continuation: Continuation::new(token),
        }
    }

    /// Resumes a login that answered
    /// [`SecondFactorRequired`](LoginError::SecondFactorRequired), with its
    /// continuation and a code (a TOTP code, or one of the user's recovery codes).
    ///
    /// 1. Takes the continuation, atomically (of two requests with it at most one gets
    ///    it): unknown, spent or expired is [`LoginError::InvalidSecondFactor`].
    /// 2. Runs the gate, `before_authenticate`, with the login name and metadata
    ///    `authentication_method = "second_factor"`: the lockout and the IP throttle
    ///    count the code as they count a password, so six wrong codes lock like six
    ///    wrong passwords. A gate that refuses spends the continuation.
    /// 3. Checks the code. A TOTP code is one of the current step or one either side,
    ///    and its step must be later than the last accepted one (spent atomically: a
    ///    replayed code is refused); a recovery code is spent atomically. A wrong code
    ///    runs `on_login_failed` (metadata `failure = "invalid_second_factor"`) and puts
    ///    the continuation back for another try, unchanged but for its count, until
    ///    [`SecondFactor::MAX_CODE_FAILURES`]; it answers `InvalidSecondFactor`.
    /// 4. Runs the `before_login` hooks after the one that challenged (one of them may
    ///    challenge again, for another factor), then creates the session and tokens
    ///    and runs `on_login` as [`login_with`](Self::login_with) does; `amr` now names
    ///    both factors (`["pwd", "otp"]`).
    pub async fn resume_login(
        &self,
        continuation: &str,
        code: &str,
        request: RequestMeta,
        options: LoginOptions,
    ) -> Result<LoginSuccess, LoginError> {
        let second_factor = self
            .second_factor
            .as_ref()
            .ok_or(LoginError::Unsupported("a second factor"))?;
        let hash = second_factor.continuation_hash(continuation);
        let now = second_factor.clock.now();
        let record = second_factor.continuations.take(&hash, now).await?;

        let fields = record
            .as_ref()
            .map_or_else(|| json!({}), |record| record.fields.clone());
        let gate = self
            .context(request)
            .credentials_with(fields, self.hook_fields.sanitizer())
            .metadata("authentication_method", "second_factor")
            .build();
        // Unknown continuations pass the gate too: the IP throttle counts forged ones.
        if let Err(error) = self.hooks.run(Phase::BeforeAuthenticate, &gate).await {
            let error = LoginError::from_hook(error);
            tracing::info!(error = %auth_hooks::LogSafe(&error), "second factor denied before it was checked");
            return Err(error);
        }
        let Some(mut record) = record else {
            return Err(LoginError::InvalidSecondFactor);
        };
        let user = match self.backend.resolve_user(&record.user_id).await {
            Ok(Some(user)) => user,
            Ok(None) => return Err(LoginError::InvalidSecondFactor),
            Err(error) => return Err(LoginError::StoreUnavailable(error)),
        };
        let version = self.backend.credentials_version(&record.user_id).await?;
        if second_factor.credentials_stamp(&record.user_id, version.as_deref())
            != record.credentials
        {
            // Refused before the code is checked: the code stays unspent.
            tracing::info!(attempt = gate.attempt_id(), user_id = %record.user_id, "a login waiting for its second factor was ended by a credentials change");
            return Err(LoginError::InvalidSecondFactor);
        }

        match check_code(second_factor, &record, code).await? {
            Checked::Passed(amr) => record.amr.push(amr.to_owned()),
            Checked::Wrong => {
                record.failures += 1;
                if record.failures < SecondFactor::MAX_CODE_FAILURES {
                    second_factor.continuations.put(&hash, &record).await?;
                }
                let ctx = gate
                    .into_builder()
                    .user_id(record.user_id.clone())
                    .metadata("failure", "invalid_second_factor")
                    .build();
                self.hooks
                    .run(Phase::OnLoginFailed, &ctx)
                    .await
                    .map_err(LoginError::from_hook)?;
                return Err(LoginError::InvalidSecondFactor);
            }
        }

        let (authenticated, claims) =
            self.authenticated_context(gate.into_builder(), &user, &record.amr);
        let ran = self
            .hooks
            .run_after(Phase::BeforeLogin, &authenticated, &record.resume_after)
            .await;
        self.finish_login(ran, authenticated, user, &options, claims, record.amr)
            .await
    }
}

/// Checks `code` against the factor `record` waits for, spending what it uses.
async fn check_code(
    second_factor: &SecondFactor,
    record: &ContinuationRecord,
    code: &str,
) -> Result<Checked, StoreError> {
    if record.factor != AuthHookChallenge::TOTP {
        tracing::error!(factor = %auth_hooks::LogSafe(&record.factor), "no check for this second factor: the code is refused");
        return Ok(Checked::Wrong);
    }
    let factors = &second_factor.factors;
    if let Some(recovery) = normalize_recovery_code(code) {
        let hash = second_factor.recovery_hash(&record.user_id, &recovery);
        return Ok(
            match factors.use_recovery_code(&record.user_id, &hash).await? {
                true => {
                    tracing::info!(user_id = %record.user_id, "recovery code used");
                    Checked::Passed(AMR_RECOVERY_CODE)
                }
                false => Checked::Wrong,
            },
        );
    }
    let Some(totp) = factors
        .totp(&record.user_id)
        .await?
        .filter(|totp| totp.confirmed)
    else {
        return Ok(Checked::Wrong);
    };
    let Some(step) = totp.secret.matching_step(code, second_factor.clock.now()) else {
        return Ok(Checked::Wrong);
    };
    Ok(
        match factors.accept_totp_step(&record.user_id, step).await? {
            true => Checked::Passed(AMR_OTP),
            false => {
                tracing::warn!(user_id = %record.user_id, "a TOTP code was replayed: refused");
                Checked::Wrong
            }
        },
    )
}
