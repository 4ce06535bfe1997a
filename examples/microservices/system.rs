//! The services of the `microservices` example, each on its own 127.0.0.1
//! port in one process, talking over real transports:
//!
//! ```text
//! client ──HTTP──▶ gateway ──gRPC──▶ orders ──SQL──▶ database
//!                     ▲                 │
//!                     │               AMQP `order.created`
//!                     └──HTTP callback── worker ◀┘
//! ```
//!
//! Every hop carries the trace context, so one checkout is one trace.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{FieldTable, ShortString};
use lapin::{BasicProperties, Connection, ConnectionProperties, ExchangeKind};
use serde_json::{json, Value};
use sqlx::{Postgres, Sqlite};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::StreamExt;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Request, Response};
use tower_layer::Layer;
use traced::integrations::http_server::TracedHttpServerLayer;
use traced::integrations::lapin::{ChannelExt, Relation, TracedChannel, TracedConsumer};
use traced::integrations::reqwest::RequestBuilderExt;
use traced::integrations::sqlx::TracedPool;
use traced::integrations::tonic::{TracedGrpcClient, TracedGrpcClientLayer, TracedGrpcServerLayer};
use traced::traced;
use traced_test_support::orders::orders_client::OrdersClient;
use traced_test_support::orders::orders_server::{Orders, OrdersServer};
use traced_test_support::orders::{CreateOrder, OrderCreated};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Where the database and the broker are.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// PostgreSQL when set (`postgres://...`); SQLite in memory otherwise.
    pub(crate) database_url: Option<String>,
    pub(crate) amqp_url: String,
    /// The exchange `order.created` is published to (one per run keeps
    /// concurrent runs apart).
    pub(crate) exchange: String,
}

impl Config {
    /// `DATABASE_URL` and `AMQP_URL` from the environment.
    pub(crate) fn from_env() -> Config {
        Config {
            database_url: std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()),
            amqp_url: std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into()),
            exchange: "traced-demo".into(),
        }
    }
}

// ---- database ----------------------------------------------------------------

/// The orders table, in SQLite or PostgreSQL.
#[derive(Debug, Clone)]
enum Database {
    Sqlite(TracedPool<Sqlite>),
    Postgres(TracedPool<Postgres>),
}

impl Database {
    async fn connect(url: Option<&str>) -> Result<Database, sqlx::Error> {
        match url {
            Some(url) => {
                let pool = TracedPool::<Postgres>::connect(url).await?;
                sqlx::raw_sql(
                    "CREATE TABLE IF NOT EXISTS traced_demo_orders (
                        id bigserial PRIMARY KEY, customer text NOT NULL, item text NOT NULL, quantity int NOT NULL)",
                )
                .execute(&pool)
                .await?;
                Ok(Database::Postgres(pool))
            }
            None => {
                let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect("sqlite::memory:").await?;
                let pool = TracedPool::new(pool);
                sqlx::raw_sql(
                    "CREATE TABLE traced_demo_orders (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, customer TEXT NOT NULL, item TEXT NOT NULL, quantity INTEGER NOT NULL)",
                )
                .execute(&pool)
                .await?;
                Ok(Database::Sqlite(pool))
            }
        }
    }

    async fn insert_order(&self, order: &CreateOrder) -> Result<i64, sqlx::Error> {
        let quantity = i32::try_from(order.quantity).unwrap_or(i32::MAX);
        match self {
            Database::Postgres(pool) => {
                sqlx::query_scalar(
                    "INSERT INTO traced_demo_orders (customer, item, quantity) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(&order.customer)
                .bind(&order.item)
                .bind(quantity)
                .fetch_one(pool)
                .await
            }
            Database::Sqlite(pool) => {
                sqlx::query_scalar(
                    "INSERT INTO traced_demo_orders (customer, item, quantity) VALUES (?, ?, ?) RETURNING id",
                )
                .bind(&order.customer)
                .bind(&order.item)
                .bind(quantity)
                .fetch_one(pool)
                .await
            }
        }
    }
}

// ---- orders (gRPC) -------------------------------------------------------------

/// Stores orders and announces them.
struct OrdersService {
    db: Database,
    /// `None` when the broker was unreachable at start.
    broker: Option<TracedChannel>,
    exchange: String,
}

#[traced]
impl OrdersService {
    #[traced(fields(customer = order.customer.as_str(), item = order.item.as_str()))]
    async fn create(&self, order: CreateOrder) -> Result<OrderCreated, BoxError> {
        let order_id = self.db.insert_order(&order).await?;
        let announced = self.announce(order_id).await?;
        Ok(OrderCreated { order_id, announced })
    }

    /// Publishes `order.created`; false when there is no broker.
    async fn announce(&self, order_id: i64) -> Result<bool, lapin::Error> {
        let Some(broker) = &self.broker else { return Ok(false) };
        let body = json!({ "order_id": order_id }).to_string();
        let properties = BasicProperties::default().with_content_type(ShortString::from("application/json"));
        broker
            .basic_publish_traced(
                &self.exchange,
                "order.created",
                BasicPublishOptions::default(),
                body.as_bytes(),
                properties,
            )
            .await?
            .await?;
        Ok(true)
    }
}

