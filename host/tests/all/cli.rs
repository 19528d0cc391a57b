//! The `airssys` command, run as a user runs it.

use std::process::{Command, Output};

use airssys_test_fixtures::{ECHO_PATH, NOT_A_PLUGIN};

fn airssys(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airssys"))
        .args(args)
        .output()
        .expect("airssys runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `airssys run` with no manifest runs the built-in ping-pong demo and
/// prints the whole flow: requests, responses, callbacks, the timeout.
#[test]
fn run_without_manifest_runs_the_demo() {
    let output = airssys(&["run"]);
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    for expected in [
        "request   ping -> pong",
        "response  pong",
        "callback  ping",
        "ok \"pong 1\"",
        "timeout   ping -> pong",
        "error: request to \"pong\" timed out after 100 ms",
        "late      pong",
        "1 timed out, 1 late responses dropped",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

/// A manifest's components start, its initial request is answered, and the
/// answer is printed.
#[test]
fn run_with_a_manifest() {
    let dir = std::env::temp_dir().join(format!("airssys-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("echo.toml");
    std::fs::write(
        &manifest,
        format!(
            "[[component]]\nname = \"echo\"\nwasm = {ECHO_PATH:?}\n\n\
             [[message]]\nto = \"echo\"\npayload = \"hello\"\npattern = \"request\"\ntimeout-ms = 5000\n"
        ),
    )
    .unwrap();
    let output = airssys(&["run", manifest.to_str().unwrap()]);
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains("host      <- echo response \"hello\""),
        "{stdout}"
    );
}

/// A bad manifest exits with 2 and one line naming the file, line and
/// field.
#[test]
fn bad_manifest_is_a_usage_error() {
    let dir = std::env::temp_dir().join(format!("airssys-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("bad.toml");
    std::fs::write(
        &manifest,
        "[[component]]\nname = \"a\"\nwasm = \"a.wasm\"\ngrant = [\"b\"]\n",
    )
    .unwrap();
    let output = airssys(&["run", manifest.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("bad.toml"), "{stderr}");
    assert!(stderr.contains("line 4"), "{stderr}");
    assert!(stderr.contains("unknown field `grant`"), "{stderr}");
}

/// A component that cannot load exits with 1 and says which and why.
#[test]
fn unloadable_component_fails_the_run() {
    let dir = std::env::temp_dir().join(format!("airssys-cli-missing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("missing.toml");
    std::fs::write(
        &manifest,
        "[[component]]\nname = \"a\"\nwasm = \"nowhere.wasm\"\n",
    )
    .unwrap();
    let output = airssys(&["run", manifest.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("nowhere.wasm"),
        "{}",
        text(&output.stderr)
    );
}

/// `airssys inspect` on a plugin: what it imports and exports, "plugin:
/// yes", exit 0.
#[test]
fn inspect_describes_a_plugin() {
    let output = airssys(&["inspect", ECHO_PATH]);
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    for expected in [
        "airssys:wasm/host-services@0.1.0: send-message",
        "airssys:wasm/component-lifecycle@0.1.0: handle-message, handle-callback",
        "plugin: yes",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

/// Not a plugin, not wasm, or no file at all: exit 1 and one line that says
/// why, never a backtrace.
#[test]
fn inspect_explains_what_is_not_a_plugin() {
    let not_a_plugin = std::env::temp_dir().join(format!("airssys-np-{}.wasm", std::process::id()));
    std::fs::write(&not_a_plugin, NOT_A_PLUGIN).unwrap();
    let output = airssys(&["inspect", not_a_plugin.to_str().unwrap()]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("plugin: no") && stdout.contains("airssys:wasm/component-lifecycle"),
        "{stdout}"
    );
    std::fs::remove_file(&not_a_plugin).unwrap();

    for (file, why) in [
        ("Cargo.toml", "is not WebAssembly"),
        ("missing.wasm", "cannot read"),
    ] {
        let output = airssys(&["inspect", file]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(why), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
}
