//! `wasi:keyvalue` (store, atomics, batch) on one embedded redb database per
//! system: durable, crash-safe, each write committed to disk before the
//! guest sees it succeed.
//!
//! A component opens only the buckets it was granted; bucket `b` of
//! component `c` is the table `c/b`, which no other component can name
//! (bucket names hold no `/`). Each bucket has a byte quota, kept in the
//! same transaction as the write it accounts for.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableError};
use wasmtime::component::{HasData, Linker, Resource, ResourceTable};

use crate::core::component::id::ComponentId;

mod generated {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "wasi:keyvalue/imports@0.2.0-draft",
        imports: { default: async | trappable },
        with: { "wasi:keyvalue/store.bucket": super::Bucket },
    });
}

use generated::wasi::keyvalue::{atomics, batch, store};

/// Longest key, in bytes.
pub(crate) const MAX_KEY_BYTES: usize = 4 << 10;
/// Largest value, in bytes.
pub(crate) const MAX_VALUE_BYTES: usize = 1 << 20;

/// The most one `get-many` answers: keys and values together. The same
/// key may be asked for many times, so the answer can outgrow the bucket.
const MAX_BATCH_ANSWER_BYTES: usize = 16 << 20;
/// Keys and values one bucket may hold, in bytes, unless the component's
/// spec says otherwise.
pub(crate) const DEFAULT_BUCKET_QUOTA: u64 = 64 << 20;
/// Keys `list-keys` returns at a time; its cursor gives the next page.
const LIST_PAGE: usize = 1000;

/// Bytes (keys and values) each bucket holds, by table name.
const USAGE: TableDefinition<'static, &str, u64> = TableDefinition::new("airssys.usage");

/// The database every component's buckets live in.
pub(crate) struct KeyValueStore {
    db: Database,
    path: PathBuf,
}

impl KeyValueStore {
    /// Opens (or creates) the database at `path`. A database left by a
    /// process that was killed is repaired here, keeping every committed
    /// write.
    pub(crate) fn open(path: &Path) -> Result<Self, redb::DatabaseError> {
        if let Some(parent) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            // A missing directory is reported by `create` below, naming the file.
            let _ = std::fs::create_dir_all(parent);
        }
        Ok(Self {
            db: Database::create(path)?,
            path: path.to_owned(),
        })
    }
}

impl std::fmt::Debug for KeyValueStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyValueStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The buckets one component may open, and where they live.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyValueGrant {
    /// `None` when the component was granted no bucket.
    pub(crate) store: Option<Arc<KeyValueStore>>,
    pub(crate) buckets: Vec<String>,
    /// Bytes each of its buckets may hold.
    pub(crate) quota: u64,
}

/// An open bucket, as the guest holds it. (`pub` because the generated
/// bindings re-export it; the module is private.)
#[derive(Debug)]
#[expect(
    unreachable_pub,
    reason = "named by the generated bindings' public traits"
)]
pub struct Bucket {
    /// Its table: `component/bucket`.
    table: String,
    store: Arc<KeyValueStore>,
    quota: u64,
}

/// Whether `name` may name a bucket: 1 to 64 letters, digits, `-`, `_`
/// or `.`.
pub(crate) fn valid_bucket_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// What the `wasi:keyvalue` functions of one component's store see.
pub(crate) struct KeyValueView<'a> {
    pub(crate) component: &'a ComponentId,
    pub(crate) grant: &'a KeyValueGrant,
    pub(crate) table: &'a mut ResourceTable,
}

struct HasKeyValue;

impl HasData for HasKeyValue {
    type Data<'a> = KeyValueView<'a>;
}

/// Adds `wasi:keyvalue/{store,atomics,batch}` to `linker`.
pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> KeyValueView<'_>,
) -> wasmtime::Result<()> {
    store::add_to_linker::<_, HasKeyValue>(linker, view)?;
    atomics::add_to_linker::<_, HasKeyValue>(linker, view)?;
    batch::add_to_linker::<_, HasKeyValue>(linker, view)?;
    Ok(())
}

type KvResult<T> = Result<T, store::Error>;

fn other(error: impl std::fmt::Display) -> store::Error {
    store::Error::Other(error.to_string())
}

fn check_key(key: &str) -> KvResult<()> {
    if key.len() > MAX_KEY_BYTES {
        return Err(other(format_args!(
            "key of {} bytes is longer than the limit of {MAX_KEY_BYTES} bytes",
            key.len()
        )));
    }
    Ok(())
}

fn check_entry(key: &str, value: &[u8]) -> KvResult<()> {
    check_key(key)?;
    if value.len() > MAX_VALUE_BYTES {
        return Err(other(format_args!(
            "value of {} bytes for key {key:?} is larger than the limit of {MAX_VALUE_BYTES} bytes",
            value.len()
        )));
    }
    Ok(())
}

