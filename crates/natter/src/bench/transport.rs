//! How the generator's clients reach a server: plain TCP, or TCP with TLS
//! (`--tls`), and the read and write halves every scenario holds.
//!
//! The halves are enums rather than boxed trait objects, so the plain path
//! is the tokio TCP halves it always was behind one match. A TLS stream is
//! split with `tokio::io::split` (a mutex held for one poll): the readers
//! and the pacing writer run in different tasks.
//!
//! TLS accepts any server certificate: the generator measures servers with
//! self-signed certificates. It still checks the handshake's signature
//! with the certificate's key, as a real client would, so the handshake
//! costs what a verifying client's costs bar the chain check.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::conn::STEP_TIMEOUT;

/// How the clients connect (flattened into every scenario's options).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Transport {
    /// Connect over TLS (IRC over TLS, e.g. natter's `irc_tls` port 6697;
    /// give that port with --addr). ANY server certificate is accepted
    /// without verification (the handshake signature is still checked):
    /// this is for benchmarking servers with self-signed certificates,
    /// never for reaching a server you need to trust.
    #[arg(long)]
    pub tls: bool,
    /// With --tls: offer only this key exchange group (e.g. X25519,
    /// secp256r1, X25519MLKEM768); default: rustls's (aws-lc-rs) list,
    /// X25519MLKEM768 first.
    #[arg(long, value_name = "GROUP", requires = "tls")]
    pub tls_group: Option<String>,
}

/// Opens connections as [`Transport`] says; cheap to clone.
#[derive(Clone)]
pub enum Dialer {
    Plain,
    Tls(tokio_rustls::TlsConnector),
}

/// What TLS a connection negotiated, e.g. `TLSv1_3 TLS13_AES_256_GCM_SHA384
/// X25519MLKEM768`.
pub type Negotiated = Option<String>;

impl Dialer {
    pub fn new(t: &Transport) -> Result<Dialer, String> {
        if !t.tls {
            return Ok(Dialer::Plain);
        }
        let mut provider = rustls::crypto::aws_lc_rs::default_provider();
        if let Some(name) = &t.tls_group {
            let all: Vec<String> = provider
                .kx_groups
                .iter()
                .map(|g| format!("{:?}", g.name()))
                .collect();
            provider
                .kx_groups
                .retain(|g| format!("{:?}", g.name()).eq_ignore_ascii_case(name));
            if provider.kx_groups.is_empty() {
                return Err(format!("--tls-group {name}: not one of {}", all.join(", ")));
            }
        }
        let verifier = AnyCertificate(provider.signature_verification_algorithms);
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        // Every handshake a full one: a benchmark of handshakes must not
        // measure session resumption by accident.
        config.resumption = rustls::client::Resumption::disabled();
        Ok(Dialer::Tls(tokio_rustls::TlsConnector::from(Arc::new(
            config,
        ))))
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, Dialer::Tls(_))
    }

    /// Connects to `addr` (and completes the TLS handshake) within
    /// [`STEP_TIMEOUT`].
    pub async fn dial(&self, addr: SocketAddr) -> Result<(Reader, Writer, Negotiated), String> {
        tokio::time::timeout(STEP_TIMEOUT, self.dial_now(addr))
            .await
            .map_err(|_| "connect timed out".to_string())?
    }

    async fn dial_now(&self, addr: SocketAddr) -> Result<(Reader, Writer, Negotiated), String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = stream.set_nodelay(true);
        match self {
            Dialer::Plain => {
                let (r, w) = stream.into_split();
                Ok((Reader::Plain(r), Writer::Plain(w), None))
            }
            Dialer::Tls(connector) => {
                let name = ServerName::IpAddress(addr.ip().into());
                let tls = connector
                    .connect(name, stream)
                    .await
                    .map_err(|e| format!("TLS handshake: {e}"))?;
                let negotiated = describe(tls.get_ref().1);
                let (r, w) = tokio::io::split(tls);
                Ok((Reader::Tls(r), Writer::Tls(w), Some(negotiated)))
            }
        }
    }
}

/// Protocol version, cipher suite and key exchange group.
fn describe(c: &rustls::ClientConnection) -> String {
    let part = |s: Option<String>| s.unwrap_or_else(|| "?".into());
    format!(
        "{} {} {}",
        part(c.protocol_version().map(|v| format!("{v:?}"))),
        part(
            c.negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()))
        ),
        part(
            c.negotiated_key_exchange_group()
                .map(|g| format!("{:?}", g.name()))
        ),
    )
}

/// A connection's read half.
pub enum Reader {
    Plain(OwnedReadHalf),
    Tls(tokio::io::ReadHalf<TlsStream<TcpStream>>),
}

/// A connection's write half.
pub enum Writer {
    Plain(OwnedWriteHalf),
    Tls(tokio::io::WriteHalf<TlsStream<TcpStream>>),
}

impl Writer {
    /// Writes all of `bytes` and, over TLS, flushes the records rustls
    /// still holds (a plain TCP write has nothing to flush).
    pub async fn send_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Writer::Plain(w) => w.write_all(bytes).await,
            Writer::Tls(w) => {
                w.write_all(bytes).await?;
                w.flush().await
            }
        }
    }
}

impl AsyncRead for Reader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Reader::Plain(r) => Pin::new(r).poll_read(cx, buf),
            Reader::Tls(r) => Pin::new(r).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Writer {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Writer::Plain(w) => Pin::new(w).poll_write(cx, buf),
            Writer::Tls(w) => Pin::new(w).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Writer::Plain(w) => Pin::new(w).poll_flush(cx),
            Writer::Tls(w) => Pin::new(w).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Writer::Plain(w) => Pin::new(w).poll_shutdown(cx),
            Writer::Tls(w) => Pin::new(w).poll_shutdown(cx),
        }
    }
}

/// Accepts every server certificate; checks only that the handshake was
/// signed with its key (with these algorithms).
#[derive(Debug)]
struct AnyCertificate(rustls::crypto::WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
