//! {{project-name}}: an airssys-wasm plugin. It answers requests such as
//! `{"name": "Ada"}` with `{"text": "Hello, Ada!"}`.
//!
//! Build: `cargo build-plugin` (the component is
//! `target/wasm32-wasip2/release/{{crate_name}}.wasm`).
//! Test: `cargo test` (these unit tests natively, then `tests/` against the
//! built component under the real host).

use airssys_wasm_guest::{ComponentError, ComponentId, Json, export, info};
use serde::{Deserialize, Serialize};

/// A request: whom to greet.
#[derive(Debug, Deserialize)]
pub struct Greet {
    pub name: String,
}

/// The response.
#[derive(Debug, PartialEq, Serialize)]
pub struct Greeting {
    pub text: String,
}

/// The return value is the response: there is no "send response" call.
/// A message that is not a `Greet` never gets here; its sender is told what
/// was expected.
#[export]
fn handle_message(
    sender: ComponentId,
    Json(greet): Json<Greet>,
) -> Result<Json<Greeting>, ComponentError> {
    let name = greet.name.trim();
    if name.is_empty() {
        return Err(ComponentError::invalid_input("a name is needed"));
    }
    info!("greeting {name} for {sender}");
    Ok(Json(Greeting {
        text: format!("Hello, {name}!"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use airssys_wasm_guest::log::Level;
    use airssys_wasm_guest::testing::TestHost;

    fn greet(name: &str) -> Result<Json<Greeting>, ComponentError> {
        let greet = Greet {
            name: name.to_owned(),
        };
        handle_message(ComponentId::new("test"), Json(greet))
    }

    #[test]
    fn greets_by_name() {
        // Records what the plugin asks of the host: here, its log line.
        let host = TestHost::new();
        let Json(greeting) = greet("Ada").unwrap();
        assert_eq!(greeting.text, "Hello, Ada!");
        assert_eq!(host.logs(), [(Level::Info, "greeting Ada for test".to_owned())]);
    }

    #[test]
    fn refuses_an_empty_name() {
        assert!(matches!(greet("  "), Err(ComponentError::InvalidInput(_))));
    }
}
