//! A second Docker engine for tests and benchmarks: another `dockerd` of this machine in
//! its own network namespace, reached over TCP with TLS client certificates.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A second Docker engine on this machine, in its own network namespace (as another
/// machine would be: a separate address, and its networking apart from the first
/// engine's), listening on TCP with TLS client certificates (`dockerd --tlsverify`).
pub struct SecondEngine {
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    namespace: String,
    /// `10.231.x.y`: the engine's end of the virtual cable.
    pub address: String,
}

pub struct ClientFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Runs a set-up command; panics with its output when it fails.
fn run(program: &str, args: &[&str]) {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl SecondEngine {
    pub async fn start() -> (Self, ClientFiles) {
        let pid = std::process::id();
        let namespace = format!("ct-d2-{pid}");
        let (outer, inner) = (
            format!("ctd{}a", pid % 100_000),
            format!("ctd{}b", pid % 100_000),
        );
        // A /30 of 10.231.0.0/16 per test process, so parallel runs do not collide.
        let block = (pid % 16_384) * 4;
        let (third, fourth) = (block / 256, block % 256);
        let host_end = format!("10.231.{third}.{}", fourth + 1);
        let address = format!("10.231.{third}.{}", fourth + 2);
        // A namespace left by a killed earlier run with this process id.
        let _ = Command::new("ip")
            .args(["netns", "del", &namespace])
            .stderr(Stdio::null())
            .status();
        run("ip", &["netns", "add", &namespace]);
        run(
            "ip",
            &[
                "link", "add", &outer, "type", "veth", "peer", "name", &inner,
            ],
        );
        run("ip", &["link", "set", &inner, "netns", &namespace]);
        run(
            "ip",
            &["addr", "add", &format!("{host_end}/30"), "dev", &outer],
        );
        run("ip", &["link", "set", &outer, "up"]);
        let inside = |args: &[&str]| {
            let mut all = vec!["netns", "exec", namespace.as_str()];
            all.extend_from_slice(args);
            run("ip", &all);
        };
        inside(&["ip", "addr", "add", &format!("{address}/30"), "dev", &inner]);
        inside(&["ip", "link", "set", &inner, "up"]);
        inside(&["ip", "link", "set", "lo", "up"]);

        let dir = tempfile::Builder::new().prefix("ct-d2-").tempdir().unwrap();
        let files = write_certificates(dir.path(), &address);
        let path = |name: &str| dir.path().join(name).display().to_string();
        let socket = path("docker.sock");
        let log = std::fs::File::create(dir.path().join("dockerd.log")).unwrap();
        // nsenter joins only the network namespace: the engine keeps this machine's
        // /sys and cgroups, which `ip netns exec` would hide.
        let child = Command::new("nsenter")
            .arg(format!("--net=/var/run/netns/{namespace}"))
            .arg("dockerd")
            .args(["--data-root", &path("data"), "--exec-root", &path("x")])
            .args(["--pidfile", &path("dockerd.pid")])
            .args(["-H", &format!("tcp://{address}:2376")])
            .args(["-H", &format!("unix://{socket}")])
            .args(["--tlsverify", "--tlscacert", &path("ca.pem")])
            .args([
                "--tlscert",
                &path("server-cert.pem"),
                "--tlskey",
                &path("server-key.pem"),
            ])
            .args(["--bridge=none", "--iptables=false", "--ip-masq=false"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("dockerd runs (Debian's docker.io; the test command installs it)");
        let engine = Self {
            dir,
            child: Some(child),
            namespace,
            address,
        };
        for _ in 0..300 {
            if let Ok(client) =
                bollard::Docker::connect_with_unix(&socket, 2, bollard::API_DEFAULT_VERSION)
            {
                if client.ping().await.is_ok() {
                    return (engine, files);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log =
            std::fs::read_to_string(engine.dir.path().join("dockerd.log")).unwrap_or_default();
        panic!("the second dockerd did not start:\n{log}");
    }

    pub fn tcp_address(&self) -> String {
        format!("tcp://{}:2376", self.address)
    }

    /// Stops the engine the way an operator would (SIGTERM), and waits for it.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        for _ in 0..300 {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for SecondEngine {
    fn drop(&mut self) {
        self.stop();
        // Deleting the namespace removes both ends of the virtual cable.
        let _ = Command::new("ip")
            .args(["netns", "del", &self.namespace])
            .status();
    }
}

/// A test CA, the engine's server certificate for `address`, and a client certificate.
pub fn write_certificates(dir: &Path, address: &str) -> ClientFiles {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa,
        KeyPair, KeyUsagePurpose,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let mut server_params = CertificateParams::new(vec![address.to_owned()]).unwrap();
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = server_params.signed_by(&server_key, &ca).unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client = client_params.signed_by(&client_key, &ca).unwrap();

    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    write("server-cert.pem", server.pem());
    write("server-key.pem", server_key.serialize_pem());
    ClientFiles {
        ca: write("ca.pem", ca.pem()),
        cert: write("client-cert.pem", client.pem()),
        key: write("client-key.pem", client_key.serialize_pem()),
    }
}
