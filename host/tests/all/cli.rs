//! The `airssys` command, run as a user runs it.

use std::process::{Command, Output};

use airssys_test_fixtures::{CLIENT_PATH, ECHO_PATH, HOSTILE_PATH, NOT_A_PLUGIN};

pub(crate) fn airssys(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airssys"))
        .args(args)
        .output()
        .expect("airssys runs")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts the command succeeded and its output (stdout, then stderr)
/// holds each expected piece.
pub(crate) fn assert_prints(output: &Output, expected: &[&str]) {
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{}: {all}", output.status);
    for piece in expected {
        assert!(all.contains(piece), "missing {piece:?} in:\n{all}");
    }
}

/// `airssys run` with no manifest runs the built-in ping-pong demo and
/// prints the whole flow: requests, responses, callbacks, the timeout.
#[test]
fn run_without_manifest_runs_the_demo() {
    assert_prints(
        &airssys(&["run"]),
        &[
            "request   ping -> pong",
            "response  pong",
            "callback  ping",
            "ok \"pong 1\"",
            "timeout   ping -> pong",
            "error: request to \"pong\" timed out after 100 ms",
            "late      pong",
            "1 timed out, 1 late responses dropped",
        ],
    );
}

/// A manifest's components start, its initial request is answered, and the
/// answer is printed.
#[test]
fn run_with_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("echo.toml");
    std::fs::write(
        &manifest,
        format!(
            "[[component]]\nname = \"echo\"\nwasm = {ECHO_PATH:?}\n\n\
             [[message]]\nto = \"echo\"\npayload = \"hello\"\npattern = \"request\"\ntimeout-ms = 5000\n"
        ),
    )
    .unwrap();
    assert_prints(
        &airssys(&["run", manifest.to_str().unwrap()]),
        &["host      <- echo response \"hello\""],
    );
}

/// A bad manifest exits with 2 and one line naming the file, line and
/// field.
#[test]
fn bad_manifest_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("bad.toml");
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
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("missing.toml");
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
    assert_prints(
        &airssys(&["inspect", ECHO_PATH]),
        &[
            "airssys:wasm/host-services@0.1.0: send-message",
            "airssys:wasm/component-lifecycle@0.1.0: handle-message, handle-callback",
            "plugin: yes",
        ],
    );
}

/// Not a plugin, not wasm, or no file at all: exit 1 and one line that says
/// why, never a backtrace.
#[test]
fn inspect_explains_what_is_not_a_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_plugin = dir.path().join("not-a-plugin.wasm");
    std::fs::write(&not_a_plugin, NOT_A_PLUGIN).unwrap();
    let output = airssys(&["inspect", not_a_plugin.to_str().unwrap()]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("plugin: no") && stdout.contains("airssys:wasm/component-lifecycle"),
        "{stdout}"
    );

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

/// `--max-ms` holds while the host waits for an initial request's answer:
/// a 60 s request to a guest that never answers does not keep the run
/// past its limit, and the request is failed at shutdown.
#[test]
fn max_ms_holds_while_an_initial_request_waits() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("slow.toml");
    std::fs::write(
        &manifest,
        format!(
            "[[component]]\nname = \"slow\"\nwasm = {ECHO_PATH:?}\ntime-budget-ms = 600000\n\n\
             [[message]]\nto = \"slow\"\npayload = \"loop\"\npattern = \"request\"\ntimeout-ms = 60000\n"
        ),
    )
    .unwrap();
    let output = airssys(&["run", manifest.to_str().unwrap(), "--max-ms", "5000"]);
    assert_prints(
        &output,
        &[
            "--max-ms elapsed; shutting down",
            "host      <- slow failed: the host shut down before \"slow\" answered",
        ],
    );
}

