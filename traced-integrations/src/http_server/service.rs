//! The service: extract the context, start the SERVER span, call the inner
//! service with the span current.

use super::future::ResponseFuture;
use super::layer::{RequestView, TracedHttpServerLayer};
use super::{REQUEST_ID, REQUEST_ID_HEADER};
use crate::carrier::HeaderExtractor;
use crate::http::{method, protocol_version};
use crate::repeated;
use http::header::{HeaderName, HeaderValue, HOST};
use http::{HeaderMap, Request, Response};
use opentelemetry::{KeyValue, StringValue, Value};
use opentelemetry_semantic_conventions::attribute::{
    CLIENT_ADDRESS, HTTP_REQUEST_METHOD, HTTP_REQUEST_METHOD_ORIGINAL, HTTP_ROUTE, NETWORK_PROTOCOL_VERSION,
    SERVER_ADDRESS, SERVER_PORT, URL_PATH, URL_QUERY, URL_SCHEME, USER_AGENT_ORIGINAL,
};
use std::borrow::Cow;
use std::task::{Context as TaskContext, Poll};
use traced_core::span::{ActiveSpan, Attributes, Kind, SpanStart};

/// A service wrapped by [`TracedHttpServerLayer`].
#[derive(Debug, Clone)]
pub struct TracedHttpServer<S> {
    pub(crate) inner: S,
    pub(crate) config: TracedHttpServerLayer,
}

// Made once: a `&str` name is parsed and checked on every lookup.
static FORWARDED: HeaderName = HeaderName::from_static("forwarded");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static USER_AGENT: HeaderName = HeaderName::from_static("user-agent");
static X_REQUEST_ID: HeaderName = HeaderName::from_static(REQUEST_ID_HEADER);

fn header<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `server.address` and `server.port` from `Forwarded: host=`,
/// `X-Forwarded-Host`, then `Host` (or the URI's authority).
fn server_host<B>(req: &Request<B>) -> Option<(StringValue, Option<u16>)> {
    let headers = req.headers();
    let forwarded = header(headers, &FORWARDED).and_then(|f| {
        f.split([';', ',']).find_map(|part| part.trim().strip_prefix("host=").map(|h| h.trim_matches('"')))
    });
    let raw = forwarded
        .or_else(|| header(headers, &X_FORWARDED_HOST).map(|h| h.split(',').next().unwrap_or(h).trim()))
        .or_else(|| header(headers, &HOST))
        .or_else(|| req.uri().authority().map(|a| a.as_str()))?;
    repeated::host(raw)
}

fn client_address<B>(req: &Request<B>) -> Option<String> {
    if let Some(forwarded_for) = header(req.headers(), &X_FORWARDED_FOR) {
        return forwarded_for.split(',').next().map(|c| c.trim().to_owned());
    }
    #[cfg(feature = "http-server")]
    if let Some(connected) = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>() {
        return Some(connected.0.ip().to_string());
    }
    None
}

/// The route template, when the framework gives one (axum's `MatchedPath`).
fn route<B>(req: &Request<B>) -> Option<&str> {
    #[cfg(feature = "http-server")]
    if let Some(path) = req.extensions().get::<axum::extract::MatchedPath>() {
        return Some(path.as_str());
    }
    let _ = req;
    None
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for TracedHttpServer<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<super::TracedBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        // The caller's context; malformed headers leave it empty (new trace).
        let parent = traced_core::propagation::extract(&HeaderExtractor(req.headers()));
        let (method_name, method_attr, original) = method(req.method());
        let route = route(&req);
        let view = RequestView { method: req.method(), uri: req.uri(), headers: req.headers(), route };
        let custom_name = self.config.name.as_ref().and_then(|name| name(&view));
        let route = route.map(|route| repeated::route(method_name, route));
        let name: Cow<'static, str> = match (custom_name, &route) {
            (Some(custom), _) => Cow::Owned(custom),
            (None, Some((_, name))) => name.clone(),
            (None, None) => Cow::Borrowed(method_name),
        };
        // Kept as the header value (a reference count on the request's
        // bytes) to echo it back; only a value that is text counts.
        let incoming_request_id = match self.config.request_id {
            true => req.headers().get(&X_REQUEST_ID).filter(|v| v.to_str().is_ok()).cloned(),
            false => None,
        };
        let mut span = ActiveSpan::start_with(SpanStart {
            name,
            kind: Kind::Server,
            attributes: |a: &mut Attributes| {
                a.push(KeyValue::new(HTTP_REQUEST_METHOD, method_attr));
                if let Some(original) = original {
                    a.push(KeyValue::new(HTTP_REQUEST_METHOD_ORIGINAL, original));
                }
                a.push(KeyValue::new(URL_PATH, req.uri().path().to_owned()));
                if let Some(query) = req.uri().query() {
                    a.push(KeyValue::new(URL_QUERY, crate::http::redact_query(query)));
                }
                let scheme = match req.uri().scheme_str() {
                    None | Some("http") => Value::from("http"),
                    Some("https") => Value::from("https"),
                    Some(other) => Value::from(other.to_owned()),
                };
                a.push(KeyValue::new(URL_SCHEME, scheme));
                if let Some((route, _)) = &route {
                    a.push(KeyValue::new(HTTP_ROUTE, route.clone()));
                }
                if let Some(agent) = header(req.headers(), &USER_AGENT) {
                    a.push(KeyValue::new(USER_AGENT_ORIGINAL, agent.to_owned()));
                }
                if let Some(client) = client_address(&req) {
                    a.push(KeyValue::new(CLIENT_ADDRESS, client));
                }
                if let Some((host, port)) = server_host(&req) {
                    a.push(KeyValue::new(SERVER_ADDRESS, host));
                    if let Some(port) = port {
                        a.push(KeyValue::new(SERVER_PORT, i64::from(port)));
                    }
                }
                if let Some(v) = protocol_version(req.version()) {
                    a.push(KeyValue::new(NETWORK_PROTOCOL_VERSION, v));
                }
                if let Some(on_request) = &self.config.on_request {
                    on_request(&view, a);
                }
            },
            attribute_capacity: 12,
            links: Vec::new,
            skip_unsampled_child: false,
            parent: Some(&parent),
        });
        let request_id = if self.config.request_id {
            let (id, header) = match incoming_request_id {
                Some(value) => (value.to_str().unwrap_or_default().to_owned(), Some(value)),
                None => {
                    let sc = span.span_context();
                    if sc.is_valid() {
                        let id = traced_core::propagation::format_trace_id(sc.trace_id());
                        let header = HeaderValue::from_str(&id).ok();
                        (id, header)
                    } else {
                        (String::new(), None)
                    }
                }
            };
            if !id.is_empty() {
                span.set_attribute(KeyValue::new(REQUEST_ID, id));
            }
            header.filter(|h| !h.is_empty())
        } else {
            None
        };
        // The handler runs (and its future is built) with the span current.
        let inner = {
            let _scope = span.enter();
            self.inner.call(req)
        };
        ResponseFuture::new(inner, span, request_id, self.config.clone())
    }
}
