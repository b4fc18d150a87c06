//! The login request body, as JSON or as an HTML form.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use serde_json::{Map, Value};

use crate::WebError;

/// The largest login body read, in bytes.
pub const MAX_LOGIN_BODY: usize = 16 * 1024;

/// How the login body was sent, and so how to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/json` (or `…+json`): answered with JSON.
    Json,
    /// `application/x-www-form-urlencoded`: an HTML form, answered with redirects and pages.
    Form,
}

/// A login request: the credentials, "remember me", and where to go next.
///
/// Accepts `application/json` (`{"username": "…", "password": "…", "remember": true,
/// "next": "/me"}`) and `application/x-www-form-urlencoded` (`remember=on`). The login
/// name may be `username`, `email` or `login`. Errors are clear and never echo a value:
/// 415 for another content type, 413 over [`MAX_LOGIN_BODY`], 400 for a body that
/// cannot be parsed, 422 for missing or mistyped fields.
///
/// `Debug` never shows the credentials.
pub struct LoginBody {
    /// The credential fields (`remember` and `next` removed), secrets included: hand
    /// them to the flow, nowhere else.
    pub fields: Map<String, Value>,
    /// "Remember me": a persistent cookie.
    pub remember: bool,
    /// Where to go after login, unvalidated (see [`crate::next`]).
    pub next: Option<String>,
    /// JSON or form.
    pub format: BodyFormat,
}

impl std::fmt::Debug for LoginBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginBody")
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .field("remember", &self.remember)
            .field("next", &self.next)
            .field("format", &self.format)
            .finish()
    }
}

impl LoginBody {
    /// Parses a body of `format`.
    pub fn parse(format: BodyFormat, bytes: &[u8]) -> Result<Self, WebError> {
        let mut fields = match format {
            BodyFormat::Json => parse_json(bytes)?,
            BodyFormat::Form => parse_form(bytes)?,
        };
        let remember = match fields.remove("remember") {
            None | Some(Value::Null) => false,
            Some(value) => flag(&value).ok_or_else(|| {
                WebError::unprocessable("Field `remember` must be true or false.")
            })?,
        };
        let next = match fields.remove("next") {
            None | Some(Value::Null) => None,
            Some(Value::String(next)) => Some(next).filter(|n| !n.is_empty()),
            Some(_) => return Err(WebError::unprocessable("Field `next` must be a string.")),
        };
        let login = ["username", "email", "login"]
            .into_iter()
            .find_map(|key| fields.get(key));
        if !matches!(login, Some(Value::String(_))) {
            return Err(WebError::unprocessable(
                "Field `username` (or `email`) is required and must be a string.",
            ));
        }
        if !matches!(fields.get("password"), Some(Value::String(_))) {
            return Err(WebError::unprocessable(
                "Field `password` is required and must be a string.",
            ));
        }
        Ok(LoginBody {
            fields,
            remember,
            next,
            format,
        })
    }

    /// The body format a request's `Content-Type` announces, or a 415.
    pub fn format_of(headers: &HeaderMap) -> Result<BodyFormat, WebError> {
        let unsupported = || {
            WebError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send the login as application/json or application/x-www-form-urlencoded.",
            )
        };
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(unsupported)?;
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/x-www-form-urlencoded" => Ok(BodyFormat::Form),
            "application/json" => Ok(BodyFormat::Json),
            other if other.starts_with("application/") && other.ends_with("+json") => {
                Ok(BodyFormat::Json)
            }
            _ => Err(unsupported()),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for LoginBody {
    type Rejection = WebError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let format = Self::format_of(request.headers())?;
        let bytes: Bytes = axum::body::to_bytes(request.into_body(), MAX_LOGIN_BODY)
            .await
            .map_err(|_| {
                WebError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The login body is too large.",
                )
            })?;
        Self::parse(format, &bytes)
    }
}

fn parse_json(bytes: &[u8]) -> Result<Map<String, Value>, WebError> {
    // Parsed into `Value` first, so serde's messages can only describe syntax, never
    // quote a value (a password) back.
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        WebError::bad_request(format!(
            "Malformed JSON body: syntax error at line {}, column {}.",
            e.line(),
            e.column()
        ))
    })?;
    match value {
        Value::Object(fields) => Ok(fields),
        _ => Err(WebError::unprocessable(
            "The JSON body must be an object with `username` and `password`.",
        )),
    }
}

