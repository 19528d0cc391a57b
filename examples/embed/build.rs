//! Builds the ping-pong guests this host program embeds.

fn main() {
    let built = airssys_wasm_guest_build::GuestBuild::new("../../Cargo.toml")
        .package("ping")
        .package("pong")
        .watch("../../guest-sdk")
        .watch("../../wit")
        .run();
    for guest in built {
        let var = guest.package.to_uppercase();
        println!("cargo:rustc-env=EMBED_{var}_WASM={}", guest.wasm.display());
    }
}
