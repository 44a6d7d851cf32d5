//! One module per subcommand; each converts its arguments into a library call.

/// `println!` for a command's output. When the reader has gone (`mizan classify --questions |
/// head`), the command stops quietly with success, as Unix tools do; any other error writing
/// the output ends it with a message and exit code 1, never a panic.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::cmd::output_failed(&e)
        }
    }};
}

/// [`out!`] without the newline (`print!`).
macro_rules! out_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = write!(stdout, $($arg)*).and_then(|()| stdout.flush()) {
            $crate::cmd::output_failed(&e)
        }
    }};
}

/// Ends the process after a failed write to standard output: quietly with success when the
/// reader closed the pipe, else with the error on standard error and exit code 1.
pub fn output_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write the output: {e}");
    std::process::exit(1);
}
pub mod admin;
pub mod audit;
pub mod classify;
pub mod explain;
pub mod grid;
pub mod limits;
pub mod log;
pub mod serve;
pub mod witness;
