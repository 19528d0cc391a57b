//! `airssys run --watch`: upgrades a component in place when its `.wasm`
//! file changes, the plugin author's edit-build-see loop; applies a changed
//! manifest (components added and removed, grants, `.wasm` paths), and says
//! what else needs a restart.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use airssys_wasm::{ComponentSpec, System, WasmSource};
use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, DebouncedEventKind, Debouncer, new_debouncer};
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc;

use crate::failure::chain;
use crate::manifest::Manifest;

/// How long a file must be quiet before it counts as changed: a build
/// writes it in several steps. (Writes still going on after this are
/// reported as continuing, and ignored until they stop.)
const QUIET: Duration = Duration::from_millis(300);

/// How long a component dropped from the manifest may take to handle what
/// it has queued.
const REMOVAL_DRAIN: Duration = Duration::from_secs(5);

/// The watched files, what each held when last read, and the manifest as
/// last applied.
pub(crate) struct Watch {
    /// `None` without `--watch`: changes apply only at `airssys reload`.
    debouncer: Option<Debouncer<RecommendedWatcher>>,
    changed: mpsc::UnboundedReceiver<Vec<PathBuf>>,
    components: Vec<Watched>,
    manifest: WatchedFile,
    applied: Shape,
    /// What the last pass did, as it said it.
    said: Said,
}

/// A component's `.wasm` file and the digest of the bytes it last loaded.
struct Watched {
    name: String,
    file: WatchedFile,
    digest: Option<[u8; 32]>,
}

/// A file as the watcher names it (its directory resolved, as the watcher
/// resolves what it watches), and its length and modification time when
/// last looked at.
struct WatchedFile {
    path: PathBuf,
    stamp: Option<(u64, SystemTime)>,
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
    /// Sorted: their order means nothing.
    grants: Vec<String>,
    wasm: PathBuf,
    /// Its other keys, as text: a change there needs a restart.
    rest: String,
}

impl Watch {
    /// Watches `manifest` and each component's file (`(name, path)`).
    /// Directories, not files, are watched: a build that replaces a file
    /// (write elsewhere, then rename) would end a watch on the file itself.
    /// Without `watching`, nothing is watched: [`reload`](Self::reload)
    /// applies what changed.
    pub(crate) fn start(
        manifest: &Path,
        components: Vec<(String, PathBuf)>,
        watching: bool,
    ) -> Result<Self, String> {
        let manifest = WatchedFile::new(manifest)?;
        let (applied, _) = Shape::load(&manifest.path)?;
        let (send, changed) = mpsc::unbounded_channel();
        let components: Vec<_> = components
            .into_iter()
            .map(|(name, path)| {
                let file = WatchedFile::new(&path)?;
                let digest = digest_of(&file.path);
                Ok(Watched { name, file, digest })
            })
            .collect::<Result<_, String>>()?;
        let mut directories: Vec<&Path> = components
            .iter()
            .map(|component| component.file.path.as_path())
            .chain([manifest.path.as_path()])
            .filter_map(Path::parent)
            .collect();
        directories.sort();
        directories.dedup();
        let debouncer = match watching {
            true => {
                let mut debouncer =
                    new_debouncer(QUIET, move |events: DebounceEventResult| match events {
                        Ok(events) => {
                            let settled = events
                                .into_iter()
                                .filter(|event| event.kind == DebouncedEventKind::Any)
                                .map(|event| event.path)
                                .collect();
                            let _ = send.send(settled);
                        }
                        Err(error) => eprintln!("airssys: watching files failed: {error}"),
                    })
                    .map_err(|error| format!("cannot watch files: {error}"))?;
                for directory in directories {
                    watch_directory(&mut debouncer, directory)?;
                }
                Some(debouncer)
            }
            false => None,
        };
        Ok(Self {
            debouncer,
            changed,
            components,
            manifest,
            applied,
            said: Said::default(),
        })
    }

