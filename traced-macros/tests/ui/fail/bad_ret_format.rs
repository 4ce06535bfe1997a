use traced::traced;

#[traced(ret(Json))]
fn get() -> u8 {
    1
}

fn main() {}
