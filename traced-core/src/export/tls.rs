//! TLS for the exporters. The trust roots and the client identity are read
//! and checked once, when the exporter is built, so that a missing file or
//! a key that does not match its certificate is an error at set-up, not a
//! failure at the first export. Every transport then uses the same roots
//! and identity with the same crypto provider (ring: the only one in our
//! dependency tree, no OpenSSL).
//!
//! Trust: the CA file when one is given (then only it, as the other
//! OpenTelemetry SDKs do), else the system's roots.

use crate::config::Pem;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{CertificateError, ClientConfig, RootCertStore};
use std::sync::Arc;

/// The certificate files of a TLS exporter, as configured.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsFiles<'a> {
    pub(crate) ca: Option<&'a Pem>,
    pub(crate) client_certificate: Option<&'a Pem>,
    pub(crate) client_key: Option<&'a Pem>,
}

/// A client certificate chain and its key.
pub(crate) struct Identity {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivateKeyDer<'static>,
    /// The same, as PEM (what tonic and ureq take).
    #[cfg_attr(not(feature = "otlp-grpc"), allow(dead_code))]
    pub(crate) chain_pem: Vec<u8>,
    pub(crate) key_pem: Vec<u8>,
}

/// Loaded and checked TLS settings.
pub(crate) struct Tls {
    pub(crate) roots: RootCertStore,
    /// The roots as DER (what ureq takes).
    #[cfg_attr(not(any(feature = "otlp-http", feature = "zipkin")), allow(dead_code))]
    pub(crate) root_ders: Vec<CertificateDer<'static>>,
    pub(crate) identity: Option<Identity>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("roots", &self.roots.len())
            .field("client_certificate", &self.identity.is_some())
            .finish()
    }
}

/// The crypto provider of every TLS connection we make.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl Tls {
    /// Reads the roots and the identity; checks that they make a client
    /// configuration. `variable` names the setting in errors.
    pub(crate) fn load(files: &TlsFiles<'_>, variable: &str) -> Result<Tls, String> {
        let root_ders = match files.ca {
            Some(pem) => {
                let bytes = read(pem, &format!("{variable}_CERTIFICATE"))?;
                let certs = certificates(&bytes).map_err(|e| format!("{variable}_CERTIFICATE {}: {e}", name(pem)))?;
                if certs.is_empty() {
                    return Err(format!("{variable}_CERTIFICATE {}: no PEM certificate in it", name(pem)));
                }
                certs
            }
            None => system_roots(),
        };
        let mut roots = RootCertStore::empty();
        let (_, ignored) = roots.add_parsable_certificates(root_ders.iter().cloned());
        if files.ca.is_some() && ignored > 0 {
            return Err(format!("{variable}_CERTIFICATE: {ignored} of its certificates are not valid CA certificates"));
        }
        let identity = match (files.client_certificate, files.client_key) {
            (None, None) => None,
            (Some(cert), Some(key)) => Some(identity(cert, key, variable)?),
            (Some(_), None) => {
                return Err(format!("{variable}_CLIENT_CERTIFICATE is set without {variable}_CLIENT_KEY"))
            }
            (None, Some(_)) => {
                return Err(format!("{variable}_CLIENT_KEY is set without {variable}_CLIENT_CERTIFICATE"))
            }
        };
        let tls = Tls { roots, root_ders, identity };
        // Building a configuration checks the key against the provider
        // and the certificate now, rather than inside a transport later.
        tls.client_config()?;
        Ok(tls)
    }

    /// A rustls client configuration with these roots and identity.
    pub(crate) fn client_config(&self) -> Result<ClientConfig, String> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(self.roots.clone());
        match &self.identity {
            Some(id) => builder
                .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
                .map_err(|e| format!("the client certificate and key do not go together: {e}")),
            None => Ok(builder.with_no_client_auth()),
        }
    }
}

fn identity(cert: &Pem, key: &Pem, variable: &str) -> Result<Identity, String> {
    let cert_var = format!("{variable}_CLIENT_CERTIFICATE");
    let key_var = format!("{variable}_CLIENT_KEY");
    let chain_pem = read(cert, &cert_var)?;
    let chain = certificates(&chain_pem).map_err(|e| format!("{cert_var} {}: {e}", name(cert)))?;
    if chain.is_empty() {
        return Err(format!("{cert_var} {}: no PEM certificate in it", name(cert)));
    }
    let key_pem = read(key, &key_var)?;
    // The key's file name only: its content is never printed.
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|_| format!("{key_var} {}: no PEM private key (PKCS#8, PKCS#1 or SEC1) in it", name(key)))?;
    Ok(Identity { chain, key, chain_pem, key_pem })
}

fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_slice_iter(pem).collect::<Result<_, _>>().map_err(|e| format!("not valid PEM ({e})"))
}

