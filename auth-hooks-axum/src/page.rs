//! The built-in pages: login, registration, password change and "signed in as". Plain
//! HTML, every value
//! escaped by `maud`, no script; their one inline stylesheet is allowed by its hash in
//! the [content security policy](crate::security_headers()).

use auth_hooks_flow::SessionData;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::config::Registration;
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
            @if config.registration != Registration::Closed {
                p { "New here? " a id="register-link" href=(config.register_path()) { "Create an account" } }
            }
        },
    )
}

/// What the registration page shows besides the form.
#[derive(Debug, Default, Clone)]
pub struct RegisterPage<'a> {
    /// An error to show above the form (already client-safe).
    pub error: Option<&'a str>,
    /// The login name to fill in again after a refused attempt.
    pub username: Option<&'a str>,
    /// The e-mail address to fill in again.
    pub email: Option<&'a str>,
}

/// The registration form, posting to the configured register path.
pub fn register_page(config: &WebConfig, page: &RegisterPage<'_>) -> Markup {
    layout(
        "Create an account",
        html! {
            h1 { "Create an account" }
            @if let Some(error) = page.error {
                p.error id="error" role="alert" { (error) }
            }
            form id="register" method="post" action=(config.register_path()) {
                label for="username" { "Username" }
                input type="text" id="username" name="username" autocomplete="username" required value=[page.username];
                label for="email" { "E-mail (optional)" }
                input type="text" id="email" name="email" autocomplete="email" value=[page.email];
                label for="password" { "Password (at least 8 characters)" }
                input type="password" id="password" name="password" autocomplete="new-password" required minlength="8";
                button type="submit" id="submit" { "Create account" }
            }
            p { "Have an account? " a href=(config.login_path()) { "Sign in" } }
        },
    )
}

/// The page after a registration was accepted: the same for a new name and a taken one.
pub fn registered_page(config: &WebConfig, message: &str) -> Markup {
    layout(
        "Account created",
        html! {
            h1 { "Thank you" }
            p id="notice" role="status" { (message) }
            p { a id="login-link" href=(config.login_path()) { "Sign in" } }
        },
    )
}

/// What the password change page shows besides the form.
#[derive(Debug, Default, Clone)]
pub struct PasswordPage<'a> {
    /// An error to show above the form (already client-safe).
    pub error: Option<&'a str>,
    /// A notice to show (the password was changed).
    pub notice: Option<&'a str>,
}

/// The password change form, posting to the configured password path.
pub fn password_page(config: &WebConfig, page: &PasswordPage<'_>) -> Markup {
    layout(
        "Change your password",
        html! {
            h1 { "Change your password" }
            @if let Some(error) = page.error {
                p.error id="error" role="alert" { (error) }
            }
            @if let Some(notice) = page.notice {
                p id="notice" role="status" { (notice) }
            }
            form id="password" method="post" action=(config.password_path()) {
                label for="current_password" { "Current password" }
                input type="password" id="current_password" name="current_password" autocomplete="current-password" required;
                label for="new_password" { "New password (at least 8 characters)" }
                input type="password" id="new_password" name="new_password" autocomplete="new-password" required minlength="8";
                button type="submit" id="submit" { "Change password" }
            }
            p { a href=(config.me_path()) { "Back to your account" } }
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
            p { a id="password-link" href=(config.password_path()) { "Change your password" } }
            p { a id="second-factor-link" href=(config.second_factor_path()) { "Two-step sign-in" } }
            form id="logout" method="post" action=(config.logout_path()) {
                button type="submit" id="logout-button" { "Sign out" }
            }
        },
    )
}

/// What the code page of a challenged login shows.
#[derive(Debug, Default, Clone)]
pub struct SecondFactorPage<'a> {
    /// An error to show above the form (already client-safe).
    pub error: Option<&'a str>,
    /// The continuation, sent back with the code (a hidden field).
    pub continuation: &'a str,
    /// A validated `next`, sent back with the form.
    pub next: Option<&'a str>,
    /// "Remember me" from the first step.
    pub remember: bool,
}

