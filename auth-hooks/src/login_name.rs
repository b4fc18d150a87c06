//! The one form of a login name that hooks, stores and the lockout all compare.

use unicode_normalization::UnicodeNormalization;

/// The fields a login name is read from, in order: the first string among them.
pub const LOGIN_FIELDS: [&str; 3] = ["username", "email", "login"];

/// The normalized form of a typed login name: Unicode NFKC, lower-cased, NFKC again,
/// without the characters that show nothing ([`hides_text`](crate::hides_text):
/// controls, zero-width characters, bidi marks, fillers…), then trimmed of white space.
/// `ＡＤＡ`, `ADA `, `a\u{200b}da` and `ada` are all `ada`: one account, one lockout
/// count, however a store with its own collation compares names. (Lookalikes from
/// other scripts, such as a Cyrillic `а`, stay distinct names.)
///
/// Credentials are normalized once, when they are built (`Credentials` in
/// `auth-hooks-flow`, and [`AuthHookContextBuilder::credentials`](crate::AuthHookContextBuilder::credentials)),
/// so [`AuthHookContext::username`](crate::AuthHookContext::username), the stores and
/// the built-in lockout see the same name: a deny-list hook comparing
/// `ctx.username() == Some("mallory")` refuses `Mallory` and `ｍａｌｌｏｒｙ` too.
/// Idempotent: a normalized name normalizes to itself.
///
/// ```
/// use auth_hooks::normalize_login;
///
/// assert_eq!(normalize_login("ＡＤＡ"), "ada");
/// assert_eq!(normalize_login("a\u{200b}d\u{202e}a\u{e0041}"), "ada");
/// assert_eq!(normalize_login("  Ada@Example.COM "), "ada@example.com");
/// assert_eq!(normalize_login(&normalize_login("Ǆemal")), normalize_login("Ǆemal"));
/// ```
pub fn normalize_login(raw: &str) -> String {
    let folded: String = raw.nfkc().collect::<String>().to_lowercase();
    let normalized: String = folded.nfkc().filter(|c| !crate::hides_text(*c)).collect();
    normalized.trim().to_owned()
}

/// Normalizes, in place, every [login field](LOGIN_FIELDS) of a credentials object
/// (anything else is left as it is).
pub fn normalize_login_fields(credentials: &mut serde_json::Value) {
    let Some(fields) = credentials.as_object_mut() else {
        return;
    };
    for key in LOGIN_FIELDS {
        if let Some(serde_json::Value::String(login)) = fields.get_mut(key) {
            let normalized = normalize_login(login);
            if *login != normalized {
                *login = normalized;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn width_case_and_space_variants_are_one_name() {
        for variant in [
            "ａｄａ",
            "ADA ",
            "ada",
            "\tAdA\n",
            "ＡＤＡ",
            "a\u{200b}da",
            "\u{2060}ad\u{ad}a",
        ] {
            assert_eq!(normalize_login(variant), "ada", "{variant:?}");
        }
        assert_ne!(normalize_login("ada"), normalize_login("adb"));
    }

    proptest! {
        #[test]
        fn normalizing_is_idempotent(raw in "\\PC{0,12}") {
            let once = normalize_login(&raw);
            prop_assert_eq!(normalize_login(&once), once.clone());
        }
    }
}
