# paperboy: one container, the database on a volume at /data.
FROM python:3.11-slim

# Fetched days go to /data/digests beside the database. To read files only, run with
# PAPERBOY_HF_URL=off and PAPERBOY_DIGEST_DIR=/app/seeds (or a mounted folder).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PAPERBOY_DATABASE=/data/paperboy.db

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
