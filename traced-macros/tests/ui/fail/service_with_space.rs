use traced::traced;

#[traced(service = "User Service")]
fn get() {}

fn main() {}
