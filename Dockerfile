# attck: nginx with ngx_http_attck_module, built against Debian's nginx.
#
#   docker build -t attck .
#   docker run -p 8080:8080 attck
#   docker run -p 8080:8080 -e ATTCK_SOURCES="file:///data/enterprise-attack.json" \
#       -v /path/to/bundles:/data attck
#
# or the Debian packages (make deb) instead of the image:
#
#   docker build --target debs --output type=local,dest=build/deb .

FROM debian:bookworm AS deb-build

RUN apt-get update \
    && apt-get install -y --no-install-recommends make ca-certificates

WORKDIR /opt/attck
COPY . .

RUN make deb

FROM scratch AS debs
COPY --from=deb-build /opt/attck/build/deb/*.deb /

FROM debian:bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends make ca-certificates \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/attck
COPY . .

RUN apt-get update \
    && make deps all \
    && rm -rf /var/lib/apt/lists/*

ENV ATTCK_PORT=8080

ENV ATTCK_LISTEN=0.0.0.0

# the snapshot is compiled when the container starts, from ATTCK_SOURCES
# (MITRE's official bundles by default); nginx then runs in the foreground
CMD ["sh", "-c", "make -s run-prepare && exec nginx -p /opt/attck/run -c /opt/attck/run/nginx.conf -g 'daemon off;'"]
