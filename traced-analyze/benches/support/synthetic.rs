//! Synthetic OTLP JSON lines, shared by the query bench and the
//! `generate_traces` example: each trace has ten spans over three services
//! (HTTP server, a handler, a gRPC hop, database calls), about 430 bytes of
//! JSON per span; one trace in fifty fails with an exception event, one in a
//! thousand takes 1.5 s; `user.id` cycles over 10,000 users. A line carries
//! one service's spans of 20 traces, as a Collector's batches do.

use std::fmt::Write as _;

/// Writes `traces` traces to `out`.
pub(crate) fn write(out: &mut impl std::io::Write, traces: u64) -> std::io::Result<()> {
    let mut written = 0u64;
    while written < traces {
        let batch = (traces - written).min(20);
        for service in 0..3 {
            out.write_all(line(written, batch, service).as_bytes())?;
        }
        written += batch;
    }
    out.flush()
}

const SERVICES: [&str; 3] = ["frontend", "users", "postgres-client"];
const T0: u64 = 1_764_300_000_000_000_000;

fn line(first: u64, count: u64, service: usize) -> String {
    let mut s = String::with_capacity(count as usize * 6000);
    write!(
        s,
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{}"}}}},{{"key":"service.version","value":{{"stringValue":"1.4.2"}}}},{{"key":"host.name","value":{{"stringValue":"node-{service}"}}}}]}},"scopeSpans":[{{"scope":{{"name":"traced","version":"0.1.0"}},"spans":["#,
        SERVICES[service]
    )
    .unwrap();
    let mut first_span = true;
    for t in first..first + count {
        let start = T0 + t * 10_000_000;
        let failed = t % 50 == 7;
        let slow = t % 1000 == 3;
        let user = t % 10_000;
        let mut span = |id: u64,
                        parent: Option<u64>,
                        name: &str,
                        kind: u8,
                        offset_us: u64,
                        dur_us: u64,
                        attrs: &str,
                        extra: &str| {
            if !first_span {
                s.push(',');
            }
            first_span = false;
            let parent = parent.map(|p| format!(r#""parentSpanId":"{:016x}","#, t << 8 | p)).unwrap_or_default();
            write!(
                s,
                r#"{{"traceId":"{:032x}","spanId":"{:016x}",{parent}"name":"{name}","kind":{kind},"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{attrs}]{extra}}}"#,
                0x5eed_0000_0000_0000_0000_0000_0000_0000u128 | u128::from(t),
                t << 8 | id,
                start + offset_us * 1000,
                start + (offset_us + dur_us) * 1000,
            )
            .unwrap();
        };
        let status = if failed { 500 } else { 200 };
        let total = if slow { 1_500_000 } else { 20_000 + (t % 37) * 1000 };
        match service {
            0 => {
                span(
                    1,
                    None,
                    "GET /users/{id}",
                    2,
                    0,
                    total,
                    &format!(
                        r#"{{"key":"http.request.method","value":{{"stringValue":"GET"}}}},{{"key":"url.path","value":{{"stringValue":"/users/{user}"}}}},{{"key":"http.route","value":{{"stringValue":"/users/{{id}}"}}}},{{"key":"http.response.status_code","value":{{"intValue":"{status}"}}}},{{"key":"user.id","value":{{"stringValue":"user-{user}"}}}}"#
                    ),
                    if failed { r#","status":{"code":2}"# } else { "" },
                );
                span(
                    2,
                    Some(1),
                    "UserHandler.get",
                    1,
                    100,
                    total - 200,
                    &format!(
                        r#"{{"key":"user.id","value":{{"stringValue":"user-{user}"}}}},{{"key":"code.function.name","value":{{"stringValue":"get"}}}}"#
                    ),
                    "",
                );
                span(
                    3,
                    Some(2),
                    "users.Users/Get",
                    3,
                    200,
                    total - 600,
                    r#"{"key":"rpc.system.name","value":{"stringValue":"grpc"}},{"key":"rpc.method","value":{"stringValue":"users.Users/Get"}},{"key":"server.address","value":{"stringValue":"users"}},{"key":"server.port","value":{"intValue":"50051"}}"#,
                    if failed { r#","status":{"code":2,"message":"UNAVAILABLE"}"# } else { "" },
                );
            }
            1 => {
                span(
                    4,
                    Some(3),
                    "users.Users/Get",
                    2,
                    300,
                    total - 900,
                    r#"{"key":"rpc.system.name","value":{"stringValue":"grpc"}},{"key":"rpc.method","value":{"stringValue":"users.Users/Get"}},{"key":"rpc.response.status_code","value":{"stringValue":"OK"}}"#,
                    if failed { r#","status":{"code":2,"message":"database connection failed"}"# } else { "" },
                );
                span(
                    5,
                    Some(4),
                    "UserService.get_user",
                    1,
                    350,
                    total - 1000,
                    &format!(r#"{{"key":"user.id","value":{{"stringValue":"user-{user}"}}}}"#),
                    "",
                );
                span(
                    6,
                    Some(5),
                    "UserCache.lookup",
                    1,
                    360,
                    80,
                    r#"{"key":"cache.hit","value":{"boolValue":false}}"#,
                    "",
                );
            }
            _ => {
                let ev = if failed {
                    format!(
                        r#","events":[{{"timeUnixNano":"{}","name":"exception","attributes":[{{"key":"exception.type","value":{{"stringValue":"sqlx::Error"}}}},{{"key":"exception.message","value":{{"stringValue":"database connection failed"}}}}]}}],"status":{{"code":2,"message":"database connection failed"}}"#,
                        start + 500_000
                    )
                } else {
                    String::new()
                };
                span(
                    7,
                    Some(5),
                    "SELECT users",
                    3,
                    450,
                    3000,
                    r#"{"key":"db.system.name","value":{"stringValue":"postgresql"}},{"key":"db.operation.name","value":{"stringValue":"SELECT"}},{"key":"db.collection.name","value":{"stringValue":"users"}},{"key":"db.query.text","value":{"stringValue":"SELECT id, name, email FROM users WHERE id = $1"}},{"key":"server.address","value":{"stringValue":"127.0.0.1"}}"#,
                    &ev,
                );
                span(
                    8,
                    Some(5),
                    "SELECT roles",
                    3,
                    3500,
                    2000,
                    r#"{"key":"db.system.name","value":{"stringValue":"postgresql"}},{"key":"db.operation.name","value":{"stringValue":"SELECT"}},{"key":"db.collection.name","value":{"stringValue":"roles"}},{"key":"db.query.text","value":{"stringValue":"SELECT role FROM roles WHERE user_id = $1"}}"#,
                    "",
                );
                span(
                    9,
                    Some(5),
                    "SELECT prefs",
                    3,
                    5600,
                    1500,
                    r#"{"key":"db.system.name","value":{"stringValue":"postgresql"}},{"key":"db.operation.name","value":{"stringValue":"SELECT"}},{"key":"db.collection.name","value":{"stringValue":"prefs"}}"#,
                    "",
                );
                span(
                    10,
                    Some(5),
                    "UPDATE sessions",
                    3,
                    7200,
                    900,
                    r#"{"key":"db.system.name","value":{"stringValue":"postgresql"}},{"key":"db.operation.name","value":{"stringValue":"UPDATE"}},{"key":"db.collection.name","value":{"stringValue":"sessions"}}"#,
                    "",
                );
            }
        }
    }
    s.push_str("]}]}]}\n");
    s
}
