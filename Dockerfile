# The einvoice worker image: `docker build -t einvoice-worker .`
# Runs `python worker.py`; settings from the environment (docs/worker.md).
FROM python:3.11-slim AS build
# setup.py compiles the hot modules with mypyc: the build stage needs a C compiler, the
# runtime stage does not.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY einvoice ./einvoice
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json \
    EINVOICE_ROUTING=/app/examples/routing.toml
COPY --from=build /install /usr/local
WORKDIR /app
COPY worker.py ./
COPY examples ./examples
COPY schemas ./schemas
RUN useradd --system --uid 10001 --no-create-home einvoice
USER einvoice
# SIGTERM lets the worker finish in-flight messages; give it the time to.
STOPSIGNAL SIGTERM
CMD ["python", "worker.py"]
