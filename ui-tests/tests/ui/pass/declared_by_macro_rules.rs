// Hooks written by the application's own `macro_rules!` expand like hand-written ones.
use auth_hooks::{before_login, AuthHookContext, AuthHookReject};

macro_rules! deny_user {
    ($fn_name:ident, $user:literal) => {
        #[before_login]
        fn $fn_name(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
            match ctx.username() {
                Some($user) => Err(AuthHookReject::new("Not allowed.")),
                _ => Ok(()),
            }
        }
    };
}

deny_user!(deny_root, "root");
deny_user!(deny_admin, "admin");

fn main() {}
