//! Durable key-value state, through `wasi:keyvalue`: buckets the host
//! granted this component (in its builder or manifest), its own and no
//! one else's. Every write is on disk when the call returns: it survives a
//! trap, a restart of the component and a crash of the host.
//!
//! ```no_run
//! use airssys_wasm_guest::keyvalue::Bucket;
//!
//! let bucket = Bucket::open("default")?;
//! bucket.set("greeting", b"hello")?;
//! assert_eq!(bucket.get("greeting")?, Some(b"hello".to_vec()));
//! let visits = bucket.increment("visits", 1)?;
//! airssys_wasm_guest::info!("visit number {visits}");
//! # Ok::<(), airssys_wasm_guest::keyvalue::KeyValueError>(())
//! ```
//!
//! The airssys host limits keys to 4 KiB, values to 1 MiB and each bucket
//! to its quota (64 MiB unless the host sets another); a write past a limit
//! is an [`KeyValueError::Other`] naming it, and changes nothing.

use std::fmt;

use crate::sys::keyvalue::{atomics, batch, store};

/// Why a key-value operation failed.
///
/// ```no_run
/// use airssys_wasm_guest::keyvalue::{Bucket, KeyValueError};
///
/// match Bucket::open("state") {
///     Ok(bucket) => drop(bucket),
///     Err(KeyValueError::AccessDenied) => airssys_wasm_guest::warn!("bucket not granted"),
///     Err(other) => airssys_wasm_guest::warn!("{other}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValueError {
    /// The host has no such store.
    NoSuchStore,
    /// This component was not granted the bucket.
    AccessDenied,
    /// Anything else, described: a limit, a value that is not a number for
    /// [`Bucket::increment`], a storage failure.
    Other(String),
}

