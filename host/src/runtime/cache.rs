//! [`CompileCache`]: compiled components kept on disk, so a system starts
//! without compiling what an earlier start (or `airssys compile`) already
//! compiled.
//!
//! An entry's name is the SHA-256 of the component's bytes and a hash of
//! the engine's compatibility fingerprint (wasmtime's version, its
//! configuration, the CPU features it compiles for). An entry holds a
//! header (the magic, that same key, the SHA-256 of its body) and the
//! body: what `Component::serialize` wrote. Anything that does not check
//! out is a miss: the component is compiled and the entry written again.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The first bytes of every entry; a new format gets a new one.
const MAGIC: &[u8; 16] = b"airssys-cc-v2\n\0\0";
/// The component's SHA-256 and the engine's fingerprint.
const KEY_LEN: usize = 32 + 8;
/// The magic, the key and the body's digest.
const HEADER_LEN: usize = MAGIC.len() + KEY_LEN + 32;

/// A directory of compiled components, this user's own.
#[derive(Debug, Clone)]
pub(crate) struct CompileCache {
    dir: PathBuf,
}

/// Why an entry was not loaded.
#[derive(Debug)]
enum Miss {
    /// There is none yet.
    Absent,
    /// There is one, but it cannot be trusted or used; why, for the log.
    Unusable(String),
}

fn unusable(why: impl std::fmt::Display) -> Miss {
    Miss::Unusable(why.to_string())
}

impl CompileCache {
    /// The cache in `dir`, created (readable by this user only) if
    /// missing. A directory of another user's, or one others may write
    /// to, is refused: they could put entries in it.
    pub(crate) fn open(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        create_private_dir(&dir)?;
        let metadata = std::fs::metadata(&dir)?;
        if let Err(why) = check_private(&metadata) {
            return Err(std::io::Error::other(format!(
                "the directory is {why}; only a directory of this user's that others cannot write to can hold compiled code"
            )));
        }
        Ok(Self { dir })
    }

    /// The user's cache directory for compiled components:
    /// `$XDG_CACHE_HOME/airssys/compiled` or `~/.cache/airssys/compiled` on
    /// Linux, the platform's equivalent elsewhere.
    pub(crate) fn default_dir() -> Option<PathBuf> {
        directories_next::BaseDirs::new()
            .map(|dirs| dirs.cache_dir().join("airssys").join("compiled"))
    }

    /// The compiled form of `bytes` for `engine`: from the cache when an
    /// entry checks out, else compiled by `compile` and stored. Says which.
    pub(crate) fn get_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
        compile: impl FnOnce() -> wasmtime::Result<Component>,
    ) -> wasmtime::Result<(Component, CacheUse)> {
        let key = entry_key(engine, bytes);
        let path = self
            .dir
            .join(format!("{}-{}.cwasm", hex(&key[..32]), hex(&key[32..])));
        match load(engine, &path, &key) {
            Ok(component) => return Ok((component, CacheUse::Loaded)),
            Err(Miss::Absent) => {}
            Err(Miss::Unusable(why)) => {
                tracing::warn!(path = %path.display(), %why, "compile cache entry not used; compiling");
            }
        }
        let component = compile()?;
        match store(&path, &key, &component) {
            Ok(()) => Ok((component, CacheUse::Stored)),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "could not write the compile cache entry");
                Ok((component, CacheUse::NotKept))
            }
        }
    }
}

/// What the compile cache did for one component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheUse {
    /// Loaded from it: not compiled.
    Loaded,
    /// Compiled and written to it.
    Stored,
    /// Compiled and not kept: no cache, or the write failed.
    NotKept,
}

/// The component's SHA-256, then the engine's fingerprint.
fn entry_key(engine: &Engine, bytes: &[u8]) -> [u8; KEY_LEN] {
    // DefaultHasher::new() has fixed keys: the same engine gives the same
    // value in every process of this build.
    let mut fingerprint = std::hash::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut fingerprint);
    let mut key = [0; KEY_LEN];
    key[..32].copy_from_slice(&Sha256::digest(bytes));
    key[32..].copy_from_slice(&fingerprint.finish().to_be_bytes());
    key
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn load(engine: &Engine, path: &Path, key: &[u8; KEY_LEN]) -> Result<Component, Miss> {
    let file = match open_entry(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Err(Miss::Absent),
        Err(error) => return Err(unusable(error)),
    };
    let metadata = file.metadata().map_err(unusable)?;
    if !metadata.is_file() {
        return Err(unusable("not a regular file"));
    }
    check_private(&metadata).map_err(unusable)?;
    let mut entry = Vec::new();
    (&file).read_to_end(&mut entry).map_err(unusable)?;
    if entry.len() < HEADER_LEN || &entry[..MAGIC.len()] != MAGIC {
        return Err(unusable("not an airssys compile cache entry, or truncated"));
    }
    let (stored_key, rest) = entry[MAGIC.len()..].split_at(KEY_LEN);
    if stored_key != key {
        return Err(unusable("it was written for another component or engine"));
    }
    let (digest, body) = rest.split_at(32);
    if Sha256::digest(body).as_slice() != digest {
        return Err(unusable("its body does not match its digest"));
    }
    // SAFETY: `deserialize` trusts its input to be what `serialize` wrote.
    // These bytes are: the entry is a regular file (not followed through a
    // symlink) of this user's, writable by no one else (checked above, on
    // the open file), in a directory only this user can write (checked in
    // `open`); its header names this component and engine, so it is not
    // another component's entry moved here; and its body matches the
    // digest written beside it, so it is neither truncated nor altered
    // since `store` wrote it. wasmtime itself then
    // refuses bytes from another wasmtime version or engine configuration
    // (a miss, not a load).
    unsafe { Component::deserialize(engine, body) }.map_err(|error| unusable(format!("{error:#}")))
}

/// Writes `component`'s entry at `path` through a temporary file renamed
/// into place, so a reader never sees half an entry and concurrent
/// writers each leave a whole one.
fn store(path: &Path, key: &[u8; KEY_LEN], component: &Component) -> std::io::Result<()> {
    let body = component.serialize().map_err(std::io::Error::other)?;
    let dir = path.parent().expect("entries live in the cache directory");
    let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
    temporary.write_all(MAGIC)?;
    temporary.write_all(key)?;
    temporary.write_all(&Sha256::digest(&body))?;
    temporary.write_all(&body)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Opens an entry without following a symlink, and without blocking on a
/// FIFO put in its place.
#[cfg(unix)]
fn open_entry(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_entry(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// A file or directory holding compiled code must be this user's, and
/// writable by no one else: otherwise another user could have put code in
/// it. (On other systems than Unix this is not checked.)
#[cfg(unix)]
fn check_private(metadata: &std::fs::Metadata) -> Result<(), &'static str> {
    use std::os::unix::fs::MetadataExt as _;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if metadata.uid() != me {
        return Err("owned by another user");
    }
    if metadata.mode() & 0o022 != 0 {
        return Err("writable by other users");
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_metadata: &std::fs::Metadata) -> Result<(), &'static str> {
    Ok(())
}
