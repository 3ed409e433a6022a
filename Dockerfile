# roomwatch image: `roomwatch serve` as a non-root user by default; the same
# image runs `roomwatch gateway` and `roomwatch worker` (docker-compose.yml).
# The install steps are the README's: pip install of this checkout, with the
# tested versions pinned by constraints.txt, plus the `redis` extra (redis-py
# and hiredis) that the gateway and worker roles need. pyproject.toml packs models,
# lexicons, samples and mappings into the wheel, so all four must be copied
# (tests/deploy/test_dockerfile.py checks that against pyproject.toml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /build
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY src ./src
COPY models ./models
COPY lexicons ./lexicons
COPY samples ./samples
COPY mappings ./mappings
RUN pip install -c constraints.txt '.[redis]' \
 && rm -rf /build

RUN groupadd --system --gid 10001 roomwatch \
 && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /var/lib/roomwatch roomwatch
USER 10001:10001
WORKDIR /var/lib/roomwatch
VOLUME ["/var/lib/roomwatch"]

EXPOSE 8686
# `serve` and `gateway` answer /healthz on 8686; docker-compose.yml gives the
# worker its own check on streams.worker_port (8687).
HEALTHCHECK --interval=30s --timeout=5s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8686/healthz', timeout=3)"]

ENTRYPOINT ["roomwatch"]
CMD ["serve", "--host", "0.0.0.0"]