impl fmt::Display for KeyValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSuchStore => f.write_str("no such key-value store"),
            Self::AccessDenied => f.write_str("key-value bucket not granted to this component"),
            Self::Other(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for KeyValueError {}

impl From<store::Error> for KeyValueError {
    fn from(error: store::Error) -> Self {
        match error {
            store::Error::NoSuchStore => Self::NoSuchStore,
            store::Error::AccessDenied => Self::AccessDenied,
            store::Error::Other(why) => Self::Other(why),
        }
    }
}

/// An open bucket.
///
/// ```no_run
/// use airssys_wasm_guest::keyvalue::Bucket;
///
/// let bucket = Bucket::open("state")?;
/// bucket.set("last-seen", b"2026-11-29")?;
/// assert_eq!(bucket.get("last-seen")?.as_deref(), Some(&b"2026-11-29"[..]));
/// # Ok::<(), airssys_wasm_guest::keyvalue::KeyValueError>(())
/// ```
#[derive(Debug)]
pub struct Bucket(store::Bucket);

impl Bucket {
    /// Opens bucket `name`; [`KeyValueError::AccessDenied`] unless this
    /// component was granted it.
    ///
    /// ```no_run
    /// let carts = airssys_wasm_guest::keyvalue::Bucket::open("carts")?;
    /// # let _ = carts;
    /// # Ok::<(), airssys_wasm_guest::keyvalue::KeyValueError>(())
    /// ```
    pub fn open(name: &str) -> Result<Self, KeyValueError> {
        Ok(Self(store::open(name)?))
    }

    /// The value of `key`, if set.
    ///
    /// ```no_run
    /// # let bucket = airssys_wasm_guest::keyvalue::Bucket::open("default")?;
    /// if let Some(bytes) = bucket.get("last-order")? {
    ///     airssys_wasm_guest::info!("last order: {}", String::from_utf8_lossy(&bytes));
    /// }
    /// # Ok::<(), airssys_wasm_guest::keyvalue::KeyValueError>(())
    /// ```
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KeyValueError> {
        Ok(self.0.get(key)?)
    }

    /// Sets `key` to `value`, durably.
    ///
    /// ```no_run
    /// # let bucket = airssys_wasm_guest::keyvalue::Bucket::open("default")?;
    /// bucket.set("last-order", "7")?;
    /// # Ok::<(), airssys_wasm_guest::keyvalue::KeyValueError>(())
    /// ```
    pub fn set(&self, key: &str, value: impl AsRef<[u8]>) -> Result<(), KeyValueError> {
        Ok(self.0.set(key, value.as_ref())?)
    }

    /// Removes `key`; removing a key that is not set is not an error.
    ///
    /// ```no_run
    /// # let bucket = airssys_wasm_guest::keyvalue::Bucket::open("default")?;
    /// bucket.delete("last-order")?;
    /// # Ok::<(), airssys_wasm_guest::keyvalue::KeyValueError>(())
    /// ```
    pub fn delete(&self, key: &str) -> Result<(), KeyValueError> {
        Ok(self.0.delete(key)?)
    }

    /// Whether `key` is set.
    ///
    /// ```no_run
    /// # let bucket = airssys_wasm_guest::keyvalue::Bucket::open("default")?;
    /// let seen = bucket.exists("welcome-sent")?;
    /// # let _ = seen;
    /// # Ok::<(), airssys_wasm_guest::keyvalue::KeyValueError>(())
    /// ```
    pub fn exists(&self, key: &str) -> Result<bool, KeyValueError> {
        Ok(self.0.exists(key)?)
    }

    /// Every key in the bucket, in order, read page by page.
    ///
    /// ```no_run
    /// # let bucket = airssys_wasm_guest::keyvalue::Bucket::open("default")?;
    /// for key in bucket.keys()? {
    ///     airssys_wasm_guest::info!("{key}");
    /// }
    /// # Ok::<(), airssys_wasm_guest::keyvalue::KeyValueError>(())
    /// ```
    pub fn keys(&self) -> Result<Vec<String>, KeyValueError> {
        let mut keys = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.0.list_keys(cursor)?;
            keys.extend(page.keys);
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(keys),
            }
        }
    }

    /// Adds `delta` to the number stored at `key` (decimal text; a key not
    /// set counts as 0) and returns the new number, in one atomic step.
    ///
    /// ```no_run
    /// # let bucket = airssys_wasm_guest::keyvalue::Bucket::open("default")?;
    /// let orders = bucket.increment("orders", 1)?;
    /// # let _ = orders;
    /// # Ok::<(), airssys_wasm_guest::keyvalue::KeyValueError>(())
    /// ```
    pub fn increment(&self, key: &str, delta: u64) -> Result<u64, KeyValueError> {
        Ok(atomics::increment(&self.0, key, delta)?)
    }

    /// The values of `keys`, `None` for those not set, in the same order.
    ///
    /// ```no_run
    /// # let bucket = airssys_wasm_guest::keyvalue::Bucket::open("default")?;
    /// let values = bucket.get_many(&["a", "b"])?;
    /// # let _ = values;
    /// # Ok::<(), airssys_wasm_guest::keyvalue::KeyValueError>(())
    /// ```
    pub fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, KeyValueError> {
        let keys: Vec<String> = keys.iter().map(|key| (*key).to_owned()).collect();
        let found = batch::get_many(&self.0, &keys)?;
        Ok(found
            .into_iter()
            .map(|entry| entry.map(|(_, value)| value))
            .collect())
    }

    /// Sets every pair, all or none.
    ///
    /// ```no_run
    /// # let bucket = airssys_wasm_guest::keyvalue::Bucket::open("default")?;
    /// bucket.set_many(&[("a", b"1".as_slice()), ("b", b"2".as_slice())])?;
    /// # Ok::<(), airssys_wasm_guest::keyvalue::KeyValueError>(())
    /// ```
    pub fn set_many(&self, entries: &[(&str, &[u8])]) -> Result<(), KeyValueError> {
        let entries: Vec<(String, Vec<u8>)> = entries
            .iter()
            .map(|(key, value)| ((*key).to_owned(), value.to_vec()))
            .collect();
        Ok(batch::set_many(&self.0, &entries)?)
    }

    /// Removes every key in `keys`, all or none.
    ///
    /// ```no_run
    /// # let bucket = airssys_wasm_guest::keyvalue::Bucket::open("default")?;
    /// bucket.delete_many(&["a", "b"])?;
    /// # Ok::<(), airssys_wasm_guest::keyvalue::KeyValueError>(())
    /// ```
    pub fn delete_many(&self, keys: &[&str]) -> Result<(), KeyValueError> {
        let keys: Vec<String> = keys.iter().map(|key| (*key).to_owned()).collect();
        Ok(batch::delete_many(&self.0, &keys)?)
    }
}
