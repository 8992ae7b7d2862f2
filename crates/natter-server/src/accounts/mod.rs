//! Accounts: who someone is, across connections, front ends and restarts.
//!
//! The accounts live in the store (`natter-store`, the `accounts` table)
//! and, for lookups under the world lock, in [`Accounts`], a copy in
//! memory loaded at start and changed only after the store committed a
//! change. Making credentials ([`credentials`]) and checking a password
//! ([`verify_password`]) are slow on purpose (argon2id): callers run them
//! off the world lock and off the event loops, on the bounded pool of
//! `crate::server::Shared::slow`.
//!
//! What may touch what: this module is neutral (no front end); the IRC
//! front end (SASL, REGISTER, NickServ) and the IM front end log users in
//! through it, and the fan-out tells others with `Event::AccountChanged`.

pub mod login;
pub mod scram;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use natter_proto::casemap::fold;
use natter_store::{AccountRecord, Credentials, Store, StoreError};

/// Longest password accepted at registration or change, in bytes.
pub const MAX_PASSWORD: usize = 300;

/// The argon2id hash (PHC string) and SCRAM-SHA-256 keys of `password`.
/// Slow (argon2id and PBKDF2): run it off the world lock.
pub fn credentials(password: &str) -> Credentials {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS gives random bytes");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    let password_hash = argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string();
    Credentials {
        password: password_hash,
        scram: scram::keys(password),
    }
}

/// Whether `password` matches the argon2 hash `hash` (a PHC string). Slow
/// by design: run it off the world lock.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::PasswordVerifier;
    argon2::PasswordHash::new(hash)
        .map(|h| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// One account, as the server keeps it in memory.
#[derive(Debug, Clone)]
pub struct Account {
    /// The name as registered (shown in WHOIS 330, ACCOUNT, account tags).
    pub name: String,
    /// When it was registered, Unix seconds.
    pub created_at: i64,
    /// Its secrets.
    pub credentials: Credentials,
}

/// Every account, by casefolded name, beside the store that keeps them.
#[derive(Debug)]
pub struct Accounts {
    by_name: HashMap<String, Account>,
    /// TLS client certificate fingerprints (lowercase hex SHA-256) bound
    /// to accounts (casefolded names): NickServ CERT, SASL EXTERNAL.
    certs: HashMap<String, String>,
    store: Arc<Store>,
}

impl Accounts {
    /// The accounts in `store`.
    pub fn load(store: Arc<Store>) -> Result<Accounts, StoreError> {
        let mut accounts = Accounts {
            by_name: HashMap::new(),
            certs: HashMap::new(),
            store,
        };
        let records = accounts.store.accounts()?;
        accounts.reload(records);
        accounts.certs = accounts.store.account_certs()?.into_iter().collect();
        Ok(accounts)
    }

    /// Replaces every account with `records`, read from the store again
    /// (REHASH, after `natter account` changed it).
    pub fn reload(&mut self, records: Vec<AccountRecord>) {
        self.by_name = records
            .into_iter()
            .map(|r| {
                let account = Account {
                    name: r.name,
                    created_at: r.created_at,
                    credentials: r.credentials,
                };
                (r.folded, account)
            })
            .collect();
        let by_name = &self.by_name;
        self.certs
            .retain(|_, account| by_name.contains_key(account));
    }

    /// The account certificate `fingerprint` is bound to, if any.
    pub fn by_cert(&self, fingerprint: &str) -> Option<&Account> {
        self.by_name.get(self.certs.get(fingerprint)?)
    }

    /// The fingerprints bound to account `name`, sorted.
    pub fn certs_of(&self, name: &str) -> Vec<String> {
        let folded = fold(name);
        let mut certs: Vec<String> = self
            .certs
            .iter()
            .filter(|(_, a)| **a == folded)
            .map(|(fp, _)| fp.clone())
            .collect();
        certs.sort();
        certs
    }

    /// Records that the store bound `fingerprint` to account `name`.
    pub fn cert_added(&mut self, name: &str, fingerprint: &str) {
        self.certs.insert(fingerprint.to_string(), fold(name));
    }

    /// Records that the store unbound `fingerprint`.
    pub fn cert_removed(&mut self, fingerprint: &str) {
        self.certs.remove(fingerprint);
    }

    /// The store, for calls made off the world lock.
    pub fn store(&self) -> Arc<Store> {
        self.store.clone()
    }

    /// The account named `name` (compared casefolded), if any.
    pub fn get(&self, name: &str) -> Option<&Account> {
        self.by_name.get(&fold(name))
    }

    /// How many accounts there are.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Records `record`, which the store has committed.
    pub fn created(&mut self, record: AccountRecord) {
        self.by_name.insert(
            record.folded,
            Account {
                name: record.name,
                created_at: record.created_at,
                credentials: record.credentials,
            },
        );
    }

    /// Records new credentials for `name`, which the store has committed.
    pub fn credentials_changed(&mut self, name: &str, credentials: Credentials) {
        if let Some(a) = self.by_name.get_mut(&fold(name)) {
            a.credentials = credentials;
        }
    }

    /// Forgets `name`, which the store has deleted.
    pub fn dropped(&mut self, name: &str) {
        let folded = fold(name);
        self.by_name.remove(&folded);
        // The store deleted them with the account (ON DELETE CASCADE).
        self.certs.retain(|_, account| *account != folded);
    }
}

/// A new account record for `name` with `credentials`, created now.
pub fn record(name: &str, credentials: Credentials) -> AccountRecord {
    AccountRecord {
        folded: fold(name),
        name: name.to_string(),
        created_at: crate::world::now() as i64,
        credentials,
    }
}

/// Failed logins per key (an address, or `account:<folded name>`): after
/// [`Throttle::SLOW_AFTER`] failures within [`Throttle::WINDOW`] seconds
/// each further answer is delayed, and after [`Throttle::REFUSE_AFTER`]
/// the key is refused until the window ends.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: HashMap<String, (u32, u64)>,
}

