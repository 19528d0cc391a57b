//! The compile cache: a second start loads what the first compiled, and an
//! entry that does not check out is compiled again, never loaded.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use airssys_test_fixtures::{ECHO, RELAY};
use airssys_wasm::{ComponentSpec, StartProgress, SystemBuilder, SystemError};

use crate::common::system::answer;

/// Starts one echo component with the cache in `dir` (and `memory_limit`
/// when given), checks it answers, and returns how many components came
/// from the cache.
async fn start_echo(dir: &Path, memory_limit: Option<usize>) -> usize {
    let mut spec = ComponentSpec::from_bytes("echo", ECHO);
    if let Some(bytes) = memory_limit {
        spec = spec.memory_limit(bytes);
    }
    let progress = StartProgress::new();
    let system = SystemBuilder::new()
        .compile_cache(dir)
        .progress(progress.clone())
        .component(spec)
        .start()
        .await
        .unwrap();
    assert_eq!(answer(&system, "echo", "hi").await.as_bytes(), b"hi");
    system.shutdown(std::time::Duration::from_secs(1)).await;
    let counts = progress.counts();
    assert_eq!(counts.compiled, 1);
    counts.from_cache
}

/// The cache's entries, and anything else left in its directory.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    entries
}

fn only_entry(dir: &Path) -> PathBuf {
    let entries = entries(dir);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(
        entries[0].extension().is_some_and(|ext| ext == "cwasm"),
        "{entries:?}"
    );
    entries[0].clone()
}

#[tokio::test]
async fn second_start_loads_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(start_echo(dir.path(), None).await, 0);
    only_entry(dir.path());
    assert_eq!(start_echo(dir.path(), None).await, 1);
    // Another engine configuration is another entry.
    assert_eq!(start_echo(dir.path(), Some(16 << 20)).await, 0);
    assert_eq!(entries(dir.path()).len(), 2);
}

/// Truncated, altered or foreign entries are compiled again and replaced,
/// and the component still runs.
#[tokio::test]
async fn damaged_entries_are_compiled_again() {
    let dir = tempfile::tempdir().unwrap();
    start_echo(dir.path(), None).await;
    let entry = only_entry(dir.path());
    let whole = std::fs::read(&entry).unwrap();

    std::fs::write(&entry, &whole[..whole.len() / 2]).unwrap();
    assert_eq!(start_echo(dir.path(), None).await, 0, "truncated");
    assert_eq!(std::fs::read(&entry).unwrap(), whole, "rewritten whole");

    let mut altered = whole.clone();
    let middle = altered.len() / 2;
    altered[middle] ^= 0xff;
    std::fs::write(&entry, &altered).unwrap();
    assert_eq!(start_echo(dir.path(), None).await, 0, "altered");

    std::fs::write(&entry, b"not an entry").unwrap();
    assert_eq!(start_echo(dir.path(), None).await, 0, "garbage");
    assert_eq!(start_echo(dir.path(), None).await, 1, "whole again");
}

/// An entry another engine configuration wrote, put under this engine's
/// name with a valid digest, is refused (its header names the other
/// engine) and compiled again.
#[tokio::test]
async fn an_entry_of_another_engine_is_compiled_again() {
    let small = tempfile::tempdir().unwrap();
    start_echo(small.path(), Some(16 << 20)).await;
    let foreign = std::fs::read(only_entry(small.path())).unwrap();

    let dir = tempfile::tempdir().unwrap();
    start_echo(dir.path(), None).await;
    let entry = only_entry(dir.path());
    std::fs::write(&entry, foreign).unwrap();
    assert_eq!(start_echo(dir.path(), None).await, 0);
    assert_eq!(start_echo(dir.path(), None).await, 1);
}