/// A limit out of its range in a manifest is a manifest error (exit 2)
/// naming the key, never a panic.
#[test]
fn out_of_range_limits_are_manifest_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (table, key, value) in [
        ("component", "mailbox-capacity", "4611686018427387904"),
        ("component", "time-budget-ms", "0"),
        ("component", "max-pending-requests", "0"),
        ("limits", "max-payload-bytes", "0"),
        ("limits", "default-timeout-ms", "999999999999"),
        // Zero would time every request out at once.
        ("limits", "default-timeout-ms", "0"),
    ] {
        let manifest = dir.path().join("limits.toml");
        let line = format!("{key} = {value}\n");
        let (limits, component) = if table == "limits" {
            (format!("[limits]\n{line}\n"), String::new())
        } else {
            (String::new(), line)
        };
        std::fs::write(
            &manifest,
            format!("{limits}[[component]]\nname = \"a\"\nwasm = {ECHO_PATH:?}\n{component}"),
        )
        .unwrap();
        let output = airssys(&["run", manifest.to_str().unwrap()]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{key}: {stderr}");
        assert!(
            stderr.contains(&format!("{key} = ")) && stderr.contains("out of range"),
            "{key}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
}

/// What a guest writes and the errors it returns cannot forge a flow line
/// or reach the terminal as escape codes: `airssys run` prints them
/// escaped.
#[test]
fn guest_text_is_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("forge.toml");
    std::fs::write(
        &manifest,
        format!(
            "[[component]]\nname = \"forger\"\nwasm = {HOSTILE_PATH:?}\n\n\
             [[message]]\nto = \"forger\"\npayload = \"forge-log\"\npattern = \"request\"\n"
        ),
    )
    .unwrap();
    let output = airssys(&["run", manifest.to_str().unwrap()]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "a raw escape: {stdout:?}");
    for forged in ["  response  pong", "  callback  fake"] {
        assert!(
            !stdout.lines().any(|line| line.starts_with(forged)),
            "a forged line {forged:?}: {stdout}"
        );
    }
    assert!(stdout.contains("\\u{1b}[2J"), "{stdout}");
}

/// `airssys compile` fills the cache a run then loads from, for a `.wasm`
/// file and for a manifest's components; `--no-cache` compiles anyway.
#[test]
fn compile_warms_the_cache_for_run() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let cache = cache.to_str().unwrap();
    let manifest = dir.path().join("echo.toml");
    std::fs::write(
        &manifest,
        format!(
            "[limits]\nmemory-limit-bytes = 16777216\n\n[[component]]\nname = \"echo\"\nwasm = {ECHO_PATH:?}\n"
        ),
    )
    .unwrap();
    let manifest = manifest.to_str().unwrap();

    let warmed = airssys(&["compile", ECHO_PATH, manifest, "--cache-dir", cache]);
    assert_prints(
        &warmed,
        &[
            "the components: 1 compiled into the cache, 0 already there",
            "echo.toml: 1 compiled into the cache, 0 already there",
        ],
    );
    let ran = airssys(&["run", manifest, "--cache-dir", cache]);
    assert_prints(
        &ran,
        &["(1 of 1 compiled components from the compile cache)"],
    );
    let uncached = airssys(&["run", manifest, "--no-cache"]);
    assert_prints(
        &uncached,
        &["(0 of 1 compiled components from the compile cache)"],
    );
}

/// A compile that keeps nothing (the manifest turns the cache off) is a
/// failure, not a success message.
#[test]
fn compile_without_a_cache_fails() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("echo.toml");
    std::fs::write(
        &manifest,
        format!(
            "[cache]\nenabled = false\n\n[[component]]\nname = \"echo\"\nwasm = {ECHO_PATH:?}\n"
        ),
    )
    .unwrap();
    let refused = airssys(&["compile", manifest.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr)
            .contains("1 of 1 compiled components were not kept: the compile cache is off"),
        "{}",
        text(&refused.stderr)
    );
}

/// `airssys wit` prints the contract; `--dir` writes every file of `wit/`,
/// byte for byte, so nothing the tree holds is left out.
#[test]
fn wit_is_the_contract_in_full() {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
    let printed = airssys(&["wit"]);
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    assert_eq!(
        text(&printed.stdout),
        std::fs::read_to_string(source.join("airssys.wit")).unwrap()
    );

    let dir = tempfile::tempdir().unwrap();
    let written = airssys(&["wit", "--dir", dir.path().to_str().unwrap()]);
    assert!(written.status.success(), "{}", text(&written.stderr));
    let files = |root: &std::path::Path| {
        let mut files = Vec::new();
        let mut pending = vec![root.to_owned()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let relative = path.strip_prefix(root).unwrap().to_owned();
                    files.push((relative, std::fs::read(&path).unwrap()));
                }
            }
        }
        files.sort();
        files
    };
    assert_eq!(files(dir.path()), files(&source));
}

