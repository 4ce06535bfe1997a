use traced::traced;

struct S;

#[traced]
impl S {
    #[traced(skip, name = "x")]
    fn get(&self) {}
}

fn main() {}
