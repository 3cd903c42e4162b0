# horario-bot: slim Python, Debian's wkhtmltopdf, fonts with Spanish glyphs, non-root.
FROM python:3.11-slim-bookworm

# --no-install-recommends keeps X and network daemons out (~385 MB instead of ~590 MB).
RUN apt-get update \
 && apt-get install -y --no-install-recommends wkhtmltopdf fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 horario \
 && mkdir /data && chown horario /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir . && rm -rf /root/.cache

USER horario
# Inside the container the servers listen on every interface, or a published port reaches
# nothing; compose publishes them on the host's loopback (127.0.0.1:…) unless told otherwise.
# The calendar feed starts only when CALENDAR_PORT is set (compose sets 8765).
ENV DATABASE_URL=sqlite+aiosqlite:////data/horario.db \
    METRICS_PORT=9464 \
    METRICS_HOST=0.0.0.0 \
    CALENDAR_HOST=0.0.0.0 \
    TELEGRAM_WEBHOOK_LISTEN=0.0.0.0 \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
# /metrics and /healthz; the calendar feed; the webhook (webhook mode only)
EXPOSE 9464 8765 8443
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['METRICS_PORT'], timeout=4)"
# Migrations run on start (post_init), so a fresh volume just works.
CMD ["python", "-m", "bot"]
