// The suites that run real hub processes under load, one at a time.

import Testing

/// Suites that start hub processes and load them (several instances, outages, failures under load) run one after
/// another: side by side on a two-core box they starve each other, and their bounds would measure that instead.
@Suite(.serialized) enum ProcessSuites {}
