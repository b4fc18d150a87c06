//! `validate_next` on any UTF-8 text: never a panic, and whatever it accepts stays on
//! the site, also once percent-decoded by a careless consumer.

#![no_main]

use auth_hooks_axum::next::{validate_next, MAX_NEXT_LEN};
use libfuzzer_sys::fuzz_target;
use percent_encoding::percent_decode_str;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(path) = validate_next(raw) else {
        return;
    };
    assert!(!raw.is_empty() && raw.len() <= MAX_NEXT_LEN);
    assert!(path.starts_with('/'), "{raw:?} -> {path:?}");
    assert!(
        !path.starts_with("//") && !path.starts_with("/\\"),
        "{raw:?} -> {path:?}"
    );
    let base = Url::parse("https://site.example/").unwrap();
    let resolved = base.join(&path).unwrap();
    assert_eq!(resolved.origin(), base.origin(), "{raw:?} -> {path:?}");
    let decoded = percent_decode_str(&path).decode_utf8_lossy();
    assert!(
        !decoded.starts_with("//") && !decoded.starts_with("/\\"),
        "{raw:?} -> {decoded:?}"
    );
    assert!(
        !decoded.chars().any(char::is_control),
        "{raw:?} -> {decoded:?}"
    );
});
