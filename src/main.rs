use actionbench::cli::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

// The log keeps many small allocations alive; glibc's allocator fragments under that and
// halved the inbox's throughput in `cargo bench`. mimalloc does not. Its arena settings are
// compiled in: see .cargo/config.toml.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match &cli.command {
        // Agents reach serve's session at /mcp.
        Some(Command::Serve(serve)) => {
            actionbench::cli::serve::run(&cli.inbox, serve, Some(actionbench::mcp::mounting().0))
        }
        Some(Command::Mcp(serve)) => actionbench::mcp::stdio::run(&cli.inbox, serve),
        Some(Command::Key(key)) => actionbench::cli::run_key(&cli.inbox, key),
        Some(Command::Export(args)) => actionbench::cli::run_export(&cli.inbox, args),
        Some(Command::Check(check)) => {
            return ExitCode::from(actionbench::cli::run_check(&cli.inbox, check));
        }
        Some(Command::Lint(args)) => {
            return ExitCode::from(actionbench::cli::lint::run(&cli.inbox, args));
        }
        Some(Command::Flow(actionbench::cli::FlowCommand::Run(args))) => {
            return ExitCode::from(actionbench::cli::flow_run::run(&cli.inbox, args));
        }
        None => actionbench::ui::run(&cli.inbox),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("actionbench: {e}");
            ExitCode::from(2)
        }
    }
}
