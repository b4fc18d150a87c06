fn main() {
    let _hooks = auth_hooks::ready!("crate::security");
}
