//! The body of a second-factor step: a code, and for a login the continuation, as JSON
//! or as an HTML form.

use crate::body::{parse_fields, take_optional, take_remember};
use crate::{BodyFormat, WebError};

/// A second-factor code (`code`: six digits or a recovery code), with the
/// `continuation` a challenged login answered (absent for enrollment steps), and for a
/// login `next` and `remember`. `Debug` never shows the code nor the continuation.
pub struct SecondFactorBody {
    /// The continuation of a challenged login.
    pub continuation: Option<String>,
    /// The code.
    pub code: String,
    /// Where to go after the login, unvalidated.
    pub next: Option<String>,
    /// "Remember me", carried from the first step.
    pub remember: bool,
    /// JSON or form.
    pub format: BodyFormat,
}

impl std::fmt::Debug for SecondFactorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecondFactorBody")
            .field("next", &self.next)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl SecondFactorBody {
    /// Parses a body of `format`.
    pub fn parse(format: BodyFormat, bytes: &[u8]) -> Result<Self, WebError> {
        let mut fields = parse_fields(format, bytes)?;
        let continuation = take_optional(&mut fields, "continuation")?;
        let code = take_optional(&mut fields, "code")?.ok_or_else(|| {
            WebError::unprocessable("Field `code` is required and must be a string.")
        })?;
        let next = take_optional(&mut fields, "next")?;
        let remember = take_remember(&mut fields)?;
        Ok(SecondFactorBody {
            continuation,
            code,
            next,
            remember,
            format,
        })
    }
}

crate::body::body_from_request!(SecondFactorBody);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_and_forms_and_never_shows_the_code() {
        let body = SecondFactorBody::parse(
            BodyFormat::Json,
            br#"{"continuation": "c0ffee", "code": "123456"}"#,
        )
        .unwrap();
        assert_eq!(body.continuation.as_deref(), Some("c0ffee"));
        assert_eq!(body.code, "123456");
        let body = SecondFactorBody::parse(BodyFormat::Form, b"code=654321&remember=on&next=%2Fme")
            .unwrap();
        assert!(body.remember && body.continuation.is_none());
        let shown = format!("{body:?}");
        assert!(!shown.contains("654321"), "{shown}");
        let err =
            SecondFactorBody::parse(BodyFormat::Json, br#"{"continuation": "x"}"#).unwrap_err();
        assert!(err.message().contains("`code`"), "{}", err.message());
    }
}
