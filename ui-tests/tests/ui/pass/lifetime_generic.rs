use auth_hooks::{before_login, AuthHookContext};

#[before_login]
fn check<'a>(ctx: &'a AuthHookContext) {
    let _name: Option<&'a str> = ctx.username();
}

#[before_login]
async fn check_async<'a>(ctx: &'a AuthHookContext) {
    let _name: Option<&'a str> = ctx.username();
}

fn main() {}

#[before_login]
fn check_bounded<'a, 'b>(ctx: &'a AuthHookContext) -> Result<(), auth_hooks::AuthHookReject>
where
    'a: 'b,
{
    let _name: Option<&'b str> = ctx.username();
    Ok(())
}