/// An entry other users could have written is not loaded.
#[cfg(unix)]
#[tokio::test]
async fn entries_other_users_could_write_are_not_loaded() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    start_echo(dir.path(), None).await;
    let entry = only_entry(dir.path());

    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o666)).unwrap();
    assert_eq!(start_echo(dir.path(), None).await, 0, "world-writable");
    let mode = std::fs::metadata(&entry).unwrap().permissions().mode();
    assert_eq!(mode & 0o022, 0, "replaced by a private entry");

    // As root, a file can be given away to test the owner check too.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&entry, Some(4242), None).unwrap();
        assert_eq!(start_echo(dir.path(), None).await, 0, "another owner");
    }
}

/// Starts racing on one empty cache all succeed and leave one whole entry
/// and no temporary files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_share_a_cache() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = Arc::new(dir.path().to_owned());
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let dir = Arc::clone(&dir_path);
            tokio::spawn(async move { start_echo(&dir, None).await })
        })
        .collect();
    for start in starts {
        start.await.unwrap();
    }
    only_entry(dir.path());
    assert_eq!(start_echo(dir.path(), None).await, 1);
}

#[tokio::test]
async fn a_cache_directory_that_cannot_be_made_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let error = SystemBuilder::new()
        .compile_cache(file.join("cache"))
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SystemError::CompileCache { path, .. } if *path == file.join("cache")),
        "{error:?}"
    );
}

/// `precompile` fills the cache without starting anything.
#[tokio::test]
async fn precompile_warms_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let builder = SystemBuilder::new()
        .compile_cache(dir.path())
        .component(ComponentSpec::from_bytes("echo", ECHO));
    let counts = builder.precompile().await.unwrap();
    assert_eq!(
        (counts.compiled, counts.from_cache, counts.stored),
        (1, 0, 1)
    );
    let counts = builder.precompile().await.unwrap();
    assert_eq!(
        (counts.compiled, counts.from_cache, counts.stored),
        (1, 1, 0)
    );
    let uncached = builder.no_compile_cache().precompile().await.unwrap();
    assert_eq!((uncached.compiled, uncached.stored), (1, 0));
    assert_eq!(start_echo(dir.path(), None).await, 1);
}

/// Starts `bytes` as `name` with the cache in `dir`; how many components
/// came from the cache.
async fn start_from(dir: &Path, name: &str, bytes: &'static [u8]) -> usize {
    let progress = StartProgress::new();
    let system = SystemBuilder::new()
        .compile_cache(dir)
        .progress(progress.clone())
        .component(ComponentSpec::from_bytes(name, bytes))
        .start()
        .await
        .unwrap();
    system.shutdown(std::time::Duration::from_secs(1)).await;
    progress.counts().from_cache
}

/// A valid entry of one component, put (copied or linked) under another
/// component's name, is not loaded for it.
#[cfg(unix)]
#[tokio::test]
async fn another_components_entry_is_not_loaded() {
    let dir = tempfile::tempdir().unwrap();
    start_from(dir.path(), "echo", ECHO).await;
    let echo_entry = only_entry(dir.path());
    start_from(dir.path(), "relay", RELAY).await;
    let relay_entry = entries(dir.path())
        .into_iter()
        .find(|entry| *entry != echo_entry)
        .unwrap();

    std::fs::copy(&echo_entry, &relay_entry).unwrap();
    assert_eq!(start_from(dir.path(), "relay", RELAY).await, 0, "copied");
    std::fs::remove_file(&relay_entry).unwrap();
    std::os::unix::fs::symlink(&echo_entry, &relay_entry).unwrap();
    assert_eq!(start_from(dir.path(), "relay", RELAY).await, 0, "linked");
    assert_eq!(start_from(dir.path(), "relay", RELAY).await, 1, "replaced");
}

/// A cache directory others may write to is refused at start.
#[cfg(unix)]
#[tokio::test]
async fn a_cache_directory_others_may_write_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let error = SystemBuilder::new()
        .compile_cache(dir.path())
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SystemError::CompileCache { path, source }
            if path == dir.path() && source.to_string().contains("writable by other users")),
        "{error:?}"
    );
}
