# paygate: one image for every role (api, worker, dashboard). Same commands as the README.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY paygate ./paygate
COPY sdk ./sdk
COPY bench ./bench
RUN pip install --no-cache-dir -e . \
    && useradd --system --create-home paygate \
    && mkdir -p /data && chown paygate /data

USER paygate
ENV PAYGATE_DATA_DIR=/data
EXPOSE 8000 3001 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"
CMD ["paygate", "serve"]
