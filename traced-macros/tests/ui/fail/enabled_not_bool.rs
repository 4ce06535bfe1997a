use traced::traced;

#[traced(enabled = 1)]
fn get() {}

fn main() {}
