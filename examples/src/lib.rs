//! Runnable examples of auth-hooks: see `examples/`.