    /// Whether files are watched (`--watch`), not only reloaded.
    pub(crate) fn is_watching(&self) -> bool {
        self.debouncer.is_some()
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

    /// Applies what changed among `changed`: the manifest, then each
    /// component whose file now holds other bytes.
    pub(crate) async fn apply(&mut self, system: &System, changed: &HashSet<PathBuf>) {
        if changed.contains(&self.manifest.path) && self.manifest.touched() {
            self.apply_manifest(system).await;
        }
        for component in &mut self.components {
            if changed.contains(&component.file.path) && component.file.touched() {
                component.reload(system, &mut self.said, true).await;
            }
        }
        self.said = Said::default();
    }

    /// `airssys reload`: applies the manifest as it is now, and upgrades
    /// each component whose file holds other bytes than it runs. Returns
    /// what it did, a line each, and whether any of it failed.
    pub(crate) async fn reload(&mut self, system: &System) -> Said {
        self.manifest.touched();
        self.apply_manifest(system).await;
        for component in &mut self.components {
            component.file.touched();
            component.reload(system, &mut self.said, false).await;
        }
        std::mem::take(&mut self.said)
    }

    /// Applies what changed in the manifest and can change while running
    /// (grants, a component's `.wasm` path); says what cannot.
    async fn apply_manifest(&mut self, system: &System) {
        let (mut loaded, specs) = match Shape::load(&self.manifest.path) {
            Ok(loaded) => loaded,
            Err(error) => {
                fail(
                    &mut self.said,
                    format!("the changed manifest is not applied: {error}"),
                );
                return;
            }
        };
        if loaded == self.applied {
            return;
        }
        if loaded.system != self.applied.system {
            tell(
                &mut self.said,
                "[limits], [keyvalue] and [cache] changes apply at the next start".to_owned(),
            );
        }
        // New components first, without grants, so that two new ones may
        // grant each other; one refused is left out, to be tried again at
        // the next save.
        let mut specs: BTreeMap<String, ComponentSpec> = specs.into_iter().collect();
        let mut added = Vec::new();
        for (name, spec) in &specs {
            if self.applied.components.contains_key(name) {
                continue;
            }
            match system.add(spec.clone()).await {
                Ok(()) => {
                    tell(&mut self.said, format!("{name} added"));
                    added.push(name.clone());
                }
                Err(error) => {
                    fail(
                        &mut self.said,
                        format!("{name} not added: {}", chain(&error)),
                    );
                    loaded.components.remove(name);
                }
            }
        }
        for name in &added {
            let new = &loaded.components[name];
            set_grants(system, name, &new.grants, &mut self.said);
            self.watch_new(name, &new.wasm);
        }
        let (mut replaced, mut moved) = (Vec::new(), Vec::new());
        for (name, new) in &loaded.components {
            let Some(old) = self.applied.components.get(name) else {
                continue;
            };
            if new.rest != old.rest {
                // Limits, WASI, configuration: a new instance of it, with
                // its queue drained first.
                if let Some(spec) = specs.remove(name) {
                    replaced.push((name.clone(), spec));
                }
                continue;
            }
            if new.grants != old.grants {
                set_grants(system, name, &new.grants, &mut self.said);
            }
            if new.wasm != old.wasm {
                moved.push((name.clone(), new.wasm.clone(), old.wasm.clone()));
            }
        }
        for (name, new, old) in moved {
            if !self.move_file(system, &name, &new).await
                && let Some(shape) = loaded.components.get_mut(&name)
            {
                // Still from the old file: tried again at the next save.
                shape.wasm = old;
            }
        }
        for (name, spec) in replaced {
            let new = &loaded.components[&name];
            let (grants, wasm) = (new.grants.clone(), new.wasm.clone());
            match self.replace(system, &name, spec, &grants).await {
                Replaced::Done => {
                    // Watched from its (perhaps new) file from now on.
                    self.components.retain(|component| component.name != name);
                    self.watch_new(&name, &wasm);
                }
                Replaced::KeptOld => {
                    // Still the old one: tried again at the next save.
                    if let Some(old) = self.applied.components.remove(&name) {
                        loaded.components.insert(name, old);
                    }
                }
                Replaced::Gone => {
                    // Removed: added again at the next save (it is in
                    // neither what runs nor what was applied).
                    self.components.retain(|component| component.name != name);
                    self.applied.components.remove(&name);
                    loaded.components.remove(&name);
                }
            }
        }
        let gone: Vec<String> = self
            .applied
            .components
            .keys()
            .filter(|name| !loaded.components.contains_key(*name))
            .cloned()
            .collect();
        for name in gone {
            match system.remove(&name, REMOVAL_DRAIN).await {
                Ok(removal) => {
                    tell(
                        &mut self.said,
                        format!("{name} {}", crate::control::removal_text(&removal)),
                    );
                    self.components.retain(|component| component.name != name);
                }
                Err(error) => {
                    fail(
                        &mut self.said,
                        format!("{name} not removed: {}", chain(&error)),
                    );
                    // Still running: tried again at the next save.
                    if let Some(shape) = self.applied.components.remove(&name) {
                        loaded.components.insert(name, shape);
                    }
                }
            }
        }
        self.applied = loaded;
    }

    /// Replaces component `name` with a new one from `spec`: removed (its
    /// queue drained), then added and granted `grants`.
    async fn replace(
        &mut self,
        system: &System,
        name: &str,
        spec: ComponentSpec,
        grants: &[String],
    ) -> Replaced {
        let said = &mut self.said;
        match system.remove(name, REMOVAL_DRAIN).await {
            Ok(removal) => tell(
                said,
                format!("{name} {}", crate::control::removal_text(&removal)),
            ),
            Err(error) => {
                fail(said, format!("{name} not replaced: {}", chain(&error)));
                return Replaced::KeptOld;
            }
        }
        match system.add(spec).await {
            Ok(()) => {
                tell(said, format!("{name} replaced with its new settings"));
                set_grants(system, name, grants, said);
                Replaced::Done
            }
            Err(error) => {
                let why = chain(&error);
                fail(
                    said,
                    format!("{name} removed, its new settings refused: {why}"),
                );
                Replaced::Gone
            }
        }
    }

    /// Watches the file of component `name`, just added.
    fn watch_new(&mut self, name: &str, path: &Path) {
        let Some(file) = self.watch_file(path, &format!("{name} is not watched")) else {
            return;
        };
        let digest = digest_of(&file.path);
        self.components.push(Watched {
            name: name.to_owned(),
            file,
            digest,
        });
    }

    /// `path`, its directory watched; or `None`, saying `unwatched` and why.
    fn watch_file(&mut self, path: &Path, unwatched: &str) -> Option<WatchedFile> {
        let file = match WatchedFile::new(path) {
            Ok(file) => file,
            Err(error) => {
                tell(&mut self.said, format!("{unwatched}: {error}"));
                return None;
            }
        };
        if let Some(directory) = file.path.parent()
            && let Some(debouncer) = &mut self.debouncer
            && let Err(error) = watch_directory(debouncer, directory)
        {
            tell(&mut self.said, error);
        }
        Some(file)
    }

    /// Component `name` now comes from `path`: watches it from now on, and
    /// upgrades to it unless it holds the same bytes.
    /// Whether it now comes from `path` (upgraded or not: a refused
    /// upgrade is said, and tried again when the file changes).
    async fn move_file(&mut self, system: &System, name: &str, path: &Path) -> bool {
        let keeps = format!("{name} keeps running its current version");
        let Some(file) = self.watch_file(path, &keeps) else {
            self.said.failed = true;
            return false;
        };
        if let Some(component) = self.components.iter_mut().find(|c| c.name == name) {
            component.file = file;
            component.reload(system, &mut self.said, true).await;
        }
        true
    }
}

impl Watched {
    /// Upgrades the component to what its file holds now, unless that is
    /// what it runs; says what happened.
    /// `unchanged_too`: say so when the file holds what runs (a rewrite
    /// the watcher saw), not only when it upgrades.
    async fn reload(&mut self, system: &System, said: &mut Said, unchanged_too: bool) {
        // Read once: the bytes hashed are the bytes loaded.
        let bytes = match std::fs::read(&self.file.path) {
            Ok(bytes) => bytes,
            // Watched: removed, or mid-replace; the next event brings it back.
            Err(_) if unchanged_too => return,
            Err(error) => {
                let path = self.file.path.display();
                fail(said, format!("{}: cannot read {path}: {error}", self.name));
                return;
            }
        };
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        if self.digest == Some(digest) {
            if !unchanged_too {
                return;
            }
            tell(
                said,
                format!(
                    "{} is unchanged ({} holds the same bytes)",
                    self.name,
                    self.file.path.display()
                ),
            );
            return;
        }
        match system
            .upgrade(&self.name, WasmSource::Bytes(bytes.into()))
            .await
        {
            Ok(upgrade) => {
                // Only what runs: a refused build is tried again.
                self.digest = Some(digest);
                tell(
                    said,
                    format!(
                        "{} upgraded to generation {} ({} changed)",
                        self.name,
                        upgrade.generation,
                        self.file.path.display()
                    ),
                );
            }
            Err(error) => fail(
                said,
                format!(
                    "{} keeps running its current version: {}",
                    self.name,
                    chain(&error)
                ),
            ),
        }
    }
}

impl WatchedFile {
    /// `path`, with its directory resolved: the watcher reports events
    /// under the resolved directory (macOS resolves `/tmp` to
    /// `/private/tmp`, for one).
    fn new(path: &Path) -> Result<Self, String> {
        let name = path
            .file_name()
            .ok_or_else(|| format!("{} names no file", path.display()))?;
        let directory = match path.parent() {
            Some(directory) if !directory.as_os_str().is_empty() => directory,
            _ => Path::new("."),
        };
        let directory = std::fs::canonicalize(directory)
            .map_err(|error| format!("{}: {error}", directory.display()))?;
        let path = directory.join(name);
        let stamp = stamp_of(&path);
        Ok(Self { path, stamp })
    }

