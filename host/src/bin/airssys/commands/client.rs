//! `airssys send`, `request`, `upgrade`, `add`, `remove`, `status`, `metrics`, `reload` and `stop`: one command to a running
//! `airssys run --control`, its outcome as output and exit code.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use airssys_wasm::MessagePayload;

use crate::cli::MessageArgs;
use crate::control::{ClientError, ControlCommand, ControlReply, StatusRow};
use crate::failure::Failure;
use crate::flow::escape_controls;

pub(crate) async fn send(message: MessageArgs) -> Result<(), Failure> {
    let (control, to, payload) = read_message(message)?;
    outcome(&control, &ControlCommand::Send { to, payload }, false).await
}

pub(crate) async fn request(
    message: MessageArgs,
    timeout_ms: u64,
    escaped: bool,
) -> Result<(), Failure> {
    let (control, to, payload) = read_message(message)?;
    let command = ControlCommand::Request {
        to,
        payload,
        timeout_ms,
    };
    outcome(&control, &command, escaped).await
}

pub(crate) async fn upgrade(control: &Path, name: String, file: &Path) -> Result<(), Failure> {
    // The run resolves the path itself, from its own working directory.
    let wasm = std::fs::canonicalize(file)
        .map_err(|error| Failure::usage(format!("cannot read {}: {error}", file.display())))?;
    outcome(control, &ControlCommand::Upgrade { name, wasm }, false).await
}

pub(crate) async fn add(
    control: &Path,
    name: String,
    file: &Path,
    grants: Vec<String>,
    lazy: bool,
) -> Result<(), Failure> {
    let wasm = std::fs::canonicalize(file)
        .map_err(|error| Failure::usage(format!("cannot read {}: {error}", file.display())))?;
    let command = ControlCommand::Add {
        name,
        wasm,
        grants,
        lazy,
    };
    outcome(control, &command, false).await
}

pub(crate) async fn remove(control: &Path, name: String, drain_ms: u64) -> Result<(), Failure> {
    outcome(control, &ControlCommand::Remove { name, drain_ms }, false).await
}

pub(crate) async fn reload(control: &Path) -> Result<(), Failure> {
    outcome(control, &ControlCommand::Reload, false).await
}

pub(crate) async fn metrics(control: &Path) -> Result<(), Failure> {
    outcome(control, &ControlCommand::Metrics, false).await
}

pub(crate) async fn status(control: &Path) -> Result<(), Failure> {
    outcome(control, &ControlCommand::Status, false).await
}

pub(crate) async fn stop(control: &Path) -> Result<(), Failure> {
    outcome(control, &ControlCommand::Stop, false).await
}

/// The socket, the target and the payload: from the argument, the file,
/// or stdin (`--file -`).
fn read_message(message: MessageArgs) -> Result<(PathBuf, String, Vec<u8>), Failure> {
    let MessageArgs {
        control,
        to,
        payload,
        file,
    } = message;
    let Some(file) = file else {
        return Ok((control, to, payload.unwrap_or_default().into_bytes()));
    };
    let read = if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map(|_| bytes)
    } else {
        std::fs::read(&file)
    };
    read.map(|bytes| (control, to, bytes))
        .map_err(|error| Failure::usage(format!("cannot read {}: {error}", file.display())))
}

/// Sends `command` and prints what came back (a response `escaped`, or as
/// raw bytes); a refusal, failure or timeout is the command's failure.
async fn outcome(control: &Path, command: &ControlCommand, escaped: bool) -> Result<(), Failure> {
    let reply = crate::api::call(control, command)
        .await
        .map_err(|error| match error {
            ClientError::Unreachable(error) => Failure::unreachable(error),
            ClientError::Broken(error) => Failure::failed(error),
        })?;
    match reply {
        ControlReply::Sent | ControlReply::Stopping => Ok(()),
        ControlReply::Status { components } => {
            print_status(&components);
            Ok(())
        }
        ControlReply::Upgraded { generation } => {
            say!("upgraded: generation {generation}");
            Ok(())
        }
        ControlReply::Metrics { text } => {
            print!("{text}");
            Ok(())
        }
        ControlReply::Reloaded { changes } => {
            if changes.is_empty() {
                say!("reloaded: nothing changed");
            }
            for change in changes {
                say!("{change}");
            }
            Ok(())
        }
        ControlReply::Added => {
            say!("added");
            Ok(())
        }
        ControlReply::Removed {
            drained,
            unhandled,
            failed_requests,
        } => {
            match drained {
                true => say!("removed: its queue drained"),
                false => say!(
                    "removed at its drain deadline: {unhandled} unhandled, {failed_requests} requests failed"
                ),
            }
            Ok(())
        }
        ControlReply::Response { payload } if escaped => {
            say!("{}", MessagePayload::from(payload).escaped());
            Ok(())
        }
        ControlReply::Response { payload } => {
            print_payload(&payload);
            Ok(())
        }
        ControlReply::TimedOut { error } => Err(Failure::timed_out(error)),
        ControlReply::Refused { error }
        | ControlReply::Failed { error }
        | ControlReply::BadCommand { error } => Err(Failure::failed(error)),
    }
}

/// Writes a response as it is, so binary answers can be piped on; text
/// gets a final newline for the terminal.
fn print_payload(payload: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(payload);
    if std::str::from_utf8(payload).is_ok() && !payload.ends_with(b"\n") {
        let _ = stdout.write_all(b"\n");
    }
    let _ = stdout.flush();
}

/// The status as a table, one component a line, columns aligned.
fn print_status(components: &[StatusRow]) {
    let header = [
        "NAME",
        "STATE",
        "GEN",
        "QUEUED",
        "PENDING",
        "ACCEPTED",
        "HANDLED",
        "FAILED",
        "TRAPPED",
        "CALLBACKS",
        "DROPPED",
    ];
    let rows: Vec<[String; 11]> = components
        .iter()
        .map(|row| {
            let generation = if row.upgrading {
                format!("{}+", row.generation)
            } else {
                row.generation.to_string()
            };
            [
                escape_controls(&row.name),
                row.state.clone(),
                generation,
                row.queued.to_string(),
                row.pending_requests.to_string(),
                row.accepted.to_string(),
                row.handled.to_string(),
                row.failed.to_string(),
                row.trapped.to_string(),
                row.callbacks.to_string(),
                row.callbacks_dropped.to_string(),
            ]
        })
        .collect();
    let width = |column: usize| {
        rows.iter()
            .map(|row| row[column].chars().count())
            .chain([header[column].len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |cells: &[&str]| {
        let mut text = format!("{:<w$}", cells[0], w = widths[0]);
        for (cell, width) in cells.iter().zip(&widths).skip(1) {
            text.push_str(&format!("  {cell:>width$}"));
        }
        say!("{text}");
    };
    line(&header);
    for row in &rows {
        line(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
