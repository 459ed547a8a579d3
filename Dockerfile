# The sms-metrics service (`sms-metrics serve`): API, webhook, probes, jobs and /metrics.
# Runs as a non-root user; the register (SQLite) lives on the /data volume.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY sms_metrics ./sms_metrics
COPY examples ./examples
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin sms \
    && mkdir -p /data \
    && chown sms:sms /data

USER sms
WORKDIR /data
VOLUME ["/data"]
ENV SMS_DATABASE_URL=sqlite:////data/register.db \
    SMS_WORK_DIR=/data/work
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status != 200)"]
ENTRYPOINT ["sms-metrics"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--catalogue", "/app/examples/sms.yaml", "--probes", "/app/examples/probes"]
