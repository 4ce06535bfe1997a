//! What the detectors report on this machine, through the set-up users
//! call; and their precedence and switch.
#![cfg(feature = "test-util")]

use opentelemetry::Key;
use std::collections::HashMap;
use traced::config::EnvConfig;

fn resource(vars: &[(&str, &str)]) -> HashMap<String, String> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let env = EnvConfig::from_lookup(&move |k| map.get(k).cloned());
    let pipeline = traced::builder().env(env).exporter(traced::testing::MemoryExporter::default()).build().unwrap();
    let provider = pipeline.provider.expect("a provider");
    provider.resource().iter().map(|(k, v): (&Key, _)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn this_machine_is_described_by_the_conventions() {
    let r = resource(&[("OTEL_SERVICE_NAME", "detect-test")]);
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(r["host.name"], hostname.trim());
    assert_eq!(r["host.arch"], if cfg!(target_arch = "x86_64") { "amd64" } else { "arm64" });
    assert_eq!(r["os.type"], "linux");
    assert!(r["os.description"].contains("Linux"), "{}", r["os.description"]);
    assert_eq!(r["process.pid"], std::process::id().to_string());
    assert_eq!(r["process.runtime.name"], "rustc");
    let id = &r["service.instance.id"];
    assert_eq!((id.len(), id.matches('-').count()), (36, 4), "a UUID: {id}");
    assert_ne!(&resource(&[])["service.instance.id"], id, "one per set-up here, one per process in practice");
    assert_eq!(r["service.name"], "detect-test");
    assert!(!r.keys().any(|k| k.starts_with("process.command")), "no command line by default");
}

#[test]
fn the_environment_beats_detectors_and_detectors_can_be_switched_off() {
    let r = resource(&[("OTEL_RESOURCE_ATTRIBUTES", "host.name=from-env")]);
    assert_eq!(r["host.name"], "from-env");
    let r = resource(&[("TRACED_RESOURCE_DETECTORS", "none")]);
    for key in ["host.name", "os.type", "process.pid", "service.instance.id"] {
        assert!(!r.contains_key(key), "{key} with detectors off");
    }
    let r = resource(&[("TRACED_RESOURCE_DETECTORS", "os")]);
    assert!(r.contains_key("os.type") && !r.contains_key("host.name"));
}
