//! [`Failure`]: why a command did not succeed, as the one line `main`
//! prints and the exit code scripts rely on.

use std::fmt::Display;
use std::process::ExitCode;

use crate::flow::escape_controls;

/// A command's failure: its message and its exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// Exit 1: the system could not start, refused a message, a request
    /// failed, or a file is not a plugin.
    pub(crate) fn failed(message: impl Display) -> Self {
        Self::new(1, message)
    }

    /// Exit 2: a bad command line or manifest.
    pub(crate) fn usage(message: impl Display) -> Self {
        Self::new(2, message)
    }

    /// Exit 3: no `airssys run` answers on the control socket.
    pub(crate) fn unreachable(message: impl Display) -> Self {
        Self::new(3, message)
    }

    /// Exit 4: a request from the command line timed out.
    pub(crate) fn timed_out(message: impl Display) -> Self {
        Self::new(4, message)
    }

    fn new(code: u8, message: impl Display) -> Self {
        Self {
            code,
            message: message.to_string(),
        }
    }

    /// Says why on stderr, in one line (a guest's words in it escaped),
    /// and gives the exit code.
    pub(crate) fn report(self) -> ExitCode {
        eprintln!("airssys: {}", escape_controls(&self.message));
        ExitCode::from(self.code)
    }
}

/// An error and its causes, on one line: `a: b: c`.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}
