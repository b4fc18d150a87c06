//! The `next` parameter: where to send the user after login, only ever inside the site.

use percent_encoding::percent_decode_str;
use url::{Position, Url};

/// The longest `next` accepted, in bytes.
pub const MAX_NEXT_LEN: usize = 2048;

/// How many rounds of percent-decoding are inspected (`%252F` is `%2F` is `/`).
const DECODE_ROUNDS: usize = 4;

/// A base no real site has: a `next` that leaves it is leaving the site.
const PROBE_BASE: &str = "http://next.invalid/";

/// Why a `next` value was refused. For logs and tests; the client is simply sent to
/// the default page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnsafeNext {
    /// Empty, or longer than [`MAX_NEXT_LEN`].
    #[error("empty or too long")]
    Length,
    /// Does not start with a single `/` (absolute URLs, `javascript:`, bare names).
    #[error("not a path starting with a single `/`")]
    NotRootRelative,
    /// Starts with `//` or `/\`: a browser reads it as another host.
    #[error("scheme-relative (`//` or `/\\`)")]
    SchemeRelative,
    /// Holds a backslash, which browsers read as `/`.
    #[error("holds a backslash")]
    Backslash,
    /// Holds a control character or whitespace, which browsers strip or mangle.
    #[error("holds a control character or whitespace")]
    ControlOrWhitespace,
    /// Percent-decodes to something unsafe, or to bytes that are not UTF-8.
    #[error("unsafe once percent-decoded")]
    Encoded,
    /// A URL parser resolves it to another origin.
    #[error("resolves to another origin")]
    OtherOrigin,
}

/// Checks a `next` value and returns the path to redirect to, or why it is unsafe.
///
/// Accepted: a path starting with exactly one `/`, without backslashes, control
/// characters or whitespace, whose every percent-decoding (up to four rounds) is just
/// as clean, and which a WHATWG URL parser (the `url` crate, as browsers parse)
/// resolves to the same origin. The result is that parser's serialization of the path,
/// query and fragment (non-ASCII percent-encoded, dot segments resolved), which passes
/// the same checks again: safe for a `Location` header.
///
/// ```
/// use auth_hooks_axum::next::{validate_next, UnsafeNext};
///
/// assert_eq!(validate_next("/account?tab=keys").as_deref(), Ok("/account?tab=keys"));
/// assert_eq!(validate_next("//evil.com"), Err(UnsafeNext::SchemeRelative));
/// assert_eq!(validate_next("https://evil.com"), Err(UnsafeNext::NotRootRelative));
/// assert_eq!(validate_next("/%2F%2Fevil.com"), Err(UnsafeNext::Encoded));
/// ```
pub fn validate_next(raw: &str) -> Result<String, UnsafeNext> {
    if raw.is_empty() || raw.len() > MAX_NEXT_LEN {
        return Err(UnsafeNext::Length);
    }
    check_every_decoding(raw)?;

    let base = Url::parse(PROBE_BASE).expect("the probe base is a valid URL");
    let resolved = base.join(raw).map_err(|_| UnsafeNext::OtherOrigin)?;
    if resolved.origin() != base.origin() {
        return Err(UnsafeNext::OtherOrigin);
    }
    let path = resolved[Position::BeforePath..].to_owned();
    // Resolving removes dot segments, which can leave an empty first segment:
    // `/a/..//evil.com` (or `/%2e%2e//evil.com`) becomes `//evil.com`, another host
    // in a `Location` header. What is sent must pass every check itself.
    check_every_decoding(&path)?;
    Ok(path)
}

/// The form checks on `value` and on each of its percent-decodings: a consumer
/// further on may decode the value and redirect again, so every decoding must be as
/// safe as the value itself.
fn check_every_decoding(value: &str) -> Result<(), UnsafeNext> {
    check_form(value, Form::Raw)?;
    let mut current = value.to_owned();
    for _ in 0..DECODE_ROUNDS {
        let decoded = percent_decode_str(&current)
            .decode_utf8()
            .map_err(|_| UnsafeNext::Encoded)?
            .into_owned();
        if decoded == current {
            return Ok(());
        }
        check_form(&decoded, Form::Decoded).map_err(|_| UnsafeNext::Encoded)?;
        current = decoded;
    }
    // Encoded more deeply than anyone legitimately needs.
    Err(UnsafeNext::Encoded)
}

