//! The built component under the real airssys host: what the unit tests
//! cannot show (the WIT glue, JSON on the wire, errors as the host reports
//! them).

use std::path::PathBuf;
use std::process::{Command, Stdio};

use airssys_wasm::testing::PluginTest;
use airssys_wasm::{ComponentSpec, RequestError};

/// Builds the component as `cargo build-plugin` does and returns the path
/// cargo reports for it.
fn component() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .args(["--message-format", "json-render-diagnostics"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit());
    // Flags and wrappers for this native test build are not for the component.
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER"] {
        build.env_remove(var);
    }
    let output = build.output().expect("cargo could not be started");
    assert!(output.status.success(), "building the component failed: see above");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .flat_map(|message| message["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|file| file.as_str().map(PathBuf::from))
        .find(|file| file.file_name().is_some_and(|name| name == "{{crate_name}}.wasm"))
        .expect("cargo reported no {{crate_name}}.wasm")
}

#[tokio::test]
async fn greets_under_the_host_and_refuses_an_empty_name() {
    let plugin = PluginTest::new(ComponentSpec::from_file("{{project-name}}", component()))
        .start()
        .await
        .unwrap();

    let answer = plugin.request(r#"{"name": "Ada"}"#).unwrap().await.unwrap();
    assert_eq!(answer, r#"{"text":"Hello, Ada!"}"#);

    let refused = plugin.request(r#"{"name": " "}"#).unwrap().await;
    assert!(
        matches!(&refused, Err(RequestError::Responder { error, .. }) if error.to_string().contains("a name is needed")),
        "{refused:?}"
    );
    let not_json = plugin.request("hello").unwrap().await;
    assert!(matches!(not_json, Err(RequestError::Responder { .. })), "{not_json:?}");
}
