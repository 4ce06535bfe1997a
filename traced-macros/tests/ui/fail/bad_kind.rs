use traced::traced;

#[traced(kind = sever)]
fn get_user() {}

fn main() {}
