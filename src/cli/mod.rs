//! The command line: argument definitions (clap) and dispatch. Each command area lives in its
//! own file; all of them turn library errors into one-line messages here, at the edge.
//!
//! Exit status: 0 success, 1 failure, 2 usage error (clap's own, and [`CliError::Usage`]);
//! `tokendist check` also uses 3 (warnings only).

mod backup_cmd;
mod check_cmd;
pub mod generate;
mod jobs_cmd;
pub mod output;
mod passphrase_cmd;
mod profiles_cmd;
mod sdtid_cmd;
pub mod secrets;
mod table;
mod tokens_cmd;
mod tokens_remove;
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
    /// The command has said everything on stdout already; only the status is left
    /// (`tokendist check`'s 1 and 3).
    #[error("")]
    Status(i32),
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
            Self::Status(code) => *code,
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
    /// `--workspace`/`--passphrase-file` given before the command (or for the wizard).
    #[command(flatten)]
    pub global: LeadingArgs,
    /// Open the wizard on a fresh demo workspace (passphrase `demo`), without a prompt.
    #[arg(long)]
    pub demo: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every workspace command takes (anywhere after the command's name). Commands that
/// use no workspace (`sdtid`) do not list them.
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

impl GlobalArgs {
    /// These options, completed by the ones given before the command's name.
    fn or(self, leading: &LeadingArgs) -> GlobalArgs {
        GlobalArgs {
            workspace: self.workspace.or_else(|| leading.workspace.clone()),
            passphrase_file: self
                .passphrase_file
                .or_else(|| leading.passphrase_file.clone()),
        }
    }
}

/// The same options before any command: for the wizard, and for scripts that write
/// `tokendist --workspace DIR tokens list`.
#[derive(Debug, Clone, Args, Default)]
pub struct LeadingArgs {
    /// Workspace directory (default: $TOKENDIST_HOME, else the platform data directory).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Read the inventory passphrase from the first line of this file
    /// (default: $TOKENDIST_PASSPHRASE_FILE, else a prompt on the terminal).
    #[arg(long, value_name = "PATH")]
    pub passphrase_file: Option<PathBuf>,
}

/// A workspace command with subcommands: the workspace options, then the subcommand.
#[derive(Debug, Args)]
pub struct InWorkspace<C: Subcommand> {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: C,
}

/// A workspace command without further arguments.
#[derive(Debug, Args)]
pub struct WorkspaceOnly {
    #[command(flatten)]
    pub global: GlobalArgs,
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
    Init(WorkspaceOnly),
    /// Create a ready demo workspace (passphrase `demo`) with tokens and users.
    #[command(after_help = "Example: tokendist demo --workspace /tmp/tokendist-demo")]
    Demo(WorkspaceOnly),
    /// Manage the token inventory.
    #[command(
        after_help = "Example: tokendist --workspace /srv/tokendist tokens list --unassigned"
    )]
    Tokens(InWorkspace<TokensCommand>),
    /// Software token profiles.
    #[command(after_help = "Example: tokendist --workspace /srv/tokendist profiles list")]
    Profiles(InWorkspace<ProfilesCommand>),
    /// Distribution jobs.
    #[command(after_help = "Example: tokendist --workspace /srv/tokendist jobs list")]
    Jobs(InWorkspace<JobsCommand>),
    /// Change the workspace passphrase (re-seals the inventory and every staged job key).
    #[command(after_help = "Example:\n  tokendist passphrase --workspace /srv/tokendist")]
    Passphrase(PassphraseArgs),
    /// Verify the whole workspace without changing it; one line per finding.
    #[command(
        after_help = "Exit status: 0 nothing found, 1 errors found (or the check could not run), 3 warnings only.\n\nExample:\n  tokendist check --workspace /srv/tokendist"
    )]
    Check(WorkspaceOnly),
    /// Write the whole workspace into one file sealed under its passphrase.
    #[command(after_help = "Example:\n  tokendist backup /media/usb/tokendist-2026-11-30.tdbackup")]
    Backup(BackupArgs),
    /// Recreate a workspace from a backup file into a new directory.
    #[command(
        after_help = "Example:\n  tokendist restore /media/usb/tokendist-2026-11-30.tdbackup --workspace /srv/tokendist-restored"
    )]
    Restore(RestoreArgs),
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

