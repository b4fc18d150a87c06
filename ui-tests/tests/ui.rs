//! Every misuse of the macros is a compile error that points at the offending token, and
//! every allowed form compiles.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
