//! Bad components and bad system descriptions are refused at start with an
//! error that says which and why.

use airssys_test_fixtures::{ECHO, ECHO_PATH, NOT_A_PLUGIN};
use airssys_wasm::{
    ComponentSpec, StartCounts, StartProgress, SystemBuilder, SystemError, WasmError,
};

async fn start_error(builder: SystemBuilder) -> SystemError {
    builder.start().await.expect_err("start must fail")
}

/// Bytes that are not WebAssembly at all.
#[tokio::test]
async fn not_wasm_is_refused() {
    let error = start_error(
        SystemBuilder::new().component(ComponentSpec::from_bytes("junk", &b"hello world"[..])),
    )
    .await;
    assert!(
        matches!(error, SystemError::Wasm(WasmError::NotWasm { ref name }) if name == "junk"),
        "{error}"
    );
}

/// A core module where a component is expected.
#[tokio::test]
async fn core_module_is_refused() {
    let module = b"\0asm\x01\0\0\0";
    let error =
        start_error(SystemBuilder::new().component(ComponentSpec::from_bytes("core", &module[..])))
            .await;
    assert!(
        matches!(error, SystemError::Wasm(WasmError::CoreModule { ref name }) if name == "core"),
        "{error}"
    );
}

/// A component of another world: the error names the missing export.
#[tokio::test]
async fn component_of_another_world_is_refused() {
    let error = start_error(
        SystemBuilder::new().component(ComponentSpec::from_bytes("stranger", NOT_A_PLUGIN)),
    )
    .await;
    let SystemError::Wasm(WasmError::WrongWorld { name, source }) = error else {
        panic!("expected WrongWorld, got {error:?}");
    };
    assert_eq!(name, "stranger");
    // The linker's own words name what is missing.
    let why = format!("{source:#}");
    assert!(why.contains("airssys:wasm/component-lifecycle"), "{why}");
}

/// A truncated component fails to compile with the compiler's reason.
#[tokio::test]
async fn truncated_component_is_refused() {
    let error = start_error(
        SystemBuilder::new().component(ComponentSpec::from_bytes("cut", &ECHO[..ECHO.len() / 2])),
    )
    .await;
    assert!(
        matches!(error, SystemError::Wasm(WasmError::Compile { .. })),
        "{error}"
    );
}

/// A missing file names the path.
#[tokio::test]
async fn missing_file_is_refused() {
    let error = start_error(
        SystemBuilder::new().component(ComponentSpec::from_file("gone", "/nonexistent/gone.wasm")),
    )
    .await;
    assert!(
        matches!(error, SystemError::Wasm(WasmError::Read { ref path, .. }) if path.as_os_str() == "/nonexistent/gone.wasm"),
        "{error:?}"
    );
}

/// Names must be unique, non-empty and not `host`; grants must name
/// components of the system.
#[tokio::test]
async fn bad_names_and_grants_are_refused() {
    let twice = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("a", ECHO))
        .component(ComponentSpec::from_bytes("a", ECHO));
    assert!(matches!(start_error(twice).await, SystemError::DuplicateName(name) if name == "a"));

    let reserved = SystemBuilder::new().component(ComponentSpec::from_bytes("host", ECHO));
    assert!(matches!(
        start_error(reserved).await,
        SystemError::InvalidName(_)
    ));

    let typo = SystemBuilder::new().component(ComponentSpec::from_bytes("a", ECHO).grant("b"));
    assert!(
        matches!(start_error(typo).await, SystemError::UnknownGrant { missing, .. } if missing == "b")
    );
}

/// A component that imports what the host does not provide: the error
/// names the missing import.
#[tokio::test]
async fn component_with_unknown_import_is_refused() {
    let error = start_error(SystemBuilder::new().component(ComponentSpec::from_bytes(
        "needy",
        airssys_test_fixtures::WRONG_IMPORT,
    )))
    .await;
    let SystemError::Wasm(WasmError::WrongWorld { name, source }) = error else {
        panic!("expected WrongWorld, got {error:?}");
    };
    assert_eq!(name, "needy");
    let why = format!("{source:#}");
    assert!(why.contains("fixture:wrong-import/missing"), "{why}");
}

/// Instances are created in parallel, yet the error reported is always the
/// first failing component in the order they were added.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_failing_component_in_order_is_reported() {
    let mut builder = SystemBuilder::new();
    for i in 0..16 {
        let spec = ComponentSpec::from_bytes(format!("ok{i}"), ECHO);
        builder = builder.component(spec);
    }
    for name in ["first-tiny", "second-tiny"] {
        builder = builder.component(ComponentSpec::from_bytes(name, ECHO).memory_limit(64 * 1024));
    }
    let error = start_error(builder).await;
    assert!(
        matches!(error, SystemError::Wasm(WasmError::Instantiate { ref name, .. }) if name == "first-tiny"),
        "{error}"
    );
}

/// `StartProgress` counts each distinct source compiled once and each
/// instance started; a failed start shows how far it got.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_progress_counts_compilations_and_instances() {
    let progress = StartProgress::new();
    let shared: std::sync::Arc<[u8]> = ECHO.into();
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("echo-1", shared.clone()))
        .component(ComponentSpec::from_bytes("echo-2", shared))
        .component(ComponentSpec::from_file("echo-3", ECHO_PATH))
        .no_compile_cache()
        .progress(progress.clone())
        .start()
        .await
        .expect("starts");
    let counts = StartCounts {
        to_compile: 2,
        compiled: 2,
        from_cache: 0,
        stored: 0,
        to_start: 3,
        started: 3,
    };
    assert_eq!(progress.counts(), counts);
    system.shutdown(std::time::Duration::from_secs(1)).await;

    let failed = StartProgress::new();
    let tiny = ComponentSpec::from_bytes("tiny", ECHO).memory_limit(64 * 1024);
    start_error(
        SystemBuilder::new()
            .component(ComponentSpec::from_bytes("echo", ECHO))
            .component(tiny)
            .progress(failed.clone()),
    )
    .await;
    let counts = failed.counts();
    assert_eq!((counts.compiled, counts.to_start), (2, 2));
    assert_eq!(counts.started, 1, "only the component that fit started");
}