/// Where the new passphrase of `tokendist passphrase` comes from. Never from a flag value.
#[derive(Debug, Args)]
pub struct PassphraseArgs {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Read the new passphrase from the first line of this file (default: typed twice).
    #[arg(long, value_name = "PATH", conflicts_with = "new_passphrase_stdin")]
    pub new_passphrase_file: Option<PathBuf>,
    /// Read the new passphrase from the first line of standard input.
    #[arg(long)]
    pub new_passphrase_stdin: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The backup file to write (mode 0600).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Replace an existing backup file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The backup file to read.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
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
    /// Read the token seed (32 hex digits) from the first line of this file, `-` for
    /// standard input (random when no seed is given).
    #[arg(long, value_name = "PATH", conflicts_with = "seed_hex")]
    pub seed_file: Option<PathBuf>,
    /// Token seed as 32 hex digits on the command line, where `ps` and shell history show
    /// it: refused unless --insecure-seed-argv is given too (tests only; use --seed-file).
    #[arg(long, value_name = "HEX")]
    pub seed_hex: Option<String>,
    /// Accept --seed-hex despite the seed showing in the process list (tests only).
    #[arg(long, requires = "seed_hex")]
    pub insecure_seed_argv: bool,
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
    /// Assign tokens to users: from a CSV naming each user's serial, or the next free token to
    /// each user without one, listed by the directory (--from-directory) or a CSV (--auto).
    #[command(after_help = ASSIGN_EXAMPLES)]
    Assign(AssignArgs),
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
    /// Remove lost, broken or expired tokens from the inventory (the job history keeps its
    /// records).
    #[command(
        after_help = "Examples:\n  tokendist tokens remove 000500000003 000500000010-000500000019\n  tokendist tokens remove --expired --yes"
    )]
    Remove(TokenRemoveArgs),
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

const ASSIGN_EXAMPLES: &str = "Examples:
  tokendist tokens assign assignments.csv
  tokendist tokens assign --from-directory --key-size 128
  tokendist tokens assign --from-directory --filter '(memberOf=cn=vpn,ou=groups,dc=example,dc=org)'
  tokendist tokens assign --auto new-staff.csv --yes
  tokendist tokens assign --from-directory --json > plan.json   (a dry run: nothing is assigned)";

/// `tokens assign`: one of a serial-per-user CSV, `--from-directory` or `--auto`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("users").required(true).args(["csv", "from_directory", "auto"])))]
pub struct AssignArgs {
    /// CSV `serial,user_login,first_name,last_name`: each row gives a user that token.
    #[arg(value_name = "CSV")]
    pub csv: Option<PathBuf>,
    /// Give the next free token to each user the [directory] of tokendist.toml lists who holds
    /// none, e.g. `--from-directory --key-size 128`.
    #[arg(long)]
    pub from_directory: bool,
    /// LDAP filter used instead of directory.filter for this run,
    /// e.g. `--filter '(memberOf=cn=vpn,ou=groups,dc=example,dc=org)'`.
    #[arg(long, value_name = "FILTER", requires = "from_directory")]
    pub filter: Option<String>,
    /// Like --from-directory, for the users of this CSV (header `user_login`, or
    /// `user_login,first_name,last_name`), e.g. `--auto new-staff.csv`.
    #[arg(long, value_name = "USERS_CSV")]
    pub auto: Option<PathBuf>,
    /// Key size of the tokens to hand out, 128 or 64 (needed when both sizes are free),
    /// e.g. `--key-size 128`.
    #[arg(long, value_name = "BITS", value_parser = parse_key_size, conflicts_with = "csv")]
    pub key_size: Option<u32>,
    /// Read the directory bind password from the first line of this file (default:
    /// directory.bind_password_file, else a prompt), e.g. `--bind-password-file ~/.ldap-pw`.
    #[arg(long, value_name = "PATH", requires = "from_directory")]
    pub bind_password_file: Option<PathBuf>,
    /// Read the directory bind password from the first line of standard input,
    /// e.g. `pass show ldap | tokendist tokens assign --from-directory --bind-password-stdin --yes`.
    #[arg(
        long,
        requires = "from_directory",
        conflicts_with = "bind_password_file"
    )]
    pub bind_password_stdin: bool,
    /// Assign without asking after the review (for scripts), e.g. `--auto users.csv --yes`.
    #[arg(long, conflicts_with = "csv")]
    pub yes: bool,
    /// Print the plan as JSON instead of the review; nothing is assigned unless --yes is also
    /// given, e.g. `--from-directory --json`.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
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
    /// Only tokens in this state (repeatable: any of them).
    #[arg(long, value_enum, value_name = "STATE")]
    pub state: Vec<TokenState>,
    /// Only tokens that expire within this many days (and have not expired yet).
    #[arg(long, value_name = "DAYS")]
    pub expiring_within: Option<u32>,
}

