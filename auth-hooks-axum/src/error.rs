//! One error response type: a status, the only text the client may see, and the
//! headers a status needs.

use std::borrow::Cow;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answered to the client: `{"error": "<message>"}` with its status.
///
/// The message is always one meant for the client: a hook's safe message, or a
/// generic text. Details go to the log where the error is made, never in here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebError {
    status: StatusCode,
    message: Cow<'static, str>,
    retry_after: Option<Duration>,
    bearer_challenge: bool,
}

impl WebError {
    /// The generic text for a login a hook refused without a safe message, or whose
    /// hook failed.
    pub const LOGIN_REJECTED: &'static str = "Login rejected.";
    /// The generic text for a failure in a store.
    pub const UNAVAILABLE: &'static str =
        "Service temporarily unavailable. Please try again later.";
    /// The generic text when a request is not authenticated.
    pub const AUTHENTICATION_REQUIRED: &'static str = "Authentication required.";

    /// An error with `status` and a client-safe `message`.
    pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        WebError {
            status,
            message: message.into(),
            retry_after: None,
            bearer_challenge: false,
        }
    }

    /// 400: the request cannot be read (malformed JSON, wrong encoding).
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 422: the request was read but lacks what is needed (a missing field).
    pub fn unprocessable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// 401 with a client-safe message.
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 401 "Authentication required." with `WWW-Authenticate: Bearer`.
    pub fn authentication_required() -> Self {
        Self::unauthorized(Self::AUTHENTICATION_REQUIRED).with_bearer_challenge()
    }

    /// 429 with `Retry-After` (whole seconds, rounded up).
    pub fn too_many_requests(message: impl Into<Cow<'static, str>>, retry_after: Duration) -> Self {
        let mut error = Self::new(StatusCode::TOO_MANY_REQUESTS, message);
        error.retry_after = Some(retry_after);
        error
    }

    /// 503 with the generic text: a store could not answer.
    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, Self::UNAVAILABLE)
    }

    /// 503 with `Retry-After` (whole seconds, rounded up): too busy right now.
    pub fn overloaded(message: impl Into<Cow<'static, str>>, retry_after: Duration) -> Self {
        let mut error = Self::new(StatusCode::SERVICE_UNAVAILABLE, message);
        error.retry_after = Some(retry_after);
        error
    }

    /// 403: a cross-site request.
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// Adds `WWW-Authenticate: Bearer` (for 401s on routes that accept tokens).
    pub fn with_bearer_challenge(mut self) -> Self {
        self.bearer_challenge = true;
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The text the client sees.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `Retry-After` of a 429 or an [`overloaded`](Self::overloaded) 503 (any
    /// other 503 answers 5 s).
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The headers this error needs besides its body.
    pub(crate) fn extra_headers(&self) -> Vec<(header::HeaderName, HeaderValue)> {
        let mut headers = Vec::new();
        if let Some(retry_after) = self.retry_after {
            headers.push((
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs(retry_after)),
            ));
        }
        if self.bearer_challenge {
            headers.push((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE && self.retry_after.is_none() {
            headers.push((header::RETRY_AFTER, HeaderValue::from_static("5")));
        }
        headers
    }
}

/// Whole seconds, rounded up, at least 1: `Retry-After: 0` would invite a hammering.
fn retry_after_secs(duration: Duration) -> u64 {
    let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    secs.max(1)
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let headers = self.extra_headers();
        let mut response = (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        response.headers_mut().extend(headers);
        response
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for WebError {}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn renders_the_message_as_json_with_its_status() {
        let response = WebError::unauthorized("Denied.").into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            body(response).await,
            serde_json::json!({ "error": "Denied." })
        );
    }

    #[test]
    fn lockout_carries_retry_after_rounded_up() {
        let response =
            WebError::too_many_requests("Locked.", Duration::from_millis(1500)).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let response = WebError::too_many_requests("Locked.", Duration::ZERO).into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn authentication_required_challenges_for_a_bearer_token() {
        let response = WebError::authentication_required().into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }

    #[test]
    fn overloaded_is_a_503_with_its_own_retry_after_only() {
        let response = WebError::overloaded("Busy.", Duration::from_millis(2500)).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let retry_after: Vec<_> = response
            .headers()
            .get_all(header::RETRY_AFTER)
            .iter()
            .collect();
        assert_eq!(retry_after, ["3"]);
    }

    #[test]
    fn unavailable_is_generic_and_retryable() {
        let error = WebError::unavailable();
        assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(error.message(), WebError::UNAVAILABLE);
        assert!(error
            .into_response()
            .headers()
            .contains_key(header::RETRY_AFTER));
    }
}
