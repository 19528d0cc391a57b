//! Test fixture: every attack a hostile guest makes on its host, one
//! command each. `host/tests/all/hostile.rs` has one test per attack; add a
//! command here and a test there for the next one.
//!
//! | command | the attack |
//! | --- | --- |
//! | `loop` | never returns, burning CPU |
//! | `sleep <ms>` | waits in a host call (a WASI clock) instead of running |
//! | `read <path>` | blocks in a host file call (say opening a FIFO no one writes) |
//! | `grow` | allocates memory until something stops it |
//! | `flood <target> <bytes>` | requests `target` with `bytes`-byte payloads, one-hour timeouts, in a loop it never leaves |
//! | `answer <bytes>` | answers with a response of `bytes` bytes |
//! | `fail-with <bytes>` | fails with an error text of `bytes` bytes |
//! | `connect <addr>` | opens a TCP connection, which needs a network grant |
//! | `write <path>` | writes a file, which needs a writable directory grant |
//! | `kv-set <bucket> <key-bytes> <value-bytes>` | writes one key-value entry of those sizes (keys numbered, so each write adds an entry) |
//! | `kv-open <bucket>` | opens a bucket, granted or not |
//! | `fetch <url>` | an HTTP GET, granted or not, reading the whole body |
//! | `forge-log` | logs, prints and fails with text holding newlines, fake flow lines and terminal escapes |

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use airssys_wasm_guest::{http, keyvalue};

use airssys_wasm_guest::{ComponentError, ComponentId, export, request};

/// Runs the attack the message names; anything else is echoed.
#[export]
fn handle_message(_sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    let text = String::from_utf8_lossy(&message).into_owned();
    let words: Vec<&str> = text.split(' ').collect();
    match words.as_slice() {
        ["loop"] => loop {
            std::hint::black_box(());
        },
        ["sleep", ms] => {
            std::thread::sleep(Duration::from_millis(number(ms)?));
            Ok(b"woke up".to_vec())
        }
        ["read", path] => std::fs::read(path)
            .map_err(|error| ComponentError::failed(format!("read {path}: {error}"))),
        ["grow"] => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        ["flood", target, bytes] => {
            let payload = vec![0; usize::try_from(number(bytes)?).unwrap_or(usize::MAX)];
            let hour = Duration::from_secs(3600);
            loop {
                // Refusals (its cap on outstanding requests) are ignored:
                // the attack goes on until the host cuts it off.
                let _ = request(target, &payload, hour);
            }
        }
        ["answer", bytes] => Ok(vec![b'a'; usize::try_from(number(bytes)?).unwrap_or(0)]),
        ["fail-with", bytes] => Err(ComponentError::failed(
            "e".repeat(usize::try_from(number(bytes)?).unwrap_or(0)),
        )),
        ["connect", address] => match std::net::TcpStream::connect(address) {
            Ok(_) => Ok(b"connected".to_vec()),
            Err(error) => Err(ComponentError::failed(format!(
                "connect {address}: {error}"
            ))),
        },
        ["write", path] => std::fs::write(path, b"written")
            .map(|()| b"written".to_vec())
            .map_err(|error| ComponentError::failed(format!("write {path}: {error}"))),
        ["kv-set", bucket, key_bytes, value_bytes] => {
            let bucket = keyvalue::Bucket::open(bucket).map_err(failed)?;
            let size = usize::try_from(number(key_bytes)?).unwrap_or(0);
            let mut key = format!("{}-", COUNTER.fetch_add(1, Ordering::Relaxed));
            key.extend(std::iter::repeat_n('k', size.saturating_sub(key.len())));
            let value = vec![b'v'; usize::try_from(number(value_bytes)?).unwrap_or(0)];
            bucket.set(&key, &value).map_err(failed)?;
            Ok(b"stored".to_vec())
        }
        ["kv-open", bucket] => keyvalue::Bucket::open(bucket)
            .map(|_| b"opened".to_vec())
            .map_err(failed),
        ["fetch", url] => http::get(url)
            .map(|response| response.body.len().to_string().into_bytes())
            .map_err(failed),
        ["forge-log"] => {
            airssys_wasm_guest::warn!(
                "innocent\n  response  pong #00000000  ok\x1b[2J\x1b[31mred\x1b[0m\r"
            );
            println!("out\n  request   fake -> line\x1b[2J");
            Err(ComponentError::failed(
                "no\n  callback  fake #00000000  ok \"forged\"\x1b[2J",
            ))
        }
        _ => Ok(message),
    }
}

/// Makes each `kv-set` key new.
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn failed(error: impl std::fmt::Display) -> ComponentError {
    ComponentError::failed(error.to_string())
}

fn number(text: &str) -> Result<u64, ComponentError> {
    text.parse()
        .map_err(|_| ComponentError::invalid_input(format!("not a number: {text:?}")))
}
