//! Every form `#[traced]` accepts compiles, with no warnings.
#![deny(warnings)]

use traced::traced;

#[traced]
fn free() {}

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
    s.mutate(2);
    s.skipped();
    let _ = s.own(1);
    let _ = s.consume();
    let m = Memory { data: &[1] };
    let _ = m.load();
    let _ = m.lone_async();
}
