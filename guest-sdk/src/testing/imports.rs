//! The host's imports for a native build, named and typed as the generated
//! bindings name and type them, served by the thread's test host.

use super::{NO_TEST_HOST, Request, Sent, with_host};
use crate::types::MessagingError;

pub(crate) mod host_services {
    use std::time::Duration;

    use super::*;
    pub(crate) use crate::bindings::airssys::wasm::host_services::LogLevel;
    use crate::bindings::airssys::wasm::types::MessagingError as WitError;
    use crate::log::Level;
    use crate::types::CorrelationId;

    fn no_host() -> WitError {
        WitError::DeliveryFailed(NO_TEST_HOST.to_owned())
    }

    fn to_wit(error: MessagingError) -> WitError {
        match error {
            MessagingError::DeliveryFailed(text) => WitError::DeliveryFailed(text),
            MessagingError::CorrelationTimeout(text) => WitError::CorrelationTimeout(text),
            MessagingError::InvalidMessage(text) => WitError::InvalidMessage(text),
            MessagingError::QueueFull => WitError::QueueFull,
            MessagingError::TargetNotFound(text) => WitError::TargetNotFound(text),
            MessagingError::CapabilityDenied(text) => WitError::CapabilityDenied(text),
        }
    }

    pub(crate) fn send_message(target: &str, message: &[u8]) -> Result<(), WitError> {
        with_host(|state| {
            if let Some(error) = state.refused.get(target) {
                return Err(to_wit(error.clone()));
            }
            state.sent.push(Sent {
                target: target.to_owned(),
                payload: message.to_vec(),
            });
            Ok(())
        })
        .unwrap_or_else(|| Err(no_host()))
    }

    pub(crate) fn send_request(
        target: &str,
        message: &[u8],
        timeout_ms: u64,
    ) -> Result<String, WitError> {
        with_host(|state| {
            if let Some(error) = state.refused.get(target) {
                return Err(to_wit(error.clone()));
            }
            state.next_request += 1;
            // Shaped like the host's ids, which are UUIDs.
            let id = format!("00000000-0000-4000-8000-{:012x}", state.next_request);
            state.requests.push(Request {
                id: CorrelationId::new(id.clone()),
                target: target.to_owned(),
                payload: message.to_vec(),
                timeout: Duration::from_millis(timeout_ms),
                cancelled: false,
                answered: false,
            });
            Ok(id)
        })
        .unwrap_or_else(|| Err(no_host()))
    }

    pub(crate) fn cancel_request(id: &str) -> Result<(), WitError> {
        with_host(|state| {
            match state.requests.iter_mut().find(|request| {
                request.id.as_str() == id && !request.cancelled && !request.answered
            }) {
                Some(request) => {
                    request.cancelled = true;
                    Ok(())
                }
                None => Err(WitError::CorrelationTimeout(format!(
                    "request {id} is not pending"
                ))),
            }
        })
        .unwrap_or_else(|| Err(no_host()))
    }

    pub(crate) fn log(level: LogLevel, message: &str) {
        let level = match level {
            LogLevel::Trace => Level::Trace,
            LogLevel::Debug => Level::Debug,
            LogLevel::Info => Level::Info,
            LogLevel::Warn => Level::Warn,
            LogLevel::Error => Level::Error,
        };
        eprintln!("[{level:?}] {message}");
        with_host(|state| state.logs.push((level, message.to_owned())));
    }
}

pub(crate) mod config {
    pub(crate) mod store {
        use super::super::{NO_TEST_HOST, with_host};
        pub(crate) use crate::bindings::wasi::config::store::Error;

        pub(crate) fn get(key: &str) -> Result<Option<String>, Error> {
            with_host(|state| state.config.get(key).cloned())
                .ok_or_else(|| Error::Io(NO_TEST_HOST.to_owned()))
        }

        pub(crate) fn get_all() -> Result<Vec<(String, String)>, Error> {
            with_host(|state| {
                state
                    .config
                    .iter()
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect()
            })
            .ok_or_else(|| Error::Io(NO_TEST_HOST.to_owned()))
        }
    }
}

pub(crate) mod keyvalue {
    pub(crate) mod store {
        use std::collections::BTreeMap;

        use super::super::{NO_TEST_HOST, with_host};
        pub(crate) use crate::bindings::wasi::keyvalue::store::{Error, KeyResponse};

        /// Keys per `list-keys` page, small so that tests cross pages.
        const PAGE: usize = 100;
        /// The airssys host's limits on one key and one value.
        const MAX_KEY_BYTES: usize = 4 << 10;
        const MAX_VALUE_BYTES: usize = 1 << 20;

        pub(crate) fn check_key(key: &str) -> Result<(), Error> {
            if key.len() > MAX_KEY_BYTES {
                return Err(Error::Other(format!(
                    "key of {} bytes is longer than the limit of {MAX_KEY_BYTES} bytes",
                    key.len()
                )));
            }
            Ok(())
        }

