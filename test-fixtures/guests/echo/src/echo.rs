// The body of every version of echo: each crate's `lib.rs` sets `VERSION`
// and includes it.

use airssys_wasm_guest::{ComponentError, ComponentId, export, send};

/// Echoes `message`; `fail`, `panic`, `loop`, `grow` and `spin <ms>`
/// misbehave as named; `log <text>` logs a warning, `log-long` a 10,000-byte
/// info line, `log-dep` an info line through the `log` crate; `version`
/// answers which build this is, `wait <path>` answers it once the file
/// exists, `wait-then-panic <path>` panics then.
#[export]
fn handle_message(sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    // Only tests that grant echo -> host see this report; others get a
    // refusal here, which is ignored.
    let report = [
        b"delivered ",
        sender.as_str().as_bytes(),
        b" ",
        &message[..],
    ]
    .concat();
    let _ = send(ComponentId::HOST, &report);
    match message.as_slice() {
        b"fail" => Err(ComponentError::failed("asked to fail")),
        b"panic" => panic!("asked to panic"),
        b"version" => Ok(VERSION.as_bytes().to_vec()),
        b"loop" => loop {
            std::hint::black_box(());
        },
        b"grow" => {
            // A memory bomb: keeps every MiB it allocates.
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        _ if message.starts_with(b"env ") => {
            let key = String::from_utf8_lossy(&message[4..]);
            Ok(std::env::var(&*key)
                .unwrap_or_else(|_| "<unset>".to_owned())
                .into_bytes())
        }
        _ if message.starts_with(b"read ") => {
            let path = String::from_utf8_lossy(&message[5..]);
            std::fs::read(&*path)
                .map_err(|error| ComponentError::failed(format!("read {path}: {error}")))
        }
        _ if message.starts_with(b"wait ") => {
            // Busy until the host creates the file: a call whose end the
            // test decides.
            wait_for(&message[5..]);
            Ok(VERSION.as_bytes().to_vec())
        }
        _ if message.starts_with(b"wait-then-panic ") => {
            wait_for(&message[16..]);
            panic!("asked to panic once the file exists")
        }
        _ if message.starts_with(b"log ") => {
            let text = String::from_utf8_lossy(&message[4..]);
            airssys_wasm_guest::warn!("asked to log: {text}");
            Ok(Vec::new())
        }
        b"log-dep" => {
            // As a dependency of the plugin logs: through the `log` facade.
            log::info!(target: "a_dependency", "logged through the log facade");
            Ok(Vec::new())
        }
        b"log-long" => {
            airssys_wasm_guest::info!("{}", "x".repeat(10_000));
            Ok(Vec::new())
        }
        _ if message.starts_with(b"print ") => {
            println!("{}", String::from_utf8_lossy(&message[6..]));
            Ok(Vec::new())
        }
        _ => match message.strip_prefix(b"spin ") {
            Some(ms) => {
                let ms: u64 = std::str::from_utf8(ms)
                    .ok()
                    .and_then(|ms| ms.parse().ok())
                    .ok_or_else(|| ComponentError::invalid_input("spin takes milliseconds"))?;
                let start = std::time::Instant::now();
                while start.elapsed() < std::time::Duration::from_millis(ms) {
                    std::hint::spin_loop();
                }
                Ok(message)
            }
            None => Ok(message),
        },
    }
}

/// Returns once the file at `path` exists.
fn wait_for(path: &[u8]) {
    let path = String::from_utf8_lossy(path);
    while std::fs::metadata(&*path).is_err() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}
