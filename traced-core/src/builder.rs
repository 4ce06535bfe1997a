//! Set-up in code: [`TracedBuilder`]. What code sets explicitly wins over the
//! environment; everything left unset comes from `OTEL_*` variables, then
//! from the specification's defaults.

use crate::config::{build_resource, Detector, EnvConfig, ExporterKind, OtlpEnv, ResourceSettings};
use crate::diagnostics;
use crate::error::InitError;
use crate::export::{otlp, zipkin, ConsoleExporter, FileExporter, FileSettings};
use crate::limits::SpanLimits;
use crate::processor::redact::Redaction;
use crate::processor::{BatchConfig, BatchProcessor, ExporterBox, SimpleProcessor, TailSampling};
use crate::propagation::PropagatorKind;
use crate::provider::Provider;
use crate::sampler::Sampler;
use crate::shutdown::ShutdownGuard;
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SpanExporter;
use std::time::Duration;

/// Console output is for people watching: export it promptly.
const CONSOLE_SCHEDULE_DELAY: Duration = Duration::from_millis(200);

/// Default time [`ShutdownGuard`] waits for the final export.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug)]
enum ExporterChoice {
    Console,
    Otlp(Option<OtlpEnv>),
    Zipkin(Option<String>),
    File(Option<FileSettings>),
    Custom(ExporterBox),
}

/// What [`TracedBuilder::build`] makes: nothing installed yet.
#[derive(Debug)]
pub struct Pipeline {
    /// The provider; `None` when `OTEL_SDK_DISABLED=true`.
    pub provider: Option<Provider>,
    /// The propagators to install ([`crate::propagation::install_global`]).
    pub propagators: Vec<PropagatorKind>,
    /// How long the final export may take at shutdown.
    pub shutdown_timeout: Duration,
}

/// Builds and installs tracing. Start with [`crate::builder`].
#[derive(Debug)]
pub struct TracedBuilder {
    resource: ResourceSettings,
    sampler: Option<Sampler>,
    exporters: Vec<ExporterChoice>,
    propagators: Option<Vec<PropagatorKind>>,
    batch: Option<BatchConfig>,
    limits: Option<SpanLimits>,
    simple_export: bool,
    shutdown_timeout: Duration,
    env: Option<EnvConfig>,
    redaction: Option<Redaction>,
    tail: Option<TailSampling>,
    id_generator: Option<crate::ids::IdGenerator>,
    detectors: Option<Vec<Detector>>,
}

impl Default for TracedBuilder {
    fn default() -> Self {
        TracedBuilder {
            resource: ResourceSettings::default(),
            sampler: None,
            exporters: Vec::new(),
            propagators: None,
            batch: None,
            limits: None,
            simple_export: false,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            env: None,
            id_generator: None,
            detectors: None,
            redaction: None,
            tail: None,
        }
    }
}