/// Writes `manifest` to a file in `dir` and returns its path as text.
fn manifest_file(dir: &tempfile::TempDir, manifest: &str) -> String {
    let path = dir.path().join("system.toml");
    std::fs::write(&path, manifest).unwrap();
    path.to_str().unwrap().to_owned()
}

/// A plugin's own send refused (no grant; too large) is a `refused` flow
/// line and counts in the summary, though the plugin ignores the error:
/// nothing is refused silently.
#[test]
fn a_plugins_refused_sends_are_printed_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest_file(
        &dir,
        &format!(
            "[limits]\nmax-payload-bytes = 100\n\n\
             [[component]]\nname = \"client\"\nwasm = {CLIENT_PATH:?}\n\n\
             [[component]]\nname = \"big\"\nwasm = {CLIENT_PATH:?}\ngrants = [\"echo\"]\n\n\
             [[component]]\nname = \"echo\"\nwasm = {ECHO_PATH:?}\n\n\
             [[message]]\nto = \"client\"\npayload = \"send echo hi\"\n\n\
             [[message]]\nto = \"big\"\npayload = \"send-zeros echo 1000\"\n"
        ),
    );
    let output = airssys(&["run", &manifest]);
    assert_prints(
        &output,
        &[
            "refused   client -> echo  capability denied: \"client\" may not message \"echo\"",
            "refused   big -> echo  payload of 1000 bytes exceeds the limit of 100 bytes",
            ": 2 refused, 0 timed out",
        ],
    );
}

/// `--log-level debug` shows airssys's and the plugins' debug lines, not
/// wasmtime's and cranelift's; `--log-filter` takes a full filter for
/// those, and a bad one is a usage error.
#[test]
fn log_level_is_for_airssys_and_log_filter_for_everything() {
    // Compiled, not loaded from the cache: compiling is what cranelift logs.
    let debug = airssys(&["--log-level", "debug", "run", "--no-cache"]);
    assert_prints(&debug, &["return value dropped (fire-and-forget)"]);
    let stdout = text(&debug.stdout);
    let foreign: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains("cranelift") || line.contains("wasmtime"))
        .collect();
    assert!(
        foreign.is_empty(),
        "{} lines from wasmtime or cranelift: {:?}",
        foreign.len(),
        foreign.first()
    );

    let filtered = airssys(&[
        "--log-filter",
        "warn,cranelift_codegen=debug",
        "run",
        "--no-cache",
    ]);
    assert_prints(&filtered, &["DEBUG cranelift_codegen"]);
    assert!(!text(&filtered.stdout).contains("return value dropped"));

    // Both at once, even on either side of the subcommand, is a usage error.
    let both = airssys(&["--log-level", "debug", "run", "--log-filter", "debug"]);
    assert_eq!(both.status.code(), Some(2), "{}", text(&both.stderr));

    let bad = airssys(&["--log-filter", "airssys=loud", "run"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(
        text(&bad.stderr).contains("--log-filter"),
        "{}",
        text(&bad.stderr)
    );
}

/// Flow lines cut payloads to a preview; `--full-payloads` prints them
/// whole, escaped.
#[test]
fn full_payloads_prints_payloads_whole() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!("{}-end", "x".repeat(100));
    let manifest = manifest_file(
        &dir,
        &format!(
            "[[component]]\nname = \"echo\"\nwasm = {ECHO_PATH:?}\n\n\
             [[message]]\nto = \"echo\"\npayload = \"{long}\"\npattern = \"request\"\n"
        ),
    );
    let cut = airssys(&["run", &manifest]);
    assert_prints(&cut, &["… <104 bytes>"]);
    assert!(!text(&cut.stdout).contains("-end"));

    let whole = airssys(&["run", "--full-payloads", &manifest]);
    assert_prints(
        &whole,
        &[
            "request   host -> echo",
            &format!("\"{long}\" (104 B"),
            &format!("host      <- echo response \"{long}\""),
        ],
    );
}
