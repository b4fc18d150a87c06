use auth_hooks::{on_register, AuthHookContext, AuthHookReject};

#[on_register]
fn invite_only(_ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
    Err(AuthHookReject::new("Sign-up needs an invitation."))
}

fn main() {}
