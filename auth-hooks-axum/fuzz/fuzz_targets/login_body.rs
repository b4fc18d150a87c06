//! `LoginBody::parse` on any bytes, as JSON and as a form: never a panic; an error is a
//! 400 or 422 with a short one-line message; an accepted body has a string login and
//! password.

#![no_main]

use auth_hooks_axum::{BodyFormat, LoginBody};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for format in [BodyFormat::Json, BodyFormat::Form] {
        match LoginBody::parse(format, data) {
            Ok(body) => {
                assert_eq!(body.format, format);
                assert!(body.fields["password"].is_string());
                assert!(["username", "email", "login"]
                    .iter()
                    .find_map(|key| body.fields.get(*key))
                    .is_some_and(|login| login.is_string()));
                assert!(!body.fields.contains_key("remember") && !body.fields.contains_key("next"));
                let _ = format!("{body:?}");
            }
            Err(error) => {
                let status = error.status().as_u16();
                assert!(status == 400 || status == 422, "{status}");
                let message = error.message();
                assert!(!message.is_empty() && message.len() <= 160, "{message:?}");
                assert!(!message.chars().any(char::is_control), "{message:?}");
            }
        }
    }
});
