//! Records the compiler that builds the crate, for the `process.runtime.*`
//! resource attributes.

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let description = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    // `rustc 1.95.0 (59807616e 2026-04-14)` -> `1.95.0`.
    let version = description.split_whitespace().nth(1).unwrap_or("unknown").to_owned();
    println!("cargo:rustc-env=TRACED_RUSTC_VERSION={version}");
    println!("cargo:rustc-env=TRACED_RUSTC_DESCRIPTION={description}");
    println!("cargo:rerun-if-env-changed=RUSTC");
}
