//! The service: extract the context, start the SERVER span, call the inner
//! service with the span current.

use super::future::ResponseFuture;
use super::layer::{RequestView, TracedHttpServerLayer};
use super::REQUEST_ID;
use crate::http::{method, protocol_version};
use crate::repeated;
use crate::scanned_headers::{ScannedHeaders, ServerHeader};
use http::header::HeaderValue;
use http::{Request, Response};
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

/// `server.address` and `server.port` from `Forwarded: host=`,
/// `X-Forwarded-Host`, then `Host` (or the URI's authority).
fn server_host<B>(req: &Request<B>, headers: &ScannedHeaders<'_>) -> Option<(StringValue, Option<u16>)> {
    let forwarded = headers.get(ServerHeader::Forwarded).and_then(|f| {
        f.split([';', ',']).find_map(|part| part.trim().strip_prefix("host=").map(|h| h.trim_matches('"')))
    });
    let raw = forwarded
        .or_else(|| headers.get(ServerHeader::XForwardedHost).map(|h| h.split(',').next().unwrap_or(h).trim()))
        .or_else(|| headers.get(ServerHeader::Host))
        .or_else(|| req.uri().authority().map(|a| a.as_str()))?;
    repeated::host(raw)
}

fn client_address<B>(req: &Request<B>, headers: &ScannedHeaders<'_>) -> Option<String> {
    if let Some(forwarded_for) = headers.get(ServerHeader::XForwardedFor) {
        return forwarded_for.split(',').next().map(|c| c.trim().to_owned());
    }
    #[cfg(feature = "http-server")]
    if let Some(connected) = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>() {
        return Some(connected.0.ip().to_string());
    }
    let _ = req;
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
        let headers = ScannedHeaders::scan(req.headers());
        // The caller's context; malformed headers leave it empty (new trace).
        let parent = traced_core::propagation::extract(&headers);
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
            true => headers.value(ServerHeader::XRequestId).filter(|v| v.to_str().is_ok()).cloned(),
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
                if let Some(agent) = headers.get(ServerHeader::UserAgent) {
                    a.push(KeyValue::new(USER_AGENT_ORIGINAL, agent.to_owned()));
                }
                if let Some(client) = client_address(&req, &headers) {
                    a.push(KeyValue::new(CLIENT_ADDRESS, client));
                }
                if let Some((host, port)) = server_host(&req, &headers) {
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
                None => match span.with_span_context(|sc| sc.is_valid().then(|| sc.trace_id())) {
                    Some(trace_id) => {
                        let id = traced_core::propagation::format_trace_id(trace_id);
                        let header = HeaderValue::from_str(&id).ok();
                        (id, header)
                    }
                    None => (String::new(), None),
                },
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
