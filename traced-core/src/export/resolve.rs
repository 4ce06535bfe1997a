//! Name resolution for the exporters that post with ureq: once per
//! endpoint and half a minute, not once per request.
//!
//! ureq resolves the host before it looks in its connection pool, and with
//! a request timeout set it resolves on a new thread each time (so that a
//! slow lookup can be abandoned). An exporter posting a batch every few
//! milliseconds to one endpoint made a thread per request: about a fifth of
//! the export thread's CPU at 100k spans/s. An IP address is not looked up
//! at all; a name is looked up as ureq does, and its addresses kept for
//! [`KEEP_FOR`], so a collector that moves is found again.

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// How long looked-up addresses are used before the name is looked up again.
const KEEP_FOR: Duration = Duration::from_secs(30);

/// A ureq agent with our resolver.
pub(crate) fn agent(config: Config) -> ureq::Agent {
    ureq::Agent::with_parts(config, DefaultConnector::default(), KeptResolver::default())
}

#[derive(Debug, Default)]
struct KeptResolver {
    lookup: DefaultResolver,
    kept: Mutex<Option<Kept>>,
}

#[derive(Debug)]
struct Kept {
    /// `host:port` the addresses are for.
    authority: String,
    at: Instant,
    addresses: ResolvedSocketAddrs,
}

impl Resolver for KeptResolver {
    fn resolve(&self, uri: &Uri, config: &Config, timeout: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or_default();
        let port = uri.port_u16().or_else(|| match uri.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        });
        if let (Ok(ip), Some(port)) = (host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>(), port) {
            let mut addresses = self.empty();
            addresses.push(SocketAddr::new(ip, port));
            return Ok(addresses);
        }
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
        if let Ok(kept) = self.kept.lock() {
            if let Some(kept) = kept.as_ref().filter(|k| k.authority == authority && k.at.elapsed() < KEEP_FOR) {
                return Ok(kept.addresses.clone());
            }
        }
        let addresses = self.lookup.resolve(uri, config, timeout)?;
        if let Ok(mut kept) = self.kept.lock() {
            *kept = Some(Kept { authority: authority.to_owned(), at: Instant::now(), addresses: addresses.clone() });
        }
        Ok(addresses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(resolver: &KeptResolver, uri: &str) -> Vec<SocketAddr> {
        let config = Config::default();
        let timeout = NextTimeout {
            after: Duration::from_secs(5).into(),
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        let uri: Uri = uri.parse().expect("uri");
        resolver.resolve(&uri, &config, timeout).expect("resolves").to_vec()
    }

    #[test]
    fn an_ip_address_is_its_own_answer() {
        let resolver = KeptResolver::default();
        assert_eq!(resolve(&resolver, "http://127.0.0.1:4318/v1/traces"), ["127.0.0.1:4318".parse().unwrap()]);
        assert_eq!(resolve(&resolver, "https://[::1]/v1/traces"), ["[::1]:443".parse().unwrap()]);
        assert!(resolver.kept.lock().unwrap().is_none(), "nothing looked up");
    }

    #[test]
    fn a_name_is_looked_up_once_and_kept() {
        let resolver = KeptResolver::default();
        let first = resolve(&resolver, "http://localhost:4318/v1/traces");
        assert!(first.iter().all(|a| a.ip().is_loopback() && a.port() == 4318), "{first:?}");
        let at = resolver.kept.lock().unwrap().as_ref().map(|k| k.at);
        assert_eq!(resolve(&resolver, "http://localhost:4318/v1/traces"), first);
        assert_eq!(resolver.kept.lock().unwrap().as_ref().map(|k| k.at), at, "answered from what was kept");
        // Another port is another authority: looked up again.
        let other = resolve(&resolver, "http://localhost:9411/api/v2/spans");
        assert!(other.iter().all(|a| a.port() == 9411));
    }
}
