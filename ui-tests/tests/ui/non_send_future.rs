use std::rc::Rc;

use auth_hooks::{on_login, AuthHookContext};

async fn record(_count: usize) {}

#[on_login]
async fn audit(_ctx: &AuthHookContext) {
    let seen = Rc::new(1);
    record(*seen).await;
    drop(seen);
}

fn main() {}