impl Throttle {
    /// Seconds a run of failures is remembered.
    pub const WINDOW: u64 = 600;
    /// Failures after which answers are delayed.
    pub const SLOW_AFTER: u32 = 3;
    /// Failures after which attempts are refused.
    pub const REFUSE_AFTER: u32 = 6;

    /// Failures of `key` in the current window, as of `now` (Unix seconds).
    pub fn count(&self, key: &str, now: u64) -> u32 {
        match self.failures.get(key) {
            Some((n, since)) if now < since + Self::WINDOW => *n,
            _ => 0,
        }
    }

    /// `Err(seconds)` to wait if `key` is refused now.
    pub fn check(&self, key: &str, now: u64) -> Result<(), u64> {
        match self.failures.get(key) {
            Some((n, since)) if *n >= Self::REFUSE_AFTER && now < since + Self::WINDOW => {
                Err(since + Self::WINDOW - now)
            }
            _ => Ok(()),
        }
    }

    /// Records a failure of `key`; returns its count in the window.
    pub fn failed(&mut self, key: &str, now: u64) -> u32 {
        if self.failures.len() > 100_000 {
            self.failures
                .retain(|_, (_, since)| now < *since + Self::WINDOW);
        }
        let entry = self.failures.entry(key.to_string()).or_insert((0, now));
        if now >= entry.1 + Self::WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
        entry.0
    }

    /// Forgets `key`'s failures (after a success).
    pub fn succeeded(&mut self, key: &str) {
        self.failures.remove(key);
    }

    /// How long to delay the answer to a failure that made `count`.
    pub fn delay(count: u32) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(count.saturating_sub(Self::SLOW_AFTER)).min(2))
    }

    /// The keys a login attempt from `ip` to `account` counts against:
    /// `ip:<address>` (an IPv4-mapped address as IPv4) and
    /// `account:<casefolded name>`. Every way to log in (SASL, NickServ,
    /// IM, HTTP) uses these, so failures on one count on all.
    fn login_keys(ip: IpAddr, account: &str) -> [String; 2] {
        [
            format!("ip:{}", ip.to_canonical()),
            Self::account_key(account),
        ]
    }

    fn account_key(account: &str) -> String {
        format!("account:{}", fold(account))
    }

    /// `Err(seconds)` to wait if logins from `ip` or to `account` are
    /// refused now (after [`Throttle::REFUSE_AFTER`] failures).
    pub fn check_login(&self, ip: IpAddr, account: &str, now: u64) -> Result<(), u64> {
        for key in Self::login_keys(ip, account) {
            self.check(&key, now)?;
        }
        Ok(())
    }

    /// Records a failed login from `ip` to `account`; returns how long to
    /// hold the answer back ([`Throttle::delay`] of the worse count).
    pub fn login_failed(&mut self, ip: IpAddr, account: &str, now: u64) -> std::time::Duration {
        let worst = Self::login_keys(ip, account)
            .iter()
            .map(|key| self.failed(key, now))
            .max()
            .unwrap_or(0);
        Self::delay(worst)
    }

    /// Records a successful login to `account`: its failures are forgotten
    /// (the address's are not, as it may be trying other accounts).
    pub fn login_succeeded(&mut self, account: &str) {
        self.succeeded(&Self::account_key(account));
    }
}

