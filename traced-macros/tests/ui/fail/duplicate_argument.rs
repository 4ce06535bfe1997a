use traced::traced;

#[traced(name = "a", kind = server, name = "b")]
fn get_user() {}

fn main() {}
