//! A plugin with continuations and no `handle_callback`: it builds, its
//! continuations run, and outcomes without one are refused as before.

use std::time::Duration;

use airssys_wasm_guest::__private::{Guest, WitComponentError};
use airssys_wasm_guest::testing::TestHost;
use airssys_wasm_guest::{ComponentError, ComponentId, Json, export, request, send};

/// Asks `pricing` for the item's price and tells the sender, through a
/// continuation; `"free"` is asked without one.
#[export]
fn handle_message(sender: ComponentId, item: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    let id = request("pricing", item.clone(), Duration::from_secs(1))?;
    if item != b"free" {
        id.on_reply(move |price: Result<Json<u64>, String>| {
            let Json(cents) = price.map_err(ComponentError::failed)?;
            send(sender.as_str(), cents.to_string())?;
            Ok(())
        });
    }
    Ok(Vec::new())
}

type Plugin = __AirssysCallbacks;

#[test]
fn continuations_run_without_a_handle_callback() {
    let host = TestHost::new();
    Plugin::handle_message("shop".into(), b"tea".to_vec()).unwrap();
    Plugin::handle_message("shop".into(), b"free".to_vec()).unwrap();
    let [tea, free] = [0, 1].map(|n| host.requests()[n].id.to_string());

    Plugin::handle_callback(tea, Ok(b"1250".to_vec())).unwrap();
    assert_eq!(host.sent()[0].text(), "1250");

    let refused = Plugin::handle_callback(free.clone(), Ok(b"0".to_vec())).unwrap_err();
    assert!(
        matches!(&refused, WitComponentError::Unsupported(why) if why.contains("no handle_callback") && why.contains(&free)),
        "{refused:?}"
    );
}

#[test]
fn a_typed_answer_that_does_not_decode_reaches_the_continuation_as_its_error() {
    let host = TestHost::new();
    Plugin::handle_message("shop".into(), b"tea".to_vec()).unwrap();
    let tea = host.requests()[0].id.to_string();
    let error = Plugin::handle_callback(tea, Ok(b"twelve".to_vec())).unwrap_err();
    assert!(
        matches!(&error, WitComponentError::Failed(why) if why.contains("u64")),
        "{error:?}"
    );
    assert!(host.sent().is_empty());
}
