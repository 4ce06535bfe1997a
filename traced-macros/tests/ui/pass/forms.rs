//! Every form `#[traced]` accepts compiles, with no warnings.
#![deny(warnings)]

use traced::traced;

#[traced]
fn free() {}

// A one-expression body adds no `unused_braces`.
#[traced]
fn one_line(x: u32) -> u32 {
    x
}

// A borrow of an argument returned through an inspected `Result`.
#[traced]
fn first_mut(v: &mut Vec<u32>) -> Result<&mut u32, String> {
    v.first_mut().ok_or_else(|| "empty".to_owned())
}

// `#[track_caller]` keeps its meaning: no closure around the body.
#[traced]
#[track_caller]
fn caller_line(fail: bool) -> Result<u32, String> {
    if fail {
        return Err("failed".to_owned());
    }
    let n: u32 = "7".parse().map_err(|_| "not a number".to_owned())?;
    Ok(n + std::panic::Location::caller().line())
}

#[traced]
async fn by_ref(ref c: u32) -> u32 {
    *c
}

#[traced(name = "custom", kind = client, fields(a = 1, b = %"x", c = ?Some(1)), ret)]
fn with_everything(n: u64) -> u64 {
    n
}

#[traced(args(id), err(event = false))]
fn fallible(id: u32) -> Result<u32, std::io::Error> {
    Ok(id)
}

#[traced]
async fn async_free(x: &str, _: u8) -> usize {
    x.len()
}

#[traced]
fn returns_future() -> impl std::future::Future<Output = u8> {
    async { 1 }
}

struct Service<T> {
    inner: T,
}

#[traced(service = "Svc")]
impl<T: Clone + Send + Sync> Service<T> {
    fn get(&self) -> T {
        self.inner.clone()
    }
    async fn get_async(&self) -> T {
        self.inner.clone()
    }
    // No `mismatched_lifetime_syntaxes` for an elided output lifetime.
    async fn name(&self) -> &str {
        "svc"
    }
    fn consume(self) -> T {
        self.inner
    }
    fn mutate(&mut self, v: T) {
        self.inner = v;
    }
    #[traced(skip)]
    fn skipped(&self) {}
    #[traced(kind = server, fields(n = n))]
    fn own(&self, n: u8) -> u8 {
        n
    }
}

struct Receivers;

#[traced]
impl Receivers {
    fn boxed(self: Box<Self>) {}
    fn rc(self: std::rc::Rc<Self>) {}
    async fn pinned(self: std::pin::Pin<&mut Self>) -> u8 {
        1
    }
    async fn by_value(self) {}
    async fn by_mut(&mut self, v: &mut Vec<u8>) {
        v.push(1);
    }
}

trait Repo {
    async fn load(&self) -> Result<u8, String>;
}

struct Memory<'a> {
    data: &'a [u8],
}

#[traced]
impl<'a> Repo for Memory<'a> {
    async fn load(&self) -> Result<u8, String> {
        self.data.first().copied().ok_or_else(|| "empty".into())
    }
}

impl<'a> Memory<'a> {
    #[traced]
    async fn lone_async(&self) -> &'a [u8] {
        self.data
    }
}

fn main() {
    Box::new(Receivers).boxed();
    std::rc::Rc::new(Receivers).rc();
    let mut r = Receivers;
    let _ = std::pin::Pin::new(&mut r).pinned();
    let mut v = Vec::new();
    let _ = r.by_mut(&mut v);
    let _ = Receivers.by_value();
    free();
    let _ = with_everything(1);
    let _ = fallible(1);
    let _ = async_free("x", 0);
    let _ = returns_future();
    let mut s = Service { inner: 1u8 };
    let _ = s.get();
    let _ = s.get_async();
    let _ = s.name();
    s.mutate(2);
    s.skipped();
    let _ = s.own(1);
    let _ = s.consume();
    let m = Memory { data: &[1] };
    let _ = m.load();
    let _ = m.lone_async();
    let _ = one_line(1);
    let mut v = vec![1];
    let _ = first_mut(&mut v);
    let _ = caller_line(false);
    let _ = by_ref(1);
}