fn parse_form(bytes: &[u8]) -> Result<Map<String, Value>, WebError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes)
        .map_err(|_| WebError::bad_request("Malformed form body."))?;
    let mut fields = Map::new();
    for (key, value) in pairs {
        if fields.contains_key(&key) {
            return Err(WebError::unprocessable(format!(
                "Field `{}` is given more than once.",
                printable(&key)
            )));
        }
        fields.insert(key, Value::String(value));
    }
    Ok(fields)
}

/// A field name fit to quote in an error: short, no control characters.
fn printable(key: &str) -> String {
    key.chars().filter(|c| !c.is_control()).take(40).collect()
}

/// A checkbox or boolean: `true`, `"on"`, `"true"`, `"1"`, `"yes"` and their opposites.
fn flag(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "on" | "true" | "1" | "yes" => Some(true),
            "off" | "false" | "0" | "no" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    fn json_body(value: Value) -> Result<LoginBody, WebError> {
        LoginBody::parse(BodyFormat::Json, value.to_string().as_bytes())
    }

    #[test]
    fn json_login_is_read_with_its_options() {
        let body = json_body(
            json!({ "username": "ada", "password": "pw", "remember": true, "next": "/me" }),
        )
        .unwrap();
        assert_eq!(
            body.fields,
            json!({ "username": "ada", "password": "pw" })
                .as_object()
                .unwrap()
                .clone()
        );
        assert!(body.remember);
        assert_eq!(body.next.as_deref(), Some("/me"));
        assert_eq!(body.format, BodyFormat::Json);
    }

    #[test]
    fn form_login_is_read_with_a_checkbox() {
        let body = LoginBody::parse(
            BodyFormat::Form,
            b"username=ada&password=p%26w&remember=on&next=%2Fme",
        )
        .unwrap();
        assert_eq!(body.fields["password"], "p&w");
        assert!(body.remember);
        assert_eq!(body.next.as_deref(), Some("/me"));
        let body = LoginBody::parse(BodyFormat::Form, b"email=a%40b.c&password=x&next=").unwrap();
        assert!(!body.remember);
        assert_eq!(body.next, None);
    }

    #[test]
    fn malformed_json_is_a_400_that_quotes_nothing() {
        let err = LoginBody::parse(
            BodyFormat::Json,
            br#"{"username": "ada", "password": "hunter2""#,
        )
        .unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert!(
            err.message().starts_with("Malformed JSON body"),
            "{}",
            err.message()
        );
        assert!(!err.message().contains("hunter2"));
    }

    #[test]
    fn wrong_shapes_are_422_naming_the_field() {
        for (value, field) in [
            (json!(["ada", "pw"]), "object"),
            (json!({ "password": "pw" }), "`username`"),
            (json!({ "username": 7, "password": "pw" }), "`username`"),
            (json!({ "username": "ada" }), "`password`"),
            (
                json!({ "username": "ada", "password": ["hunter2"] }),
                "`password`",
            ),
            (
                json!({ "username": "ada", "password": "pw", "remember": "maybe" }),
                "`remember`",
            ),
            (
                json!({ "username": "ada", "password": "pw", "next": 3 }),
                "`next`",
            ),
        ] {
            let err = json_body(value.clone()).unwrap_err();
            assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY, "{value}");
            assert!(err.message().contains(field), "{value}: {}", err.message());
            assert!(!err.message().contains("hunter2"));
        }
    }

    #[test]
    fn repeated_form_fields_are_refused() {
        let err =
            LoginBody::parse(BodyFormat::Form, b"username=a&username=b&password=x").unwrap_err();
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.message(), "Field `username` is given more than once.");
    }

    #[test]
    fn content_types_are_recognised_or_refused_with_415() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            LoginBody::format_of(&headers).unwrap_err().status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        for (value, expected) in [
            ("application/json", Some(BodyFormat::Json)),
            ("Application/JSON; charset=utf-8", Some(BodyFormat::Json)),
            ("application/vnd.api+json", Some(BodyFormat::Json)),
            ("application/x-www-form-urlencoded", Some(BodyFormat::Form)),
            ("text/plain", None),
            ("multipart/form-data; boundary=x", None),
        ] {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            assert_eq!(LoginBody::format_of(&headers).ok(), expected, "{value}");
        }
    }

    #[test]
    fn debug_never_shows_values() {
        let body = json_body(json!({ "username": "ada", "password": "hunter2" })).unwrap();
        let debug = format!("{body:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("ada"),
            "{debug}"
        );
    }
}
