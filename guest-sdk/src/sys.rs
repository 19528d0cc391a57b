//! The host's imports as the SDK calls them. In a WebAssembly build they are
//! the generated bindings; in a native build (a plugin's unit tests) the
//! same names lead to the thread's [`TestHost`](crate::testing::TestHost),
//! because the bindings' native stand-ins abort the process.

#[cfg(target_arch = "wasm32")]
pub(crate) use crate::bindings::airssys::wasm::host_services;
#[cfg(target_arch = "wasm32")]
pub(crate) use crate::bindings::wasi::config;
#[cfg(target_arch = "wasm32")]
pub(crate) use crate::bindings::wasi::keyvalue;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use crate::testing::imports::{config, host_services, keyvalue};
