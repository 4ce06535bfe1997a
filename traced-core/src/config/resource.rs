//! The resource every exported span carries: who produced it.

use super::reader::Reader;
use opentelemetry::KeyValue;
use opentelemetry_sdk::resource::TelemetryResourceDetector;
use opentelemetry_sdk::Resource;
use opentelemetry_semantic_conventions::resource::{
    DEPLOYMENT_ENVIRONMENT_NAME, SERVICE_NAME, SERVICE_VERSION, TELEMETRY_DISTRO_NAME, TELEMETRY_DISTRO_VERSION,
};
use percent_encoding::percent_decode_str;

/// Resource settings given in code; `None` where not set.
#[derive(Debug, Clone, Default)]
pub struct ResourceSettings {
    /// `service.name`.
    pub service_name: Option<String>,
    /// `service.version`.
    pub service_version: Option<String>,
    /// `deployment.environment.name`.
    pub environment: Option<String>,
    /// Any other attributes.
    pub attributes: Vec<KeyValue>,
}

/// `unknown_service:<executable name>`, the specification's fallback.
pub fn unknown_service_name() -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    if exe.is_empty() {
        "unknown_service".to_owned()
    } else {
        format!("unknown_service:{exe}")
    }
}

/// Builds the resource. Precedence, lowest first: SDK and distro
/// attributes, what the detectors found, `OTEL_RESOURCE_ATTRIBUTES`,
/// `OTEL_SERVICE_NAME`, then what code set.
pub fn build_resource(
    code: &ResourceSettings,
    detected: &[KeyValue],
    env_attributes: &[KeyValue],
    env_service_name: Option<&str>,
) -> Resource {
    let mut attrs: Vec<KeyValue> = vec![
        KeyValue::new(TELEMETRY_DISTRO_NAME, "traced"),
        KeyValue::new(TELEMETRY_DISTRO_VERSION, env!("CARGO_PKG_VERSION")),
    ];
    fn set(attrs: &mut Vec<KeyValue>, kv: KeyValue) {
        attrs.retain(|e| e.key != kv.key);
        attrs.push(kv);
    }
    for kv in detected {
        set(&mut attrs, kv.clone());
    }
    for kv in env_attributes {
        set(&mut attrs, kv.clone());
    }
    if let Some(name) = env_service_name {
        set(&mut attrs, KeyValue::new(SERVICE_NAME, name.to_owned()));
    }
    for kv in &code.attributes {
        set(&mut attrs, kv.clone());
    }
    if let Some(v) = &code.service_version {
        set(&mut attrs, KeyValue::new(SERVICE_VERSION, v.clone()));
    }
    if let Some(e) = &code.environment {
        set(&mut attrs, KeyValue::new(DEPLOYMENT_ENVIRONMENT_NAME, e.clone()));
    }
    if let Some(name) = &code.service_name {
        set(&mut attrs, KeyValue::new(SERVICE_NAME, name.clone()));
    }
    if !attrs.iter().any(|kv| kv.key.as_str() == SERVICE_NAME) {
        set(&mut attrs, KeyValue::new(SERVICE_NAME, unknown_service_name()));
    }
    Resource::builder_empty().with_detector(Box::new(TelemetryResourceDetector)).with_attributes(attrs).build()
}

/// `k=v,k2=v2` with percent-encoded keys and values. Any malformed pair or
/// bad encoding drops the whole variable, as the specification says.
pub(super) fn resource_attributes(r: &mut Reader<'_>) -> Vec<KeyValue> {
    const VAR: &str = "OTEL_RESOURCE_ATTRIBUTES";
    let Some(raw) = r.get(VAR) else { return Vec::new() };
    let mut out = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            r.warn(VAR, &raw, format!("`{pair}` is not key=value; all resource attributes from it are ignored"));
            return Vec::new();
        };
        let (k, v) = (k.trim(), v.trim());
        // `$(VAR)`: Kubernetes expands references to variables defined
        // before this one; one still here names a variable it did not know
        // (or we run outside Kubernetes): expand it from the environment,
        // or leave the attribute out.
        let v = match expand_references(v, r) {
            Some(v) => v,
            None => {
                r.warn(VAR, &raw, format!("`{pair}` names a variable that is not set; that attribute is left out"));
                continue;
            }
        };
        let v = v.as_str();
        match (strict_decode(k), strict_decode(v)) {
            (Some(k), Some(v)) if !k.is_empty() => out.push(KeyValue::new(k, v)),
            _ => {
                r.warn(
                    VAR,
                    &raw,
                    format!("`{pair}` is not valid percent-encoded UTF-8; all resource attributes from it are ignored"),
                );
                return Vec::new();
            }
        }
    }
    out
}

/// `$(NAME)` replaced by the variable's value; `None` when one is unset.
fn expand_references(value: &str, r: &Reader<'_>) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("$(") {
        let end = rest[start..].find(')')? + start;
        out.push_str(&rest[..start]);
        out.push_str(&r.get(&rest[start + 2..end])?);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Percent-decodes `s`, failing on a `%` not followed by two hex digits or on
/// invalid UTF-8 (a lenient decoder would keep `%ZZ` as text).
fn strict_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    for (i, _) in s.match_indices('%') {
        if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)) {
            return None;
        }
    }
    percent_decode_str(s).decode_utf8().ok().map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::{Key, Value};

    fn get(r: &Resource, k: &'static str) -> Option<String> {
        r.get(&Key::from_static_str(k)).map(|v: Value| v.to_string())
    }

    #[test]
    fn falls_back_to_unknown_service_with_the_executable() {
        let r = build_resource(&ResourceSettings::default(), &[], &[], None);
        let name = get(&r, SERVICE_NAME).unwrap();
        assert!(name.starts_with("unknown_service:"), "{name}");
        assert_eq!(get(&r, "telemetry.sdk.language").as_deref(), Some("rust"));
        assert_eq!(get(&r, TELEMETRY_DISTRO_NAME).as_deref(), Some("traced"));
    }

    #[test]
    fn precedence_env_attributes_then_service_name_then_code() {
        let env = [KeyValue::new(SERVICE_NAME, "from-attrs"), KeyValue::new("team", "payments")];
        let r = build_resource(&ResourceSettings::default(), &[], &env, None);
        assert_eq!(get(&r, SERVICE_NAME).as_deref(), Some("from-attrs"));
        let r = build_resource(&ResourceSettings::default(), &[], &env, Some("from-var"));
        assert_eq!(get(&r, SERVICE_NAME).as_deref(), Some("from-var"));
        let code = ResourceSettings {
            service_name: Some("from-code".into()),
            service_version: Some("1.2.3".into()),
            environment: Some("staging".into()),
            attributes: vec![KeyValue::new("team", "checkout")],
        };
        let r = build_resource(&code, &[], &env, Some("from-var"));
        assert_eq!(get(&r, SERVICE_NAME).as_deref(), Some("from-code"));
        assert_eq!(get(&r, SERVICE_VERSION).as_deref(), Some("1.2.3"));
        assert_eq!(get(&r, DEPLOYMENT_ENVIRONMENT_NAME).as_deref(), Some("staging"));
        assert_eq!(get(&r, "team").as_deref(), Some("checkout"));
    }
}
