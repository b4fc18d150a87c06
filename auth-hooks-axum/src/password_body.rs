//! The password change request body, as JSON or as an HTML form.

use crate::body::{parse_fields, take_required};
use crate::{BodyFormat, WebError};

/// A password change: `current_password` and `new_password`, as
/// `application/json` or `application/x-www-form-urlencoded` (with the errors of
/// [`LoginBody`](crate::LoginBody)). `Debug` never shows the passwords.
pub struct PasswordChangeBody {
    /// The password the user has now.
    pub current_password: String,
    /// The password they want.
    pub new_password: String,
    /// JSON or form.
    pub format: BodyFormat,
}

impl std::fmt::Debug for PasswordChangeBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChangeBody")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl PasswordChangeBody {
    /// Parses a body of `format`.
    pub fn parse(format: BodyFormat, bytes: &[u8]) -> Result<Self, WebError> {
        let mut fields = parse_fields(format, bytes)?;
        Ok(PasswordChangeBody {
            current_password: take_required(&mut fields, "current_password")?,
            new_password: take_required(&mut fields, "new_password")?,
            format,
        })
    }
}

crate::body::body_from_request!(PasswordChangeBody);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_and_forms_and_names_what_is_missing() {
        let body = PasswordChangeBody::parse(
            BodyFormat::Json,
            br#"{"current_password": "old one", "new_password": "new one"}"#,
        )
        .unwrap();
        assert_eq!(
            (&*body.current_password, &*body.new_password),
            ("old one", "new one")
        );
        let body =
            PasswordChangeBody::parse(BodyFormat::Form, b"current_password=a%26b&new_password=c")
                .unwrap();
        assert_eq!(body.current_password, "a&b");
        assert!(!format!("{body:?}").contains("a&b"));

        let missing = PasswordChangeBody::parse(BodyFormat::Json, br#"{"current_password": "x"}"#)
            .unwrap_err();
        assert_eq!(
            missing.message(),
            "Field `new_password` is required and must be a string."
        );
        let not_a_string = PasswordChangeBody::parse(
            BodyFormat::Json,
            br#"{"current_password": 1, "new_password": "x"}"#,
        )
        .unwrap_err();
        assert!(not_a_string.message().contains("`current_password`"));
    }
}
