//! TLS clients for the end-to-end tests: a rustls client that accepts the
//! server's certificate and reports its fingerprint (as a user accepting a
//! self-signed certificate by its fingerprint would), client certificates,
//! and IRC clients over TLS.

use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::{Client, TlsStream, TIMEOUT};

/// A client certificate and its key, and the certificate's fingerprint.
pub struct ClientCert {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub fingerprint: String,
}

/// A fresh self-signed client certificate for `name`.
pub fn client_cert(name: &str) -> ClientCert {
    let made = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
    let der = made.cert.der().clone();
    ClientCert {
        fingerprint: natter_server::tls::fingerprint(&der),
        chain: vec![der],
        key: PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into()),
    }
}

/// Connects over TLS to `addr`, with `cert` as client certificate if
/// given, and runs the handshake; the stream and the fingerprint of the
/// server's certificate.
pub fn tls_stream(addr: SocketAddr, cert: Option<&ClientCert>) -> (Stream, String) {
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .dangerous()
    .with_custom_certificate_verifier(Arc::new(natter_server::tls::ServerCertificate::any()));
    let config = match cert {
        Some(c) => builder
            .with_client_auth_cert(c.chain.clone(), c.key.clone_key())
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    let conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    // The handshake now, so the fingerprint is known.
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .expect("TLS handshake");
    }
    // Accepted, as a user accepts a self-signed certificate, by its
    // fingerprint, which the tests compare.
    let leaf = &stream
        .conn
        .peer_certificates()
        .expect("a server certificate")[0];
    let fingerprint = natter_server::tls::fingerprint(leaf);
    (stream, fingerprint)
}

/// A blocking TLS client stream.
pub type Stream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// An IRC [`Client`] over TLS to `addr` ([`tls_stream`]), and the
/// fingerprint of the server's certificate.
pub fn tls_connect(addr: SocketAddr, cert: Option<&ClientCert>) -> (Client, String) {
    let (stream, fingerprint) = tls_stream(addr, cert);
    (
        Client::over(TlsStream(Arc::new(Mutex::new(stream)))),
        fingerprint,
    )
}
