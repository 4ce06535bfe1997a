use traced::traced;

#[traced(err(events = false))]
fn get() -> Result<(), String> {
    Ok(())
}

fn main() {}
