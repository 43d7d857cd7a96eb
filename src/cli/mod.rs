//! The command line: argument definitions (clap) and dispatch. Each command area lives in its
//! own file; all of them turn library errors into one-line messages here, at the edge.
//!
//! Exit status: 0 success, 1 failure, 2 usage error (clap's own, and [`CliError::Usage`]).

pub mod generate;
mod jobs_cmd;
mod profiles_cmd;
mod sdtid_cmd;
pub mod secrets;
mod table;
mod tokens_cmd;
mod workspace_cmd;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// A failure to report on stderr as one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The invocation itself is wrong (exit status 2).
    #[error("{0}")]
    Usage(String),
    /// Anything else (exit status 1).
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn failed(message: impl std::fmt::Display) -> Self {
        Self::Failed(message.to_string())
    }
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Self::Usage(message.to_string())
    }
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Usage(_) => 2,
            Self::Failed(_) => 1,
        }
    }
}

/// Distribute RSA SecurID-compatible software tokens as SDTID token files.
///
/// Without a command, opens the full-screen wizard on the workspace.
#[derive(Debug, Parser)]
#[command(
    name = "tokendist",
    version,
    about,
    long_about = None,
    after_help = "Example: tokendist --workspace /srv/tokendist"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Open the wizard on a fresh demo workspace (passphrase `demo`), without a prompt.
    #[arg(long)]
    pub demo: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every workspace command takes.
