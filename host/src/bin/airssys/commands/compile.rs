//! `airssys compile PATH...`: fill the compile cache ahead of a run.

use std::path::{Path, PathBuf};

use airssys_wasm::{ComponentSpec, SystemBuilder};

use crate::failure::{Failure, chain};
use crate::manifest::Manifest;

/// Compiles each `.toml` manifest's components for its limits, and the
/// other paths as components with the default limits.
pub(crate) async fn compile(paths: &[PathBuf], cache_dir: Option<PathBuf>) -> Result<(), Failure> {
    let mut files = SystemBuilder::new();
    let mut any_file = false;
    for path in paths {
        if path.extension().is_some_and(|ext| ext == "toml") {
            let manifest = Manifest::load(path).map_err(Failure::usage)?;
            let base = path.parent().unwrap_or(Path::new("."));
            let builder = manifest
                .checked_builder(base)
                .map_err(|error| Failure::usage(format!("{}: {error}", path.display())))?;
            precompile(&path.display().to_string(), builder, cache_dir.as_ref()).await?;
        } else {
            let name = format!("component-{}", path.display());
            files = files.component(ComponentSpec::from_file(name, path));
            any_file = true;
        }
    }
    if any_file {
        precompile("the components", files, cache_dir.as_ref()).await?;
    }
    Ok(())
}

async fn precompile(
    what: &str,
    builder: SystemBuilder,
    cache_dir: Option<&PathBuf>,
) -> Result<(), Failure> {
    let builder = match cache_dir {
        Some(dir) => builder.compile_cache(dir),
        None => builder,
    };
    let counts = builder
        .precompile()
        .await
        .map_err(|error| Failure::failed(chain(&error)))?;
    let compiled = counts.compiled - counts.from_cache;
    if counts.stored < compiled {
        return Err(Failure::failed(format!(
            "{what}: {} of {compiled} compiled components were not kept: the compile cache is off \
             or could not be written (see the warnings above)",
            compiled - counts.stored
        )));
    }
    say!(
        "airssys: {what}: {compiled} compiled into the cache, {} already there",
        counts.from_cache
    );
    Ok(())
}
