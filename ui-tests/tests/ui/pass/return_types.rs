// Every return type a hook may have, sync and async.
use std::error::Error;

use auth_hooks::{
    before_authenticate, before_login, before_register, on_login, on_login_failed,
    on_password_change, on_refresh, on_register, AuthHookContext, AuthHookReject, HookError,
};

#[on_login]
fn unit(_ctx: &AuthHookContext) {}

#[on_login]
fn explicit_unit(_ctx: &AuthHookContext) -> () {}

#[before_login]
fn reject(_ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
    Err(AuthHookReject::new("no"))
}

#[on_login]
fn io_error(_ctx: &AuthHookContext) -> Result<(), std::io::Error> {
    Ok(())
}

#[on_login]
fn boxed(_ctx: &AuthHookContext) -> Result<(), Box<dyn Error + Send + Sync>> {
    Ok(())
}

#[before_login]
fn both(_ctx: &AuthHookContext) -> Result<(), HookError> {
    Err(AuthHookReject::default())?;
    Ok(())
}

#[on_login]
fn string(_ctx: &AuthHookContext) -> Result<(), String> {
    Err("failed".to_owned())
}

#[before_login]
async fn async_reject(_ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
    Ok(())
}

#[on_login]
async fn async_boxed(_ctx: &AuthHookContext) -> Result<(), Box<dyn Error + Send + Sync>> {
    Ok(())
}

#[before_authenticate]
fn gate_reject(_ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
    Ok(())
}

#[before_authenticate(priority = 5, timeout_ms = 100)]
async fn async_gate(_ctx: &AuthHookContext) -> Result<(), HookError> {
    Ok(())
}

/// `HookError` stays allowed after the fact: a failure is what it reports there.
#[on_login_failed]
fn count(_ctx: &AuthHookContext) -> Result<(), HookError> {
    Ok(())
}

#[on_refresh]
fn refresh_reject(_ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
    Ok(())
}

#[before_register]
async fn register_reject(_ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
    Ok(())
}

#[on_register]
fn welcome(_ctx: &AuthHookContext) -> Result<(), std::io::Error> {
    Ok(())
}

#[on_password_change]
async fn notify(_ctx: &AuthHookContext) {}

fn main() {}