/// [`validate_next`], falling back to `default` for a missing or unsafe value (the
/// reason is logged at debug level).
pub fn next_or(raw: Option<&str>, default: &str) -> String {
    match raw.map(validate_next) {
        Some(Ok(path)) => path,
        Some(Err(reason)) => {
            tracing::debug!(reason = %auth_hooks::LogSafe(&reason), "unsafe `next` ignored");
            default.to_owned()
        }
        None => default.to_owned(),
    }
}

/// Which form of the value is checked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// As received: any whitespace is refused (browsers strip or mangle it).
    Raw,
    /// Percent-decoded: a decoded space (`%20`) is ordinary; controls are not.
    Decoded,
}

/// The checks every form of the value must pass.
fn check_form(value: &str, form: Form) -> Result<(), UnsafeNext> {
    let whitespace = |c: char| form == Form::Raw && c.is_whitespace();
    if value
        .chars()
        .any(|c| c.is_control() || whitespace(c) || is_invisible(c))
    {
        return Err(UnsafeNext::ControlOrWhitespace);
    }
    let mut chars = value.chars();
    if chars.next() != Some('/') {
        return Err(UnsafeNext::NotRootRelative);
    }
    if matches!(chars.next(), Some('/' | '\\')) {
        return Err(UnsafeNext::SchemeRelative);
    }
    if value.contains('\\') {
        return Err(UnsafeNext::Backslash);
    }
    Ok(())
}

