# roomwatch service image: `roomwatch serve` as a non-root user.
# The install steps are the README's (pip install of this checkout); models,
# lexicons and the sample recording are packed into the wheel.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /build
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
COPY models ./models
COPY lexicons ./lexicons
COPY samples ./samples
RUN pip install . \
 && rm -rf /build

RUN groupadd --system --gid 10001 roomwatch \
 && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /var/lib/roomwatch roomwatch
USER 10001:10001
WORKDIR /var/lib/roomwatch
VOLUME ["/var/lib/roomwatch"]

EXPOSE 8686
HEALTHCHECK --interval=30s --timeout=5s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8686/healthz', timeout=3)"]

ENTRYPOINT ["roomwatch"]
CMD ["serve", "--host", "0.0.0.0"]
