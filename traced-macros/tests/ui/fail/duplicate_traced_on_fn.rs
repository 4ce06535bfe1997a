use traced::traced;

#[traced]
#[traced(name = "again")]
fn twice() {}

fn main() {}
