fn main() {
    std::process::exit(tokendist::cli::main());
}
