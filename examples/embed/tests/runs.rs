//! The embed example runs as its doc comment says and prints what it
//! promises.

use std::process::Command;

#[test]
fn embed_example_runs() {
    let output = Command::new(env!("CARGO_BIN_EXE_embed"))
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    for line in [
        "host: pong answered \"pong 42\"",
        "host: pong refused: ",
        "host: idle; 1 request timed out, 1 late answer dropped",
        "host: pong handled ",
        "host: shut down 2 components",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}
