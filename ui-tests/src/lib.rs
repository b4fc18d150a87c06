//! Compile-fail tests live in `tests/ui`; the harness is `tests/ui.rs`.
