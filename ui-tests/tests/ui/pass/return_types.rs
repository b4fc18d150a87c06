// Every return type a hook may have, sync and async.
use std::error::Error;

use auth_hooks::{before_login, on_login, AuthHookContext, AuthHookReject, HookError};

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

fn main() {}
