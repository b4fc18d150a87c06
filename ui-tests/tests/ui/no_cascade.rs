// One mistake, one error: the fn is still emitted, so the call in `main` resolves and
// type-checks, and the wrong parameter type gives no "mismatched types" error.
use auth_hooks::on_login;

#[on_login]
fn audit(ctx: &str) {
    let _ = ctx.len();
}

fn main() {
    audit("still callable");
}