#[tonic::async_trait]
impl Orders for OrdersService {
    async fn create(&self, request: Request<CreateOrder>) -> Result<Response<OrderCreated>, tonic::Status> {
        OrdersService::create(self, request.into_inner())
            .await
            .map(Response::new)
            .map_err(|err| tonic::Status::internal(err.to_string()))
    }
}

async fn serve_orders(service: OrdersService) -> Result<SocketAddr, BoxError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(
        Server::builder()
            .layer(TracedGrpcServerLayer::new())
            .add_service(OrdersServer::new(service))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    Ok(addr)
}

// ---- gateway (HTTP) --------------------------------------------------------------

/// The public HTTP API: takes orders, hears back from the worker.
struct Gateway {
    orders: OrdersClient<TracedGrpcClient<Channel>>,
    /// Confirmations by order id: a checkout waiting, or a callback that came
    /// before its checkout started waiting.
    confirmations: Mutex<HashMap<i64, Confirmation>>,
}

enum Confirmation {
    Awaited(oneshot::Sender<()>),
    Arrived,
}

#[traced]
impl Gateway {
    async fn create_order(&self, body: &Value) -> Result<OrderCreated, tonic::Status> {
        let order = CreateOrder {
            customer: body["customer"].as_str().unwrap_or("anonymous").to_owned(),
            item: body["item"].as_str().unwrap_or_default().to_owned(),
            quantity: body["quantity"].as_u64().and_then(|q| u32::try_from(q).ok()).unwrap_or(1),
        };
        // The tonic client is cheap to clone; each call gets its own.
        let reply = self.orders.clone().create(order).await?;
        Ok(reply.into_inner())
    }

    #[traced(fields(order.id = order_id))]
    fn order_confirmed(&self, order_id: i64) {
        let Ok(mut confirmations) = self.confirmations.lock() else { return };
        match confirmations.remove(&order_id) {
            Some(Confirmation::Awaited(checkout)) => {
                let _ = checkout.send(());
            }
            _ => {
                confirmations.insert(order_id, Confirmation::Arrived);
            }
        }
    }
}

async fn post_order(State(gateway): State<Arc<Gateway>>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    match gateway.create_order(&body).await {
        Ok(created) => {
            (StatusCode::CREATED, Json(json!({ "order_id": created.order_id, "announced": created.announced })))
        }
        Err(status) => (StatusCode::BAD_GATEWAY, Json(json!({ "error": status.message() }))),
    }
}

