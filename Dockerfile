# syntax=docker/dockerfile:1
# Build: docker build -t triangle .
# Run:   docker run -e DATABASE_URL=postgresql://user:pass@db:5432/triangle -p 8000:8000 triangle
# Several replicas: see compose.yaml (they share the signing keys through one volume).

# Pinned to a patch release (bump deliberately, with the lock of what was tested).
FROM python:3.11.11-slim-bookworm AS build
WORKDIR /src
RUN python -m pip install --no-cache-dir --upgrade pip build
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN python -m build --wheel --outdir /wheels

FROM python:3.11.11-slim-bookworm AS runtime
ARG GIT_REVISION=""
# TRIANGLE_DATA_DIR holds the signing keys (keys/) and, without DATABASE_URL, the embedded PostgreSQL.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    TRIANGLE_DATA_DIR=/var/lib/triangle TRIANGLE_GIT_REVISION=${GIT_REVISION}
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --create-home --uid 10001 triangle \
    && mkdir -p /var/lib/triangle/keys && chown -R triangle /var/lib/triangle && chmod 700 /var/lib/triangle/keys
USER triangle
WORKDIR /home/triangle
# Keys and data outlive the container; replicas mount the same keys (a named volume, a Secret).
# A fresh named volume copies keys/ with its owner from here, so the non-root user can write it.
VOLUME ["/var/lib/triangle"]
EXPOSE 8000
# Ready, not merely alive: the database answers and is migrated (503 otherwise).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status != 200)"
# SIGTERM (docker stop) lets requests in flight finish (TRIANGLE_SHUTDOWN_TIMEOUT_SECONDS), then exits.
STOPSIGNAL SIGTERM
CMD ["triangle", "serve", "--host", "0.0.0.0", "--port", "8000"]
