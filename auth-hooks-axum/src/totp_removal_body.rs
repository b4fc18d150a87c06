//! The body of a TOTP removal: a code, or the password, as JSON or as an HTML form.

use crate::body::{parse_fields, take_optional};
use crate::{BodyFormat, WebError};

/// What proves a TOTP removal: `code` (a fresh code from the app, or a recovery code)
/// or `password`. `Debug` shows neither.
pub struct TotpRemovalBody {
    /// The proof.
    pub proof: TotpRemovalProof,
    /// JSON or form.
    pub format: BodyFormat,
}

/// The proof a [`TotpRemovalBody`] carries.
pub enum TotpRemovalProof {
    /// A code from the app, or a recovery code.
    Code(String),
    /// The account's password.
    Password(String),
}

impl std::fmt::Debug for TotpRemovalBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let proof = match self.proof {
            TotpRemovalProof::Code(_) => "code",
            TotpRemovalProof::Password(_) => "password",
        };
        f.debug_struct("TotpRemovalBody")
            .field("proof", &proof)
            .field("format", &self.format)
            .finish()
    }
}

impl TotpRemovalBody {
    /// Parses a body of `format`: a non-empty `code` wins over `password`.
    pub fn parse(format: BodyFormat, bytes: &[u8]) -> Result<Self, WebError> {
        let mut fields = parse_fields(format, bytes)?;
        let code = take_optional(&mut fields, "code")?;
        let password = take_optional(&mut fields, "password")?;
        let proof = match (code, password) {
            (Some(code), _) => TotpRemovalProof::Code(code),
            (None, Some(password)) => TotpRemovalProof::Password(password),
            (None, None) => return Err(WebError::unprocessable(
                "Field `code` (a code from the app or a recovery code) or `password` is required.",
            )),
        };
        Ok(TotpRemovalBody { proof, format })
    }
}

crate::body::body_from_request!(TotpRemovalBody);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_or_a_password_and_neither_is_shown() {
        let body =
            TotpRemovalBody::parse(BodyFormat::Form, b"code=&password=hunter2hunter2").unwrap();
        assert!(matches!(&body.proof, TotpRemovalProof::Password(p) if p == "hunter2hunter2"));
        assert!(!format!("{body:?}").contains("hunter2"));
        let body = TotpRemovalBody::parse(BodyFormat::Json, br#"{"code": "123456"}"#).unwrap();
        assert!(matches!(&body.proof, TotpRemovalProof::Code(c) if c == "123456"));
        let neither = TotpRemovalBody::parse(BodyFormat::Json, b"{}").unwrap_err();
        assert!(neither.message().contains("`password`"));
    }
}
