//! Resource detectors: who and where the process is, as the OpenTelemetry
//! semantic conventions name it. Each reads a few small files under `/proc`
//! or `/etc`, or the environment, once at start-up; none blocks or fails
//! (what cannot be read is left out), and none runs on the span path.
//!
//! | detector | attributes |
//! |---|---|
//! | `service` | `service.instance.id`: a random UUID per process (on Kubernetes with namespace, pod and container known: `<namespace>.<pod>.<container>`) |
//! | `process` | `process.pid`, `process.executable.name`, `process.runtime.name` (`rustc`), `process.runtime.version`, `process.runtime.description` (the compiler that built it). No command line: it can hold secrets |
//! | `host` | `host.name`, `host.arch` (`amd64`, `arm64`...) |
//! | `os` | `os.type` (`linux`, `darwin`, `windows`...), `os.description` |
//! | `container` | `container.id` from `/proc/self/cgroup` (v1) or `/proc/self/mountinfo` (v2) |
//! | `k8s` | `k8s.namespace.name` (service account file), `k8s.pod.name`, `k8s.pod.uid`, `k8s.node.name`, `k8s.container.name` from the downward-API variables (`OTEL_RESOURCE_ATTRIBUTES_POD_NAME`, `_POD_UID`, `_NODE_NAME`, `K8S_CONTAINER_NAME`, as the OpenTelemetry Operator sets them) |
//!
//! All on by default; `TRACED_RESOURCE_DETECTORS` (`none`, or a list such
//! as `service,process,host`) or `builder().resource_detectors(..)` picks.

use opentelemetry::KeyValue;
use std::path::PathBuf;

/// One detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Detector {
    /// `service.instance.id`.
    Service,
    /// `process.*`.
    Process,
    /// `host.*`.
    Host,
    /// `os.*`.
    Os,
    /// `container.id`.
    Container,
    /// `k8s.*`.
    Kubernetes,
}

impl Detector {
    /// Every detector: the default.
    pub const ALL: [Detector; 6] =
        [Detector::Service, Detector::Process, Detector::Host, Detector::Os, Detector::Container, Detector::Kubernetes];

    /// The name `TRACED_RESOURCE_DETECTORS` uses.
    pub fn name(self) -> &'static str {
        match self {
            Detector::Service => "service",
            Detector::Process => "process",
            Detector::Host => "host",
            Detector::Os => "os",
            Detector::Container => "container",
            Detector::Kubernetes => "k8s",
        }
    }

    /// The detector named `name`.
    pub fn from_name(name: &str) -> Option<Detector> {
        Detector::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// Where detectors look: the real system, or a test's fakes.
pub struct Sources<'a> {
    /// Prefix for `/proc`, `/etc` and `/var/run` paths (`/` for real).
    pub root: PathBuf,
    /// The environment.
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl Sources<'_> {
    /// The running system.
    pub fn system() -> Sources<'static> {
        Sources { root: PathBuf::from("/"), env: &|name| std::env::var(name).ok() }
    }

    fn read(&self, path: &str) -> Option<String> {
        let path = self.root.join(path.trim_start_matches('/'));
        // These are small files; a read error leaves the attribute out.
        std::fs::read_to_string(path).ok()
    }

    fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }
}

