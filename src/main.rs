//! The `dynamicdns` binary: a thin shell over the library's CLI.

fn main() -> std::process::ExitCode {
    dynamicdns::cli::main(std::env::args_os())
}
