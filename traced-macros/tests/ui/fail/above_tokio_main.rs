use traced::traced;

#[traced]
#[tokio::main(flavor = "current_thread")]
async fn main() {}
