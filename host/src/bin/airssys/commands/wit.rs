//! `airssys wit [--dir DIR]`: the contract this host speaks, so an author
//! in another language needs no checkout.

use std::path::Path;

use crate::failure::Failure;

/// Every file of `wit/`, as compiled into this binary: the path under
/// `wit/` and the text.
const WIT: &[(&str, &str)] = &[
    (
        "airssys.wit",
        include_str!("../../../../../wit/airssys.wit"),
    ),
    (
        "deps/cli.wit",
        include_str!("../../../../../wit/deps/cli.wit"),
    ),
    (
        "deps/clocks.wit",
        include_str!("../../../../../wit/deps/clocks.wit"),
    ),
    (
        "deps/config/store.wit",
        include_str!("../../../../../wit/deps/config/store.wit"),
    ),
    (
        "deps/config/world.wit",
        include_str!("../../../../../wit/deps/config/world.wit"),
    ),
    (
        "deps/filesystem.wit",
        include_str!("../../../../../wit/deps/filesystem.wit"),
    ),
    (
        "deps/http.wit",
        include_str!("../../../../../wit/deps/http.wit"),
    ),
    (
        "deps/io.wit",
        include_str!("../../../../../wit/deps/io.wit"),
    ),
    (
        "deps/keyvalue/atomic.wit",
        include_str!("../../../../../wit/deps/keyvalue/atomic.wit"),
    ),
    (
        "deps/keyvalue/batch.wit",
        include_str!("../../../../../wit/deps/keyvalue/batch.wit"),
    ),
    (
        "deps/keyvalue/store.wit",
        include_str!("../../../../../wit/deps/keyvalue/store.wit"),
    ),
    (
        "deps/keyvalue/watch.wit",
        include_str!("../../../../../wit/deps/keyvalue/watch.wit"),
    ),
    (
        "deps/keyvalue/world.wit",
        include_str!("../../../../../wit/deps/keyvalue/world.wit"),
    ),
    (
        "deps/random.wit",
        include_str!("../../../../../wit/deps/random.wit"),
    ),
    (
        "deps/sockets.wit",
        include_str!("../../../../../wit/deps/sockets.wit"),
    ),
];

/// Prints `airssys.wit`, or writes the whole tree (with `deps/`, what
/// `wit-bindgen`, componentize-py and jco read) under `dir`.
pub(crate) fn wit(dir: Option<&Path>) -> Result<(), Failure> {
    let Some(dir) = dir else {
        print!("{}", WIT[0].1);
        return Ok(());
    };
    for (path, text) in WIT {
        let target = dir.join(path);
        let written = target
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&target, text));
        written.map_err(|error| {
            Failure::failed(format!("cannot write {}: {error}", target.display()))
        })?;
    }
    say!(
        "airssys: wrote the airssys:wasm contract ({} files) to {}",
        WIT.len(),
        dir.display()
    );
    Ok(())
}
