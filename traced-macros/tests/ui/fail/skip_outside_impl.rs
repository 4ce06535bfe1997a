use traced::traced;

#[traced(skip)]
fn get_user() {}

fn main() {}
