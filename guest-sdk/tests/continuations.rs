//! The generated export glue, called natively as the host would call the
//! component: a continuation takes precedence over `handle_callback`, and
//! every export installs the SDK's `log` backend.

use std::time::Duration;

use airssys_wasm_guest::__private::{Guest, WitComponentError};
use airssys_wasm_guest::log::Level;
use airssys_wasm_guest::testing::TestHost;
use airssys_wasm_guest::{ComponentError, ComponentId, CorrelationId, export, request, send};

/// Asks `stock` about the item; `"tea"` with a continuation, anything else
/// left to `handle_callback`.
#[export]
fn handle_message(sender: ComponentId, item: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    log::info!(target: "dep", "asked about {}", String::from_utf8_lossy(&item));
    log::info!("own line");
    let id = request("stock", item.clone(), Duration::from_secs(1))?;
    if item == b"tea" {
        id.on_reply(move |answer: Result<Vec<u8>, String>| {
            let answer = answer.map_err(ComponentError::failed)?;
            send(
                sender.as_str(),
                [b"continuation: ".as_slice(), &answer].concat(),
            )?;
            Ok(())
        });
    }
    Ok(b"asked".to_vec())
}

#[export]
fn handle_callback(
    id: CorrelationId,
    answer: Result<Vec<u8>, String>,
) -> Result<(), ComponentError> {
    send("audit", format!("handle_callback: {id} {answer:?}"))?;
    Ok(())
}

/// The component's exports, as the host calls them.
type Plugin = __AirssysCallbacks;

#[test]
fn a_continuation_takes_precedence_over_handle_callback() {
    let host = TestHost::new();
    Plugin::handle_message("shop".into(), b"tea".to_vec()).unwrap();
    Plugin::handle_message("shop".into(), b"milk".to_vec()).unwrap();
    let [tea, milk] = [0, 1].map(|n| host.requests()[n].id.clone());
    assert!(host.has_continuation(&tea) && !host.has_continuation(&milk));

    Plugin::handle_callback(tea.to_string(), Ok(b"3 left".to_vec())).unwrap();
    Plugin::handle_callback(milk.to_string(), Ok(b"none".to_vec())).unwrap();
    // The host delivers once; were it to deliver again, the continuation
    // is gone and handle_callback gets it.
    Plugin::handle_callback(tea.to_string(), Err("again".into())).unwrap();

    let sent: Vec<(String, String)> = host
        .sent()
        .iter()
        .map(|s| (s.target.clone(), s.text()))
        .collect();
    assert_eq!(
        sent,
        [
            ("shop".to_owned(), "continuation: 3 left".to_owned()),
            (
                "audit".to_owned(),
                format!("handle_callback: {milk} Ok([110, 111, 110, 101])")
            ),
            (
                "audit".to_owned(),
                format!("handle_callback: {tea} Err(\"again\")")
            ),
        ]
    );
}

#[test]
fn a_continuations_error_is_the_callbacks_error() {
    let host = TestHost::new();
    Plugin::handle_message("shop".into(), b"tea".to_vec()).unwrap();
    let tea = host.requests()[0].id.clone();
    let error = Plugin::handle_callback(tea.to_string(), Err("timed out".into())).unwrap_err();
    assert!(
        matches!(&error, WitComponentError::Failed(why) if why == "timed out"),
        "{error:?}"
    );
    assert!(host.sent().is_empty());
}

#[test]
fn the_exports_install_the_log_backend() {
    let host = TestHost::new();
    Plugin::handle_message("shop".into(), b"tea".to_vec()).unwrap();
    assert_eq!(
        host.logs(),
        [
            (Level::Info, "[dep] asked about tea".to_owned()),
            (Level::Info, "own line".to_owned()),
        ]
    );
}
