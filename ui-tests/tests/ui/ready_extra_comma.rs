mod security {}

fn main() {
    let _hooks = auth_hooks::ready!(crate::security,, crate::audit);
}
