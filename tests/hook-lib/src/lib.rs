//! Hooks in a library crate the test binaries name only through `ready!`.
