# The container image of the Kubernetes recipe (docs/commands.md, "Shards on many machines"):
#   docker build -t registry.example.org/mailsweep:0.1.0 .
# Build stage: Debian 12 builds the Debian package exactly as scripts/package.sh does on a host
# (its build dependencies from scripts/deps.sh). Run stage: debian:12-slim with that package
# installed by apt, which pulls its run-time libraries; nothing else.
FROM debian:12 AS build
WORKDIR /src
COPY . .
# No tests, no benchmarks: the lab's packages (Dovecot, Postfix, ...) are not needed to build.
RUN apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      cmake ninja-build g++ pkg-config libpcap-dev libssl-dev libabsl-dev libfmt-dev \
      libmaxminddb-dev libseccomp-dev help2man dpkg-dev file git ca-certificates && \
    MAILSWEEP_SKIP_DEPS=1 BUILD_DIR=/build scripts/package.sh && \
    cp /build/mailsweep_*.deb /mailsweep.deb

FROM debian:12-slim
COPY --from=build /mailsweep.deb /tmp/mailsweep.deb
# debian:12-slim drops man pages and docs (/etc/dpkg/dpkg.cfg.d/docker); --help has it all.
RUN apt-get update -qq && \
    apt-get install -y -qq --no-install-recommends /tmp/mailsweep.deb && \
    rm -rf /var/lib/apt/lists/* /tmp/mailsweep.deb
# Raw sockets need NET_RAW and NET_ADMIN (the pod's securityContext); mailsweep drops them, and
# root, after set-up. Records go to a volume at /data.
WORKDIR /data
ENTRYPOINT ["mailsweep"]
CMD ["--help"]