    /// Whether the file was written since last looked at. The watcher also
    /// reports a file being opened or read (by this process too), which
    /// changes neither its length nor its modification time.
    fn touched(&mut self) -> bool {
        let now = stamp_of(&self.path);
        let touched = now != self.stamp;
        self.stamp = now;
        touched
    }
}

/// What `path` holds, hashed; `None` if it cannot be read.
fn digest_of(path: &Path) -> Option<[u8; 32]> {
    std::fs::read(path)
        .ok()
        .map(|bytes| Sha256::digest(&bytes).into())
}

fn stamp_of(path: &Path) -> Option<(u64, SystemTime)> {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.len(), metadata.modified().ok()?))
}

impl Shape {
    /// The manifest at `manifest`, and each component's spec (without its
    /// grants), by name.
    fn load(manifest: &Path) -> Result<(Self, Vec<(String, ComponentSpec)>), String> {
        let base = manifest.parent().unwrap_or(Path::new("."));
        let manifest = Manifest::load(manifest)?;
        let specs = manifest
            .components
            .iter()
            .map(|component| (component.name.clone(), component.spec(base, false)))
            .collect();
        let system = format!(
            "{:?} {:?} {:?}",
            manifest.limits, manifest.keyvalue, manifest.cache
        );
        let components = manifest
            .components
            .into_iter()
            .map(|mut component| {
                let mut grants = std::mem::take(&mut component.grants);
                grants.sort();
                let wasm = base.join(std::mem::take(&mut component.wasm));
                let name = std::mem::take(&mut component.name);
                let rest = format!("{component:?}");
                (name, ComponentShape { grants, wasm, rest })
            })
            .collect();
        Ok((Self { components, system }, specs))
    }
}