/// Bytes one entry counts against its bucket's quota.
fn entry_bytes(key: &str, value_len: usize) -> u64 {
    u64::try_from(key.len() + value_len).unwrap_or(u64::MAX)
}

impl Bucket {
    /// Runs `read` on a read transaction of this bucket's table (`None`
    /// when nothing was ever written to it), off the async threads.
    async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(Option<&redb::ReadOnlyTable<&'static str, &'static [u8]>>) -> KvResult<T>
        + Send
        + 'static,
    ) -> KvResult<T> {
        let store = Arc::clone(&self.store);
        let table = self.table.clone();
        blocking(move || {
            let txn = store.db.begin_read().map_err(other)?;
            match txn.open_table(TableDefinition::<&str, &[u8]>::new(&table)) {
                Ok(opened) => read(Some(&opened)),
                Err(TableError::TableDoesNotExist(_)) => read(None),
                Err(error) => Err(other(error)),
            }
        })
        .await
    }

    /// Runs `write` in one write transaction on this bucket's table, with
    /// the quota kept: it returns its result and how its writes changed
    /// the bucket's byte count. Committed (to disk) before it returns; an
    /// error or a quota overrun commits nothing. It runs to its end on a
    /// blocking thread even if the guest's call is cut off at its time
    /// budget meanwhile: such a write may still commit.
    async fn write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&mut redb::Table<'_, &'static str, &'static [u8]>) -> KvResult<(T, i128)>
        + Send
        + 'static,
    ) -> KvResult<T> {
        let store = Arc::clone(&self.store);
        let table = self.table.clone();
        let quota = self.quota;
        blocking(move || {
            let txn = store.db.begin_write().map_err(other)?;
            let result = {
                let mut entries = txn
                    .open_table(TableDefinition::<&str, &[u8]>::new(&table))
                    .map_err(other)?;
                let mut usage = txn.open_table(USAGE).map_err(other)?;
                let (result, change) = write(&mut entries)?;
                let before = usage
                    .get(table.as_str())
                    .map_err(other)?
                    .map_or(0, |bytes| bytes.value());
                let after = u64::try_from((i128::from(before) + change).max(0)).unwrap_or(u64::MAX);
                if change > 0 && after > quota {
                    return Err(other(format_args!(
                        "bucket is full: this write would bring it to {after} bytes, past its quota of {quota} bytes"
                    )));
                }
                usage.insert(table.as_str(), after).map_err(other)?;
                result
            };
            txn.commit().map_err(other)?;
            Ok(result)
        })
        .await
    }
}

/// Runs blocking database work on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> KvResult<T> + Send + 'static,
) -> KvResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|join_error| Err(other(format_args!("storage task failed: {join_error}"))))
}

/// Puts `key` = `value`, returning how the bucket's byte count changed.
fn put(
    entries: &mut redb::Table<'_, &'static str, &'static [u8]>,
    key: &str,
    value: &[u8],
) -> KvResult<i128> {
    let old = entries
        .insert(key, value)
        .map_err(other)?
        .map(|old| entry_bytes(key, old.value().len()));
    Ok(i128::from(entry_bytes(key, value.len())) - i128::from(old.unwrap_or(0)))
}

/// Removes `key`, returning how the bucket's byte count changed.
fn remove(entries: &mut redb::Table<'_, &'static str, &'static [u8]>, key: &str) -> KvResult<i128> {
    let old = entries
        .remove(key)
        .map_err(other)?
        .map(|old| entry_bytes(key, old.value().len()));
    Ok(-i128::from(old.unwrap_or(0)))
}

impl KeyValueView<'_> {
    fn bucket(&self, bucket: &Resource<Bucket>) -> wasmtime::Result<&Bucket> {
        Ok(self.table.get(bucket)?)
    }
}

impl store::Host for KeyValueView<'_> {
    async fn open(&mut self, identifier: String) -> wasmtime::Result<KvResult<Resource<Bucket>>> {
        let granted = self.grant.buckets.contains(&identifier);
        let (Some(store), true) = (&self.grant.store, granted) else {
            return Ok(Err(store::Error::AccessDenied));
        };
        let bucket = Bucket {
            table: format!("{}/{identifier}", self.component),
            store: Arc::clone(store),
            quota: self.grant.quota,
        };
        Ok(Ok(self.table.push(bucket)?))
    }
}

