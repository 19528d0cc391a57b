//! Continuations: the closure to run with a request's outcome, kept in the
//! instance by request id so that the generated `handle_callback` glue can
//! find it.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::codec::FromCallbackResult;
use crate::types::{ComponentError, CorrelationId};

/// A registered closure, its outcome type already erased.
pub(crate) type Continuation =
    Box<dyn FnOnce(Result<Vec<u8>, String>) -> Result<(), ComponentError>>;

thread_local! {
    // A component instance is single-threaded; natively each test thread
    // gets its own table.
    static CONTINUATIONS: RefCell<HashMap<String, Continuation>> = RefCell::new(HashMap::new());
}

/// Registers `continuation` for `id`, returning the one it replaces.
fn register(id: &CorrelationId, continuation: Continuation) -> Option<Continuation> {
    CONTINUATIONS
        .try_with(|table| {
            table
                .borrow_mut()
                .insert(id.as_str().to_owned(), continuation)
        })
        .ok()
        .flatten()
}

/// Takes the continuation registered for `id` out of the table. The caller
/// runs or drops it with no borrow held: it may make requests of its own.
pub(crate) fn take(id: &str) -> Option<Continuation> {
    CONTINUATIONS
        .try_with(|table| table.borrow_mut().remove(id))
        .ok()
        .flatten()
}

/// Whether a continuation is registered for `id`.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn contains(id: &str) -> bool {
    CONTINUATIONS
        .try_with(|table| table.borrow().contains_key(id))
        .unwrap_or(false)
}

/// Empties the table and returns what it held, for the caller to drop.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn clear() -> HashMap<String, Continuation> {
    CONTINUATIONS
        .try_with(|table| std::mem::take(&mut *table.borrow_mut()))
        .unwrap_or_default()
}

