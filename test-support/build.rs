fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    std::env::set_var("PROTOC", protoc);
    tonic_prost_build::configure().compile_protos(&["proto/echo.proto", "proto/orders.proto"], &["proto"])?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
