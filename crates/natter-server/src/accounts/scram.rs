//! SASL SCRAM-SHA-256 (RFC 5802, RFC 7677), the server's side, and the
//! credentials it needs: the salt, the iteration count, StoredKey and
//! ServerKey (RFC 5802 §3), never the password or the SaltedPassword.
//!
//! The crates on crates.io that implement a SCRAM server (`scram`,
//! `scram-2`) ask the server for the SaltedPassword, which is
//! password-equivalent for SCRAM; this module keeps RFC 5802's StoredKey
//! and ServerKey instead, on RustCrypto's PBKDF2, HMAC and SHA-256. The
//! tests log in with `scram-2`'s client, an independent implementation.
//!
//! Channel binding is not offered (the `n` and `y` GS2 flags are accepted,
//! `p` refused); an authorization identity must equal the username.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use natter_store::ScramKeys;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The PBKDF2 iteration count for new credentials (RFC 7677 §4's minimum).
pub const ITERATIONS: u32 = 4096;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// SCRAM-SHA-256 credentials for `password` with a fresh random salt.
/// Costs one PBKDF2 of [`ITERATIONS`] rounds (milliseconds).
pub fn keys(password: &str) -> ScramKeys {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS gives random bytes");
    keys_with(password, &salt, ITERATIONS)
}

/// SCRAM-SHA-256 credentials for `password`, `salt` and `iterations`.
pub fn keys_with(password: &str, salt: &[u8], iterations: u32) -> ScramKeys {
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut salted);
    let client_key = hmac(&salted, b"Client Key");
    ScramKeys {
        salt: salt.to_vec(),
        iterations,
        stored_key: Sha256::digest(client_key).to_vec(),
        server_key: hmac(&salted, b"Server Key").to_vec(),
    }
}

/// Why a SCRAM exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The client's message does not follow RFC 5802's grammar.
    Malformed(&'static str),
    /// Channel binding asked for (`p=`), which is not offered.
    ChannelBinding,
    /// The proof did not match: a wrong password.
    BadProof,
}

/// The client-first message, parsed (RFC 5802 §7 `client-first-message`).
#[derive(Debug, Clone)]
pub struct ClientFirst {
    /// The username (`n=`, with `=2C` and `=3D` decoded).
    pub username: String,
    gs2_header: String,
    bare: String,
    nonce: String,
}

/// Parses the client-first message.
pub fn client_first(message: &str) -> Result<ClientFirst, Failure> {
    let mut parts = message.splitn(3, ',');
    let flag = parts.next().ok_or(Failure::Malformed("empty"))?;
    let authzid = parts.next().ok_or(Failure::Malformed("no GS2 header"))?;
    let bare = parts
        .next()
        .ok_or(Failure::Malformed("no client-first-bare"))?;
    match flag {
        "n" | "y" => {}
        f if f.starts_with("p=") => return Err(Failure::ChannelBinding),
        _ => return Err(Failure::Malformed("bad GS2 flag")),
    }
    let gs2_header = format!("{flag},{authzid},");
    let authzid = match authzid {
        "" => None,
        a => Some(decode_name(
            a.strip_prefix("a=")
                .ok_or(Failure::Malformed("bad authzid"))?,
        )?),
    };
    let mut username = None;
    let mut nonce = None;
    for attr in bare.split(',') {
        if let Some(v) = attr.strip_prefix("n=") {
            username = Some(decode_name(v)?);
        } else if let Some(v) = attr.strip_prefix("r=") {
            nonce = Some(v.to_string());
        } else if attr.starts_with("m=") {
            return Err(Failure::Malformed("mandatory extension not supported"));
        }
    }
    let username = username.ok_or(Failure::Malformed("no username"))?;
    let nonce = nonce
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic() && b != b','))
        .ok_or(Failure::Malformed("no nonce"))?;
    if authzid.is_some_and(|a| a != username) {
        return Err(Failure::Malformed(
            "authorization identity differs from username",
        ));
    }
    Ok(ClientFirst {
        username,
        gs2_header,
        bare: bare.to_string(),
        nonce,
    })
}

