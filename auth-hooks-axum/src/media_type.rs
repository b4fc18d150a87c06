//! Reading a request's `Content-Type` as a media type (RFC 9110 §8.3.1), not as text.

use axum::http::{header, HeaderMap};

/// Whether the request declares exactly one `Content-Type` and its media type is
/// `application/json`: type and subtype compared without regard to case, parameters
/// (`charset=utf-8`) allowed, a structured suffix (`application/json-patch+json`) or
/// another type (`text/plain`) not. Two `Content-Type` headers, or one that does not
/// parse, are not JSON.
///
/// This is the content type a page can only send cross-origin after a CORS preflight.
pub(crate) fn is_exactly_json(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    let Some(media_type) = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<mime::Mime>().ok())
    else {
        return false;
    };
    media_type.type_() == mime::APPLICATION
        && media_type.subtype() == mime::JSON
        && media_type.suffix().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn json(values: &[&'static str]) -> bool {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::CONTENT_TYPE, HeaderValue::from_static(value));
        }
        is_exactly_json(&headers)
    }

    #[test]
    fn application_json_with_parameters_in_any_case_is_json() {
        for value in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            " application/json ",
            "application/json; charset=\"utf-8\"",
        ] {
            assert!(json(&[value]), "{value}");
        }
    }

    #[test]
    fn other_media_types_and_lookalikes_are_not() {
        for value in [
            "text/plain",
            "text/plain; charset=utf-8",
            "application/json-patch+json",
            "application/ld+json",
            "application/jsonx",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json, text/plain",
            "json",
            "",
        ] {
            assert!(!json(&[value]), "{value}");
        }
        assert!(!json(&[]), "no Content-Type");
        assert!(
            !json(&["application/json", "text/plain"]),
            "two Content-Type headers"
        );
    }
}
