//! `airssys send`, `request` and `stop`: one command to a running
//! `airssys run --control`, its outcome as output and exit code.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::control::{self, ClientError, ControlCommand, ControlReply};
use crate::{EXIT_FAILED, EXIT_TIMED_OUT, EXIT_UNREACHABLE, EXIT_USAGE, MessageArgs};

pub async fn send(message: MessageArgs) -> ExitCode {
    match read_message(message) {
        Ok((control, to, payload)) => {
            outcome(&control, &ControlCommand::Send { to, payload }).await
        }
        Err(code) => code,
    }
}

pub async fn request(message: MessageArgs, timeout_ms: u64) -> ExitCode {
    match read_message(message) {
        Ok((control, to, payload)) => {
            let command = ControlCommand::Request {
                to,
                payload,
                timeout_ms,
            };
            outcome(&control, &command).await
        }
        Err(code) => code,
    }
}

pub async fn stop(control: &Path) -> ExitCode {
    outcome(control, &ControlCommand::Stop).await
}

/// The socket, the target and the payload: from the argument, the file,
/// or stdin (`--file -`).
fn read_message(message: MessageArgs) -> Result<(PathBuf, String, Vec<u8>), ExitCode> {
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
    match read {
        Ok(bytes) => Ok((control, to, bytes)),
        Err(error) => {
            eprintln!("airssys: cannot read {}: {error}", file.display());
            Err(ExitCode::from(EXIT_USAGE))
        }
    }
}

/// Sends `command`, prints what came back and turns it into an exit code.
async fn outcome(control: &Path, command: &ControlCommand) -> ExitCode {
    let reply = match control::call(control, command).await {
        Ok(reply) => reply,
        Err(ClientError::Unreachable(error)) => {
            eprintln!("airssys: {error}");
            return ExitCode::from(EXIT_UNREACHABLE);
        }
        Err(ClientError::Broken(error)) => {
            eprintln!("airssys: {error}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let (error, code) = match reply {
        ControlReply::Sent | ControlReply::Stopping => return ExitCode::SUCCESS,
        ControlReply::Response { payload } => {
            print_payload(&payload);
            return ExitCode::SUCCESS;
        }
        ControlReply::TimedOut { error } => (error, EXIT_TIMED_OUT),
        ControlReply::Refused { error }
        | ControlReply::Failed { error }
        | ControlReply::BadCommand { error } => (error, EXIT_FAILED),
    };
    eprintln!("airssys: {error}");
    ExitCode::from(code)
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