/// The second step of a login: the code from the authenticator app (or a recovery
/// code), posting to the configured second-factor path.
pub fn second_factor_page(config: &WebConfig, page: &SecondFactorPage<'_>) -> Markup {
    layout(
        "Enter your code",
        html! {
            h1 { "Enter your code" }
            @if let Some(error) = page.error {
                p.error id="error" role="alert" { (error) }
            }
            p { "Open your authenticator app and enter the 6-digit code, or one of your recovery codes." }
            form id="second-factor" method="post" action=(config.login_second_factor_path()) {
                input type="hidden" name="continuation" value=(page.continuation);
                label for="code" { "Code" }
                input type="text" id="code" name="code" autocomplete="one-time-code" inputmode="numeric" required;
                @if page.remember {
                    input type="hidden" name="remember" value="on";
                }
                @if let Some(next) = page.next {
                    input type="hidden" name="next" value=(next);
                }
                button type="submit" id="submit" { "Verify" }
            }
            p { a href=(config.login_path()) { "Start over" } }
        },
    )
}

/// What the second-factor settings page shows.
#[derive(Debug, Default, Clone)]
pub struct TotpPage<'a> {
    /// An error to show (already client-safe).
    pub error: Option<&'a str>,
    /// A notice to show.
    pub notice: Option<&'a str>,
    /// Whether an authenticator app is set up.
    pub enrolled: bool,
    /// A started enrollment: the `otpauth://` URI, the base32 secret and the QR code.
    pub setup: Option<(&'a str, &'a str, Option<&'a str>)>,
    /// Recovery codes just made, shown once.
    pub recovery_codes: &'a [&'a str],
}

/// The second-factor settings: set up an authenticator app (a QR code, an inline
/// `<svg>`, no script), confirm it with a first code, see the recovery codes once, or
/// remove it with a code.
pub fn totp_page(config: &WebConfig, page: &TotpPage<'_>) -> Markup {
    let base = config.second_factor_path();
    layout(
        "Two-step sign-in",
        html! {
            h1 { "Two-step sign-in" }
            @if let Some(error) = page.error {
                p.error id="error" role="alert" { (error) }
            }
            @if let Some(notice) = page.notice {
                p id="notice" role="status" { (notice) }
            }
            @if !page.recovery_codes.is_empty() {
                h2 { "Your recovery codes" }
                p { "Each works once, instead of a code from the app. Keep them somewhere safe: they are not shown again." }
                ul id="recovery-codes" {
                    @for code in page.recovery_codes { li { code { (code) } } }
                }
            }
            @if let Some((uri, secret, qr)) = page.setup {
                p { "Scan this code with your authenticator app, or type the key by hand, then enter the app's first code." }
                @if let Some(qr) = qr {
                    div id="qr" { (PreEscaped(qr)) }
                }
                p { "Key: " code id="totp-secret" { (secret) } }
                p { a id="otpauth" href=(uri) { "Open in an authenticator app" } }
                form id="confirm" method="post" action=(format!("{base}/totp/confirm")) {
                    label for="code" { "Code" }
                    input type="text" id="code" name="code" autocomplete="one-time-code" inputmode="numeric" required;
                    button type="submit" id="submit" { "Confirm" }
                }
            } @else if page.enrolled {
                p id="status" { "An authenticator app is set up: every sign-in asks for its code." }
                form id="remove" method="post" action=(format!("{base}/totp/remove")) {
                    label for="code" { "A code from the app (or a recovery code)" }
                    input type="text" id="code" name="code" autocomplete="one-time-code";
                    label for="password" { "or your password" }
                    input type="password" id="password" name="password" autocomplete="current-password";
                    button type="submit" id="submit" { "Remove" }
                }
            } @else {
                p id="status" { "No authenticator app is set up." }
                form id="start" method="post" action=(format!("{base}/totp")) {
                    button type="submit" id="submit" { "Set up an authenticator app" }
                }
            }
            p { a href=(config.me_path()) { "Back to your account" } }
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
