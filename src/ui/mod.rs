pub fn run(_: &crate::cli::InboxArgs) -> Result<(), String> { Ok(()) }
