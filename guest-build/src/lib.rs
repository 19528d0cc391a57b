//! Build airssys guest crates into `wasm32-wasip2` components from a build script.
//!
//! A host application (or a test-fixtures crate) that ships its own plugins
//! calls [`GuestBuild::run`] from `build.rs` and gets the path of each
//! compiled component, ready for `include_bytes!` or for loading at run time.
//!
//! ```no_run
//! // build.rs
//! let built = airssys_wasm_guest_build::GuestBuild::new("../Cargo.toml")
//!     .package("my-plugin")
//!     .run();
//! for guest in &built {
//!     println!("cargo:rustc-env=PLUGIN_WASM={}", guest.wasm.display());
//! }
//! ```
//!
//! The nested `cargo build` uses its own target directory: sharing the outer
//! build's directory would deadlock on its lock. If the `wasm32-wasip2`
//! target is missing it is installed with `rustup`; where that is impossible
//! the build stops with the command to run.

use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target every airssys guest is compiled for.
///
/// ```
/// // Where a guest's release build lands in its own target directory.
/// let wasm = format!("target/{}/release/my_plugin.wasm", airssys_wasm_guest_build::GUEST_TARGET);
/// assert_eq!(wasm, "target/wasm32-wasip2/release/my_plugin.wasm");
/// ```
pub const GUEST_TARGET: &str = "wasm32-wasip2";

/// One compiled guest component.
///
/// ```no_run
/// // build.rs: one environment variable per plugin, for `include_bytes!`.
/// for guest in airssys_wasm_guest_build::GuestBuild::new("../Cargo.toml").package("greeter").run() {
///     let var = guest.package.to_uppercase().replace('-', "_");
///     println!("cargo:rustc-env={var}_WASM={}", guest.wasm.display());
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltGuest {
    /// The cargo package name, as given to [`GuestBuild::package`].
    pub package: String,
    /// The path of the compiled `.wasm` component.
    pub wasm: PathBuf,
}

/// A nested `cargo build --target wasm32-wasip2` of some guest packages.
///
/// ```no_run
/// // build.rs of a host crate whose plugins live in the same workspace.
/// let built = airssys_wasm_guest_build::GuestBuild::new("../Cargo.toml")
///     .package("shop")
///     .package("warehouse")
///     .watch("../wit")
///     .run();
/// assert_eq!(built.len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct GuestBuild {
    manifest: PathBuf,
    packages: Vec<String>,
    target_dir: Option<PathBuf>,
    watch: Vec<PathBuf>,
}

impl GuestBuild {
    /// Builds packages of the workspace (or package) whose `Cargo.toml` is at
    /// `manifest`, relative to the calling crate's directory.
    ///
    /// ```
    /// // The guests are packages of the workspace one level up.
    /// let build = airssys_wasm_guest_build::GuestBuild::new("../Cargo.toml");
    /// # let _ = build;
    /// ```
    pub fn new(manifest: impl AsRef<Path>) -> Self {
        Self {
            manifest: manifest_dir().join(manifest),
            packages: Vec::new(),
            target_dir: None,
            watch: Vec::new(),
        }
    }

    /// Adds a guest package to build.
    ///
    /// ```
    /// let build = airssys_wasm_guest_build::GuestBuild::new("plugins/Cargo.toml")
    ///     .package("resize")
    ///     .package("thumbnail");
    /// # let _ = build;
    /// ```
    pub fn package(mut self, name: impl Into<String>) -> Self {
        self.packages.push(name.into());
        self
    }