/// `credentials` as one token for server links (`ACCOUNTREG`): the argon2
/// PHC string, then the SCRAM salt, iteration count, StoredKey and
/// ServerKey, separated by `|` (base64 for the bytes).
pub fn secret(credentials: &Credentials) -> String {
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine;
    let k = &credentials.scram;
    format!(
        "{}|{}|{}|{}|{}",
        credentials.password,
        B64.encode(&k.salt),
        k.iterations,
        B64.encode(&k.stored_key),
        B64.encode(&k.server_key)
    )
}

/// The credentials a [`secret`] holds, if it is well formed.
pub fn parse_secret(secret: &str) -> Option<Credentials> {
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine;
    let mut parts = secret.split('|');
    let password = parts.next()?.to_string();
    argon2::PasswordHash::new(&password).ok()?;
    let salt = B64.decode(parts.next()?).ok()?;
    let iterations = parts.next()?.parse().ok()?;
    let stored_key = B64.decode(parts.next()?).ok()?;
    let server_key = B64.decode(parts.next()?).ok()?;
    if parts.next().is_some() || stored_key.len() != 32 || server_key.len() != 32 {
        return None;
    }
    Some(Credentials {
        password,
        scram: natter_store::ScramKeys {
            salt,
            iterations,
            stored_key,
            server_key,
        },
    })
}

/// The event that tells the network about account `name` as it now is.
pub fn registered_event(accounts: &Accounts, name: &str) -> Option<natter_model::Event> {
    let a = accounts.get(name)?;
    Some(natter_model::Event::AccountRegistered {
        account: a.name.clone(),
        created_at: a.created_at,
        secret: secret(&a.credentials),
    })
}

/// Every account as an `AccountRegistered` event (a link's burst).
pub fn all_as_events(accounts: &Accounts) -> Vec<natter_model::Event> {
    let mut names: Vec<&String> = accounts.by_name.keys().collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|n| registered_event(accounts, n))
        .collect()
}

/// Accounts' hook on the fan-out: an account registered, changed or
/// dropped on another natter server is taken into the registry and the
/// store. Of two registrations of one name the older wins (the newer is
/// ignored here, and the other side takes ours from our burst); the same
/// registration with new credentials is a password change.
pub fn after_event(
    world: &mut crate::World,
    event: &natter_model::Event,
    origin: crate::world::Origin,
    _: Option<(natter_model::UserId, &mut String)>,
) {
    if !matches!(origin, crate::world::Origin::Link(_)) {
        return;
    }
    match event {
        natter_model::Event::AccountRegistered {
            account,
            created_at,
            secret,
        } => {
            let Some(credentials) = parse_secret(secret) else {
                tracing::warn!(
                    account,
                    "a linked server sent unreadable account credentials"
                );
                return;
            };
            let keep_ours = world
                .accounts
                .get(account)
                .is_some_and(|ours| ours.created_at < *created_at);
            if keep_ours {
                return;
            }
            let record = AccountRecord {
                folded: fold(account),
                name: account.clone(),
                created_at: *created_at,
                credentials,
            };
            world.accounts.created(record.clone());
            world.history.write(move |store| {
                let result = store
                    .delete_account(&record.folded)
                    .and_then(|_| store.create_account(&record));
                if let Err(e) = result {
                    tracing::error!(error = %e, account = record.name, "storing a linked account failed");
                }
            });
        }
        natter_model::Event::AccountDropped {
            account,
            created_at,
        } if world
            .accounts
            .get(account)
            .is_some_and(|a| a.created_at == *created_at) =>
        {
            world.accounts.dropped(account);
            let folded = fold(account);
            world.history.write(move |store| {
                if let Err(e) = store.delete_account(&folded) {
                    tracing::error!(error = %e, "dropping a linked account failed");
                }
            });
        }
        _ => {}
    }
}