impl CorrelationId {
    /// Runs `reply` with this request's outcome, in place of the plugin's
    /// `handle_callback`, and returns the id. The closure's parameter type
    /// picks how the answer is decoded, as for `handle_callback`:
    /// `Result<Vec<u8>, String>`, `Result<Json<T>, String>` or
    /// `Result<MsgPack<T>, String>`; an answer that does not decode arrives
    /// as the `Err` text. What it captures is what the request was about,
    /// so no table from ids to context is needed.
    ///
    /// - The closure runs exactly once, when the host delivers the outcome,
    ///   and its `Err` is the callback's error (logged by the host).
    ///   `handle_callback` is not called for this id; requests without a
    ///   continuation still go there, and a plugin that uses only
    ///   continuations needs none.
    /// - Register it in the handler call that made the request (after
    ///   [`request`](crate::request) has returned is safe: the host
    ///   delivers callbacks only between handler calls, never while one
    ///   runs). Registered later, the outcome may have come and gone, and
    ///   the closure would wait forever.
    /// - After a successful [`cancel`](crate::cancel), the closure is
    ///   dropped without being called.
    /// - Registering again for the same id replaces (drops) the first
    ///   closure.
    /// - Continuations live in the instance's memory. If the plugin traps,
    ///   the host starts a fresh instance and they are lost with the old
    ///   one. So are those requests' outcomes: the host never hands the new
    ///   instance the outcome of a request the old one made (it drops and
    ///   counts them, `callbacks_dropped`), so neither the closure nor
    ///   `handle_callback` runs for them.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use airssys_wasm_guest::{export, request, send, ComponentError, ComponentId, Json};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Price { cents: u64 }
    ///
    /// #[export]
    /// fn handle_message(sender: ComponentId, sku: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    ///     request("pricing", sku, Duration::from_secs(2))?.on_reply(
    ///         move |price: Result<Json<Price>, String>| {
    ///             let Json(price) = price.map_err(ComponentError::failed)?;
    ///             // `sender` came along: no table from ids to who asked.
    ///             send(sender.as_str(), price.cents.to_string())?;
    ///             Ok(())
    ///         },
    ///     );
    ///     Ok(b"asked".to_vec())
    /// }
    /// ```
    ///
    /// In native tests, [`TestHost::reply`](crate::testing::TestHost::reply)
    /// runs the continuation with the outcome the test chooses.
    pub fn on_reply<R, F>(self, reply: F) -> CorrelationId
    where
        R: FromCallbackResult + 'static,
        F: FnOnce(R) -> Result<(), ComponentError> + 'static,
    {
        let continuation: Continuation =
            Box::new(move |outcome| reply(R::from_callback_result(outcome)?));
        // Dropped here, outside the table's borrow: its captures may have a
        // `Drop` that calls the host.
        drop(register(&self, continuation));
        self
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;

    use serde::Deserialize;

    use crate::__private::{WitComponentError, dispatch_callback};
    use crate::testing::TestHost;
    use crate::{Json, cancel, request};

    use super::*;

    /// Sets its flag when dropped: proves a closure was dropped.
    struct DropGuard(Rc<Cell<bool>>);

    impl Drop for DropGuard {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }

    fn ask() -> CorrelationId {
        request("stock", "tea", Duration::from_secs(1)).unwrap()
    }

    #[test]
    fn a_continuation_runs_once_with_the_outcome() {
        let host = TestHost::new();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let record = Rc::clone(&seen);
        let id = ask().on_reply(move |outcome: Result<Vec<u8>, String>| {
            record.borrow_mut().push(outcome);
            Ok(())
        });
        assert!(host.has_continuation(&id));

        host.reply(&id, Ok(b"3 left".to_vec())).unwrap();
        assert_eq!(*seen.borrow(), [Ok(b"3 left".to_vec())]);
        assert!(!host.has_continuation(&id));
        assert!(
            host.pending().is_empty(),
            "reply marks the request answered"
        );

        let again = host.reply(&id, Err("late".into())).unwrap_err();
        assert!(
            matches!(&again, ComponentError::Unsupported(why) if why.contains("handle_callback")),
            "{again:?}"
        );
        assert_eq!(seen.borrow().len(), 1);
    }

    #[test]
    fn a_typed_continuation_gets_the_decoded_answer_or_the_decode_error() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Stock {
            left: u32,
        }
        let host = TestHost::new();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let mut ids = Vec::new();
        for _ in 0..2 {
            let record = Rc::clone(&seen);
            ids.push(ask().on_reply(move |stock: Result<Json<Stock>, String>| {
                let Json(stock) = stock.map_err(ComponentError::failed)?;
                record.borrow_mut().push(stock);
                Ok(())
            }));
        }
        host.reply(&ids[0], Ok(br#"{"left":3}"#.to_vec())).unwrap();
        assert_eq!(*seen.borrow(), [Stock { left: 3 }]);
        // The closure's own error comes back: here, the decode error text.
        let error = host.reply(&ids[1], Ok(b"three".to_vec())).unwrap_err();
        assert!(
            matches!(&error, ComponentError::Failed(why) if why.contains("Stock") && why.contains("JSON")),
            "{error:?}"
        );
    }

    #[test]
    fn cancel_drops_the_continuation_uncalled() {
        let host = TestHost::new();
        let (dropped, called) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
        let guard = DropGuard(Rc::clone(&dropped));
        let was_called = Rc::clone(&called);
        let id = ask().on_reply(move |_: Result<Vec<u8>, String>| {
            let _guard = guard;
            was_called.set(true);
            Ok(())
        });
        assert!(!dropped.get());

        cancel(&id).unwrap();
        assert!(dropped.get() && !called.get());
        assert!(!host.has_continuation(&id));
        assert!(host.reply(&id, Ok(Vec::new())).is_err());
        assert!(!called.get());
    }

    #[test]
    fn a_refused_cancel_keeps_the_continuation() {
        let host = TestHost::new();
        let id = ask().on_reply(|_: Result<Vec<u8>, String>| Ok(()));
        host.answered(&id);
        assert!(cancel(&id).is_err());
        assert!(host.has_continuation(&id));
    }

    #[test]
    fn registering_again_replaces_and_drops_the_first() {
        let host = TestHost::new();
        let dropped = Rc::new(Cell::new(false));
        let guard = DropGuard(Rc::clone(&dropped));
        let id = ask().on_reply(move |_: Result<Vec<u8>, String>| {
            drop(guard);
            Err(ComponentError::failed("first"))
        });
        let id = id.on_reply(|_: Result<Vec<u8>, String>| Err(ComponentError::failed("second")));
        assert!(dropped.get());
        assert_eq!(
            host.reply(&id, Ok(Vec::new())),
            Err(ComponentError::failed("second"))
        );
    }

    /// The glue's dispatch: a continuation takes its id; every other id
    /// goes to `handle_callback`.
    #[test]
    fn requests_without_a_continuation_go_to_handle_callback() {
        let _host = TestHost::new();
        let ran = Rc::new(Cell::new(0));
        let count = Rc::clone(&ran);
        let with = ask().on_reply(move |_: Result<Vec<u8>, String>| {
            count.set(count.get() + 1);
            Ok(())
        });
        let without = ask();

        let plain = RefCell::new(Vec::new());
        let handle_callback = |id: String, _: Result<Vec<u8>, String>| {
            plain.borrow_mut().push(id);
            Err(WitComponentError::Failed("plain".into()))
        };
        dispatch_callback(with.to_string(), Ok(Vec::new()), handle_callback).unwrap();
        assert!(matches!(
            dispatch_callback(without.to_string(), Ok(Vec::new()), handle_callback),
            Err(WitComponentError::Failed(why)) if why == "plain"
        ));
        // Once run, the continuation is gone: a second delivery is plain.
        let _ = dispatch_callback(with.to_string(), Ok(Vec::new()), handle_callback);
        assert_eq!(ran.get(), 1);
        assert_eq!(*plain.borrow(), [without.to_string(), with.to_string()]);
    }

    #[test]
    fn a_new_test_host_starts_with_no_continuations() {
        let dropped = Rc::new(Cell::new(false));
        let host = TestHost::new();
        let guard = DropGuard(Rc::clone(&dropped));
        let id = ask().on_reply(move |_: Result<Vec<u8>, String>| {
            drop(guard);
            Ok(())
        });
        drop(host);
        assert!(dropped.get(), "dropping the host drops its continuations");
        let host = TestHost::new();
        assert!(!host.has_continuation(&id));
    }
}