impl store::HostBucket for KeyValueView<'_> {
    async fn get(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<KvResult<Option<Vec<u8>>>> {
        let bucket = self.bucket(&bucket)?;
        if let Err(error) = check_key(&key) {
            return Ok(Err(error));
        }
        Ok(bucket
            .read(move |entries| {
                let Some(entries) = entries else {
                    return Ok(None);
                };
                let value = entries.get(key.as_str()).map_err(other)?;
                Ok(value.map(|value| value.value().to_vec()))
            })
            .await)
    }

    async fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<KvResult<()>> {
        let bucket = self.bucket(&bucket)?;
        if let Err(error) = check_entry(&key, &value) {
            return Ok(Err(error));
        }
        Ok(bucket
            .write(move |entries| Ok(((), put(entries, &key, &value)?)))
            .await)
    }

    async fn delete(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<KvResult<()>> {
        let bucket = self.bucket(&bucket)?;
        if let Err(error) = check_key(&key) {
            return Ok(Err(error));
        }
        Ok(bucket
            .write(move |entries| Ok(((), remove(entries, &key)?)))
            .await)
    }

    async fn exists(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<KvResult<bool>> {
        let bucket = self.bucket(&bucket)?;
        if let Err(error) = check_key(&key) {
            return Ok(Err(error));
        }
        Ok(bucket
            .read(move |entries| match entries {
                Some(entries) => Ok(entries.get(key.as_str()).map_err(other)?.is_some()),
                None => Ok(false),
            })
            .await)
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<u64>,
    ) -> wasmtime::Result<KvResult<store::KeyResponse>> {
        let bucket = self.bucket(&bucket)?;
        let skip = usize::try_from(cursor.unwrap_or(0)).unwrap_or(usize::MAX);
        Ok(bucket
            .read(move |entries| {
                let Some(entries) = entries else {
                    return Ok(store::KeyResponse {
                        keys: Vec::new(),
                        cursor: None,
                    });
                };
                let mut keys = Vec::new();
                let mut more = false;
                for entry in entries.iter().map_err(other)?.skip(skip) {
                    if keys.len() == LIST_PAGE {
                        more = true;
                        break;
                    }
                    keys.push(entry.map_err(other)?.0.value().to_owned());
                }
                let next = skip.saturating_add(keys.len());
                Ok(store::KeyResponse {
                    keys,
                    cursor: more.then(|| u64::try_from(next).unwrap_or(u64::MAX)),
                })
            })
            .await)
    }

    async fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for KeyValueView<'_> {
    /// The value is a decimal number in text (a missing key counts as 0);
    /// anything else, or an overflow, is an error and changes nothing.
    async fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: u64,
    ) -> wasmtime::Result<KvResult<u64>> {
        let bucket = self.bucket(&bucket)?;
        if let Err(error) = check_key(&key) {
            return Ok(Err(error));
        }
        Ok(bucket
            .write(move |entries| {
                let current = match entries.get(key.as_str()).map_err(other)? {
                    None => 0,
                    Some(value) => std::str::from_utf8(value.value())
                        .ok()
                        .and_then(|text| text.parse::<u64>().ok())
                        .ok_or_else(|| {
                            other(format_args!(
                                "key {key:?} does not hold a decimal number, so it cannot be incremented"
                            ))
                        })?,
                };
                let next = current.checked_add(delta).ok_or_else(|| {
                    other(format_args!("incrementing key {key:?} by {delta} overflows"))
                })?;
                let change = put(entries, &key, next.to_string().as_bytes())?;
                Ok((next, change))
            })
            .await)
    }
}

impl batch::Host for KeyValueView<'_> {
    async fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<KvResult<Vec<Option<(String, Vec<u8>)>>>> {
        let bucket = self.bucket(&bucket)?;
        if let Err(error) = keys.iter().try_for_each(|key| check_key(key)) {
            return Ok(Err(error));
        }
        Ok(bucket
            .read(move |entries| {
                let mut answer_bytes = 0usize;
                keys.into_iter()
                    .map(|key| {
                        let Some(entries) = entries else {
                            return Ok(None);
                        };
                        let Some(value) = entries.get(key.as_str()).map_err(other)? else {
                            return Ok(None);
                        };
                        answer_bytes += key.len() + value.value().len();
                        if answer_bytes > MAX_BATCH_ANSWER_BYTES {
                            return Err(store::Error::Other(format!(
                                "get-many would answer more than {MAX_BATCH_ANSWER_BYTES} bytes; ask for fewer keys"
                            )));
                        }
                        Ok(Some((key, value.value().to_vec())))
                    })
                    .collect()
            })
            .await)
    }

    /// All or nothing: one transaction.
    async fn set_many(
        &mut self,
        bucket: Resource<Bucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<KvResult<()>> {
        let bucket = self.bucket(&bucket)?;
        if let Err(error) = key_values
            .iter()
            .try_for_each(|(key, value)| check_entry(key, value))
        {
            return Ok(Err(error));
        }
        Ok(bucket
            .write(move |entries| {
                let mut change = 0;
                for (key, value) in &key_values {
                    change += put(entries, key, value)?;
                }
                Ok(((), change))
            })
            .await)
    }

    /// All or nothing: one transaction.
    async fn delete_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<KvResult<()>> {
        let bucket = self.bucket(&bucket)?;
        if let Err(error) = keys.iter().try_for_each(|key| check_key(key)) {
            return Ok(Err(error));
        }
        Ok(bucket
            .write(move |entries| {
                let mut change = 0;
                for key in &keys {
                    change += remove(entries, key)?;
                }
                Ok(((), change))
            })
            .await)
    }
}
