//! Builds every fixture guest to a wasm32-wasip2 component.

fn main() {
    let built = airssys_wasm_guest_build::GuestBuild::new("../Cargo.toml")
        .package("fixture-echo")
        .package("fixture-client")
        .package("fixture-not-a-plugin")
        .package("fixture-wrong-import")
        .package("fixture-relay")
        .package("ping")
        .package("pong")
        .package("event-log-emitter")
        .package("event-log-listener")
        .package("typed-orders-shop")
        .package("typed-orders-warehouse")
        .watch("../guest-sdk")
        .watch("../guest-macros")
        .watch("../wit")
        .run();
    for guest in built {
        let var = guest.package.to_uppercase().replace('-', "_");
        println!(
            "cargo:rustc-env=AIRSSYS_WASM_{var}={}",
            guest.wasm.display()
        );
    }
}
