//! Builds every fixture guest to a wasm32-wasip2 component, and wraps the
//! hand-written core modules under `wat/` as components of the plugin world.

use std::path::Path;

fn main() {
    let built = airssys_wasm_guest_build::GuestBuild::new("../Cargo.toml")
        .package("fixture-echo")
        .package("fixture-echo-v2")
        .package("fixture-client")
        .package("fixture-not-a-plugin")
        .package("fixture-wrong-import")
        .package("fixture-relay")
        .package("fixture-hostile")
        .package("ping")
        .package("pong")
        .package("event-log-emitter")
        .package("event-log-listener")
        .package("typed-orders-shop")
        .package("typed-orders-warehouse")
        .package("host-service-plugin")
        .watch("../guest-sdk")
        .watch("../guest-macros")
        .watch("../wit")
        .run();
    wat_components();
    for guest in built {
        let var = guest.package.to_uppercase().replace('-', "_");
        println!(
            "cargo:rustc-env=AIRSSYS_WASM_{var}={}",
            guest.wasm.display()
        );
    }
}

/// Each `wat/<name>.wat` as a component exporting the plugin world, in
/// `AIRSSYS_WASM_WAT_<NAME>`.
fn wat_components() {
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_dir("../wit").expect("the WIT parses");
    let world = resolve
        .select_world(&[package], Some("plugin"))
        .expect("the plugin world");
    println!("cargo:rerun-if-changed=../wit");
    for name in ["table-grower", "two-memories"] {
        let source = format!("wat/{name}.wat");
        println!("cargo:rerun-if-changed={source}");
        let mut module = wat::parse_file(&source).unwrap_or_else(|e| panic!("{source}: {e}"));
        wit_component::embed_component_metadata(
            &mut module,
            &resolve,
            world,
            wit_component::StringEncoding::UTF8,
        )
        .expect("metadata embeds");
        let component = wit_component::ComponentEncoder::default()
            .module(&module)
            .and_then(|encoder| encoder.validate(true).encode())
            .unwrap_or_else(|e| panic!("{source} as a component: {e:#}"));
        let path = Path::new(&out).join(format!("{name}.wasm"));
        std::fs::write(&path, component).expect("OUT_DIR is writable");
        let var = name.to_uppercase().replace('-', "_");
        println!("cargo:rustc-env=AIRSSYS_WASM_WAT_{var}={}", path.display());
    }
}
