"""SLI measurement: PromQL for each SLI kind (``queries``) and reading it into step states
or event counts through the Prometheus port (``reader``)."""