/// `saslname` (RFC 5802 §5.1): `=2C` is `,` and `=3D` is `=`.
fn decode_name(s: &str) -> Result<String, Failure> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('=') {
        out.push_str(&rest[..i]);
        match rest.get(i..i + 3) {
            Some("=2C") => out.push(','),
            Some("=3D") => out.push('='),
            _ => return Err(Failure::Malformed("bad escape in name")),
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The server's state between its server-first and the client's final
/// message.
#[derive(Debug, Clone)]
pub struct Exchange {
    first: ClientFirst,
    server_first: String,
    keys: ScramKeys,
}

impl Exchange {
    /// Answers `first` for an account with `keys`: returns the state and
    /// the server-first message (`r=<nonce>,s=<salt>,i=<iterations>`).
    pub fn start(first: ClientFirst, keys: ScramKeys) -> (Exchange, String) {
        let mut server_nonce = [0u8; 18];
        getrandom::fill(&mut server_nonce).expect("the OS gives random bytes");
        Exchange::with_server_nonce(first, keys, &B64.encode(server_nonce))
    }

    /// [`Exchange::start`] with the server's part of the nonce given
    /// (printable ASCII but `,`): for RFC 7677's example, the tests and
    /// the fuzz target `sasl`, which need a known nonce.
    pub(crate) fn with_server_nonce(
        first: ClientFirst,
        keys: ScramKeys,
        server_nonce: &str,
    ) -> (Exchange, String) {
        let server_first = format!(
            "r={}{},s={},i={}",
            first.nonce,
            server_nonce,
            B64.encode(&keys.salt),
            keys.iterations
        );
        let exchange = Exchange {
            first,
            server_first: server_first.clone(),
            keys,
        };
        (exchange, server_first)
    }

    /// The username being authenticated.
    pub fn username(&self) -> &str {
        &self.first.username
    }

    /// Checks the client-final message: on success returns the
    /// server-final message (`v=<ServerSignature>`) for the client to
    /// check.
    pub fn finish(&self, client_final: &str) -> Result<String, Failure> {
        let (without_proof, proof) = client_final
            .rsplit_once(",p=")
            .ok_or(Failure::Malformed("no proof"))?;
        let mut binding = None;
        let mut nonce = None;
        for attr in without_proof.split(',') {
            if let Some(v) = attr.strip_prefix("c=") {
                binding = Some(v);
            } else if let Some(v) = attr.strip_prefix("r=") {
                nonce = Some(v);
            }
        }
        if binding != Some(B64.encode(&self.first.gs2_header).as_str()) {
            return Err(Failure::Malformed("channel binding data differs"));
        }
        let expected_nonce = self
            .server_first
            .strip_prefix("r=")
            .and_then(|r| r.split(',').next());
        if nonce.is_none() || nonce != expected_nonce {
            return Err(Failure::Malformed("nonce differs"));
        }
        let proof = B64
            .decode(proof)
            .map_err(|_| Failure::Malformed("proof is not base64"))?;
        if proof.len() != 32 {
            return Err(Failure::BadProof);
        }
        let auth_message = format!(
            "{},{},{}",
            self.first.bare, self.server_first, without_proof
        );
        let client_signature = hmac(&self.keys.stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof
            .iter()
            .zip(client_signature.iter())
            .map(|(p, s)| p ^ s)
            .collect();
        let stored = Sha256::digest(&client_key);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            stored.as_slice(),
            self.keys.stored_key.as_slice(),
        )) {
            return Err(Failure::BadProof);
        }
        let server_signature = hmac(&self.keys.server_key, auth_message.as_bytes());
        Ok(format!("v={}", B64.encode(server_signature)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 §3's example exchange, with its fixed nonces and salt.
    #[test]
    fn rfc7677_example() {
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let keys = keys_with("pencil", &salt, 4096);
        let first = client_first("n,,n=user,r=rOprNGfwEbeRWgbNEkqO").unwrap();
        let (exchange, server_first) =
            Exchange::with_server_nonce(first, keys, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
        assert_eq!(
            server_first,
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        );
        let server_final = exchange
            .finish(
                "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                 p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            )
            .unwrap();
        assert_eq!(
            server_final,
            "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
        let wrong = exchange.finish(
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=AHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        );
        assert_eq!(wrong, Err(Failure::BadProof));
    }

    #[test]
    fn names_and_refusals() {
        assert_eq!(
            client_first("n,,n=a=2Cb=3Dc,r=x").unwrap().username,
            "a,b=c"
        );
        assert!(matches!(
            client_first("p=tls-unique,,n=a,r=x"),
            Err(Failure::ChannelBinding)
        ));
        assert!(client_first("n,a=other,n=a,r=x").is_err());
        assert!(client_first("n,a=a,n=a,r=x").is_ok());
        assert!(client_first("n,,n=a").is_err());
        assert!(client_first("n,,n=a=4,r=x").is_err());
    }
}
