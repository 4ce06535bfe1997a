use traced::traced;

#[traced(nmae = "x", kind = sever)]
fn get_user() {}

fn main() {}
