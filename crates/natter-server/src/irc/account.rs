//! Accounts from IRC: REGISTER (IRCv3 `draft/account-registration`),
//! logging in and out (shared by SASL, REGISTER and NickServ), and the
//! finishing halves of the slow work they defer.
//!
//! A login before connection registration is kept in the client's
//! [`PreRegistration`](crate::session::PreRegistration) and becomes the user's account when it is
//! introduced; after it, an `Event::AccountChanged` tells the user's
//! channel peers (account-notify) and the server links.

use natter_model::Event;
use natter_proto::numeric::*;
use natter_proto::Message;
use natter_store::StoreError;

use super::{Ctx, Deferred, SlowJob};
use crate::accounts;
use crate::accounts::login::{announce, login_succeeded, weak_password};

/// How a login or registration was asked for, which decides its replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// SASL (AUTHENTICATE): 900 and 903, or 904.
    Sasl,
    /// The REGISTER command: `REGISTER SUCCESS`, or `FAIL REGISTER`.
    Register,
    /// A NickServ command: NOTICEs from NickServ.
    NickServ,
}

/// The account this client is logged in to, if any.
pub fn current(ctx: &Ctx<'_>) -> Option<String> {
    if ctx.client.registered {
        ctx.world
            .net
            .user(ctx.client.id)
            .and_then(|u| u.account.clone())
    } else {
        ctx.client.pre_ref().and_then(|p| p.account.clone())
    }
}

/// `nick!user@host` of this client as far as it is known (`*` for parts
/// not given yet), for RPL_LOGGEDIN.
fn mask(ctx: &Ctx<'_>) -> String {
    let nick = ctx.nick().to_string();
    let given = ctx.client.pre_ref().and_then(|p| p.user.as_ref());
    let user = match (given, ctx.world.net.user(ctx.client.id)) {
        (_, Some(u)) => u.user.clone(),
        (Some((u, _)), None) => u.clone(),
        (None, None) => "*".into(),
    };
    format!("{nick}!{user}@{}", ctx.client.host)
}

/// Logs the client in to `account` (its name as registered): RPL_LOGGEDIN,
/// and account-notify to its peers once registered.
pub fn log_in(ctx: &mut Ctx<'_>, account: &str) {
    let mask = mask(ctx);
    ctx.numeric(
        RPL_LOGGEDIN,
        &[
            &mask,
            account,
            &format!("You are now logged in as {account}"),
        ],
    );
    if ctx.client.registered {
        let user = ctx.me().snapshot();
        ctx.emit(Event::AccountChanged {
            user,
            account: Some(account.to_string()),
        });
    } else {
        ctx.client.pre().account = Some(account.to_string());
    }
}

/// Logs the client out: RPL_LOGGEDOUT and account-notify.
pub fn log_out(ctx: &mut Ctx<'_>) {
    let mask = mask(ctx);
    ctx.numeric(RPL_LOGGEDOUT, &[&mask, "You are now logged out"]);
    if ctx.client.registered {
        let user = ctx.me().snapshot();
        ctx.emit(Event::AccountChanged {
            user,
            account: None,
        });
    } else {
        ctx.client.take_account();
    }
}

/// `FAIL REGISTER <code> <account> :<text>` (IRCv3 standard replies).
fn fail(ctx: &mut Ctx<'_>, code: &str, account: &str, text: &str) {
    ctx.server_line("FAIL", &["REGISTER", code, account, text]);
}

/// `REGISTER <account> <email> <password>` (draft/account-registration).
/// The account name must be the client's nick (`*` means the nick); no
/// e-mail is needed or checked. Accepted before connection registration
/// (`before-connect`).
pub fn register(ctx: &mut Ctx<'_>, msg: &Message) {
    let (Some(name), Some(_email), Some(password)) = (msg.param(0), msg.param(1), msg.param(2))
    else {
        return ctx.need_more_params("REGISTER");
    };
    if !ctx.client.registered && !ctx.world.config.accounts.register_before_connect {
        let name = name.to_string();
        return fail(
            ctx,
            "COMPLETE_CONNECTION_REQUIRED",
            &name,
            "Finish connecting before registering an account",
        );
    }
    // Before registration, the nick given (if any); after, the user's.
    let given = ctx.client.registered || ctx.client.pre_ref().is_some_and(|p| p.nick.is_some());
    let Some(nick) = given.then(|| ctx.nick().to_string()) else {
        return fail(
            ctx,
            "NEED_NICK",
            "*",
            "Send NICK before registering an account",
        );
    };
    let name = if name == "*" {
        nick.clone()
    } else {
        name.to_string()
    };
    let password = password.to_string();
    start_registration(ctx, &name, &nick, password, Via::Register);
}

/// Checks what can be checked under the lock and defers the rest
/// (hashing, the store): shared by REGISTER and NickServ REGISTER.
pub fn start_registration(ctx: &mut Ctx<'_>, name: &str, nick: &str, password: String, via: Via) {
    let say = |ctx: &mut Ctx<'_>, code: &str, text: &str| match via {
        Via::NickServ => super::nickserv::say(ctx, text),
        _ => fail(ctx, code, name, text),
    };
    if current(ctx).is_some() {
        return say(ctx, "ALREADY_AUTHENTICATED", "You are already logged in");
    }
    if natter_proto::casemap::fold(name) != natter_proto::casemap::fold(nick) {
        return say(
            ctx,
            "ACCOUNT_NAME_MUST_BE_NICK",
            "The account name must be your current nick",
        );
    }
    if ctx.world.accounts.get(name).is_some() {
        return say(ctx, "ACCOUNT_EXISTS", "That account is already registered");
    }
    if let Some(why) = weak_password(ctx, &password) {
        return say(ctx, "WEAK_PASSWORD", &why);
    }
    let store = ctx.world.accounts.store();
    let name = name.to_string();
    ctx.defer(SlowJob::new(move || {
        let record = accounts::record(&name, accounts::credentials(&password));
        let result = store.create_account(&record).map(|()| record);
        Box::new(move |ctx| registered(ctx, result, &name, via))
    }));
}

