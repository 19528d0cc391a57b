//! `airssys run --watch`: upgrades a component in place when its `.wasm`
//! file changes, the plugin author's edit-build-see loop; applies a changed
//! manifest's grants and `.wasm` paths, and says what else needs a restart.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use airssys_wasm::{System, WasmSource};
use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc;

use crate::failure::chain;
use crate::manifest::Manifest;

/// How long a file must be quiet before it counts as changed: a build
/// writes it in several steps.
const QUIET: Duration = Duration::from_millis(300);

/// The watched component files, what each held when last loaded, and the
/// manifest as last applied.
pub(crate) struct Watch {
    /// Stops watching when dropped.
    debouncer: Debouncer<RecommendedWatcher>,
    changed: mpsc::UnboundedReceiver<Vec<PathBuf>>,
    components: Vec<Watched>,
    manifest: PathBuf,
    applied: Shape,
}

/// What `--watch` compares between two versions of the manifest.
#[derive(PartialEq)]
struct Shape {
    components: BTreeMap<String, ComponentShape>,
    /// Everything outside the components that a run depends on (limits,
    /// the key-value database, the cache), as text.
    system: String,
}

#[derive(PartialEq)]
struct ComponentShape {
    grants: Vec<String>,
    wasm: PathBuf,
    /// Its other keys, as text: a change there needs a restart.
    rest: String,
}

impl Shape {
    fn of(manifest: Manifest, base: &Path) -> Self {
        let system = format!(
            "{:?} {:?} {:?}",
            manifest.limits, manifest.keyvalue, manifest.cache
        );
        let components = manifest
            .components
            .into_iter()
            .map(|mut component| {
                let grants = std::mem::take(&mut component.grants);
                let wasm = base.join(std::mem::take(&mut component.wasm));
                let name = std::mem::take(&mut component.name);
                let rest = format!("{component:?}");
                (name, ComponentShape { grants, wasm, rest })
            })
            .collect();
        Self { components, system }
    }
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
        let applied = Shape::of(Manifest::load(manifest)?, base_of(manifest));
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
            watch_directory(&mut debouncer, directory)?;
        }
        Ok(Self {
            debouncer,
            changed,
            components,
            manifest,
            applied,
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
            self.apply_manifest(system).await;
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

impl Watch {
    /// Applies what changed in the manifest and can change while running
    /// (grants, a component's `.wasm` path); says what cannot.
    async fn apply_manifest(&mut self, system: &System) {
        let loaded = match Manifest::load(&self.manifest) {
            Ok(loaded) => Shape::of(loaded, base_of(&self.manifest)),
            Err(error) => {
                say!("airssys: the changed manifest is not applied: {error}");
                return;
            }
        };
        if loaded == self.applied {
            return;
        }
        if loaded.system != self.applied.system {
            say!("airssys: [limits], [keyvalue] and [cache] changes apply at the next start");
        }
        let names = |shape: &Shape| shape.components.keys().cloned().collect::<Vec<_>>();
        if names(&loaded) != names(&self.applied) {
            say!("airssys: components added or removed in the manifest apply at the next start");
        }
        for (name, new) in &loaded.components {
            let Some(old) = self.applied.components.get(name) else {
                continue;
            };
            if new.rest != old.rest {
                say!(
                    "airssys: {name}: changes besides its grants and wasm apply at the next start"
                );
            }
            if new.grants != old.grants {
                let any = new.grants.iter().any(|grant| grant == "*");
                let targets: Vec<&str> = new
                    .grants
                    .iter()
                    .map(String::as_str)
                    .filter(|grant| *grant != "*")
                    .collect();
                match system.set_grants(name, &targets, any) {
                    Ok(()) => say!("airssys: {name}: grants now {:?}", new.grants),
                    Err(error) => say!("airssys: {name}: grants not changed: {}", chain(&error)),
                }
            }
            if new.wasm != old.wasm {
                self.move_file(system, name, &new.wasm).await;
            }
        }
        self.applied = loaded;
    }

    /// Component `name` now comes from `path`: upgrades to it, and watches
    /// it from now on.
    async fn move_file(&mut self, system: &System, name: &str, path: &Path) {
        let Ok(path) = absolute(path) else { return };
        if let Some(directory) = path.parent()
            && let Err(error) = watch_directory(&mut self.debouncer, directory)
        {
            say!("airssys: {error}");
        }
        let Some(component) = self.components.iter_mut().find(|c| c.name == name) else {
            return;
        };
        component.path.clone_from(&path);
        component.digest = None;
        Box::pin(self.apply(system, &HashSet::from([path]))).await;
    }
}

fn watch_directory(
    debouncer: &mut Debouncer<RecommendedWatcher>,
    directory: &Path,
) -> Result<(), String> {
    debouncer
        .watcher()
        .watch(directory, RecursiveMode::NonRecursive)
        .map_err(|error| format!("cannot watch {}: {error}", directory.display()))
}

fn base_of(manifest: &Path) -> &Path {
    manifest.parent().unwrap_or(Path::new("."))
}
