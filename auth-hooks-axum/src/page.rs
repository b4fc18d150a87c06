//! The built-in pages: a login form and a "signed in as" page. Plain HTML, every value
//! escaped by `maud`, no script; their one inline stylesheet is allowed by its hash in
//! the [content security policy](crate::security_headers()).

use auth_hooks_flow::SessionData;
use maud::{html, Markup, DOCTYPE};

use crate::WebConfig;

/// What the login page shows besides the form.
#[derive(Debug, Default, Clone)]
pub struct LoginPage<'a> {
    /// An error to show above the form (already client-safe).
    pub error: Option<&'a str>,
    /// The login name to fill in again after a failed attempt.
    pub username: Option<&'a str>,
    /// A validated `next`, sent back with the form.
    pub next: Option<&'a str>,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}\
label{display:block;margin:.6rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.4rem}\
button{margin-top:1rem;padding:.4rem 1rem}.error{color:#a00;font-weight:600}";

/// The base64 SHA-256 of [`STYLE`], as the content security policy names it: a macro,
/// for `concat!` (a test recomputes it: change the style and the test says the new hash).
macro_rules! style_hash {
    () => {
        "uL4BgzmzboQRjftk3lI7io4ypnJDTveSnNM6ksavBEs="
    };
}
pub(crate) use style_hash;

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (STYLE) }
            }
            body { (body) }
        }
    }
}

/// The login form, posting to the configured login path.
pub fn login_page(config: &WebConfig, page: &LoginPage<'_>) -> Markup {
    layout(
        "Sign in",
        html! {
            h1 { "Sign in" }
            @if let Some(error) = page.error {
                p.error id="error" role="alert" { (error) }
            }
            form id="login" method="post" action=(config.login_path()) {
                label for="username" { "Username" }
                input type="text" id="username" name="username" autocomplete="username" required value=[page.username];
                label for="password" { "Password" }
                input type="password" id="password" name="password" autocomplete="current-password" required;
                label { input type="checkbox" id="remember" name="remember"; " Remember me" }
                @if let Some(next) = page.next {
                    input type="hidden" name="next" value=(next);
                }
                button type="submit" id="submit" { "Sign in" }
            }
        },
    )
}

/// The "signed in as" page, with a logout button.
pub fn me_page(
    config: &WebConfig,
    user_id: &str,
    login: Option<&str>,
    via: &str,
    session_data: Option<&SessionData>,
) -> Markup {
    layout(
        "Your account",
        html! {
            h1 { "Your account" }
            p id="whoami" { "Signed in as " strong { (login.unwrap_or(user_id)) } " (user id " code { (user_id) } ", by " (via) ")." }
            @if let Some(data) = session_data.filter(|d| !d.is_empty()) {
                h2 { "Your session" }
                dl id="session-data" {
                    @for (key, value) in data.as_map() {
                        dt { (key) }
                        dd { code { (value.to_string()) } }
                    }
                }
            }
            form id="logout" method="post" action=(config.logout_path()) {
                button type="submit" id="logout-button" { "Sign out" }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        let page = login_page(
            &WebConfig::default(),
            &LoginPage {
                error: Some("<script>alert(1)</script>"),
                username: Some("\"><img src=x>"),
                next: Some("/me?a=\"b\""),
            },
        )
        .into_string();
        assert!(
            !page.contains("<script>alert") && !page.contains("<img"),
            "{page}"
        );
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains(r#"value="/me?a=&quot;b&quot;""#), "{page}");
    }

    #[test]
    fn the_inline_stylesheet_has_the_hash_the_policy_allows() {
        use base64::Engine;
        use sha2::Digest;
        let page = login_page(&WebConfig::default(), &LoginPage::default()).into_string();
        let style = page
            .split_once("<style>")
            .and_then(|(_, rest)| rest.split_once("</style>"))
            .map(|(style, _)| style)
            .expect("the page has one stylesheet");
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style));
        assert_eq!(hash, style_hash!());
        assert!(
            !page.contains("<script") && !page.contains(" style="),
            "{page}"
        );
    }

    #[test]
    fn login_form_posts_to_the_configured_path() {
        let config = WebConfig::default().with_login_path("/auth/login");
        let page = login_page(&config, &LoginPage::default()).into_string();
        assert!(page.contains(r#"action="/auth/login""#));
        assert!(!page.contains("id=\"error\""));
    }
}
