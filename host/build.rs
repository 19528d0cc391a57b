//! With the `cli` feature, builds the ping-pong example guests so that
//! `airssys run` without a manifest can run them as its built-in demo.

fn main() {
    println!("cargo:rerun-if-env-changed=CARGO_FEATURE_CLI");
    if std::env::var_os("CARGO_FEATURE_CLI").is_none() {
        return;
    }
    let built = airssys_wasm_guest_build::GuestBuild::new("../Cargo.toml")
        .package("ping")
        .package("pong")
        .watch("../guest-sdk")
        .watch("../guest-macros")
        .watch("../wit")
        .run();
    for guest in built {
        let var = guest.package.to_uppercase();
        println!(
            "cargo:rustc-env=AIRSSYS_DEMO_{var}={}",
            guest.wasm.display()
        );
    }
}
