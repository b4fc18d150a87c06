//! What the login flow costs beyond argon2 (filled in below).

fn main() {}
