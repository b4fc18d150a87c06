//! The state the routes and extractors need: the flow and the web configuration.

use std::sync::Arc;

use auth_hooks_flow::AuthFlow;

use crate::WebConfig;

/// The flow and the web configuration, cheap to clone.
///
/// The routes use it as their state. The extractors ([`CurrentUser`](crate::CurrentUser),
/// [`LoginRequired`](crate::LoginRequired), …) work in any application whose state
/// provides it through [`FromRef`](axum::extract::FromRef):
///
/// ```ignore
/// #[derive(Clone, axum::extract::FromRef)]
/// struct AppState { auth: auth_hooks_axum::AuthState, db: Db }
/// ```
#[derive(Debug, Clone)]
pub struct AuthState {
    flow: Arc<AuthFlow>,
    config: Arc<WebConfig>,
}

impl AuthState {
    /// State for `flow` with `config`.
    pub fn new(flow: AuthFlow, config: WebConfig) -> Self {
        Self::shared(Arc::new(flow), config)
    }

    /// State for a flow already shared. A "remember me" cookie lives as long as the
    /// flow's sessions, unless the config's cookie says otherwise; the CSRF check and
    /// the cookie's name follow [`WebConfig::https`].
    pub fn shared(flow: Arc<AuthFlow>, mut config: WebConfig) -> Self {
        if let Some(sessions) = flow.sessions() {
            config.cookie = config.cookie.default_remember_for(sessions.config().ttl);
        }
        config.csrf = config.csrf.https(config.https);
        config.cookie = config.cookie.served_over_https(config.https);
        AuthState {
            flow,
            config: Arc::new(config),
        }
    }

    /// The login flow.
    pub fn flow(&self) -> &AuthFlow {
        &self.flow
    }

    /// The web configuration.
    pub fn config(&self) -> &WebConfig {
        &self.config
    }
}
