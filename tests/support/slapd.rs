//! A throwaway OpenLDAP server for the directory tests (Debian packages `slapd`; `openssl` for
//! the TLS certificates).
//!
//! Each [`SlapdServer`] lives in its own temporary directory: a generated `slapd.conf` (mdb
//! database, the memberof overlay, the standard schemas), a tree loaded with `slapadd` before
//! the server starts, and `slapd` in the foreground (`-d 0`) on free loopback ports, run as
//! whoever runs the tests (as root it simply keeps root: no `-u`, no system paths, no service).
//! Dropping the guard kills it. Every step has a timeout, so a hung server cannot hang the suite.

use super::runner;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SUFFIX: &str = "dc=example,dc=org";
pub const PEOPLE: &str = "ou=people,dc=example,dc=org";
/// The service account tokendist binds as (subject to the size limit, unlike the rootdn).
pub const READER_DN: &str = "cn=tokendist,ou=services,dc=example,dc=org";
pub const READER_PASSWORD: &str = "reader-secret";
/// Entries a non-paged search may return; below the 10,000-user test so only paging works.
pub const SIZE_LIMIT: u32 = 1000;
/// How long the server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// slapadd of 10,000 entries takes well under a second; this only bounds a hang.
const SLAPADD_TIMEOUT: Duration = Duration::from_secs(120);

/// The OpenLDAP programs.
#[derive(Debug, Clone)]
pub struct Slapd {
    slapd: PathBuf,
    slapadd: PathBuf,
    /// Debian's module and schema directories.
    modules: PathBuf,
    schemas: PathBuf,
}

/// Certificate files for a TLS listener.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A running server; killed when dropped.
pub struct SlapdServer {
    child: Child,
    dir: tempfile::TempDir,
    /// Port of `ldap://127.0.0.1:PORT` (plain and StartTLS).
    pub port: u16,
    /// Port of `ldaps://`, when started with TLS.
    pub tls_port: Option<u16>,
}

impl Slapd {
    /// Finds `slapd` and `slapadd` (on `PATH` or in `/usr/sbin`, which a non-root `PATH` may
    /// lack) and Debian's module directory; `Err` says what is missing.
    pub fn locate() -> Result<Slapd, String> {
        let find = |name: &str| {
            super::stoken::find_on_path(name)
                .or_else(|| Some(Path::new("/usr/sbin").join(name)).filter(|p| p.is_file()))
                .ok_or_else(|| format!("{name} not found on PATH or in /usr/sbin"))
        };
        let modules = PathBuf::from("/usr/lib/ldap");
        let schemas = PathBuf::from("/etc/ldap/schema");
        if !modules.join("back_mdb.la").is_file() && !modules.join("back_mdb.so").is_file() {
            return Err("OpenLDAP's back_mdb module not found in /usr/lib/ldap".into());
        }
        if !schemas.join("inetorgperson.schema").is_file() {
            return Err("OpenLDAP's schemas not found in /etc/ldap/schema".into());
        }
        Ok(Slapd {
            slapd: find("slapd")?,
            slapadd: find("slapadd")?,
            modules,
            schemas,
        })
    }

