//! An IP rule hook.

use auth_hooks::{before_login, on_login, AuthHookContext, AuthHookReject};

use crate::Trail;

/// Refuses the documentation range 192.0.2.0/24.
#[before_login(backend = "password")]
pub async fn deny_test_net(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
    Trail::record(ctx, "ip_rules::deny_test_net");
    let blocked = ctx
        .request()
        .and_then(|r| r.client_ip)
        .is_some_and(|ip| ip.to_string().starts_with("192.0.2."));
    if blocked {
        return Err(AuthHookReject::new(
            "Logins from this network are not allowed.",
        ));
    }
    Ok(())
}

/// Runs on login, in the second file by path order.
#[on_login]
pub fn login_ip(ctx: &AuthHookContext) {
    Trail::record(ctx, "ip_rules::login");
}
