//! Compile-time behaviour of `#[traced]`: every supported form compiles
//! cleanly, and each misuse fails with a message pointing at the token at
//! fault (snapshots in `tests/ui/fail/*.stderr`, for this pinned compiler).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
