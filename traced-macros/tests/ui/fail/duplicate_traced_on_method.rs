use traced::traced;

struct S;

#[traced]
impl S {
    #[traced(kind = client)]
    #[traced(kind = server)]
    fn get(&self) {}
}

fn main() {}
