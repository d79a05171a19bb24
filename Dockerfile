# syntax=docker/dockerfile:1
# The ProdManager image (docs/deployment.md): the core and every first-party plugin of plugins/,
# installed from wheels, run as user 1000 with the environment as the only configuration.
#   docker build -t prodmanager .
#   docker run -p 8080:8080 -v prodmanager:/app/instance -e PM_SECRET_KEY=... prodmanager

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# Stage 1: the wheels of the core, of the first-party plugins (each folder of plugins/ with a
# setup.cfg) and of all their dependencies. The image installs from these wheels only.
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY . .
RUN set -- . \
  && for dir in plugins/*/; do if [ -f "${dir}setup.cfg" ]; then set -- "$@" "${dir%/}"; fi; done \
  && python -m pip wheel --no-cache-dir --disable-pip-version-check --wheel-dir /wheels "$@"

# Stage 2: the runtime, without the sources, the build tools or pip's cache.
FROM ${PYTHON_IMAGE}

# As 0.22's image: the instance folder is /app/instance, the server listens on $SERVER:$PORT with
# $WORKERS processes (0.22's default, 2; the CPU count a container sees is often the host's).
ENV SERVER=0.0.0.0 \
  PORT=8080 \
  WORKERS=2 \
  PM_MODE=production \
  PM_INSTANCE_PATH=/app/instance \
  PYTHONUNBUFFERED=1

WORKDIR /app

RUN useradd --uid 1000 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin prodmanager \
  && mkdir -p /app/instance \
  && chown prodmanager:prodmanager /app/instance

RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
  python -m pip install --no-cache-dir --disable-pip-version-check --no-index /wheels/*.whl

COPY --chmod=0755 deploy/docker-entrypoint.sh /usr/local/bin/prodmanager-entrypoint

USER 1000:1000

# The SQLite database (when PM_DATABASE_URI is empty) and the other local state: 0.22's volume.
VOLUME /app/instance
EXPOSE 8080

# /health answers without touching the database or Redis: is the process serving at all.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-m", "prodmanager.healthcheck"]

# waitress stops on SIGINT (KeyboardInterrupt); as PID 1 a Python process ignores an unhandled SIGTERM.
STOPSIGNAL SIGINT

ENTRYPOINT ["prodmanager-entrypoint"]
CMD ["serve"]
