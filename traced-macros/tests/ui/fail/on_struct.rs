use traced::traced;

#[traced]
struct UserService;

fn main() {}
