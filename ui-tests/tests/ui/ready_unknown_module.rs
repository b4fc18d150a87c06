fn main() {
    let _hooks = auth_hooks::ready!(crate::does_not_exist);
}