/// Applies a manifest's grant list (`"*"` for every target) to `name`.
fn set_grants(system: &System, name: &str, grants: &[String], said: &mut Said) {
    let any = grants.iter().any(|grant| grant == "*");
    let targets: Vec<&str> = grants
        .iter()
        .map(String::as_str)
        .filter(|grant| *grant != "*")
        .collect();
    match system.set_grants(name, &targets, any) {
        Ok(()) => tell(said, format!("{name}: grants now {grants:?}")),
        Err(error) => fail(
            said,
            format!("{name}: grants not changed: {}", chain(&error)),
        ),
    }
}

/// What a pass over the manifest and the files did, as it said it.
#[derive(Debug, Default)]
pub(crate) struct Said {
    pub(crate) lines: Vec<String>,
    /// Something was refused or could not be done.
    pub(crate) failed: bool,
}

/// How a replacement ended.
enum Replaced {
    Done,
    /// Not removed: the old one runs on.
    KeptOld,
    /// Removed, and the new one refused.
    Gone,
}

/// Says `line` on the run's output, and keeps it for `airssys reload`.
fn tell(said: &mut Said, line: String) {
    say!("airssys: {line}");
    said.lines.push(line);
}

/// Says what failed, as [`tell`] does, and marks the pass failed.
fn fail(said: &mut Said, line: String) {
    tell(said, line);
    said.failed = true;
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
