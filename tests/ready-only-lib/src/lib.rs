//! Hooks that `tests/tests/linked_by_ready.rs` reaches only through `ready!`: no other
//! item of this crate is named there, so without the `use` that `ready!` writes the
//! compiler would not link this crate and its hooks would vanish.

/// A gate that refuses everyone, so a test can see it ran.
pub mod gate {
    use auth_hooks::{before_login, AuthHookContext, AuthHookReject};

    /// What the gate answers.
    pub const MESSAGE: &str = "refused by ready-only-lib";

    /// Refuses every login.
    #[before_login]
    pub fn refuse_everyone(_: &AuthHookContext) -> Result<(), AuthHookReject> {
        Err(AuthHookReject::new(MESSAGE))
    }
}
