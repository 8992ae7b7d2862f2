//! The operator's commands on the store: `natter account` (create, list,
//! set-password, delete) and `natter backup`. They open `natter.db` in the
//! data directory directly, so they work with the server stopped or
//! running (SQLite's WAL lets both write); a running server reads account
//! changes again on REHASH.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use natter_server::{Config, Overrides};

/// Where the data directory is: `--config` and `--data-dir` as for `serve`.
#[derive(Args, Debug, Clone)]
pub struct DataDir {
    /// TOML configuration file whose server.data_dir is used.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// The data directory (replaces server.data_dir).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

impl DataDir {
    /// The database file, or the reason it cannot be named.
    fn database(&self) -> Result<PathBuf, String> {
        let mut config = match &self.config {
            Some(p) => Config::load(p).map_err(|e| {
                e.0.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            })?,
            None => Config::default(),
        };
        let overrides = Overrides {
            data_dir: self.data_dir.clone(),
            ..Default::default()
        };
        overrides.apply(&mut config).map_err(|e| {
            e.0.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        Ok(config.server.data_dir.join(natter_server::server::DATABASE))
    }
}

/// `natter account ...`.
#[derive(Subcommand, Debug)]
pub enum Account {
    /// Register an account (the password is asked for as `natter passwd`
    /// does: twice and not shown on a terminal, else one line of stdin).
    Create {
        /// The account name (also the nick it owns).
        name: String,
        #[command(flatten)]
        dir: DataDir,
    },
    /// List the accounts with their registration time.
    List {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Set an account's password (asked for as with `create`).
    SetPassword {
        /// The account name.
        name: String,
        #[command(flatten)]
        dir: DataDir,
    },
    /// Delete an account.
    Delete {
        /// The account name.
        name: String,
        #[command(flatten)]
        dir: DataDir,
    },
}

fn open(dir: &DataDir) -> Result<natter_store::Store, String> {
    let path = dir.database()?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create data directory {}: {e}", parent.display()))?;
    }
    natter_store::Store::open(&path).map_err(|e| e.to_string())
}

fn valid_name(name: &str) -> Result<(), String> {
    if natter_proto::validate::is_valid_nick(name, 30) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid nick, and an account name must be one"
        ))
    }
}

/// Runs `natter account ...`; exit 0 on success, 1 on failure (with the
/// reason on stderr).
pub fn account(command: Account) -> ExitCode {
    let result = match command {
        Account::Create { name, dir } => create(&name, &dir),
        Account::List { dir } => list(&dir),
        Account::SetPassword { name, dir } => set_password(&name, &dir),
        Account::Delete { name, dir } => delete(&name, &dir),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("natter account: {e}");
            ExitCode::FAILURE
        }
    }
}

const RUNNING: &str = "a running server sees this after REHASH or a restart";

fn create(name: &str, dir: &DataDir) -> Result<(), String> {
    valid_name(name)?;
    let store = open(dir)?;
    let password = crate::read_password()?;
    let record =
        natter_server::accounts::record(name, natter_server::accounts::credentials(&password));
    match store.create_account(&record) {
        Ok(()) => {
            eprintln!("natter account: created {name} ({RUNNING})");
            Ok(())
        }
        Err(natter_store::StoreError::Exists) => Err(format!("{name} is already registered")),
        Err(e) => Err(e.to_string()),
    }
}

fn list(dir: &DataDir) -> Result<(), String> {
    let store = open(dir)?;
    for a in store.accounts().map_err(|e| e.to_string())? {
        let when =
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(a.created_at.max(0) as u64);
        println!("{}\t{}", a.name, humantime::format_rfc3339_seconds(when));
    }
    Ok(())
}

fn set_password(name: &str, dir: &DataDir) -> Result<(), String> {
    let store = open(dir)?;
    let folded = natter_proto::casemap::fold(name);
    if store.account(&folded).map_err(|e| e.to_string())?.is_none() {
        return Err(format!("no account named {name}"));
    }
    let password = crate::read_password()?;
    let credentials = natter_server::accounts::credentials(&password);
    match store.set_credentials(&folded, &credentials) {
        Ok(true) => {
            eprintln!("natter account: password of {name} changed ({RUNNING})");
            Ok(())
        }
        Ok(false) => Err(format!("no account named {name}")),
        Err(e) => Err(e.to_string()),
    }
}

fn delete(name: &str, dir: &DataDir) -> Result<(), String> {
    let store = open(dir)?;
    match store.delete_account(&natter_proto::casemap::fold(name)) {
        Ok(true) => {
            eprintln!("natter account: deleted {name} ({RUNNING})");
            Ok(())
        }
        Ok(false) => Err(format!("no account named {name}")),
        Err(e) => Err(e.to_string()),
    }
}

/// `natter backup FILE`: an online copy of the database into FILE, which
/// must not exist.
pub fn backup(file: &Path, dir: &DataDir) -> ExitCode {
    let result = dir
        .database()
        .and_then(|db| natter_store::backup(&db, file));
    match result {
        Ok(pages) => {
            eprintln!("natter backup: {} written ({pages} pages)", file.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("natter backup: {e}");
            ExitCode::FAILURE
        }
    }
}
