//! Builds the plugin this host program runs.

fn main() {
    let built = airssys_wasm_guest_build::GuestBuild::new("../../Cargo.toml")
        .package("host-service-plugin")
        .watch("../../guest-sdk")
        .watch("../../wit")
        .watch("plugin")
        .run();
    for guest in built {
        println!(
            "cargo:rustc-env=HOST_SERVICE_PLUGIN_WASM={}",
            guest.wasm.display()
        );
    }
}
