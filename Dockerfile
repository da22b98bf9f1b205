# paygate: one image for every role (api, worker, dashboard). Same commands as the README.
# Stage 1 builds the wheel (the package only: SDK and static files are inside it); stage 2
# installs that wheel, not the source tree, and runs as an unprivileged user.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY paygate ./paygate
RUN pip wheel --no-cache-dir --no-deps -w /dist .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir /tmp/dist/paygate-*.whl \
    && rm -rf /tmp/dist \
    && useradd --system --create-home paygate \
    && mkdir -p /data && chown paygate /data

USER paygate
WORKDIR /home/paygate
ENV PAYGATE_DATA_DIR=/data
# A container is reached through its published ports, never its own loopback: listen on every interface.
ENV PAYGATE_HOST=0.0.0.0
EXPOSE 8000 3001 3000
# The default command's check; docker-compose.yml gives the worker and the console their own.
HEALTHCHECK --interval=10s --timeout=5s --retries=3 CMD ["paygate", "healthcheck", "api"]
CMD ["paygate", "serve"]
