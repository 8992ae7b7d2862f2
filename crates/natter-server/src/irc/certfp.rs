//! TLS client certificates as credentials (CertFP): NickServ `CERT`
//! binds a certificate's SHA-256 fingerprint to an account, and a client
//! connecting with that certificate logs in with SASL EXTERNAL (RFC 4422
//! appendix A; IRCv3 sasl-3.1) or a bare NickServ `IDENTIFY`.
//!
//! The fingerprint of the current connection's certificate is on its
//! [`crate::world::ConnEntry`] (set when the TLS handshake finished); the
//! bindings live in [`crate::accounts::Accounts`] and the store.

use natter_proto::casemap::fold;
use natter_store::StoreError;

use super::account::{self, Via};
use super::nickserv::say;
use super::{Ctx, SlowJob};

/// Most certificates one account may have.
pub const MAX_CERTS: usize = 10;

/// The fingerprint of the certificate `ctx`'s client connected with.
pub fn own(ctx: &Ctx<'_>) -> Option<String> {
    Some(
        ctx.world
            .conns
            .get(&ctx.client.id)?
            .certfp
            .as_deref()?
            .to_string(),
    )
}

/// The account the client's certificate is bound to, if any.
pub fn account_of_own(ctx: &Ctx<'_>) -> Option<String> {
    let fp = own(ctx)?;
    Some(ctx.world.accounts.by_cert(&fp)?.name.clone())
}

/// `NickServ CERT LIST | ADD [fingerprint] | DEL <fingerprint>`, for the
/// account the client is logged in to.
pub fn command(ctx: &mut Ctx<'_>, args: &[&str]) {
    let Some(current) = account::current(ctx) else {
        return say(
            ctx,
            "You must be logged in to manage your account's certificates",
        );
    };
    let verb = args.first().map(|v| v.to_ascii_uppercase());
    match (verb.as_deref(), args.get(1)) {
        (None | Some("LIST"), _) => {
            let certs = ctx.world.accounts.certs_of(&current);
            if certs.is_empty() {
                let text =
                    format!("{current} has no certificates; CERT ADD adds the one you use now");
                return say(ctx, &text);
            }
            let text = format!("Certificates of {current}:");
            say(ctx, &text);
            for fp in certs {
                say(ctx, &fp);
            }
        }
        (Some("ADD"), given) => {
            let fp = match given {
                Some(fp) => crate::tls::normalize(fp),
                None => match own(ctx) {
                    Some(fp) => fp,
                    None => {
                        return say(
                            ctx,
                            "You are not using a TLS client certificate; name a fingerprint: CERT ADD <sha-256 hex>",
                        )
                    }
                },
            };
            if fp.len() != 64 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
                return say(ctx, "That is not a SHA-256 fingerprint (64 hex digits)");
            }
            if let Some(owner) = ctx.world.accounts.by_cert(&fp) {
                let text = if fold(&owner.name) == fold(&current) {
                    "That certificate is already on your account".to_string()
                } else {
                    "That certificate belongs to another account".to_string()
                };
                return say(ctx, &text);
            }
            if ctx.world.accounts.certs_of(&current).len() >= MAX_CERTS {
                let text = format!("An account may have at most {MAX_CERTS} certificates");
                return say(ctx, &text);
            }
            let store = ctx.world.accounts.store();
            ctx.defer(SlowJob::new(move || {
                let result =
                    store.add_account_cert(&fold(&current), &fp, crate::world::now() as i64);
                Box::new(move |ctx| added(ctx, &current, &fp, result))
            }));
        }
        (Some("DEL"), Some(fp)) => {
            let fp = crate::tls::normalize(fp);
            if !ctx.world.accounts.certs_of(&current).contains(&fp) {
                return say(ctx, "That certificate is not on your account");
            }
            let store = ctx.world.accounts.store();
            ctx.defer(SlowJob::new(move || {
                let result = store.remove_account_cert(&fold(&current), &fp);
                Box::new(move |ctx| match result {
                    Ok(_) => {
                        ctx.world.accounts.cert_removed(&fp);
                        say(ctx, &format!("Removed certificate {fp}"));
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "removing a certificate failed");
                        say(ctx, "Removing the certificate failed, try again later");
                    }
                })
            }));
        }
        _ => say(
            ctx,
            "Syntax: CERT LIST | CERT ADD [fingerprint] | CERT DEL <fingerprint>",
        ),
    }
}

/// Finishes CERT ADD once the store answered.
fn added(ctx: &mut Ctx<'_>, account: &str, fp: &str, result: Result<(), StoreError>) {
    match result {
        Ok(()) => {
            ctx.world.accounts.cert_added(account, fp);
            let text = format!("Added certificate {fp} to {account}");
            say(ctx, &text);
        }
        Err(StoreError::Exists) => say(ctx, "That certificate belongs to another account"),
        Err(e) => {
            tracing::error!(error = %e, "adding a certificate failed");
            say(ctx, "Adding the certificate failed, try again later");
        }
    }
}

/// A bare `NickServ IDENTIFY`: logs in to the account the client's
/// certificate is bound to.
pub fn identify(ctx: &mut Ctx<'_>) {
    match account_of_own(ctx) {
        Some(name) => account::password_checked(ctx, &name, true, Via::NickServ),
        None => say(
            ctx,
            "Syntax: IDENTIFY [account] <password> (or connect with a TLS client certificate added with CERT ADD)",
        ),
    }
}

/// SASL EXTERNAL's one message: an empty authorization identity, or the
/// account's name. Whether it matches the certificate's account.
pub fn external(ctx: &Ctx<'_>, authzid: &[u8]) -> Option<String> {
    let account = account_of_own(ctx)?;
    let authzid = std::str::from_utf8(authzid).ok()?;
    (authzid.is_empty() || fold(authzid) == fold(&account)).then_some(account)
}