/// Finishes a registration once the store answered: logs the client in on
/// success.
pub fn registered(
    ctx: &mut Ctx<'_>,
    result: Result<natter_store::AccountRecord, StoreError>,
    name: &str,
    via: Via,
) {
    match result {
        Ok(record) => {
            let name = record.name.clone();
            ctx.world.accounts.created(record);
            announce(ctx, &name);
            match via {
                Via::NickServ => super::nickserv::say(ctx, "Account created"),
                _ => ctx.server_line(
                    "REGISTER",
                    &["SUCCESS", &name, "Account created, you are logged in"],
                ),
            }
            log_in(ctx, &name);
        }
        Err(StoreError::Exists) => match via {
            Via::NickServ => super::nickserv::say(ctx, "That account is already registered"),
            _ => fail(
                ctx,
                "ACCOUNT_EXISTS",
                name,
                "That account is already registered",
            ),
        },
        Err(e) => {
            tracing::error!(error = %e, account = name, "registering an account failed");
            match via {
                Via::NickServ => super::nickserv::say(ctx, "Registration failed, try again later"),
                _ => fail(
                    ctx,
                    "TEMPORARILY_UNAVAILABLE",
                    name,
                    "Registration failed, try again later",
                ),
            }
        }
    }
}

/// Checks `password` against `account`'s argon2id `hash` off the world
/// lock, then finishes the login ([`password_checked`]): SASL PLAIN and
/// NickServ IDENTIFY. A mismatch counts as a failed login.
pub fn check_password(ctx: &mut Ctx<'_>, account: String, hash: String, password: &str, via: Via) {
    ctx.client.defer(Deferred::Verify {
        password: password.to_string(),
        hash,
        login: Some(account.clone()),
        then: Box::new(move |ctx, ok| password_checked(ctx, &account, ok, via)),
    });
}

/// Finishes a password login (SASL PLAIN, NickServ IDENTIFY) once the hash
/// was checked; the answer to a failure was already held back by the
/// throttle's delay.
pub fn password_checked(ctx: &mut Ctx<'_>, account: &str, ok: bool, via: Via) {
    if ok && current(ctx).is_some() {
        // Logged in meanwhile by another path.
        return match via {
            Via::NickServ => super::nickserv::say(ctx, "You are already logged in"),
            _ => ctx.numeric(
                ERR_SASLALREADY,
                &["You have already authenticated using SASL"],
            ),
        };
    }
    match (ok, via) {
        (true, Via::Sasl) => super::sasl::succeeded(ctx, account),
        (true, _) => {
            login_succeeded(ctx, account);
            log_in(ctx, account);
            let text = format!("You are now logged in as {account}");
            super::nickserv::say(ctx, &text);
        }
        (false, Via::Sasl) => super::sasl::failed(ctx),
        (false, _) => super::nickserv::say(ctx, "Invalid account or password"),
    }
}

/// Finishes NickServ SET PASSWORD once the store answered.
pub fn password_changed(
    ctx: &mut Ctx<'_>,
    account: &str,
    result: Result<natter_store::Credentials, StoreError>,
) {
    match result {
        Ok(credentials) => {
            ctx.world.accounts.credentials_changed(account, credentials);
            announce(ctx, account);
            super::nickserv::say(ctx, "Password changed");
        }
        Err(e) => {
            tracing::error!(error = %e, account, "changing a password failed");
            super::nickserv::say(ctx, "Changing the password failed, try again later");
        }
    }
}

/// Finishes NickServ DROP once the store answered: everyone logged in to
/// the account is logged out.
pub fn dropped(ctx: &mut Ctx<'_>, account: &str, result: Result<bool, StoreError>) {
    match result {
        Ok(_) => {
            let created_at = ctx.world.accounts.get(account).map(|a| a.created_at);
            ctx.world.accounts.dropped(account);
            if let Some(created_at) = created_at {
                ctx.world.emit(
                    &Event::AccountDropped {
                        account: account.to_string(),
                        created_at,
                    },
                    None,
                );
            }
            let folded = natter_proto::casemap::fold(account);
            let logged_in: Vec<_> = ctx
                .world
                .net
                .users()
                .filter(|u| {
                    u.account
                        .as_deref()
                        .is_some_and(|a| natter_proto::casemap::fold(a) == folded)
                })
                .map(|u| u.snapshot())
                .collect();
            for user in logged_in {
                if user.id == ctx.client.id {
                    log_out(ctx);
                } else {
                    ctx.world.emit(
                        &Event::AccountChanged {
                            user,
                            account: None,
                        },
                        None,
                    );
                }
            }
            let text = format!("Account {account} dropped");
            super::nickserv::say(ctx, &text);
        }
        Err(e) => {
            tracing::error!(error = %e, account, "dropping an account failed");
            super::nickserv::say(ctx, "Dropping the account failed, try again later");
        }
    }
}
