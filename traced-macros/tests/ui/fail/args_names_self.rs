use traced::traced;

struct S;

impl S {
    #[traced(args(self))]
    fn get(&self) {}
}

fn main() {}