    /// Uses `dir` as the nested build's target directory instead of
    /// `target/airssys-guests` beside the workspace's own target directory.
    ///
    /// ```
    /// // Keep guest artifacts out of the host's target directory entirely.
    /// let build = airssys_wasm_guest_build::GuestBuild::new("plugins/Cargo.toml")
    ///     .package("resize")
    ///     .target_dir("/tmp/plugin-build");
    /// # let _ = build;
    /// ```
    pub fn target_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.target_dir = Some(dir.into());
        self
    }

    /// Reruns the build script when anything under `path` (relative to the
    /// calling crate) changes. The guest packages' own directories are
    /// watched already; add the SDK, the WIT files and the like.
    ///
    /// ```
    /// // The guests use a shared crate outside their own directories.
    /// let build = airssys_wasm_guest_build::GuestBuild::new("../Cargo.toml")
    ///     .package("resize")
    ///     .watch("../shared-types");
    /// # let _ = build;
    /// ```
    pub fn watch(mut self, path: impl AsRef<Path>) -> Self {
        self.watch.push(manifest_dir().join(path));
        self
    }

    /// Runs the build and returns each package's component.
    ///
    /// # Panics
    ///
    /// Panics, with the cause and the command to fix it, when the target
    /// cannot be installed or the guest build fails: this runs in a build
    /// script, where a panic is how a build stops with a message.
    ///
    /// ```no_run
    /// // build.rs
    /// let built = airssys_wasm_guest_build::GuestBuild::new("../Cargo.toml").package("greeter").run();
    /// println!("cargo:rustc-env=GREETER_WASM={}", built[0].wasm.display());
    /// ```
    pub fn run(self) -> Vec<BuiltGuest> {
        ensure_target_installed();
        let target_dir = self.target_dir.clone().unwrap_or_else(default_target_dir);
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        // Found before building, so a misspelt package or one that is not a
        // `cdylib` fails here, by name, not as a missing file later.
        let guests: Vec<Guest> = {
            let packages = workspace_packages(&cargo, &self.manifest);
            self.packages
                .iter()
                .map(|name| Guest::find(&packages, name, &self.manifest))
                .collect()
        };

        let mut command = Command::new(cargo);
        command
            .arg("build")
            .arg("--release")
            .arg("--target")
            .arg(GUEST_TARGET)
            .arg("--manifest-path")
            .arg(&self.manifest);
        for package in &self.packages {
            command.arg("--package").arg(package);
        }
        command.env("CARGO_TARGET_DIR", &target_dir);
        // The outer build's flags and wrappers (clippy, coverage, host
        // RUSTFLAGS) are meant for the host crates, not for the guests.
        for var in [
            "RUSTC_WORKSPACE_WRAPPER",
            "RUSTC_WRAPPER",
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_TARGET",
            "CARGO_BUILD_RUSTFLAGS",
        ] {
            command.env_remove(var);
        }

        let status = command.status().unwrap_or_else(|err| {
            panic!("airssys: could not run cargo to build the guests: {err}")
        });
        if !status.success() {
            panic!(
                "airssys: building the guest components ({}) for {GUEST_TARGET} failed; \
                 the compiler's messages are above",
                self.packages.join(", ")
            );
        }

        println!("cargo:rerun-if-changed={}", self.manifest.display());
        for path in &self.watch {
            println!("cargo:rerun-if-changed={}", path.display());
        }
        let release = target_dir.join(GUEST_TARGET).join("release");
        guests
            .into_iter()
            .map(|guest| {
                for dir in std::iter::once(&guest.dir).chain(&guest.path_dependencies) {
                    println!("cargo:rerun-if-changed={}", dir.display());
                }
                BuiltGuest {
                    package: guest.package,
                    wasm: release.join(format!("{}.wasm", guest.library)),
                }
            })
            .collect()
    }
}

/// A guest package, as `cargo metadata` describes it.
struct Guest {
    package: String,
    /// Its directory, watched for changes.
    dir: PathBuf,
    /// The directories of its path dependencies (the SDK, a crate of
    /// message types shared with other plugins), watched too.
    path_dependencies: Vec<PathBuf>,
    /// Its `cdylib` target's name as the file is named (`-` as `_`).
    library: String,
}

