# paperboy: one container, the database on a volume at /data.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PAPERBOY_DATABASE=/data/paperboy.db \
    PAPERBOY_DIGEST_DIR=/app/seeds

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY seeds ./seeds
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app paperboy \
    && mkdir -p /data \
    && chown paperboy /data

USER paperboy
VOLUME ["/data"]
# DISCORD_TOKEN comes from the environment: docker run --env-file .env ...
CMD ["paperboy", "run"]