/// Format characters that render as nothing (zero-width spaces and joiners, bidi
/// controls, the BOM): never needed in a path, and good at hiding what a link is.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn refused(raw: &str) -> UnsafeNext {
        match validate_next(raw) {
            Ok(path) => panic!("{raw:?} was accepted as {path:?}"),
            Err(reason) => reason,
        }
    }

    #[test]
    fn plain_site_paths_are_kept() {
        for (raw, expected) in [
            ("/", "/"),
            ("/me", "/me"),
            ("/account/keys?tab=2&x=y", "/account/keys?tab=2&x=y"),
            ("/search?q=a%20b", "/search?q=a%20b"),
            ("/docs#intro", "/docs#intro"),
            ("/a/b/../c", "/a/c"),
            ("/caf%C3%A9", "/caf%C3%A9"),
            ("/café", "/caf%C3%A9"),
            ("/@evil.com", "/@evil.com"),
            ("/javascript:alert(1)", "/javascript:alert(1)"),
        ] {
            assert_eq!(validate_next(raw).as_deref(), Ok(expected), "{raw:?}");
        }
    }

    #[test]
    fn absolute_urls_are_refused() {
        for raw in [
            "https://evil.com",
            "http://evil.com/me",
            "HTTPS://evil.com",
            "ftp://evil.com",
            "evil.com",
            "me",
            "./me",
            "../me",
        ] {
            assert_eq!(refused(raw), UnsafeNext::NotRootRelative, "{raw:?}");
        }
    }

    #[test]
    fn script_and_data_urls_are_refused() {
        for raw in [
            "javascript:alert(1)",
            "JavaScript:alert(document.cookie)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
        ] {
            assert_eq!(refused(raw), UnsafeNext::NotRootRelative, "{raw:?}");
        }
    }

    #[test]
    fn scheme_relative_urls_are_refused() {
        for raw in [
            "//evil.com",
            "//evil.com/me",
            "///evil.com",
            "/\\evil.com",
            "/\\/evil.com",
        ] {
            assert_eq!(refused(raw), UnsafeNext::SchemeRelative, "{raw:?}");
        }
    }

    #[test]
    fn dot_segments_collapsing_to_a_scheme_relative_path_are_refused() {
        // Resolving dot segments can leave an empty first segment: `/a/..//evil.com`
        // is `//evil.com`, which a browser reads as another host (found by cargo-fuzz).
        for raw in [
            "/a/..//evil.com",
            "/.//evil.com",
            "/./..//evil.com",
            "/a/b/../..//evil.com",
            "/%2e%2e//evil.com",
            "/a/%2E%2E//evil.com",
            "/%2e//evil.com",
            "/*a/..//eysb?+tab=1*",
        ] {
            assert_eq!(refused(raw), UnsafeNext::SchemeRelative, "{raw:?}");
        }
        // Dot segments that leave a path on the site are fine.
        assert_eq!(validate_next("/a/../b//c").as_deref(), Ok("/b//c"));
        assert_eq!(validate_next("/a/./b").as_deref(), Ok("/a/b"));
    }

    #[test]
    fn backslashes_are_refused_anywhere() {
        assert_eq!(refused("\\\\evil.com"), UnsafeNext::NotRootRelative);
        assert_eq!(refused("\\/evil.com"), UnsafeNext::NotRootRelative);
        assert_eq!(refused("/a\\b"), UnsafeNext::Backslash);
    }

    #[test]
    fn percent_encoded_tricks_are_refused() {
        for raw in [
            "/%2F%2Fevil.com",
            "/%2f%2fevil.com",
            "/%2Fevil.com",
            "/%5Cevil.com",
            "/%5cevil.com",
            "/%5C%5Cevil.com",
            "/a%5Cb",
            "/%252F%252Fevil.com",
            "/%25252F%25252Fevil.com",
            "/%09/evil.com",
            "/%0A/evil.com",
            "/%0d%0aSet-Cookie:x=1",
            "/%00",
            "/%E2%80%8B/evil.com",
            "/%ff",
        ] {
            assert_eq!(refused(raw), UnsafeNext::Encoded, "{raw:?}");
        }
        // Encoded at the start: not a path at all.
        assert_eq!(refused("%2F%2Fevil.com"), UnsafeNext::NotRootRelative);
        assert_eq!(refused("%5C%5Cevil.com"), UnsafeNext::NotRootRelative);
    }

    #[test]
    fn control_characters_and_whitespace_are_refused() {
        for raw in [
            "/\t/evil.com",
            "/\n/evil.com",
            "/\r\n/evil.com",
            "/ /evil.com",
            " //evil.com",
            "\t//evil.com",
            "/me\u{0}",
            "/me\u{7f}",
            "/\u{85}/evil.com",
            "/\u{a0}/evil.com",
            "/\u{3000}/evil.com",
            "/\u{200b}/evil.com",
            "/\u{202e}moc.live",
            "\u{feff}//evil.com",
        ] {
            assert_eq!(
                refused(raw),
                UnsafeNext::ControlOrWhitespace,
                "{}",
                raw.escape_debug()
            );
        }
    }

    #[test]
    fn empty_and_oversized_values_are_refused() {
        assert_eq!(refused(""), UnsafeNext::Length);
        let long = format!("/{}", "a".repeat(MAX_NEXT_LEN));
        assert_eq!(refused(&long), UnsafeNext::Length);
    }

    #[test]
    fn next_or_falls_back_to_the_default() {
        assert_eq!(next_or(Some("/me"), "/"), "/me");
        assert_eq!(next_or(Some("//evil.com"), "/"), "/");
        assert_eq!(next_or(None, "/home"), "/home");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn whatever_is_accepted_stays_on_the_site(raw in r"[/\\%a-zA-Z0-9:.@?#&=\t \n2FfCc5-]{0,24}") {
            if let Ok(path) = validate_next(&raw) {
                prop_assert!(path.starts_with('/'), "{:?} -> {:?}", raw, path);
                prop_assert!(!path.starts_with("//") && !path.starts_with("/\\"), "{:?} -> {:?}", raw, path);
                let base = Url::parse("https://site.example/").unwrap();
                prop_assert_eq!(base.join(&path).unwrap().origin(), base.origin());
                // And once more after decoding, as a careless consumer might.
                let decoded = percent_decode_str(&path).decode_utf8_lossy().into_owned();
                prop_assert!(!decoded.starts_with("//") && !decoded.starts_with("/\\"), "{:?} -> {:?}", raw, decoded);
            }
        }

        #[test]
        fn dot_segments_never_resolve_to_another_host(
            segments in proptest::collection::vec(
                prop_oneof![Just("a"), Just("."), Just(".."), Just(""), Just("%2e"), Just("%2E%2e"), Just("evil.com")],
                1..8,
            )
        ) {
            let raw = format!("/{}", segments.join("/"));
            if let Ok(path) = validate_next(&raw) {
                prop_assert!(!path.starts_with("//"), "{:?} -> {:?}", raw, path);
            }
        }

        #[test]
        fn arbitrary_input_never_panics(raw in any::<String>()) {
            let _ = validate_next(&raw);
        }
    }
}
