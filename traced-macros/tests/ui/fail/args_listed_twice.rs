use traced::traced;

#[traced(args(id, id))]
fn get_user(id: u64) -> u64 {
    id
}

fn main() {}
