//! TraceQL over captured spans: the same engine as the `traced` command,
//! asked about what a test just did.
#![cfg(all(feature = "analyze", feature = "test-util"))]

use traced::testing::capture;
use traced::trace_queries::CaptureQueries;
use traced::traced;

struct Orders;

#[traced]
impl Orders {
    async fn place(&self, user: &str) -> Result<u32, std::io::Error> {
        traced::record!(user.id = user.to_owned());
        self.save(user).await
    }

    async fn save(&self, user: &str) -> Result<u32, std::io::Error> {
        if user == "banned" {
            return Err(std::io::Error::other("database connection failed"));
        }
        Ok(1)
    }
}

#[tokio::test]
async fn captured_spans_answer_traceql_and_the_sql_form() {
    let spans = capture();
    Orders.place("12345").await.unwrap();
    Orders.place("banned").await.unwrap_err();
    let traces = spans.traces();
    assert_eq!(traces.traces.len(), 2);
    assert_eq!(traces.traces[0].root().unwrap().name.as_ref(), "Orders.place");

    let failed = spans.query(r#"SELECT * FROM traces WHERE tags.error.message = "database connection failed""#);
    let names: Vec<&str> = failed.iter().map(|s| s.name.as_ref()).collect();
    assert_eq!(names, ["Orders.place", "Orders.save"]);
    let by_user = spans.query(r#"{ span.user.id = "12345" } > { name = "Orders.save" }"#);
    assert_eq!(by_user.len(), 1);
    assert!(!by_user[0].is_error());
    assert_eq!(spans.query("{ } | count() > 2").len(), 0, "each trace has two spans");
}
