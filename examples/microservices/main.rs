//! One checkout across four transports, in one trace.
//!
//! ```sh
//! cargo run --example microservices
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo run --example microservices
//! ```
//!
//! A client posts an order to the gateway (HTTP, axum); the gateway calls
//! the orders service (gRPC, tonic), which stores the order (SQLite in
//! memory, or PostgreSQL at `DATABASE_URL`) and publishes `order.created`
//! (RabbitMQ at `AMQP_URL`, default `amqp://guest:guest@127.0.0.1:5672/%2f`);
//! a worker consumes it and calls the gateway back over HTTP. Every service
//! runs in this process on its own 127.0.0.1 port, and the whole flow is
//! printed as one tree. Without a broker it says so and runs the rest.

mod system;

#[tokio::main]
async fn main() -> Result<(), system::BoxError> {
    let guard = traced::builder().service_name("shop").environment("development").install()?;
    let system = system::System::start(&system::Config::from_env()).await?;
    let checkout = system.checkout("ada", "The Art of Computer Programming", 1).await?;
    // The worker's spans end just after its callback: let them.
    if checkout.confirmed {
        system.worker_finished(std::time::Duration::from_secs(5)).await;
    }
    match (system.broker_up, checkout.confirmed) {
        (true, true) => println!("order {} placed and confirmed by the worker", checkout.order_id),
        (true, false) => println!("order {} placed; the worker did not confirm within 10 s", checkout.order_id),
        (false, _) => println!("order {} placed (not announced: no broker)", checkout.order_id),
    }
    println!("\nThe trace:\n");
    drop(guard);
    Ok(())
}