/// A token's state for `tokens list --state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenState {
    /// Has a user.
    Assigned,
    /// Has no user.
    Unassigned,
    /// Some job has distributed it.
    Distributed,
    /// Its last valid day is past.
    Expired,
}

#[derive(Debug, Args)]
pub struct TokenRemoveArgs {
    /// Serials to remove (FROM-TO, or one serial).
    #[arg(value_name = "SERIALS", required_unless_present = "expired")]
    pub serials: Vec<String>,
    /// Remove every expired token (with SERIALS: only the expired ones among them).
    #[arg(long)]
    pub expired: bool,
    /// Remove without asking (for scripts); the review is still printed.
    #[arg(long)]
    pub yes: bool,
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
    /// List jobs from the history (needs no passphrase).
    #[command(after_help = "Example: tokendist jobs list --json")]
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one job (id or name); needs no passphrase, except with --exclusions.
    #[command(after_help = "Example: tokendist jobs show 'Sales phones, March' --exclusions")]
    Show {
        /// Job id or name (case does not count).
        job: String,
        /// Print the history record as JSON.
        #[arg(long)]
        json: bool,
        /// Print every token the job left out and why (kept sealed with the job's output;
        /// asks for the workspace passphrase).
        #[arg(long)]
        exclusions: bool,
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
    /// Rebuild job records a damaged or lost history no longer has, from the damaged copies
    /// kept beside it, the staged outputs and the inventory.
    #[command(after_help = "Example: tokendist --workspace /srv/tokendist jobs recover")]
    Recover,
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

fn parse_key_size(text: &str) -> Result<u32, String> {
    match text {
        "128" => Ok(128),
        "64" => Ok(64),
        _ => Err("must be 128 or 64".into()),
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
    output::finish(run(cli))
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let leading = cli.global;
    match cli.command {
        None => crate::tui::run(
            leading.workspace.as_deref(),
            leading.passphrase_file.as_deref(),
            cli.demo,
        )
        .map_err(CliError::failed),
        Some(Command::Sdtid(command)) => {
            if leading.workspace.is_some() || leading.passphrase_file.is_some() {
                return Err(CliError::usage(
                    "sdtid commands work on single files and use no workspace: drop --workspace and --passphrase-file",
                ));
            }
            sdtid_cmd::run(command)
        }
        Some(Command::Init(args)) => workspace_cmd::init(&args.global.or(&leading)),
        Some(Command::Demo(args)) => workspace_cmd::demo(&args.global.or(&leading)),
        Some(Command::Tokens(scoped)) => {
            tokens_cmd::run(&scoped.global.or(&leading), scoped.command)
        }
        Some(Command::Profiles(scoped)) => {
            profiles_cmd::run(&scoped.global.or(&leading), scoped.command)
        }
        Some(Command::Jobs(scoped)) => jobs_cmd::run(&scoped.global.or(&leading), scoped.command),
        Some(Command::Passphrase(args)) => {
            passphrase_cmd::run(&args.global.clone().or(&leading), &args)
        }
        Some(Command::Check(args)) => check_cmd::run(&args.global.or(&leading)),
        Some(Command::Backup(args)) => backup_cmd::backup(&args.global.clone().or(&leading), &args),
        Some(Command::Restore(args)) => {
            backup_cmd::restore(&args.global.clone().or(&leading), &args)
        }
        Some(Command::Completions { shell }) => generate::completions(shell),
        Some(Command::Man { dir }) => generate::man(dir.as_deref()),
    }
}
