use traced::traced;

#[traced(ret)]
fn log_it(line: &str) {
    let _ = line;
}

fn main() {}
