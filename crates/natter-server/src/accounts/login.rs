//! The steps of a login or an account registration that every front end
//! takes alike (IRC's SASL, REGISTER and NickServ; IM's REGISTER): the
//! password rules, the failed-login throttle ([`super::Throttle`]) keyed by
//! the client's address and the account, and telling the network of a new
//! or changed account. Each front end renders the outcome in its own
//! protocol.

use crate::session::Ctx;
use crate::world::now;

use super::MAX_PASSWORD;

/// Why `password` is not acceptable (shorter than
/// `accounts.min_password_length` or longer than [`MAX_PASSWORD`]), if it
/// is not.
pub fn weak_password(ctx: &Ctx<'_>, password: &str) -> Option<String> {
    let min = ctx.world.config.accounts.min_password_length;
    if password.len() < min {
        Some(format!("Passwords must be at least {min} bytes long"))
    } else if password.len() > MAX_PASSWORD {
        Some(format!(
            "Passwords must be at most {MAX_PASSWORD} bytes long"
        ))
    } else {
        None
    }
}

/// `Err(seconds)` when logins by this client or to `account` are refused
/// for now after too many failures.
pub fn refused(ctx: &Ctx<'_>, account: &str) -> Result<(), u64> {
    let ip = ctx.client.addr.ip();
    ctx.world.login_failures.check_login(ip, account, now())
}

/// Records a login failure; returns how long to hold the answer back.
pub fn login_failed(ctx: &mut Ctx<'_>, account: &str) -> std::time::Duration {
    let ip = ctx.client.addr.ip();
    ctx.world.login_failures.login_failed(ip, account, now())
}

/// Records a login success.
pub fn login_succeeded(ctx: &mut Ctx<'_>, account: &str) {
    ctx.world.login_failures.login_succeeded(account);
}

/// Tells the network (natter server links) about account `name` as it now
/// is: a registration or a password change.
pub fn announce(ctx: &mut Ctx<'_>, name: &str) {
    if let Some(event) = super::registered_event(&ctx.world.accounts, name) {
        ctx.world.emit(&event, None);
    }
}
