# Slim Python with Debian's wkhtmltopdf and fonts with Spanish glyphs.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends wkhtmltopdf fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 horario \
 && mkdir /data && chown horario /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir .

USER horario
ENV DATABASE_URL=sqlite+aiosqlite:////data/horario.db
VOLUME ["/data"]
# Migrations run on start (post_init), so a new volume just works.
CMD ["python", "-m", "bot"]
