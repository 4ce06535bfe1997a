//! The forms `#[traced]` accepts keep their behaviour: generics with where
//! clauses, `impl Trait`, trait impls (async fn in traits, `#[async_trait]`),
//! `unsafe` and `extern` fns, `enabled = false`, `crate = path`.
#![cfg(feature = "test-util")]
#![allow(unsafe_code)]

use std::fmt::Display;
use traced::testing::capture;
use traced::traced;

#[traced]
fn generic<T, U>(t: T, u: &U) -> String
where
    T: Display,
    U: Display + ?Sized,
{
    format!("{t}{u}")
}

#[traced]
fn returns_impl_trait(n: u8) -> impl Iterator<Item = u8> {
    (0..n).map(|x| x * 2)
}

#[traced]
#[must_use = "the count matters"]
fn must_use_kept() -> usize {
    1
}

/// # Safety
/// None needed: exercises `unsafe fn` support.
#[traced]
unsafe fn unsafe_fn(p: *const u8) -> u8 {
    *p
}

#[traced]
extern "C" fn c_abi(x: i32) -> i32 {
    x + 1
}

#[traced(enabled = false)]
fn compiled_out() -> u8 {
    3
}

mod reexport {
    pub(crate) use traced as renamed;
}

#[traced(crate = reexport::renamed)]
fn through_reexport() {}

trait Repo {
    async fn load(&self, id: u32) -> Result<u32, String>;
    fn sync_default(&self) -> u32;
}

struct Memory;

#[traced]
impl Repo for Memory {
    async fn load(&self, id: u32) -> Result<u32, String> {
        if id == 0 {
            return Err("missing".into());
        }
        Ok(id)
    }
    fn sync_default(&self) -> u32 {
        9
    }
}

#[async_trait::async_trait]
trait Store {
    async fn put(&self, v: u32) -> Result<(), String>;
}

struct AsyncTraitAbove;

// `#[async_trait]` runs first: its boxed future is instrumented.
#[async_trait::async_trait]
#[traced]
impl Store for AsyncTraitAbove {
    async fn put(&self, v: u32) -> Result<(), String> {
        if v == 0 {
            return Err("zero".into());
        }
        Ok(())
    }
}

struct AsyncTraitBelow;

// `#[traced]` runs first and leaves `async fn` for `#[async_trait]`.
#[traced]
#[async_trait::async_trait]
impl Store for AsyncTraitBelow {
    async fn put(&self, v: u32) -> Result<(), String> {
        if v == 0 {
            return Err("zero".into());
        }
        Ok(())
    }
}

#[traced]
async fn coerces_early_returns(n: u8) -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    if n == 0 {
        return Err(Box::new(std::io::Error::other("zero")));
    }
    Ok(n)
}

#[traced]
fn recursive(n: u32) -> u32 {
    if n == 0 {
        0
    } else {
        1 + recursive(n - 1)
    }
}

#[test]
fn generic_impl_trait_must_use_unsafe_extern() {
    let spans = capture();
    assert_eq!(generic(1, "a"), "1a");
    assert_eq!(returns_impl_trait(3).collect::<Vec<_>>(), [0, 2, 4]);
    assert_eq!(must_use_kept(), 1);
    let x = 5u8;
    assert_eq!(unsafe { unsafe_fn(&x) }, 5);
    assert_eq!(c_abi(1), 2);
    assert_eq!(
        spans.names(),
        [
            "macro_forms.generic",
            "macro_forms.returns_impl_trait",
            "macro_forms.must_use_kept",
            "macro_forms.unsafe_fn",
            "macro_forms.c_abi"
        ]
    );
}

#[test]
fn enabled_false_compiles_the_function_unchanged() {
    let spans = capture();
    assert_eq!(compiled_out(), 3);
    assert!(spans.spans().is_empty());
}

#[test]
fn crate_path_for_reexports() {
    let spans = capture();
    through_reexport();
    spans.span("macro_forms.through_reexport");
}

#[tokio::test]
async fn trait_impls_async_fn_in_trait_and_async_trait() {
    let spans = capture();
    assert_eq!(Memory.load(4).await, Ok(4));
    assert!(Memory.load(0).await.is_err());
    assert_eq!(Memory.sync_default(), 9);
    assert!(AsyncTraitAbove.put(0).await.is_err());
    assert!(AsyncTraitBelow.put(1).await.is_ok());
    let loads = spans.named("Memory.load");
    assert_eq!(loads.len(), 2);
    assert!(!loads[0].is_error() && loads[1].is_error());
    spans.span("Memory.sync_default");
    assert!(spans.span("AsyncTraitAbove.put").is_error());
    assert!(!spans.span("AsyncTraitBelow.put").is_error());
}

#[tokio::test]
async fn early_returns_coerce_as_before() {
    let spans = capture();
    assert_eq!(coerces_early_returns(0).await.unwrap_err().to_string(), "zero");
    assert!(spans.span("macro_forms.coerces_early_returns").is_error());
}

#[test]
fn recursion_nests() {
    let spans = capture();
    assert_eq!(recursive(3), 3);
    let all = spans.named("macro_forms.recursive");
    assert_eq!(all.len(), 4);
    // Innermost ends first; each is the child of the next.
    for pair in all.windows(2) {
        assert!(pair[0].is_child_of(&pair[1]));
    }
}
