//! `airssys run --watch`: upgrades a component in place when its `.wasm`
//! file changes, the plugin author's edit-build-see loop.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use airssys_wasm::{System, WasmSource};
use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc;

use crate::failure::chain;

/// How long a file must be quiet before it counts as changed: a build
/// writes it in several steps.
const QUIET: Duration = Duration::from_millis(300);

/// The watched component files, and what each held when last loaded.
pub(crate) struct Watch {
    /// Stops watching when dropped.
    _debouncer: Debouncer<RecommendedWatcher>,
    changed: mpsc::UnboundedReceiver<Vec<PathBuf>>,
    components: Vec<Watched>,
    manifest: PathBuf,
}

struct Watched {
    name: String,
    path: PathBuf,
    digest: Option<[u8; 32]>,
}

impl Watch {
    /// Watches `manifest` and each component's file (`(name, path)`).
    /// Directories, not files, are watched: a build that replaces a file
    /// (write elsewhere, then rename) would end a watch on the file itself.
    pub(crate) fn start(
        manifest: &Path,
        components: Vec<(String, PathBuf)>,
    ) -> Result<Self, String> {
        let (send, changed) = mpsc::unbounded_channel();
        let mut debouncer = new_debouncer(QUIET, move |events: DebounceEventResult| match events {
            Ok(events) => {
                let _ = send.send(events.into_iter().map(|event| event.path).collect());
            }
            Err(error) => eprintln!("airssys: watching files failed: {error}"),
        })
        .map_err(|error| format!("cannot watch files: {error}"))?;
        let manifest = absolute(manifest)?;
        let components: Vec<_> = components
            .into_iter()
            .map(|(name, path)| {
                let path = absolute(&path)?;
                let digest = digest_of(&path);
                Ok(Watched { name, path, digest })
            })
            .collect::<Result<_, String>>()?;
        let mut directories: Vec<&Path> = components
            .iter()
            .map(|component| component.path.as_path())
            .chain([manifest.as_path()])
            .filter_map(Path::parent)
            .collect();
        directories.sort();
        directories.dedup();
        for directory in directories {
            debouncer
                .watcher()
                .watch(directory, RecursiveMode::NonRecursive)
                .map_err(|error| format!("cannot watch {}: {error}", directory.display()))?;
        }
        Ok(Self {
            _debouncer: debouncer,
            changed,
            components,
            manifest,
        })
    }

    /// The files changed since the last call, once any has; cancel-safe.
    pub(crate) async fn next_change(&mut self) -> HashSet<PathBuf> {
        let Some(mut paths) = self.changed.recv().await else {
            return std::future::pending().await;
        };
        // Whatever else changed meanwhile: one pass for a whole build.
        while let Ok(more) = self.changed.try_recv() {
            paths.extend(more);
        }
        paths.into_iter().collect()
    }

    /// Upgrades each component whose file is among `changed` and now holds
    /// other bytes, saying what happened.
    pub(crate) async fn apply(&mut self, system: &System, changed: &HashSet<PathBuf>) {
        if changed.contains(&self.manifest) {
            say!(
                "airssys: {} changed; --watch applies only components' new code: restart to apply the manifest",
                self.manifest.display()
            );
        }
        for component in &mut self.components {
            if !changed.contains(&component.path) {
                continue;
            }
            // Read once: the bytes hashed are the bytes loaded.
            let Ok(bytes) = std::fs::read(&component.path) else {
                // Removed, or mid-replace: the next event brings it back.
                continue;
            };
            let digest: [u8; 32] = Sha256::digest(&bytes).into();
            if component.digest == Some(digest) {
                continue;
            }
            component.digest = Some(digest);
            match system
                .upgrade(&component.name, WasmSource::Bytes(bytes.into()))
                .await
            {
                Ok(upgrade) => say!(
                    "airssys: {} upgraded to generation {} ({} changed)",
                    component.name,
                    upgrade.generation,
                    component.path.display()
                ),
                Err(error) => say!(
                    "airssys: {} keeps running its current version: {}",
                    component.name,
                    chain(&error)
                ),
            }
        }
    }
}

fn absolute(path: &Path) -> Result<PathBuf, String> {
    std::path::absolute(path).map_err(|error| format!("{}: {error}", path.display()))
}

fn digest_of(path: &Path) -> Option<[u8; 32]> {
    std::fs::read(path)
        .ok()
        .map(|bytes| Sha256::digest(&bytes).into())
}
