# syntax=docker/dockerfile:1
# Build: docker build -t triangle .
# Run:   docker run -e DATABASE_URL=postgresql://user:pass@db:5432/triangle -p 8000:8000 triangle

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m pip install --no-cache-dir --upgrade pip build
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN python -m build --wheel --outdir /wheels

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --create-home --uid 10001 triangle
USER triangle
WORKDIR /home/triangle
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
# DATABASE_URL comes from the environment; without it the embedded PostgreSQL starts in the home folder.
CMD ["triangle", "serve", "--host", "0.0.0.0", "--port", "8000"]
