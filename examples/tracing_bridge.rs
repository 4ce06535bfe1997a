//! A service that already uses `tracing` (`#[instrument]`, `info!`) adopting
//! `traced`: one trace for both, and log lines that carry its ids.
//!
//! ```sh
//! cargo run --example tracing_bridge --features tracing
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 cargo run --example tracing_bridge --features tracing
//! ```
//!
//! `handle_order` is `tracing`'s `#[instrument]`; it calls the `#[traced]`
//! `OrderService`, which calls `tracing`-instrumented code again. The console
//! exporter prints one tree; every log line ends with `trace_id=… span_id=…`
//! of the span it was written in.

use traced::integrations::tracing_bridge;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

struct OrderService;

#[traced::traced]
impl OrderService {
    fn place(&self, order: u64) -> Result<u64, std::io::Error> {
        tracing::info!(order, "placing");
        let total = price(order);
        if order == 13 {
            return Err(std::io::Error::other("unlucky order"));
        }
        Ok(total)
    }
}

#[tracing::instrument]
fn price(order: u64) -> u64 {
    tracing::debug!("not bridged: below INFO, still logged if fmt wants it");
    tracing::info!(cents = order * 250, "priced");
    order * 250
}

#[tracing::instrument(fields(otel.kind = "server", order.status = tracing::field::Empty))]
fn handle_order(order: u64) {
    match OrderService.place(order) {
        Ok(total) => {
            tracing::Span::current().record("order.status", "placed");
            tracing::info!(total, "order placed");
        }
        Err(e) => {
            tracing::Span::current().record("order.status", "failed");
            tracing::error!(error = %e, "order failed");
        }
    }
}

fn main() {
    // traced's pipeline: console unless OTEL_* says otherwise.
    let guard = traced::init();
    tracing_subscriber::registry().with(tracing_bridge::layer()).with(tracing_bridge::fmt_layer()).init();
    for order in [7, 13] {
        handle_order(order);
    }
    drop(guard);
}
