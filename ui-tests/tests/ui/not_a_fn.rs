use auth_hooks::on_login;

#[on_login]
struct Audit;

fn main() {}