/// The attributes `detectors` find in `sources`.
pub fn detect(detectors: &[Detector], sources: &Sources<'_>) -> Vec<KeyValue> {
    let mut out = Vec::new();
    let on = |d: Detector| detectors.contains(&d);
    let k8s = if on(Detector::Kubernetes) || on(Detector::Service) { kubernetes(sources) } else { Vec::new() };
    if on(Detector::Service) {
        let get = |key: &str| k8s.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string());
        let id = match (get("k8s.namespace.name"), get("k8s.pod.name"), get("k8s.container.name")) {
            (Some(ns), Some(pod), Some(container)) => format!("{ns}.{pod}.{container}"),
            _ => uuid_v4(),
        };
        out.push(KeyValue::new("service.instance.id", id));
    }
    if on(Detector::Process) {
        out.push(KeyValue::new("process.pid", i64::from(std::process::id())));
        if let Some(name) =
            std::env::current_exe().ok().and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        {
            out.push(KeyValue::new("process.executable.name", name));
        }
        out.push(KeyValue::new("process.runtime.name", "rustc"));
        out.push(KeyValue::new("process.runtime.version", env!("TRACED_RUSTC_VERSION")));
        out.push(KeyValue::new("process.runtime.description", env!("TRACED_RUSTC_DESCRIPTION")));
    }
    if on(Detector::Host) {
        if let Some(name) =
            sources.read("/proc/sys/kernel/hostname").map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
        {
            out.push(KeyValue::new("host.name", name));
        }
        out.push(KeyValue::new("host.arch", host_arch(std::env::consts::ARCH)));
    }
    if on(Detector::Os) {
        out.push(KeyValue::new("os.type", os_type(std::env::consts::OS)));
        if let Some(description) = os_description(sources) {
            out.push(KeyValue::new("os.description", description));
        }
    }
    if on(Detector::Container) {
        if let Some(id) = container_id(sources) {
            out.push(KeyValue::new("container.id", id));
        }
    }
    if on(Detector::Kubernetes) {
        out.extend(k8s);
    }
    out
}