    /// Loads `ldif` (which must hold the [`SUFFIX`] entry and everything under it, see
    /// [`base_ldif`]) and starts the server, with an ldaps:// listener when `tls` is given
    /// (StartTLS on the plain port then works too).
    pub fn start(&self, ldif: &str, tls: Option<&TlsFiles>) -> SlapdServer {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let db = dir.path().join("db");
        std::fs::create_dir(&db).unwrap();
        let conf = dir.path().join("slapd.conf");
        std::fs::write(&conf, self.config(dir.path(), &db, tls)).unwrap();
        let ldif_path = dir.path().join("tree.ldif");
        std::fs::write(&ldif_path, ldif).unwrap();
        let mut slapadd = Command::new(&self.slapadd);
        slapadd
            .arg("-q")
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(&ldif_path);
        let output = runner::run_with(slapadd, None, SLAPADD_TIMEOUT).expect("slapadd runs");
        assert!(
            output.success(),
            "slapadd failed ({}): {}",
            output.status,
            output.stderr
        );
        // A free port can be taken by someone else between our probe and slapd's bind: retry.
        let mut last_log = String::new();
        for _ in 0..5 {
            let port = free_port();
            let tls_port = tls.map(|_| free_port());
            let mut urls = format!("ldap://127.0.0.1:{port}/");
            if let Some(tls_port) = tls_port {
                write!(urls, " ldaps://127.0.0.1:{tls_port}/").unwrap();
            }
            let log_path = dir.path().join("slapd.log");
            let log = std::fs::File::create(&log_path).unwrap();
            let mut child = Command::new(&self.slapd)
                .arg("-d")
                .arg("0")
                .arg("-f")
                .arg(&conf)
                .arg("-h")
                .arg(&urls)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("slapd starts");
            let ports: Vec<u16> = std::iter::once(port).chain(tls_port).collect();
            let _ = std::fs::remove_file(dir.path().join("slapd.pid"));
            match wait_listening(&mut child, &ports, &dir.path().join("slapd.pid")) {
                Ok(()) => {
                    return SlapdServer {
                        child,
                        dir,
                        port,
                        tls_port,
                    };
                }
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    last_log = format!("{why}; log: {log}");
                }
            }
        }
        panic!("slapd did not start: {last_log}");
    }

    fn config(&self, dir: &Path, db: &Path, tls: Option<&TlsFiles>) -> String {
        let mut conf = String::new();
        for schema in ["core", "cosine", "inetorgperson"] {
            writeln!(
                conf,
                "include {}",
                self.schemas.join(format!("{schema}.schema")).display()
            )
            .unwrap();
        }
        writeln!(conf, "modulepath {}", self.modules.display()).unwrap();
        conf.push_str("moduleload back_mdb\nmoduleload memberof\n");
        writeln!(conf, "pidfile {}", dir.join("slapd.pid").display()).unwrap();
        writeln!(conf, "argsfile {}", dir.join("slapd.args").display()).unwrap();
        // Paged searches may return everything; a plain one stops at SIZE_LIMIT.
        writeln!(
            conf,
            "sizelimit size.soft={SIZE_LIMIT} size.hard={SIZE_LIMIT} size.prtotal=unlimited"
        )
        .unwrap();
        if let Some(tls) = tls {
            writeln!(conf, "TLSCACertificateFile {}", tls.ca.display()).unwrap();
            writeln!(conf, "TLSCertificateFile {}", tls.cert.display()).unwrap();
            writeln!(conf, "TLSCertificateKeyFile {}", tls.key.display()).unwrap();
        }
        writeln!(conf, "database mdb\nmaxsize 268435456\nsuffix \"{SUFFIX}\"").unwrap();
        writeln!(conf, "rootdn \"cn=admin,{SUFFIX}\"").unwrap();
        writeln!(conf, "directory {}", db.display()).unwrap();
        conf.push_str("overlay memberof\n");
        conf.push_str("access to attrs=userPassword by anonymous auth by * none\n");
        conf.push_str("access to * by users read by * none\n");
        conf
    }
}

impl SlapdServer {
    /// `ldap://127.0.0.1:PORT`.
    pub fn ldap_url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// `ldaps://HOST:PORT`; HOST `localhost` or `127.0.0.1` is what the test certificate names.
    pub fn ldaps_url(&self, host: &str) -> String {
        format!(
            "ldaps://{host}:{}",
            self.tls_port.expect("started with TLS")
        )
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("slapd.log")).unwrap_or_default()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SlapdServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until slapd accepts connections on every port, or exits, or the start timeout passes.
/// slapd writes its pid file once its listeners are open: a pid file naming our child tells
/// that what answered the probe is this server, not something else on a reused port.
fn wait_listening(child: &mut Child, ports: &[u16], pid_file: &Path) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("slapd exited ({status})"));
        }
        let listening = ports.iter().all(|port| {
            TcpStream::connect_timeout(
                &SocketAddr::from((Ipv4Addr::LOCALHOST, *port)),
                Duration::from_millis(200),
            )
            .is_ok()
        });
        // Listening, and still ours: a slapd that lost its port exits at once, while the
        // connection may have reached whatever else holds that port.
        let ours =
            std::fs::read_to_string(pid_file).is_ok_and(|pid| pid.trim() == child.id().to_string());
        if listening && ours && child.try_wait().map_err(|e| e.to_string())?.is_none() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("slapd not listening after {START_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A port nothing listens on right now, and never handed out before in this test process:
/// tests run in parallel, and two of them given the same port would each take the other's
/// server for their own (one slapd fails to bind while the other answers its probe).
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("a free loopback port");
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

/// A user of the test tree.
#[derive(Debug, Clone)]
pub struct TestUser<'a> {
    pub uid: Option<&'a str>,
    /// The entry's RDN value (`cn=…`); the uid when `None`.
    pub cn: &'a str,
    pub given_name: Option<&'a str>,
    pub sn: &'a str,
    /// Groups (under `ou=groups`) the user is a member of.
    pub groups: &'a [&'a str],
}