async fn post_confirmation(State(gateway): State<Arc<Gateway>>, Json(body): Json<Value>) -> StatusCode {
    match body["order_id"].as_i64() {
        Some(id) => {
            gateway.order_confirmed(id);
            StatusCode::NO_CONTENT
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn serve_gateway(gateway: Arc<Gateway>) -> Result<SocketAddr, BoxError> {
    let app = Router::new()
        .route("/orders", post(post_order))
        .route("/callbacks/order-created", post(post_confirmation))
        .with_state(gateway)
        .layer(TracedHttpServerLayer::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

// ---- worker (AMQP consumer) ------------------------------------------------------------

/// Reacts to `order.created` by calling the gateway back.
struct Worker {
    http: reqwest::Client,
    callback: String,
}

#[traced]
impl Worker {
    async fn handle_order_created(&self, body: &[u8]) -> Result<(), BoxError> {
        let event: Value = serde_json::from_slice(body)?;
        let response = self
            .http
            .post(&self.callback)
            .header("content-type", "application/json")
            .body(json!({ "order_id": event["order_id"] }).to_string())
            .send_traced()
            .await?;
        response.error_for_status()?;
        Ok(())
    }
}

/// The broker connection: a traced channel for the orders service and a
/// queue bound to `order.created` for the worker.
struct Broker {
    channel: TracedChannel,
    queue: String,
    _connection: Connection,
}

impl Broker {
    async fn connect(config: &Config) -> Result<Broker, BoxError> {
        let uri: lapin::uri::AMQPUri = config.amqp_url.parse()?;
        let connect = Connection::connect(&config.amqp_url, ConnectionProperties::default());
        let connection = tokio::time::timeout(Duration::from_secs(3), connect).await.map_err(|_| "timed out")??;
        let channel = connection.create_channel().await?;
        channel
            .exchange_declare(
                ShortString::from(config.exchange.as_str()),
                ExchangeKind::Topic,
                ExchangeDeclareOptions { auto_delete: true, ..Default::default() },
                FieldTable::default(),
            )
            .await?;
        // Server-named, exclusive: gone with the connection.
        let queue = channel
            .queue_declare(
                ShortString::from(""),
                QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() },
                FieldTable::default(),
            )
            .await?;
        let queue = queue.name().as_str().to_owned();
        channel
            .queue_bind(
                ShortString::from(queue.as_str()),
                ShortString::from(config.exchange.as_str()),
                ShortString::from("order.created"),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let channel = TracedChannel::new(channel, uri.authority.host, uri.authority.port);
        Ok(Broker { channel, queue, _connection: connection })
    }

    /// Runs the worker: each delivery handled in its `process` span, a child
    /// of the `publish` span that sent it.
    async fn start_worker(&self, worker: Worker, processed: mpsc::UnboundedSender<()>) -> Result<(), BoxError> {
        let consumer = self
            .channel
            .channel()
            .basic_consume(
                ShortString::from(self.queue.as_str()),
                ShortString::from("worker"),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let mut deliveries = TracedConsumer::new(consumer, self.queue.clone(), Relation::Parent);
        let worker = Arc::new(worker);
        tokio::spawn(async move {
            while let Some(Ok(delivery)) = deliveries.next().await {
                let worker = worker.clone();
                let handled = delivery
                    .process(|d| async move {
                        let outcome = worker.handle_order_created(&d.data).await;
                        let _ = d.acker.ack(BasicAckOptions::default()).await;
                        outcome
                    })
                    .await;
                if let Err(err) = handled {
                    eprintln!("worker: {err}");
                }
                let _ = processed.send(());
            }
        });
        Ok(())
    }
}

// ---- the system --------------------------------------------------------------

/// The running services.
pub(crate) struct System {
    pub(crate) gateway: SocketAddr,
    gateway_state: Arc<Gateway>,
    /// False when the broker was unreachable: orders are stored, not announced.
    pub(crate) broker_up: bool,
    /// One message per delivery the worker has finished (span ended).
    processed: tokio::sync::Mutex<mpsc::UnboundedReceiver<()>>,
    _broker: Option<Broker>,
}

/// What a checkout saw.
#[derive(Debug)]
pub(crate) struct Checkout {
    pub(crate) order_id: i64,
    /// Whether the worker called back (false without a broker).
    pub(crate) confirmed: bool,
}

impl System {
    /// Starts database, broker connection, orders, gateway and worker. An
    /// unreachable broker is reported in one line; the rest still runs.
    pub(crate) async fn start(config: &Config) -> Result<System, BoxError> {
        let db = Database::connect(config.database_url.as_deref()).await?;
        let broker = match Broker::connect(config).await {
            Ok(broker) => Some(broker),
            Err(err) => {
                eprintln!(
                    "broker unreachable at {} ({err}): orders are stored but not announced, and no worker runs",
                    config.amqp_url
                );
                None
            }
        };
        let orders =
            OrdersService { db, broker: broker.as_ref().map(|b| b.channel.clone()), exchange: config.exchange.clone() };
        let orders_addr = serve_orders(orders).await?;
        let channel = Endpoint::from_shared(format!("http://{orders_addr}"))?.connect().await?;
        let gateway_state = Arc::new(Gateway {
            orders: OrdersClient::new(TracedGrpcClientLayer::for_target(&orders_addr.to_string()).layer(channel)),
            confirmations: Mutex::new(HashMap::new()),
        });
        let gateway = serve_gateway(gateway_state.clone()).await?;
        let (processed_tx, processed) = mpsc::unbounded_channel();
        if let Some(broker) = &broker {
            let callback = format!("http://{gateway}/callbacks/order-created");
            broker.start_worker(Worker { http: reqwest::Client::new(), callback }, processed_tx).await?;
        }
        let processed = tokio::sync::Mutex::new(processed);
        Ok(System { gateway, gateway_state, broker_up: broker.is_some(), processed, _broker: broker })
    }

    /// Waits until the worker has finished one more delivery (its spans
    /// ended), or `timeout`; false on timeout or without a worker.
    pub(crate) async fn worker_finished(&self, timeout: Duration) -> bool {
        let mut processed = self.processed.lock().await;
        tokio::time::timeout(timeout, processed.recv()).await.is_ok_and(|m| m.is_some())
    }

    /// A client placing an order through the gateway, then waiting (up to
    /// ten seconds) for the worker's confirmation: the root of the trace.
    #[traced(name = "client.checkout", fields(item = item))]
    pub(crate) async fn checkout(&self, customer: &str, item: &str, quantity: u32) -> Result<Checkout, BoxError> {
        let response = reqwest::Client::new()
            .post(format!("http://{}/orders", self.gateway))
            .header("content-type", "application/json")
            .body(json!({ "customer": customer, "item": item, "quantity": quantity }).to_string())
            .send_traced()
            .await?
            .error_for_status()?;
        let created: Value = serde_json::from_str(&response.text().await?)?;
        let order_id = created["order_id"].as_i64().ok_or("no order id")?;
        if created["announced"] != Value::Bool(true) {
            return Ok(Checkout { order_id, confirmed: false });
        }
        // The callback may have come already.
        let (tx, rx) = oneshot::channel();
        {
            let mut confirmations = self.gateway_state.confirmations.lock().map_err(|_| "poisoned")?;
            if let Some(Confirmation::Arrived) = confirmations.remove(&order_id) {
                return Ok(Checkout { order_id, confirmed: true });
            }
            confirmations.insert(order_id, Confirmation::Awaited(tx));
        }
        let confirmed = tokio::time::timeout(Duration::from_secs(10), rx).await.is_ok_and(|r| r.is_ok());
        Ok(Checkout { order_id, confirmed })
    }
}
