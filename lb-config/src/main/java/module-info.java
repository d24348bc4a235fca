/**
 * Declarative configuration for lb4j: {@link dev.lb4j.config.Lb4jConfig} loads YAML or JSON with
 * environment and flag overrides and validates it, {@link dev.lb4j.config.ConfigReloader} applies a
 * new configuration atomically with diff, events and rollback, and {@link
 * dev.lb4j.config.ConfigCheck} validates a file from the command line.
 *
 * @uses dev.lb4j.api.HealthProbeProvider
 * @uses dev.lb4j.api.PolicyProvider
 * @since 0.1.0
 */
module dev.lb4j.config {
  requires transitive dev.lb4j.core;
  requires tools.jackson.databind;
  requires tools.jackson.dataformat.yaml;

  exports dev.lb4j.config;

  uses dev.lb4j.api.HealthProbeProvider;
  uses dev.lb4j.api.PolicyProvider;
}
