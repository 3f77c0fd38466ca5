# FairRecruit: one image for web, worker, beat, bot and the one-shot migration (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FAIRRECRUIT_VAR_DIR=/app/var \
    FAIRRECRUIT_WEB_HOST=0.0.0.0 \
    FAIRRECRUIT_WEB_PORT=8000

WORKDIR /app

# Unprivileged user; it owns only the writable data directory.
RUN groupadd --system --gid 10001 fairrecruit \
 && useradd --system --uid 10001 --gid fairrecruit --home-dir /app --no-create-home --shell /usr/sbin/nologin fairrecruit

# Noto fonts: certificates print legal names in every script (Devanagari, Bengali, Arabic, Thai, CJK...).
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-core fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first (cached while only the code changes), then the code.
COPY pyproject.toml README.md ./
RUN mkdir -p registry bot workers \
 && touch registry/__init__.py bot/__init__.py workers/__init__.py \
 && pip install . \
 && pip uninstall --yes fairrecruit \
 && rm -rf registry bot workers build *.egg-info

COPY config ./config
COPY registry ./registry
COPY bot ./bot
COPY workers ./workers
# Editable install: the package reads config/ (defaults, FX table, gunicorn) next to its source.
RUN pip install --no-deps -e . \
 && mkdir -p /app/var \
 && chown fairrecruit:fairrecruit /app/var

USER fairrecruit
EXPOSE 8000
VOLUME ["/app/var"]

HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["fairrecruit", "healthcheck", "--url", "http://127.0.0.1:8000/healthz"]

CMD ["fairrecruit", "web"]
