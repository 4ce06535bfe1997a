use traced::traced;

#[traced(err)]
fn nothing() {}

#[traced(err)]
fn count() -> Option<u32> {
    None
}

type Count = u32;

#[traced(err)]
fn aliased() -> Count {
    1
}

fn main() {}
