use traced::traced;

#[traced(fields(user.id))]
fn get(id: u64) -> u64 {
    id
}

fn main() {}
