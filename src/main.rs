//! `keydriver` command: parse arguments, call the library, turn errors into one line on
//! stderr and the exit code documented in the README.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use keydriver::error::{exit, Error};
use keydriver::report::Staging;

use cli::Cli;

/// mimalloc reuses freed pages instead of returning them to the kernel and faulting them
/// in again: a pass over a million rows allocates and frees a batch at a time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v3), which libmimalloc-sys does not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // No transparent huge pages (the allocator asks for them before main runs): a 2 MiB
    // page is zeroed whole on first touch, half a second of a million-row report. Freed
    // pages go back to the kernel after 0.25 s rather than mimalloc's 1 s: a streaming pass
    // frees a batch every few milliseconds, and at 1 s its peak grew with the number of
    // batches (+30% from 1M to 10M rows, against +13–18% at 0.25 s; at 0 s, +4% but a
    // quarter more time). The fits keep this too: keeping every freed page once the rows
    // were loaded saved about 3% of a million-row default report, and cost a quarter more
    // memory (10M rows: 1,049–1,079 MB against 804–857 MB).
    // SAFETY: sets a flag of this process and an option of the allocator this binary
    // links; no memory is touched.
    unsafe {
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 250);
    }
    let staging = Staging::default();
    install_interrupt_handler(staging.clone());
    // A bug must still end in one line and a non-zero code, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error ({info}); please report it with the command that caused it");
    }));
    let cli = Cli::parse();
    match cli::run(cli.command, &cli::Process { staging }) {
        Ok(()) => ExitCode::from(exit::OK as u8),
        Err(e) => {
            eprintln!("error: {e}{}", cli::hint(&e));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// Ctrl-C removes the half-built report folder, so an interrupted run leaves nothing.
fn install_interrupt_handler(staging: Staging) {
    ctrlc::set_handler(move || {
        let staging = staging.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(dir) = staging.as_ref() {
            std::fs::remove_dir_all(dir).ok();
        }
        eprintln!("error: {}", Error::Interrupted);
        std::process::exit(exit::INTERRUPTED);
    })
    .ok();
}