/// The DN of a group of the test tree.
pub fn group_dn(group: &str) -> String {
    format!("cn={group},ou=groups,{SUFFIX}")
}

/// The tree: suffix, `ou=people`, `ou=groups`, `ou=services` with the [`READER_DN`] account,
/// the users, and a `groupOfNames` per group (with `memberOf` on the members, as the memberof
/// overlay keeps it; slapadd does not run overlays, so it is written here).
pub fn base_ldif(users: &[TestUser<'_>]) -> String {
    let mut ldif = String::with_capacity(256 * users.len() + 1024);
    write!(
        ldif,
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
         dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n\n\
         dn: {READER_DN}\nobjectClass: person\ncn: tokendist\nsn: service\nuserPassword: {READER_PASSWORD}\n\n"
    )
    .unwrap();
    let mut groups: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for user in users {
        let dn = match user.uid {
            Some(uid) => format!("uid={uid},{PEOPLE}"),
            None => format!("cn={},{PEOPLE}", user.cn),
        };
        writeln!(ldif, "dn: {dn}\nobjectClass: inetOrgPerson").unwrap();
        if let Some(uid) = user.uid {
            writeln!(ldif, "uid: {uid}").unwrap();
        }
        write_value(&mut ldif, "cn", user.cn);
        if let Some(given) = user.given_name {
            write_value(&mut ldif, "givenName", given);
        }
        write_value(&mut ldif, "sn", user.sn);
        for group in user.groups {
            writeln!(ldif, "memberOf: {}", group_dn(group)).unwrap();
            groups.entry(group).or_default().push(dn.clone());
        }
        ldif.push('\n');
    }
    for (group, members) in groups {
        writeln!(
            ldif,
            "dn: {}\nobjectClass: groupOfNames\ncn: {group}",
            group_dn(group)
        )
        .unwrap();
        for member in members {
            writeln!(ldif, "member: {member}").unwrap();
        }
        ldif.push('\n');
    }
    ldif
}

/// An attribute line; values that are not plain ASCII go base64-encoded (`attr:: …`).
fn write_value(ldif: &mut String, attribute: &str, value: &str) {
    use base64::Engine as _;
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) && !value.starts_with([' ', ':', '<']) {
        writeln!(ldif, "{attribute}: {value}").unwrap();
    } else {
        let encoded = base64::engine::general_purpose::STANDARD.encode(value.as_bytes());
        writeln!(ldif, "{attribute}:: {encoded}").unwrap();
    }
}

/// A CA and a server certificate signed by it for `names` (DNS names and IP addresses), made
/// with the `openssl` CLI into `dir`: EC P-256 keys, so generation is instant.
pub fn make_certificates(dir: &Path, names: &[&str]) -> TlsFiles {
    let openssl = |args: &[&str]| {
        let mut command = Command::new("openssl");
        command.args(args).current_dir(dir);
        let output = runner::run(command).expect("openssl runs");
        assert!(
            output.success(),
            "openssl {args:?} failed: {}",
            output.stderr
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let subject = format!("/CN={}", names[0]);
    let mut ca_args = vec!["req", "-x509"];
    ca_args.extend(ec);
    ca_args.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=tokendist test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(&ca_args);
    let mut csr_args = vec!["req"];
    csr_args.extend(ec);
    csr_args.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        &subject,
    ]);
    openssl(&csr_args);
    let sans: Vec<String> = names
        .iter()
        .map(|name| {
            if name.parse::<std::net::IpAddr>().is_ok() {
                format!("IP:{name}")
            } else {
                format!("DNS:{name}")
            }
        })
        .collect();
    std::fs::write(
        dir.join("server.ext"),
        format!(
            "subjectAltName={}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
            sans.join(",")
        ),
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    TlsFiles {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    }
}