#[derive(Debug, Clone, Args, Default)]
pub struct GlobalArgs {
    /// Workspace directory (default: $TOKENDIST_HOME, else the platform data directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Read the inventory passphrase from the first line of this file
    /// (default: $TOKENDIST_PASSPHRASE_FILE, else a prompt on the terminal).
    #[arg(long, global = true, value_name = "PATH")]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read, check and write single SDTID files.
    #[command(
        subcommand,
        after_help = "Example: tokendist sdtid inspect token.sdtid --password-file pw.txt"
    )]
    Sdtid(SdtidCommand),
    /// Create a workspace and its passphrase-protected inventory.
    #[command(after_help = "Example: tokendist init --workspace /srv/tokendist")]
    Init,
    /// Create a ready demo workspace (passphrase `demo`) with tokens and users.
    #[command(after_help = "Example: tokendist demo --workspace /tmp/tokendist-demo")]
    Demo,
    /// Manage the token inventory.
    #[command(
        subcommand,
        after_help = "Example: tokendist --workspace /srv/tokendist tokens list --unassigned"
    )]
    Tokens(TokensCommand),
    /// Software token profiles.
    #[command(
        subcommand,
        after_help = "Example: tokendist --workspace /srv/tokendist profiles list"
    )]
    Profiles(ProfilesCommand),
    /// Distribution jobs.
    #[command(
        subcommand,
        after_help = "Example: tokendist --workspace /srv/tokendist jobs list"
    )]
    Jobs(JobsCommand),
    /// Print a shell completion script for bash, zsh or fish.
    #[command(
        after_help = "Example: tokendist completions bash > /etc/bash_completion.d/tokendist"
    )]
    Completions {
        /// The shell to complete for.
        shell: generate::CompletionShell,
    },
    /// Print the man page, or write one page per command into a directory.
    #[command(after_help = "Example: tokendist man --dir /usr/local/share/man/man1")]
    Man {
        /// Write `tokendist.1` and a `tokendist-COMMAND.1` page for every subcommand here
        /// instead of printing `tokendist.1`.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// Where a password comes from. Never from a flag value.
#[derive(Debug, Clone, Args, Default)]
pub struct PasswordSource {
    /// Read the password from the first line of standard input.
    #[arg(long, conflicts_with = "password_file")]
    pub password_stdin: bool,
    /// Read the password from the first line of this file.
    #[arg(long, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
}

/// Where a token file's password comes from (import/export).
#[derive(Debug, Clone, Args, Default)]
pub struct FilePasswordSource {
    /// Read the token file's password from the first line of standard input.
    #[arg(long, conflicts_with = "file_password_file")]
    pub file_password_stdin: bool,
    /// Read the token file's password from the first line of this file.
    #[arg(long, value_name = "PATH")]
    pub file_password_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SdtidCommand {
    /// Show a file's fields, which MACs verify and how it is protected.
    #[command(after_help = "Example: tokendist sdtid inspect token.sdtid --json")]
    Inspect {
        /// The SDTID file to read.
        file: PathBuf,
        #[command(flatten)]
        password: PasswordSource,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Also print the decrypted seed (hex).
        #[arg(long)]
        show_seed: bool,
    },
    /// Print the current tokencode and nothing else.
    #[command(after_help = "Example: tokendist sdtid code token.sdtid --password-file pw.txt")]
    Code {
        /// The SDTID file holding the token.
        file: PathBuf,
        #[command(flatten)]
        password: PasswordSource,
        /// Compute the code at this Unix time instead of now.
        #[arg(long, value_name = "UNIX_SECONDS")]
        time: Option<i64>,
        /// PIN to add into the code (PIN mode 2 and 3 tokens only).
        #[arg(long, value_name = "DIGITS")]
        pin: Option<String>,
    },
    /// Write one token file and print its serial.
    #[command(
        after_help = "Example: tokendist sdtid issue --out alice.sdtid --user-login alice --password-file pw.txt"
    )]
    Issue(IssueArgs),
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// Output file (created with mode 0600).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Token serial (1-12 digits; random when omitted).
    #[arg(long, value_name = "DIGITS")]
    pub serial: Option<String>,
    /// Token seed as 32 hex digits (random when omitted).
    #[arg(long, value_name = "HEX")]
    pub seed_hex: Option<String>,
    #[command(flatten)]
    pub password: PasswordSource,
    /// DeviceSerialNumber to bind the token to.
    #[arg(long, value_name = "ID")]
    pub device_id: Option<String>,
    /// Token nickname shown in the user's app (printable ASCII).
    #[arg(long, value_name = "TEXT")]
    pub nickname: Option<String>,
    /// The user's login, written to the file's UserLogin.
    #[arg(long, value_name = "LOGIN")]
    pub user_login: Option<String>,
    /// The user's first name, written to the file's UserFirstName.
    #[arg(long, value_name = "NAME")]
    pub first_name: Option<String>,
    /// The user's last name, written to the file's UserLastName.
    #[arg(long, value_name = "NAME")]
    pub last_name: Option<String>,
    /// Tokencode length: 6 or 8.
    #[arg(long, default_value_t = 8, value_parser = parse_digits)]
    pub digits: u32,
    /// Seconds per tokencode: 30 or 60.
    #[arg(long, default_value_t = 60, value_parser = parse_interval)]
    pub interval: u32,
    /// 0/1: no PIN in the code; 2/3: PIN added into the code.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=3))]
    pub pin_mode: u32,
    /// Last valid day (default: five years from today).
    #[arg(long, value_name = "YYYY/MM/DD")]
    pub expires: Option<String>,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Import a token record file (one or many tokens): all or nothing.
    #[command(
        after_help = "Example: tokendist tokens import seeds.sdtid --file-password-file pw.txt"
    )]
    Import {
        /// The vendor's token record file (SDTID).
        file: PathBuf,
        #[command(flatten)]
        password: FilePasswordSource,
        /// Replace tokens whose serial is already held instead of skipping them.
        #[arg(long)]
        replace: bool,
    },
    /// Assign tokens to users from a CSV (`serial,user_login,first_name,last_name`).
    #[command(after_help = "Example: tokendist tokens assign users.csv")]
    Assign {
        /// CSV file with the columns serial,user_login,first_name,last_name.
        csv: PathBuf,
    },
    /// Remove the user assignment of these tokens.
    #[command(after_help = "Example: tokendist tokens unassign 000500000001 000500000002")]
    Unassign {
        /// Serials of the tokens to unassign.
        #[arg(required = true)]
        serials: Vec<String>,
    },
    /// List tokens (never seeds).
    #[command(after_help = "Example: tokendist tokens list --user 'a*' --json")]
    List(TokenListArgs),
    /// Write the inventory as a password-protected token record file.
    #[command(
        after_help = "Example: tokendist tokens export backup.sdtid --file-password-file pw.txt"
    )]
    Export {
        /// The token record file to write (created with mode 0600).
        file: PathBuf,
        #[command(flatten)]
        password: FilePasswordSource,
        /// Only these serials (FROM-TO, or one serial).
        #[arg(long, value_name = "FROM-TO")]
        serials: Vec<String>,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct TokenListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Only these serials (FROM-TO, or one serial; repeatable).
    #[arg(long, value_name = "FROM-TO")]
    pub serials: Vec<String>,
    /// Only tokens whose user login matches this glob.
    #[arg(long, value_name = "GLOB")]
    pub user: Option<String>,
    /// Only tokens assigned to a user.
    #[arg(long, conflicts_with = "unassigned")]
    pub assigned: bool,
    /// Only tokens not assigned to anyone.
    #[arg(long)]
    pub unassigned: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// List software token profiles.
    #[command(after_help = "Example: tokendist profiles list --json")]
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Validate, review and run a distribution job.
    #[command(
        after_help = "Example: tokendist jobs submit --profile Android --serials 000500000001-000500000300 --protection user-id --yes"
    )]
    Submit(SubmitArgs),
    /// List jobs from the history.
    #[command(after_help = "Example: tokendist jobs list --json")]
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one job (id or name).
    #[command(after_help = "Example: tokendist jobs show 'Sales phones, March'")]
    Show {
        /// Job id or name (case does not count).
        job: String,
        /// Print the history record as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Save a completed job's output ZIP.
    #[command(
        after_help = "Example: tokendist jobs download 'Sales phones, March' --output sales.zip"
    )]
    Download {
        /// Job id or name (case does not count).
        job: String,
        /// Where to write the ZIP (created with mode 0600).
        #[arg(long, value_name = "PATH")]
        output: PathBuf,
        /// Replace an existing file at the output path.
        #[arg(long)]
        force: bool,
    },
    /// Remove a job's staged output (the history record stays).
    #[command(after_help = "Example: tokendist jobs delete 'Sales phones, March'")]
    Delete {
        /// Job id or name (case does not count).
        job: String,
    },
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Software token profile name (see `tokendist profiles list`); delivery must be `file`.
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// Serial range FROM-TO, or one serial (repeatable).
    #[arg(long, value_name = "FROM-TO", required = true)]
    pub serials: Vec<String>,
    /// Job name (default: generated from the date and time).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Bind every file to this device id instead of the profile's device class.
    #[arg(long, value_name = "ID")]
    pub device_id: Option<String>,
    /// Token nickname shown in the user's app (up to 24 printable ASCII characters).
    #[arg(long, value_name = "TEXT")]
    pub nickname: Option<String>,
    /// Only tokens whose user login matches this glob.
    #[arg(long, value_name = "GLOB")]
    pub user: Option<String>,
    /// Also distribute tokens an earlier job distributed.
    #[arg(long)]
    pub include_distributed: bool,
    /// Take at most this many tokens.
    #[arg(long, value_name = "N")]
    pub max_count: Option<usize>,
    /// How each file is protected: none, the job password, the user's login, or the login
    /// followed by the job password.
    #[arg(
        long,
        value_name = "MODE",
        value_parser = ["none", "password", "user-id", "user-id+password"]
    )]
    pub protection: String,
    #[command(flatten)]
    pub password: PasswordSource,
    /// Accept the review's warnings without asking.
    #[arg(long)]
    pub yes: bool,
}

fn parse_digits(text: &str) -> Result<u32, String> {
    match text {
        "6" => Ok(6),
        "8" => Ok(8),
        _ => Err("must be 6 or 8".into()),
    }
}

fn parse_interval(text: &str) -> Result<u32, String> {
    match text {
        "30" => Ok(30),
        "60" => Ok(60),
        _ => Err("must be 30 or 60".into()),
    }
}

/// Parses the process arguments and runs the command; returns the exit status.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("tokendist: {error}");
            error.exit_code()
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        None => crate::tui::run(&cli.global, cli.demo).map_err(CliError::failed),
        Some(Command::Sdtid(command)) => sdtid_cmd::run(command),
        Some(Command::Init) => workspace_cmd::init(&cli.global),
        Some(Command::Demo) => workspace_cmd::demo(&cli.global),
        Some(Command::Tokens(command)) => tokens_cmd::run(&cli.global, command),
        Some(Command::Profiles(command)) => profiles_cmd::run(&cli.global, command),
        Some(Command::Jobs(command)) => jobs_cmd::run(&cli.global, command),
        Some(Command::Completions { shell }) => generate::completions(shell),
        Some(Command::Man { dir }) => generate::man(dir.as_deref()),
    }
}