fn read(pem: &Pem, variable: &str) -> Result<Vec<u8>, String> {
    match pem {
        Pem::Inline(bytes) => Ok(bytes.clone()),
        Pem::Path(path) => std::fs::read(path).map_err(|e| format!("{variable} `{}`: {e}", path.display())),
    }
}

fn name(pem: &Pem) -> String {
    match pem {
        Pem::Path(path) => format!("`{}`", path.display()),
        Pem::Inline(_) => "(given in code)".to_owned(),
    }
}

/// The system's trusted roots (`SSL_CERT_FILE`/`SSL_CERT_DIR` or the
/// distribution's bundle). None found is said, not fatal: a collector with
/// a private CA is then reached through the CA setting.
fn system_roots() -> Vec<CertificateDer<'static>> {
    let found = rustls_native_certs::load_native_certs();
    if found.certs.is_empty() {
        let why = found.errors.first().map(|e| format!(" ({e})")).unwrap_or_default();
        crate::diagnostics::warn(&format!(
            "no system CA certificates found{why}; TLS to a collector needs OTEL_EXPORTER_OTLP_CERTIFICATE"
        ));
    }
    found.certs
}

/// Our roots and identity in ureq's terms, with our provider.
/// Our roots and identity in ureq's terms, with our provider.
#[cfg(any(feature = "otlp-http", feature = "zipkin"))]
pub(crate) fn ureq_config(tls: &Tls) -> Result<ureq::tls::TlsConfig, String> {
    use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig, TlsProvider};
    let der = |c: &CertificateDer<'_>| Certificate::from_der(c).to_owned();
    let client_cert = match &tls.identity {
        Some(id) => {
            let chain: Vec<Certificate<'static>> = id.chain.iter().map(der).collect();
            // Read again from the PEM: ureq names key kinds with a type of its own.
            let key = PrivateKey::from_pem(&id.key_pem).map_err(|_| "the client key is not a PEM private key")?;
            Some(ClientCert::new_with_certs(&chain, key))
        }
        None => None,
    };
    Ok(TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::Specific(Arc::new(tls.root_ders.iter().map(der).collect())))
        .client_cert(client_cert)
        .unversioned_rustls_crypto_provider(provider())
        .build())
}

/// Said when a collector ends a TLS connection on us and we sent no client
/// certificate: over TLS 1.3 that is how a required one's absence shows.
pub(crate) const CLIENT_CERTIFICATE_HINT: &str =
    "does it require a client certificate? OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and _CLIENT_KEY";

/// When `error` or one of its causes is a TLS failure, what it means for
/// the user, in words that say what to change. Such failures are final:
/// a certificate does not become trusted by trying again.
pub(crate) fn explain(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let tls = find_rustls(error)?;
    let what = match tls {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the collector's certificate is not signed by a trusted CA (set OTEL_EXPORTER_OTLP_CERTIFICATE to the CA that signed it)"
        }
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "the collector's certificate is not valid for the endpoint's host name",
        rustls::Error::InvalidCertificate(
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. },
        ) => "the collector's certificate is expired or not yet valid",
        rustls::Error::InvalidCertificate(_) => "the collector's certificate was refused",
        rustls::Error::AlertReceived(_) => {
            return Some(format!("TLS: the collector ended the TLS handshake ({CLIENT_CERTIFICATE_HINT}) [{tls}]"))
        }
        rustls::Error::InvalidMessage(_) => "the endpoint does not speak TLS (is it an http:// endpoint?)",
        _ => "the TLS handshake failed",
    };
    Some(format!("TLS: {what} [{tls}]"))
}

/// The rustls error among `error`'s causes. An `io::Error` hides the error
/// it wraps from `source()`, so each one is opened with `get_ref`.
fn find_rustls<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
            if let Some(tls) = find_rustls(inner) {
                return Some(tls);
            }
        }
        next = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_mismatched_files_are_said_at_set_up() {
        let missing = Pem::Path("/nonexistent/ca.pem".into());
        let e = Tls::load(&TlsFiles { ca: Some(&missing), ..Default::default() }, "OTEL_EXPORTER_OTLP")
            .expect_err("no file");
        assert!(e.contains("OTEL_EXPORTER_OTLP_CERTIFICATE `/nonexistent/ca.pem`"), "{e}");
        let junk = Pem::Inline(b"not pem".to_vec());
        let e = Tls::load(&TlsFiles { ca: Some(&junk), ..Default::default() }, "OTEL_EXPORTER_OTLP")
            .expect_err("no certificate");
        assert!(e.contains("no PEM certificate"), "{e}");
        let e = Tls::load(&TlsFiles { client_key: Some(&junk), ..Default::default() }, "OTEL_EXPORTER_OTLP")
            .expect_err("key alone");
        assert!(e.contains("CLIENT_KEY is set without"), "{e}");
    }

    #[test]
    fn tls_causes_are_found_through_io_errors() {
        let tls = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        let said = explain(&io).expect("found");
        assert!(said.contains("not signed by a trusted CA"), "{said}");
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(explain(&plain), None);
    }
}