/// `host.arch` values of the semantic conventions.
pub fn host_arch(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "x86",
        "arm" => "arm32",
        "powerpc" => "ppc32",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

/// `os.type` values of the semantic conventions.
pub fn os_type(rust_os: &str) -> &str {
    match rust_os {
        "macos" => "darwin",
        "illumos" | "solaris" => "solaris",
        other => other,
    }
}

fn os_description(sources: &Sources<'_>) -> Option<String> {
    let release = sources.read("/etc/os-release").and_then(|text| {
        text.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=")).map(|v| v.trim().trim_matches('"').to_owned())
    });
    let kernel = sources.read("/proc/sys/kernel/osrelease").map(|k| k.trim().to_owned()).filter(|k| !k.is_empty());
    match (release, kernel) {
        (Some(r), Some(k)) => Some(format!("{r} (Linux {k})")),
        (Some(r), None) => Some(r),
        (None, Some(k)) => Some(format!("Linux {k}")),
        (None, None) => None,
    }
}

fn is_container_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The 64-hex id in a cgroup path's last segment (`docker-<id>.scope`,
/// `crio-<id>`, `cri-containerd-<id>.scope` or the id alone).
fn id_in_segment(segment: &str) -> Option<String> {
    let trimmed = segment.trim_end_matches(".scope");
    let candidate = trimmed.rsplit(['-', ':']).next()?;
    is_container_id(candidate).then(|| candidate.to_owned())
}

fn container_id(sources: &Sources<'_>) -> Option<String> {
    // cgroup v1: `hierarchy:controllers:/path/<id>`.
    if let Some(text) = sources.read("/proc/self/cgroup") {
        for line in text.lines() {
            let path = line.splitn(3, ':').nth(2).unwrap_or("");
            if let Some(id) = path.rsplit('/').next().and_then(id_in_segment) {
                return Some(id);
            }
        }
    }
    // cgroup v2: the container's own files are bind-mounted from a
    // directory named after it (`.../containers/<id>/hostname`).
    let text = sources.read("/proc/self/mountinfo")?;
    for line in text.lines() {
        for field in line.split_whitespace() {
            let parts: Vec<&str> = field.split('/').collect();
            for pair in parts.windows(2) {
                if matches!(pair[0], "containers" | "sandboxes") && is_container_id(pair[1]) {
                    return Some(pair[1].to_owned());
                }
            }
        }
    }
    None
}

fn kubernetes(sources: &Sources<'_>) -> Vec<KeyValue> {
    let mut out = Vec::new();
    let namespace = sources
        .read("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let in_cluster = namespace.is_some() || sources.var("KUBERNETES_SERVICE_HOST").is_some();
    if let Some(ns) = namespace {
        out.push(KeyValue::new("k8s.namespace.name", ns));
    }
    let first = |names: &[&str]| names.iter().find_map(|n| sources.var(n));
    // A pod's hostname is its name unless the spec says otherwise.
    let pod_name = first(&["OTEL_RESOURCE_ATTRIBUTES_POD_NAME", "K8S_POD_NAME", "POD_NAME"])
        .or_else(|| in_cluster.then(|| sources.var("HOSTNAME")).flatten());
    for (key, value) in [
        ("k8s.pod.name", pod_name),
        ("k8s.pod.uid", first(&["OTEL_RESOURCE_ATTRIBUTES_POD_UID", "K8S_POD_UID", "POD_UID"])),
        ("k8s.node.name", first(&["OTEL_RESOURCE_ATTRIBUTES_NODE_NAME", "K8S_NODE_NAME", "NODE_NAME"])),
        ("k8s.container.name", first(&["K8S_CONTAINER_NAME", "CONTAINER_NAME"])),
    ] {
        if let Some(v) = value {
            out.push(KeyValue::new(key, v));
        }
    }
    out
}

/// A random (version 4) UUID.
fn uuid_v4() -> String {
    use rand::{RngCore, SeedableRng};
    let mut b = [0u8; 16];
    let mut rng = rand::rngs::SmallRng::try_from_os_rng().unwrap_or_else(|_| {
        // No OS randomness: the time and pid still make it unique enough.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        rand::rngs::SmallRng::seed_from_u64(now.as_nanos() as u64 ^ u64::from(std::process::id()) << 32)
    });
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// Which detectors `TRACED_RESOURCE_DETECTORS` names; `Err` with the unknown name.
pub fn parse_detectors(value: &str) -> Result<Vec<Detector>, String> {
    match value.trim() {
        "all" | "" => Ok(Detector::ALL.to_vec()),
        "none" => Ok(Vec::new()),
        list => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| Detector::from_name(name).ok_or_else(|| name.to_owned()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn fake(files: &[(&str, &str)], vars: &[(&str, &str)]) -> (tempfile_dir::Dir, HashMap<String, String>) {
        let dir = tempfile_dir::Dir::new();
        for (path, text) in files {
            let full = dir.0.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        }
        (dir, vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    /// A directory removed on drop (no dev-dependency for one test).
    mod tempfile_dir {
        pub(super) struct Dir(pub(super) std::path::PathBuf);
        impl Dir {
            pub(super) fn new() -> Dir {
                let p = std::env::temp_dir().join(format!("traced-detect-{}-{}", std::process::id(), super::uuid_v4()));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn get(attrs: &[KeyValue], key: &str) -> Option<String> {
        attrs.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
    }

    const ID: &str = "3f4ab8c1c2d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f";

    #[test]
    fn container_ids_from_cgroup_v1_and_v2() {
        for cgroup in [
            format!("12:cpuset:/docker/{ID}\n11:memory:/docker/{ID}\n"),
            format!("0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-{ID}.scope\n"),
            format!("1:name=systemd:/kubepods/burstable/pod12/crio-{ID}\n"),
        ] {
            let (dir, vars) = fake(&[("/proc/self/cgroup", &cgroup)], &[]);
            let env = move |k: &str| vars.get(k).cloned();
            let attrs = detect(&[Detector::Container], &Sources { root: dir.0.clone(), env: &env });
            assert_eq!(get(&attrs, "container.id").as_deref(), Some(ID), "{cgroup}");
        }
        let mountinfo = format!(
            "736 714 0:41 / / rw,relatime - overlay overlay rw\n\
             745 736 254:1 /var/lib/docker/containers/{ID}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw\n"
        );
        let (dir, _) = fake(&[("/proc/self/cgroup", "0::/\n"), ("/proc/self/mountinfo", &mountinfo)], &[]);
        let attrs = detect(&[Detector::Container], &Sources { root: dir.0.clone(), env: &|_| None });
        assert_eq!(get(&attrs, "container.id").as_deref(), Some(ID));
        let (dir, _) = fake(&[("/proc/self/cgroup", "0::/user.slice\n")], &[]);
        assert!(detect(&[Detector::Container], &Sources { root: dir.0.clone(), env: &|_| None }).is_empty());
    }

    #[test]
    fn kubernetes_from_the_service_account_and_the_downward_api() {
        let (dir, vars) = fake(
            &[("/var/run/secrets/kubernetes.io/serviceaccount/namespace", "shop\n")],
            &[
                ("OTEL_RESOURCE_ATTRIBUTES_POD_NAME", "checkout-7d9f-x2"),
                ("OTEL_RESOURCE_ATTRIBUTES_POD_UID", "1f2e"),
                ("OTEL_RESOURCE_ATTRIBUTES_NODE_NAME", "node-3"),
                ("K8S_CONTAINER_NAME", "app"),
            ],
        );
        let env = move |k: &str| vars.get(k).cloned();
        let attrs = detect(&[Detector::Kubernetes, Detector::Service], &Sources { root: dir.0.clone(), env: &env });
        assert_eq!(get(&attrs, "k8s.namespace.name").as_deref(), Some("shop"));
        assert_eq!(get(&attrs, "k8s.pod.name").as_deref(), Some("checkout-7d9f-x2"));
        assert_eq!(get(&attrs, "k8s.pod.uid").as_deref(), Some("1f2e"));
        assert_eq!(get(&attrs, "k8s.node.name").as_deref(), Some("node-3"));
        assert_eq!(get(&attrs, "service.instance.id").as_deref(), Some("shop.checkout-7d9f-x2.app"));
        // Outside a cluster: nothing, and the instance id is a UUID.
        let attrs = detect(
            &[Detector::Kubernetes, Detector::Service],
            &Sources { root: dir.0.join("nowhere"), env: &|_| None },
        );
        let id = get(&attrs, "service.instance.id").unwrap();
        assert_eq!((id.len(), &id[14..15]), (36, "4"), "{id}");
        assert_eq!(attrs.len(), 1);
    }

    #[test]
    fn host_os_and_process_values_follow_the_conventions() {
        let (dir, _) = fake(
            &[
                ("/proc/sys/kernel/hostname", "web-1\n"),
                ("/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n"),
                ("/etc/os-release", "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"),
            ],
            &[],
        );
        let attrs = detect(
            &[Detector::Host, Detector::Os, Detector::Process],
            &Sources { root: dir.0.clone(), env: &|_| None },
        );
        assert_eq!(get(&attrs, "host.name").as_deref(), Some("web-1"));
        assert_eq!(
            get(&attrs, "os.description").as_deref(),
            Some("Debian GNU/Linux 12 (bookworm) (Linux 6.1.0-18-amd64)")
        );
        assert_eq!(get(&attrs, "process.pid"), Some(std::process::id().to_string()));
        assert_eq!(get(&attrs, "process.runtime.name").as_deref(), Some("rustc"));
        assert!(get(&attrs, "process.runtime.version").is_some_and(|v| v.split('.').count() == 3), "{attrs:?}");
        assert!(attrs.iter().all(|kv| !kv.key.as_str().starts_with("process.command")), "no command line");
        assert_eq!(
            (host_arch("x86_64"), host_arch("aarch64"), os_type("macos"), os_type("linux")),
            ("amd64", "arm64", "darwin", "linux")
        );
    }

    #[test]
    fn detector_lists_parse() {
        assert_eq!(parse_detectors("none"), Ok(vec![]));
        assert_eq!(parse_detectors("all").map(|d| d.len()), Ok(6));
        assert_eq!(parse_detectors("host, k8s"), Ok(vec![Detector::Host, Detector::Kubernetes]));
        assert_eq!(parse_detectors("host,gpu"), Err("gpu".to_owned()));
    }
}
