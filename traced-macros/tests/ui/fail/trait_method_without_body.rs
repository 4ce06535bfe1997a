use traced::traced;

trait Repo {
    #[traced]
    fn load(&self) -> u8;
}

fn main() {}
