fn main() {
    // The first point of every run: a test traces it to prove the binary it drives was built
    // with crash points armed (see `tests/crash_points.rs`).
    tokendist::crashpoint::reached("process.start");
    std::process::exit(tokendist::cli::main());
}
