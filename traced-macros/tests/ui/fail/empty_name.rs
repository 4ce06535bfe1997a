use traced::traced;

#[traced(name = "")]
fn get() {}

fn main() {}
