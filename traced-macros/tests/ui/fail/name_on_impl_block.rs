use traced::traced;

struct S;

#[traced(name = "S.everything")]
impl S {
    fn get(&self) {}
}

fn main() {}
