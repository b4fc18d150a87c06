use auth_hooks::on_login;

#[on_login]
fn audit(_ctx: &String) {}

fn main() {}
