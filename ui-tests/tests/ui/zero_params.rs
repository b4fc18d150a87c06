use auth_hooks::on_login;

#[on_login]
fn audit() {}

fn main() {}