impl TracedBuilder {
    /// `service.name` (beats `OTEL_SERVICE_NAME`).
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.resource.service_name = Some(name.into());
        self
    }
    /// `service.version`.
    pub fn service_version(mut self, version: impl Into<String>) -> Self {
        self.resource.service_version = Some(version.into());
        self
    }
    /// `deployment.environment.name` (e.g. `production`).
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.resource.environment = Some(environment.into());
        self
    }
    /// Any other resource attribute.
    pub fn resource_attribute(mut self, kv: KeyValue) -> Self {
        self.resource.attributes.push(kv);
        self
    }
    /// The head sampler (beats `OTEL_TRACES_SAMPLER`).
    pub fn sampler(mut self, sampler: Sampler) -> Self {
        self.sampler = Some(sampler);
        self
    }
    /// Adds the console exporter. Any exporter set in code replaces
    /// `OTEL_TRACES_EXPORTER`; several may be set, each gets every span.
    pub fn console(mut self) -> Self {
        self.exporters.push(ExporterChoice::Console);
        self
    }
    /// Adds an OTLP exporter configured by `OTEL_EXPORTER_OTLP_*`.
    pub fn otlp(mut self) -> Self {
        self.exporters.push(ExporterChoice::Otlp(None));
        self
    }
    /// Adds an OTLP exporter with explicit settings.
    pub fn otlp_with(mut self, settings: OtlpEnv) -> Self {
        self.exporters.push(ExporterChoice::Otlp(Some(settings)));
        self
    }
    /// Adds a Zipkin exporter (`None`: `OTEL_EXPORTER_ZIPKIN_ENDPOINT` or the default).
    pub fn zipkin(mut self, endpoint: Option<String>) -> Self {
        self.exporters.push(ExporterChoice::Zipkin(endpoint));
        self
    }
    /// Adds an exporter recording OTLP JSON lines to a file, which `traced
    /// query` reads (`None`: the `TRACED_FILE_*` settings or their defaults).
    pub fn otlp_file(mut self, settings: Option<FileSettings>) -> Self {
        self.exporters.push(ExporterChoice::File(settings));
        self
    }
    /// Adds any `opentelemetry_sdk` span exporter.
    pub fn exporter<E: SpanExporter + 'static>(mut self, exporter: E) -> Self {
        self.exporters.push(ExporterChoice::Custom(ExporterBox::new(exporter)));
        self
    }
    /// Renamed to [`TracedBuilder::exporter`] (builders name setters after what they set).
    #[deprecated(since = "0.2.0", note = "renamed to `exporter`")]
    pub fn with_exporter<E: SpanExporter + 'static>(self, exporter: E) -> Self {
        self.exporter(exporter)
    }
    /// How trace ids are made (beats `TRACED_ID_GENERATOR`): X-Ray's form
    /// for services whose traces end in AWS X-Ray.
    pub fn id_generator(mut self, generator: crate::ids::IdGenerator) -> Self {
        self.id_generator = Some(generator);
        self
    }
    /// Which resource detectors run (beats `TRACED_RESOURCE_DETECTORS`;
    /// default: all, see [`crate::config::detect`]); `&[]` for none.
    pub fn resource_detectors(mut self, detectors: &[Detector]) -> Self {
        self.detectors = Some(detectors.to_vec());
        self
    }
    /// Propagation formats (beats `OTEL_PROPAGATORS`).
    pub fn propagators(mut self, kinds: &[PropagatorKind]) -> Self {
        self.propagators = Some(kinds.to_vec());
        self
    }
    /// Batch settings (beat `OTEL_BSP_*`).
    pub fn batch(mut self, config: BatchConfig) -> Self {
        self.batch = Some(config);
        self
    }
    /// Span limits (beat `OTEL_SPAN_*_LIMIT`).
    pub fn span_limits(mut self, limits: SpanLimits) -> Self {
        self.limits = Some(limits);
        self
    }
    /// Export each span synchronously as it ends instead of in batches: for
    /// tests and command-line tools, never for services.
    pub fn simple_export(mut self) -> Self {
        self.simple_export = true;
        self
    }
    /// How long dropping the [`ShutdownGuard`] may wait for the final export.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }
    /// Redacts spans before every exporter sees them (in the export thread).
    /// `Redaction::default()` replaces passwords, secrets, tokens and
    /// authorization/cookie headers, and finds e-mail addresses, card
    /// numbers, bearer tokens and IP addresses inside values.
    pub fn redaction(mut self, redaction: Redaction) -> Self {
        self.redaction = Some(redaction);
        self
    }

    /// In-process tail sampling: every span is recorded, and each trace's
    /// local part is kept or dropped when its local root ends: always when a
    /// span failed or the root was slow, otherwise by ratio. See
    /// [`TailSampling`] for what it can and cannot see, and its bounds.
    pub fn tail_sampling(mut self, tail: TailSampling) -> Self {
        self.tail = Some(tail);
        self
    }

    /// Use this environment instead of the process's (tests).
    pub fn env(mut self, env: EnvConfig) -> Self {
        self.env = Some(env);
        self
    }

    fn take_env(&mut self) -> EnvConfig {
        let env = self.env.take().unwrap_or_else(EnvConfig::from_env);
        for w in &env.warnings {
            diagnostics::warn(&format!("ignoring {w}"));
        }
        env
    }

    fn exporters(&mut self, env: &EnvConfig) -> Result<(Vec<ExporterBox>, bool), InitError> {
        let choices = if !self.exporters.is_empty() {
            std::mem::take(&mut self.exporters)
        } else {
            let kinds = match &env.exporters {
                Some(kinds) => kinds.clone(),
                None if env.otlp.has_endpoint() => vec![ExporterKind::Otlp],
                None => vec![ExporterKind::Console],
            };
            kinds
                .into_iter()
                .map(|k| match k {
                    ExporterKind::Console => ExporterChoice::Console,
                    ExporterKind::Otlp => ExporterChoice::Otlp(None),
                    ExporterKind::Zipkin => ExporterChoice::Zipkin(None),
                    ExporterKind::OtlpFile => ExporterChoice::File(None),
                })
                .collect()
        };
        let console_only = choices.iter().all(|c| matches!(c, ExporterChoice::Console));
        let mut out = Vec::new();
        for choice in choices {
            out.push(match choice {
                ExporterChoice::Console => ExporterBox::new(ConsoleExporter::default()),
                ExporterChoice::Otlp(settings) => otlp::build(settings.as_ref().unwrap_or(&env.otlp))?,
                ExporterChoice::Zipkin(endpoint) => {
                    zipkin::build(endpoint.as_deref().or(env.zipkin_endpoint.as_deref()))?
                }
                ExporterChoice::File(settings) => {
                    let settings = settings.unwrap_or_else(|| env.file.clone());
                    let exporter = FileExporter::new(settings.clone()).map_err(|e| InitError::Exporter {
                        exporter: "otlp_file",
                        reason: format!("{}: {e}", settings.path.display()),
                    })?;
                    ExporterBox::new(exporter)
                }
                ExporterChoice::Custom(e) => e,
            });
        }
        Ok((out, console_only))
    }

    /// Builds the pipeline without installing anything.
    pub fn build(mut self) -> Result<Pipeline, InitError> {
        let env = self.take_env();
        let propagators = self
            .propagators
            .take()
            .or_else(|| env.propagators.clone())
            .unwrap_or_else(|| PropagatorKind::DEFAULT.to_vec());
        if env.sdk_disabled {
            return Ok(Pipeline { provider: None, propagators, shutdown_timeout: self.shutdown_timeout });
        }
        let detectors =
            self.detectors.clone().or_else(|| env.resource_detectors.clone()).unwrap_or(Detector::ALL.to_vec());
        let detected = crate::config::detect::detect(&detectors, &crate::config::detect::Sources::system());
        let resource = build_resource(&self.resource, &detected, &env.resource_attributes, env.service_name.as_deref());
        let (mut exporters, console_only) = self.exporters(&env)?;
        // The built-ins (URL credentials and query values, SQL literals) are
        // on unless `Redaction::none()` turns them off.
        let redaction = self.redaction.take().unwrap_or_else(Redaction::builtin);
        if redaction.is_active() {
            exporters = exporters.into_iter().map(|e| e.with_redaction(redaction.clone())).collect();
        }
        let mut batch = self.batch.clone().unwrap_or_else(|| {
            let base = BatchConfig {
                schedule_delay: if console_only {
                    CONSOLE_SCHEDULE_DELAY
                } else {
                    BatchConfig::default().schedule_delay
                },
                ..BatchConfig::default()
            };
            env.batch.apply(base)
        });
        batch.max_export_batch_size = batch.max_export_batch_size.min(batch.max_queue_size).max(1);
        let limits = self.limits.unwrap_or_else(|| env.limits.apply(SpanLimits::default()));
        let sampler = self.sampler.take().or_else(|| env.sampler.clone()).unwrap_or_default();
        let id_generator = self.id_generator.or(env.id_generator).unwrap_or_default();
        let mut builder = Provider::builder()
            .sampler(sampler)
            .span_limits(limits)
            .resource(resource.clone())
            .id_generator(id_generator);
        if self.simple_export {
            for e in exporters {
                builder = builder.processor(SimpleProcessor::new(e, &resource));
            }
        } else if !exporters.is_empty() {
            let processor = match self.tail.take().or_else(|| env.tail_sampling.clone()) {
                Some(tail) => {
                    builder = builder.unsampled_recorded(true);
                    BatchProcessor::with_tail_sampling(exporters, &resource, batch, tail)
                }
                None => BatchProcessor::new(exporters, &resource, batch),
            };
            builder = builder.processor(processor.map_err(InitError::Thread)?);
        }
        if self.simple_export && self.tail.is_some() {
            diagnostics::warn("tail sampling needs batch export; ignored with simple_export()");
        }
        Ok(Pipeline { provider: Some(builder.build()), propagators, shutdown_timeout: self.shutdown_timeout })
    }

    /// Builds and installs globally: the provider for `#[traced]` and the
    /// integrations, the same pipeline behind `opentelemetry::global`'s
    /// tracer provider (so spans of other OpenTelemetry-instrumented
    /// libraries are exported too), and the propagators. Flushes and shuts
    /// down when the returned guard drops.
    pub fn install(self) -> Result<ShutdownGuard, InitError> {
        let pipeline = self.build()?;
        crate::propagation::install_global(&pipeline.propagators);
        Ok(ShutdownGuard::install(pipeline.provider, pipeline.shutdown_timeout))
    }
}
