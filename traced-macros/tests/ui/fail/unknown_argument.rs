use traced::traced;

#[traced(nmae = "get_user")]
fn get_user() {}

fn main() {}
