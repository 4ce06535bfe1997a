//! TraceQL over a known set of traces: selectors, intrinsics, structural
//! operators and pipelines, with the semantics Tempo gives them.

mod fixture;

use fixture::{read_traces, seed_and_cart_spans};
use traced_analyze::{Query, TraceSet};

fn traces() -> TraceSet {
    read_traces(&seed_and_cart_spans())
}

fn run(query: &str) -> Vec<(String, Vec<String>)> {
    let traces = traces();
    let q = Query::parse(query).unwrap_or_else(|e| panic!("{}", e.render(query)));
    q.run(&traces)
        .into_iter()
        .map(|m| {
            let id = m.trace.trace_id.to_string();
            let n = u8::from_str_radix(&id[30..], 16).unwrap();
            let names = m.spans.iter().map(|&i| m.trace.spans[i].name.to_string()).collect();
            (format!("t{n}"), names)
        })
        .collect()
}

fn traces_of(query: &str) -> Vec<String> {
    run(query).into_iter().map(|(t, _)| t).collect()
}

#[test]
fn intrinsics_and_scopes() {
    assert_eq!(traces_of("{ kind = consumer }"), ["t7"]);
    assert_eq!(traces_of("{ status = error && kind = server }"), ["t3"]);
    assert_eq!(traces_of(r#"{ statusMessage = "smtp refused" }"#), ["t7"]);
    assert_eq!(traces_of(r#"{ rootServiceName = "legacy" }"#), ["t4"]);
    assert_eq!(traces_of(r#"{ rootName = "GET /cart" && name =~ "SELECT.*" }"#), ["t7"]);
    assert_eq!(traces_of("{ traceDuration >= 1.5s }"), ["t1"]);
    assert_eq!(traces_of("{ trace:duration < 3ms }"), ["t5"]);
    assert_eq!(traces_of(r#"{ resource.service.name = "mailer" }"#), ["t7"]);
    assert_eq!(traces_of(r#"{ .service.name = "mailer" }"#), ["t7"], "unscoped falls back to the resource");
    assert_eq!(traces_of(r#"{ span.service.name = "mailer" }"#), Vec::<String>::new(), "span scope only");
    assert_eq!(traces_of(r#"{ event.exception.message =~ "database.*" }"#), ["t3"]);
    assert_eq!(traces_of(r#"{ event:name = "exception" }"#), ["t3"]);
    assert_eq!(traces_of("{ span.http.status_code >= 500 }"), ["t4"]);
    assert_eq!(traces_of("{ span.error }"), ["t4"], "a boolean attribute alone");
    assert_eq!(traces_of(r#"{ span.user.id != "12345" }"#), ["t6"], "!= needs the attribute");
    assert_eq!(traces_of(r#"{ span.user.id !~ "1.*" }"#).len(), 7, "!~ negates the match");
    assert_eq!(traces_of("{ span.user.id = nil && kind = server }").len(), 5);
}

#[test]
fn regexes_are_anchored() {
    assert_eq!(traces_of(r#"{ name =~ "SELECT" }"#), Vec::<String>::new());
    assert_eq!(traces_of(r#"{ name =~ "SELECT.*" }"#), ["t2", "t7"]);
}

#[test]
fn structural_operators_return_the_right_hand_spans() {
    assert_eq!(
        run(r#"{ name = "OrderService.list" } > { kind = client }"#),
        [("t7".to_owned(), vec!["SELECT orders".to_owned(), "SELECT items".to_owned()])]
    );
    assert_eq!(
        run(r#"{ kind = server && rootName = "GET /cart" } >> { span.db.system.name = "postgresql" }"#)[0].1,
        ["SELECT orders", "SELECT items"]
    );
    assert_eq!(
        traces_of(r#"{ kind = server } > { span.db.system.name = "postgresql" }"#),
        ["t2"],
        "direct children only"
    );
    assert_eq!(run(r#"{ name = "SELECT orders" } ~ { }"#)[0].1, ["SELECT items"], "siblings, not itself");
    assert_eq!(run(r#"{ name = "SELECT items" } < { }"#)[0].1, ["OrderService.list"]);
    assert_eq!(run(r#"{ name = "SELECT items" } << { }"#)[0].1, ["GET /cart", "OrderService.list"]);
    // A producer's consumer is its child here, as the file says.
    assert_eq!(traces_of("{ kind = producer } > { kind = consumer && status = error }"), ["t7"]);
}

#[test]
fn spanset_and_or() {
    assert_eq!(traces_of(r#"{ resource.service.name = "auth" } && { status = error }"#), ["t7"]);
    assert_eq!(traces_of(r#"{ resource.service.name = "auth" } || { span.user.id = "99999" }"#), ["t6", "t7"]);
    assert_eq!(
        run(r#"{ resource.service.name = "auth" } && { status = error }"#)[0].1,
        ["AuthService.check", "process cart"],
        "both sides' spans"
    );
}

#[test]
fn pipelines_count_aggregate_and_group() {
    assert_eq!(traces_of("{ } | count() > 6"), ["t7"]);
    assert_eq!(traces_of("{ kind = client } | count() = 2"), ["t7"]);
    assert_eq!(traces_of("{ kind = client } | avg(duration) > 50ms"), ["t7"]);
    assert_eq!(traces_of("{ kind = client } | max(duration) < 15ms"), ["t4"]);
    assert_eq!(traces_of("{ } | sum(duration) > 2s"), ["t1"]);
    assert_eq!(traces_of("{ } | min(duration) >= 30ms"), ["t1", "t3", "t6"]);
    assert_eq!(traces_of("{ } | by(resource.service.name) | count() >= 3"), ["t7"]);
    assert_eq!(
        run("{ } | by(resource.service.name) | count() >= 3")[0].1,
        ["OrderService.list", "SELECT orders", "SELECT items"]
    );
    assert_eq!(traces_of("{ kind = server } | { status = error }"), ["t3"]);
}

#[test]
fn syntax_errors_point_at_the_column() {
    for (query, column, start) in [
        ("{ name = }", 10, "expected an attribute, an intrinsic or a value, found `}`"),
        ("{ name = \"a\" } >", 17, "expected a span selector `{ ... }`"),
        ("{ duration > 5 parsecs }", 16, "expected `}`, `&&` or `||`"),
        ("{ kind = client } | count() > ", 31, "expected a number or a duration"),
        ("{ kind = client } | median(duration) > 1s", 21, "expected a pipeline stage"),
        ("{ span.a = 1 } }", 16, "expected `|`, `&&`, `||`"),
    ] {
        let e = Query::parse(query).unwrap_err();
        assert_eq!(e.column, column, "{query}: {e}");
        assert!(e.message.starts_with(start), "{query}: {e}");
    }
    let e = Query::parse("{ name = }").unwrap_err();
    assert_eq!(
        e.render("{ name = }"),
        "{ name = }\n         ^\ncolumn 10: expected an attribute, an intrinsic or a value, found `}`"
    );
}
