//! Who an HTTP request is: HTTP Basic authentication (RFC 7617) with an
//! account's name and password, the credentials IRC clients give with SASL
//! PLAIN (as the IRCv3 `draft/FILEHOST` draft asks clients to do).
//!
//! The password is checked like any login: on the slow pool (argon2id),
//! with the same failure throttle per address and per account as SASL and
//! NickServ (`World::login_failures`). Credentials proved once are
//! remembered for [`REMEMBER`], as a SHA-256 of name and password, so that
//! a client fetching many files or sending many chunks pays for one check.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};
use natter_proto::casemap::fold;
use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use super::{plain, Body};
use crate::server::Shared;

/// How long proved credentials are remembered.
pub const REMEMBER: Duration = Duration::from_secs(300);

/// Credentials proved lately: casefolded account → (SHA-256 of name and
/// password, when proved).
#[derive(Debug, Default)]
pub struct AuthCache(Mutex<HashMap<String, ([u8; 32], Instant)>>);

/// What the cache keeps of proved credentials: a SHA-256 of the account,
/// the password and the account's stored hash (so a password change ends
/// what was proved with the old one).
fn digest(account: &str, password: &str, stored: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(fold(account).as_bytes());
    h.update([0]);
    h.update(password.as_bytes());
    h.update([0]);
    h.update(stored.as_bytes());
    h.finalize().into()
}

/// A 401 that asks for Basic credentials (a browser shows a login box).
pub(crate) fn challenge() -> Response<Body> {
    let mut r = plain(
        StatusCode::UNAUTHORIZED,
        "log in with your account's name and password\n",
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"natter\", charset=\"UTF-8\""),
    );
    r
}

/// The name and password of a Basic `Authorization` header.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (name, password) = text.split_once(':')?;
    Some((name.to_string(), password.to_string()))
}

/// The account whose credentials the request carries, as registered.
///
/// Errors (the response to send): 401 with a Basic challenge when there
/// are none or they are wrong (after the throttle's delay), 429 when
/// logins from this address or to this account are refused for a while.
pub(crate) async fn account(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    client: SocketAddr,
) -> Result<String, Response<Body>> {
    let Some((name, password)) = basic(headers) else {
        return Err(challenge());
    };
    let now = crate::world::now();
    let found = {
        let world = shared.world.lock();
        if let Err(seconds) = world.login_failures.check_login(client.ip(), &name, now) {
            let mut r = plain(
                StatusCode::TOO_MANY_REQUESTS,
                "too many failed logins: try again later\n",
            );
            if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Err(r);
        }
        world
            .accounts
            .get(&name)
            .map(|a| (a.name.clone(), a.credentials.password.clone()))
    };
    let proof = found
        .as_ref()
        .map(|(_, stored)| digest(&name, &password, stored))
        .unwrap_or_default();
    if let Some((account, _)) = &found {
        let cache = shared.http_auth.0.lock();
        if let Some((known, at)) = cache.get(&fold(account)) {
            if *known == proof && at.elapsed() < REMEMBER {
                return Ok(account.clone());
            }
        }
    }
    let ok = match &found {
        Some((_, hash)) => {
            let hash = hash.clone();
            shared
                .run_slow(move || crate::accounts::verify_password(&password, &hash))
                .await
        }
        None => false,
    };
    match (ok, found) {
        (true, Some((account, _))) => {
            shared
                .http_auth
                .0
                .lock()
                .insert(fold(&account), (proof, Instant::now()));
            shared.world.lock().login_failures.login_succeeded(&account);
            Ok(account)
        }
        _ => {
            let delay = shared
                .world
                .lock()
                .login_failures
                .login_failed(client.ip(), &name, now);
            tokio::time::sleep(delay).await;
            Err(challenge())
        }
    }
}