        pub(crate) fn check_entry(key: &str, value: &[u8]) -> Result<(), Error> {
            check_key(key)?;
            if value.len() > MAX_VALUE_BYTES {
                return Err(Error::Other(format!(
                    "value of {} bytes for key {key:?} is larger than the limit of {MAX_VALUE_BYTES} bytes",
                    value.len()
                )));
            }
            Ok(())
        }

        /// A granted bucket, by name.
        #[derive(Debug)]
        pub(crate) struct Bucket(String);

        pub(crate) fn open(identifier: &str) -> Result<Bucket, Error> {
            with_host(|state| {
                if state.buckets.contains_key(identifier) {
                    Ok(Bucket(identifier.to_owned()))
                } else {
                    Err(Error::AccessDenied)
                }
            })
            .unwrap_or_else(|| Err(Error::Other(NO_TEST_HOST.to_owned())))
        }

        impl Bucket {
            /// Runs `call` on this bucket's entries.
            pub(crate) fn with<R>(
                &self,
                call: impl FnOnce(&mut BTreeMap<String, Vec<u8>>) -> R,
            ) -> Result<R, Error> {
                with_host(|state| state.buckets.get_mut(&self.0).map(call))
                    .ok_or_else(|| Error::Other(NO_TEST_HOST.to_owned()))?
                    .ok_or(Error::NoSuchStore)
            }

            pub(crate) fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
                check_key(key)?;
                self.with(|entries| entries.get(key).cloned())
            }

            pub(crate) fn set(&self, key: &str, value: &[u8]) -> Result<(), Error> {
                check_entry(key, value)?;
                self.with(|entries| {
                    entries.insert(key.to_owned(), value.to_vec());
                })
            }

            pub(crate) fn delete(&self, key: &str) -> Result<(), Error> {
                check_key(key)?;
                self.with(|entries| {
                    entries.remove(key);
                })
            }

            pub(crate) fn exists(&self, key: &str) -> Result<bool, Error> {
                check_key(key)?;
                self.with(|entries| entries.contains_key(key))
            }

            pub(crate) fn list_keys(&self, cursor: Option<u64>) -> Result<KeyResponse, Error> {
                let skip = usize::try_from(cursor.unwrap_or(0)).unwrap_or(usize::MAX);
                self.with(|entries| {
                    let keys: Vec<String> = entries.keys().skip(skip).take(PAGE).cloned().collect();
                    let next = skip.saturating_add(keys.len());
                    KeyResponse {
                        cursor: (next < entries.len())
                            .then(|| u64::try_from(next).unwrap_or(u64::MAX)),
                        keys,
                    }
                })
            }
        }
    }

    pub(crate) mod atomics {
        use super::store::{Bucket, Error, check_key};

        pub(crate) fn increment(bucket: &Bucket, key: &str, delta: u64) -> Result<u64, Error> {
            check_key(key)?;
            // As the host keeps counters: decimal text.
            bucket.with(|entries| {
                let current = match entries.get(key) {
                    None => 0,
                    Some(value) => std::str::from_utf8(value)
                        .ok()
                        .and_then(|text| text.parse::<u64>().ok())
                        .ok_or_else(|| {
                            Error::Other(format!(
                                "key {key:?} does not hold a decimal number, so it cannot be incremented"
                            ))
                        })?,
                };
                let next = current.checked_add(delta).ok_or_else(|| {
                    Error::Other(format!("incrementing key {key:?} by {delta} overflows"))
                })?;
                entries.insert(key.to_owned(), next.to_string().into_bytes());
                Ok(next)
            })?
        }
    }

    pub(crate) mod batch {
        use super::store::{Bucket, Error, check_entry, check_key};

        pub(crate) type Found = Option<(String, Vec<u8>)>;

        pub(crate) fn get_many(bucket: &Bucket, keys: &[String]) -> Result<Vec<Found>, Error> {
            keys.iter().try_for_each(|key| check_key(key))?;
            bucket.with(|entries| {
                keys.iter()
                    .map(|key| entries.get(key).map(|value| (key.clone(), value.clone())))
                    .collect()
            })
        }

        pub(crate) fn set_many(
            bucket: &Bucket,
            key_values: &[(String, Vec<u8>)],
        ) -> Result<(), Error> {
            key_values
                .iter()
                .try_for_each(|(key, value)| check_entry(key, value))?;
            bucket.with(|entries| {
                for (key, value) in key_values {
                    entries.insert(key.clone(), value.clone());
                }
            })
        }

        pub(crate) fn delete_many(bucket: &Bucket, keys: &[String]) -> Result<(), Error> {
            keys.iter().try_for_each(|key| check_key(key))?;
            bucket.with(|entries| {
                for key in keys {
                    entries.remove(key);
                }
            })
        }
    }
}
