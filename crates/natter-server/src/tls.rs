//! TLS for every listener that asks for it (`[listen] irc_tls`, `im_tls`,
//! `link_tls`, `http_tls`) and for outgoing links: the certificate from
//! `[tls]` (or a self-signed one generated into the data directory), the
//! rustls server configuration built from it, and certificate
//! fingerprints.
//!
//! Neutral: it knows no front end. The record layer of client connections
//! is in `transport`; links and HTTPS use tokio-rustls streams.
//!
//! Fingerprints are SHA-256 over the certificate's DER bytes, as CertFP,
//! SASL EXTERNAL and `[[link]] fingerprint` use them: 64 lowercase hex
//! digits, no colons.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::config::{Config, ConfigError};

/// Where a generated certificate and its key live, in the data directory.
pub const GENERATED_DIR: &str = "tls";

/// The server's TLS identity, swapped whole by REHASH: connections keep
/// the configuration they started with; new ones get the new one.
pub struct Tls {
    current: RwLock<Option<Identity>>,
}

/// One loaded certificate: the rustls configuration that presents it and
/// its fingerprint.
#[derive(Clone)]
pub struct Identity {
    /// For accepting connections (clients may present a certificate).
    pub server: Arc<rustls::ServerConfig>,
    /// For HTTPS: the same certificate, but no client certificate is asked
    /// for (a browser asked for one may prompt its user to pick one), and
    /// ALPN `http/1.1`.
    pub https: Arc<rustls::ServerConfig>,
    /// The certificate chain and key, for outgoing links (as their client
    /// certificate).
    pub chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    /// The leaf certificate's SHA-256 fingerprint ([`fingerprint`]).
    pub fingerprint: String,
    /// The PEM file the certificate came from.
    pub cert_path: PathBuf,
}

impl Tls {
    /// No identity yet: TLS listeners refuse connections until
    /// [`Tls::load`] succeeds.
    pub fn new() -> Tls {
        Tls {
            current: RwLock::new(None),
        }
    }

    /// The identity in use (`None`: no TLS listener or link needs one).
    pub fn identity(&self) -> Option<Identity> {
        self.current.read().clone()
    }

    /// The server configuration new TLS connections get.
    pub fn server_config(&self) -> Option<Arc<rustls::ServerConfig>> {
        self.current.read().as_ref().map(|i| i.server.clone())
    }

    /// The server configuration new HTTPS connections get
    /// ([`Identity::https`]).
    pub fn https_config(&self) -> Option<Arc<rustls::ServerConfig>> {
        self.current.read().as_ref().map(|i| i.https.clone())
    }

    /// Loads (or generates) the certificate `config` names, when `config`
    /// needs TLS at all, and makes it the one new connections get. Blocking
    /// file I/O and, on first start, key generation.
    ///
    /// Errors: a file cannot be read or written, or holds no usable
    /// certificate or key; they name the `[tls]` key and the file.
    pub fn load(&self, config: &Config) -> Result<(), ConfigError> {
        if !needs_tls(config) {
            return Ok(());
        }
        let identity = Identity::load(config)?;
        tracing::info!(
            cert = %identity.cert_path.display(),
            fingerprint = %colons(&identity.fingerprint),
            "TLS certificate (SHA-256 fingerprint)"
        );
        *self.current.write() = Some(identity);
        Ok(())
    }
}

impl Default for Tls {
    fn default() -> Self {
        Tls::new()
    }
}

/// Whether any listener or link in `config` uses TLS.
pub fn needs_tls(config: &Config) -> bool {
    let l = &config.listen;
    !(l.irc_tls.is_empty() && l.im_tls.is_empty() && l.link_tls.is_empty() && l.http_tls.is_empty())
        || config.links.iter().any(|link| link.tls)
}

impl Identity {
    /// Reads `[tls] cert` and `key`, or the generated pair in
    /// `<data_dir>/tls/` (generating it first when absent).
    fn load(config: &Config) -> Result<Identity, ConfigError> {
        let (cert_path, key_path) = match (&config.tls.cert, &config.tls.key) {
            (Some(c), Some(k)) => (config.resolve(c), config.resolve(k)),
            _ => {
                let dir = config.server.data_dir.join(GENERATED_DIR);
                let pair = (dir.join("cert.pem"), dir.join("key.pem"));
                if !pair.0.exists() {
                    generate(&config.server.name, &pair.0, &pair.1).map_err(|e| {
                        config.error_at(
                            "tls.cert",
                            format!(
                                "cannot write a self-signed certificate in {}: {e}",
                                dir.display()
                            ),
                        )
                    })?;
                }
                pair
            }
        };
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)
            .and_then(|certs| certs.collect::<Result<_, _>>())
            .map_err(|e| {
                config.error_at(
                    "tls.cert",
                    format!("cannot read certificates from {}: {e}", cert_path.display()),
                )
            })?;
        if chain.is_empty() {
            return Err(config.error_at(
                "tls.cert",
                format!("{} holds no PEM certificate", cert_path.display()),
            ));
        }
        let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| {
            config.error_at(
                "tls.key",
                format!("cannot read a private key from {}: {e}", key_path.display()),
            )
        })?;
        let server = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("aws-lc-rs supports the default versions")
            .with_client_cert_verifier(Arc::new(AnyClientCert))
            .with_single_cert(chain.clone(), key.clone_key())
            .map_err(|e| {
                config.error_at(
                    "tls.key",
                    format!(
                        "{} and {} do not make a usable certificate: {e}",
                        cert_path.display(),
                        key_path.display()
                    ),
                )
            })?;
        let mut https = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("aws-lc-rs supports the default versions")
            .with_no_client_auth()
            .with_single_cert(chain.clone(), key.clone_key())
            .expect("the same certificate and key were just accepted");
        https.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Identity {
            fingerprint: fingerprint(&chain[0]),
            server: Arc::new(server),
            https: Arc::new(https),
            chain,
            key: Arc::new(key),
            cert_path,
        })
    }

    /// A client configuration for an outgoing link: it presents this
    /// identity and accepts the peer only if its leaf certificate has the
    /// SHA-256 fingerprint `pinned` (the peer's `[[link]] fingerprint`).
    pub fn link_client(&self, pinned: &str) -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
        let config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("aws-lc-rs supports the default versions")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ServerCertificate::pinned(pinned)))
            .with_client_auth_cert(self.chain.clone(), self.key.clone_key())?;
        Ok(Arc::new(config))
    }
}