impl Guest {
    fn find(packages: &[cargo_metadata::Package], name: &str, manifest: &Path) -> Self {
        let Some(package) = packages.iter().find(|package| package.name == name) else {
            let known: Vec<&str> = packages
                .iter()
                .map(|package| package.name.as_ref())
                .collect();
            panic!(
                "airssys: no package named {name:?} in {}; it has: {}",
                manifest.display(),
                known.join(", ")
            );
        };
        let Some(library) = package
            .targets
            .iter()
            .find(|target| target.kind.contains(&cargo_metadata::TargetKind::CDyLib))
        else {
            panic!(
                "airssys: the package {name:?} builds no component: its Cargo.toml needs \
                 `[lib] crate-type = [\"cdylib\"]`"
            );
        };
        Self {
            package: name.to_owned(),
            dir: package
                .manifest_path
                .parent()
                .map_or_else(PathBuf::new, |dir| dir.as_std_path().to_path_buf()),
            path_dependencies: package
                .dependencies
                .iter()
                .filter_map(|dependency| dependency.path.as_ref())
                .map(|dir| dir.as_std_path().to_path_buf())
                .collect(),
            library: library.name.replace('-', "_"),
        }
    }
}

/// The packages of the workspace (or package) at `manifest`.
fn workspace_packages(cargo: &OsStr, manifest: &Path) -> Vec<cargo_metadata::Package> {
    cargo_metadata::MetadataCommand::new()
        .cargo_path(cargo)
        .manifest_path(manifest)
        .no_deps()
        .exec()
        .unwrap_or_else(|error| panic!("airssys: cannot read {}: {error}", manifest.display()))
        .packages
}

fn manifest_dir() -> PathBuf {
    env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `target/airssys-guests` under the outer build's target directory, found
/// from `OUT_DIR` (`<target>/<profile>/build/<pkg>/out`): one stable place
/// shared by every profile, so `cargo test` and `cargo clippy` reuse it.
fn default_target_dir() -> PathBuf {
    if let Some(dir) = env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir).join("airssys-guests");
    }
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set for build scripts"));
    out_dir
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "build"))
        .and_then(|build| build.parent()?.parent())
        .map(|target| target.join("airssys-guests"))
        .unwrap_or_else(|| out_dir.join("airssys-guests"))
}

/// Installs the guest target with rustup when the toolchain lacks it:
/// `rust-toolchain.toml` alone does not when `RUSTUP_AUTO_INSTALL=0`.
fn ensure_target_installed() {
    if target_installed() {
        return;
    }
    let installed = Command::new("rustup")
        .args(["target", "add", GUEST_TARGET])
        .status()
        .is_ok_and(|status| status.success());
    if !installed || !target_installed() {
        panic!(
            "airssys: the Rust target {GUEST_TARGET} is not installed and could not be \
             installed automatically; run `rustup target add {GUEST_TARGET}` and build again"
        );
    }
}

fn target_installed() -> bool {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(output) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    Path::new(&sysroot)
        .join("lib/rustlib")
        .join(GUEST_TARGET)
        .join("lib")
        .is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn this_workspace() -> (PathBuf, Vec<cargo_metadata::Package>) {
        let manifest = manifest_dir().join("../Cargo.toml");
        let packages = workspace_packages(OsStr::new("cargo"), &manifest);
        (manifest, packages)
    }

    /// A guest is found by its package name, wherever it lives, and its
    /// file is named after its library target.
    #[test]
    fn guests_are_found_by_cargo_metadata() {
        let (manifest, packages) = this_workspace();
        let echo = Guest::find(&packages, "fixture-echo", &manifest);
        assert!(
            echo.dir.ends_with("test-fixtures/guests/echo"),
            "{}",
            echo.dir.display()
        );
        assert_eq!(echo.library, "fixture_echo");
        // The SDK is a path dependency: a change to it rebuilds the guest.
        assert!(
            echo.path_dependencies
                .iter()
                .any(|dir| dir.ends_with("guest-sdk")),
            "{:?}",
            echo.path_dependencies
        );
    }

    #[test]
    #[should_panic(expected = "no package named \"fixture-ecko\"")]
    fn a_misspelt_package_is_named() {
        let (manifest, packages) = this_workspace();
        Guest::find(&packages, "fixture-ecko", &manifest);
    }

    #[test]
    #[should_panic(expected = "builds no component")]
    fn a_package_that_is_not_a_cdylib_is_refused() {
        let (manifest, packages) = this_workspace();
        Guest::find(&packages, "airssys-wasm-guest-build", &manifest);
    }
}
