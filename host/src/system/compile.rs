//! Compiling a system's components: each distinct source once, in
//! parallel, before anything is instantiated.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::core::runtime::errors::WasmError;
use crate::runtime::engine::WasmEngine;
use crate::runtime::loader::LoadedComponent;
use crate::system::progress::StartProgress;
use crate::system::spec::{ComponentSpec, WasmSource};

/// Compiles every distinct component once, on the blocking pool, in
/// parallel. Components given the same file, or the same bytes (clones of
/// one `Arc`), share one compilation and one `InstancePre`.
pub(crate) async fn load_all(
    engine: &Arc<WasmEngine>,
    specs: &[ComponentSpec],
    progress: &StartProgress,
) -> Result<Vec<LoadedComponent>, WasmError> {
    let mut first_of: HashMap<SourceKey, usize> = HashMap::new();
    let mut jobs = Vec::new();
    // The name of each job's first component, for its errors.
    let mut names = Vec::new();
    let mut job_of_spec = Vec::with_capacity(specs.len());
    for spec in specs {
        let job = *first_of
            .entry(SourceKey::of(&spec.source))
            .or_insert_with(|| {
                let engine = Arc::clone(engine);
                let spec = spec.clone();
                let progress = progress.clone();
                names.push(spec.name.clone());
                jobs.push(tokio::task::spawn_blocking(move || {
                    let loaded = compile(&engine, &spec.name, &spec.source);
                    if let Ok(loaded) = &loaded {
                        progress.compiled_one(loaded.cache_use());
                    }
                    loaded
                }));
                jobs.len() - 1
            });
        job_of_spec.push(job);
    }
    progress.expect_compiles(jobs.len());
    let mut compiled = Vec::with_capacity(jobs.len());
    for (job, name) in jobs.into_iter().zip(names) {
        match job.await {
            Ok(loaded) => compiled.push(loaded?),
            Err(join_error) if join_error.is_panic() => {
                std::panic::resume_unwind(join_error.into_panic())
            }
            Err(_cancelled) => return Err(WasmError::StartCancelled { name }),
        }
    }
    Ok(specs
        .iter()
        .zip(job_of_spec)
        .map(|(spec, job)| compiled[job].renamed(&spec.name))
        .collect())
}

/// Compiles one component for a running system (an upgrade), on the
/// blocking pool.
pub(crate) async fn load_one(
    engine: &Arc<WasmEngine>,
    name: &str,
    source: WasmSource,
) -> Result<LoadedComponent, WasmError> {
    let engine = Arc::clone(engine);
    let owned_name = name.to_owned();
    let job = tokio::task::spawn_blocking(move || compile(&engine, &owned_name, &source));
    match job.await {
        Ok(loaded) => loaded,
        Err(join_error) if join_error.is_panic() => {
            std::panic::resume_unwind(join_error.into_panic())
        }
        Err(_cancelled) => Err(WasmError::StartCancelled {
            name: name.to_owned(),
        }),
    }
}

fn compile(
    engine: &WasmEngine,
    name: &str,
    source: &WasmSource,
) -> Result<LoadedComponent, WasmError> {
    match source {
        WasmSource::File(path) => LoadedComponent::from_file(engine, name, path),
        WasmSource::Bytes(bytes) => LoadedComponent::from_bytes(engine, name, bytes),
    }
}

/// What makes two sources the same compilation.
#[derive(PartialEq, Eq, Hash)]
enum SourceKey {
    File(PathBuf),
    /// The address and length of shared bytes.
    Bytes(usize, usize),
}

impl SourceKey {
    fn of(source: &WasmSource) -> Self {
        match source {
            WasmSource::File(path) => SourceKey::File(path.clone()),
            WasmSource::Bytes(bytes) => SourceKey::Bytes(bytes.as_ptr().addr(), bytes.len()),
        }
    }
}