/// The crypto provider every configuration uses (aws-lc-rs).
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Generates a self-signed certificate for `server_name`, `localhost` and
/// `127.0.0.1`, and writes it and its key (readable by the owner only).
fn generate(server_name: &str, cert: &Path, key: &Path) -> std::io::Result<()> {
    let names = vec![
        server_name.to_string(),
        "localhost".to_string(),
        "127.0.0.1".to_string(),
    ];
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    if let Some(dir) = cert.parent() {
        std::fs::create_dir_all(dir)?;
    }
    write_private(key, made.signing_key.serialize_pem().as_bytes())?;
    std::fs::write(cert, made.cert.pem())?;
    tracing::info!(cert = %cert.display(), "generated a self-signed TLS certificate");
    Ok(())
}

/// Writes `bytes` to a new file only its owner can read.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

/// A certificate's SHA-256 fingerprint: 64 lowercase hex digits.
pub fn fingerprint(cert: &[u8]) -> String {
    Sha256::digest(cert)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fingerprint as people compare it (`openssl x509 -fingerprint
/// -sha256`, irssi's `-tls_pinned_cert`): uppercase pairs joined by colons.
pub fn colons(fingerprint: &str) -> String {
    fingerprint
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(":")
}

/// A fingerprint as written by people (any case, with or without colons)
/// in the form natter compares: lowercase hex, no colons.
pub fn normalize(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(|c| *c != ':')
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Offers client authentication and accepts any certificate whose key
/// signs the handshake: a client certificate identifies (CertFP, SASL
/// EXTERNAL, a link's pinned fingerprint); it is not checked against a CA.
#[derive(Debug)]
struct AnyClientCert;

impl ClientCertVerifier for AnyClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &schemes())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &schemes())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        schemes().supported_schemes()
    }
}

/// The signature algorithms of the provider.
fn schemes() -> rustls::crypto::WebPkiSupportedAlgorithms {
    rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms
}

/// How a TLS client of natter's checks the server's certificate: by its
/// pinned fingerprint (lowercase hex), as link peers are known in advance,
/// like SSH hosts; or not at all ([`ServerCertificate::any`], for
/// benchmarks and tests against self-signed certificates). Either way the
/// handshake's signature is checked against the certificate's key.
#[derive(Debug)]
pub struct ServerCertificate(Option<String>);

impl ServerCertificate {
    /// Accepts only the certificate with SHA-256 `fingerprint` (any case,
    /// colons allowed).
    pub fn pinned(fingerprint: &str) -> ServerCertificate {
        ServerCertificate(Some(normalize(fingerprint)))
    }

    /// Accepts any certificate: no protection against a man in the
    /// middle. For benchmarks and tests only.
    pub fn any() -> ServerCertificate {
        ServerCertificate(None)
    }
}

impl ServerCertVerifier for ServerCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(pinned) = &self.0 else {
            return Ok(ServerCertVerified::assertion());
        };
        let seen = fingerprint(end_entity);
        if seen == *pinned {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the peer's certificate fingerprint is {seen}, not the pinned {pinned}"
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &schemes())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &schemes())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        schemes().supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_compare_in_one_form() {
        let fp = fingerprint(b"not really a certificate");
        assert_eq!(fp.len(), 64);
        assert_eq!(normalize(&colons(&fp)), fp);
        assert!(colons(&fp).contains(':'));
    }

    #[test]
    fn a_generated_certificate_loads_and_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.server.data_dir = dir.path().to_path_buf();
        let tls = Tls::new();
        tls.load(&config).unwrap();
        let first = tls.identity().unwrap().fingerprint;
        let again = Tls::new();
        again.load(&config).unwrap();
        assert_eq!(again.identity().unwrap().fingerprint, first);
    }

    #[test]
    fn a_missing_certificate_names_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.server.data_dir = dir.path().to_path_buf();
        config.tls.cert = Some(dir.path().join("nope.pem"));
        config.tls.key = Some(dir.path().join("nope.key"));
        let err = Tls::new().load(&config).err().unwrap();
        assert_eq!(err.key.as_deref(), Some("tls.cert"));
        assert!(err.message.contains("nope.pem"), "{}", err.message);
    }
}
