//! Reading variables: the rules every `OTEL_*` value follows. An empty value
//! is unset; booleans are true only for a case-insensitive `true`; numbers
//! are non-negative integers, durations milliseconds; a malformed value is
//! kept as a warning and ignored, never a panic.

use crate::error::ConfigError;
use std::time::Duration;

/// Reads variables through a lookup, collecting warnings.
pub(super) struct Reader<'a> {
    pub(super) lookup: &'a dyn Fn(&str) -> Option<String>,
    pub(super) warnings: Vec<ConfigError>,
}

impl Reader<'_> {
    pub(super) fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    pub(super) fn warn(&mut self, variable: &'static str, value: &str, reason: impl Into<String>) {
        self.warnings.push(ConfigError::InvalidValue { variable, value: value.to_owned(), reason: reason.into() });
    }

    pub(super) fn bool(&mut self, name: &'static str) -> bool {
        match self.get(name) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                self.warn(name, &v, "expected `true` or `false`");
                false
            }
        }
    }

    pub(super) fn number<T: std::str::FromStr>(&mut self, name: &'static str) -> Option<T> {
        let v = self.get(name)?;
        match v.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                self.warn(name, &v, "expected a non-negative integer");
                None
            }
        }
    }

    pub(super) fn millis(&mut self, name: &'static str) -> Option<Duration> {
        self.number::<u64>(name).map(Duration::from_millis)
    }

    /// A count limit; `0` is valid (record none).
    pub(super) fn count(&mut self, name: &'static str) -> Option<u32> {
        self.number(name)
    }
}

/// A comma-separated list of names, trimmed and lowercased.
pub(super) fn list(raw: &str) -> impl Iterator<Item = String> + '_ {
    raw.split(',').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty())
}

/// The first of `vars` (signal-specific first) holding a value `parse`
/// accepts (case-insensitively); invalid values are reported and skipped.
pub(super) fn first_valid<T>(
    r: &mut Reader<'_>,
    vars: [&'static str; 2],
    expected: &str,
    parse: impl Fn(&mut Reader<'_>, &'static str, &str) -> Option<T>,
) -> Option<T> {
    for var in vars {
        let Some(raw) = r.get(var) else { continue };
        match parse(r, var, raw.to_ascii_lowercase().as_str()) {
            Some(v) => return Some(v),
            None => r.warn(var, &raw, expected),
        }
    }
    None
}
