//! `airssys inspect FILE`: is it a plugin, and what does it import and export?

use std::path::Path;

use crate::failure::{Failure, chain};

pub(crate) fn inspect(file: &Path) -> Result<(), Failure> {
    let name = file.display().to_string();
    let bytes = std::fs::read(file)
        .map_err(|error| Failure::failed(format!("cannot read {name}: {error}")))?;
    let inspection =
        airssys_wasm::inspect(&name, &bytes).map_err(|error| Failure::failed(chain(&error)))?;
    say!("{name}: a component of {} KiB", bytes.len().div_ceil(1024));
    for (heading, items) in [
        ("imports", &inspection.imports),
        ("exports", &inspection.exports),
    ] {
        say!("  {heading}:");
        for item in items {
            say!("    {item}");
        }
    }
    match inspection.as_plugin {
        Ok(()) => {
            say!("  plugin: yes, of the airssys:wasm/plugin world; `airssys run` can load it");
            Ok(())
        }
        Err(error) => {
            say!("  plugin: no: {}", chain(&error));
            Err(Failure::failed(format!(
                "{name} is not a plugin this host can run"
            )))
        }
    }
}
