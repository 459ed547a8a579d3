"""The local stack: real Prometheus (and later Alertmanager) processes on 127.0.0.1, history
backfilled with promtool. Used by ``sms-metrics up``, the tests and the benchmarks."""
