//! The host-service example runs as its doc comment says: services answer,
//! the timer ticks, configuration, key-value state and outbound HTTP work
//! where granted and are refused where not.

use std::process::Command;

fn run_example() -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_host-service"))
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    stdout
}

fn runs_counted(stdout: &str) -> u64 {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("host: runs counted in "))
        .unwrap_or_else(|| panic!("no run count in:\n{stdout}"));
    line.rsplit(": ").next().unwrap().parse().unwrap()
}

#[test]
fn host_service_example_runs() {
    let first = run_example();
    for line in [
        "host: book in stock: 3",
        "host: the inventory did not answer: ",
        "host: ticks so far: ",
        "host: configured greeting: hello from the host's configuration",
        "host: granted fetch: 200 sunny, 21 C",
        "host: ungranted fetch refused: ",
        "host: the inventory answered 1 and refused 1",
    ] {
        assert!(first.contains(line), "missing {line:?} in:\n{first}");
    }
    // The counter lives in a key-value store on disk: a second run sees it.
    let second = run_example();
    assert_eq!(runs_counted(&second), runs_counted(&first) + 1);
}
