# The container image of the Kubernetes recipe (docs/commands.md, "Shards on many machines"):
#   docker build -t registry.example.org/mailsweep:0.1.0 .
# Build stage: Debian 12 builds the Debian package exactly as scripts/package.sh does on a host,
# with only the build dependencies (`scripts/deps.sh --build-only`: no lab, no tests), in a
# layer of their own that a change of the sources does not rebuild. Run stage: debian:12-slim
# with that package installed by apt, which pulls its run-time libraries; nothing else.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/deps.sh scripts/
RUN scripts/deps.sh --build-only
COPY . .
RUN MAILSWEEP_SKIP_DEPS=1 BUILD_DIR=/build scripts/package.sh && \
    cp /build/mailsweep_*.deb /mailsweep.deb

FROM debian:12-slim
COPY --from=build /mailsweep.deb /tmp/mailsweep.deb
# debian:12-slim drops man pages and docs (/etc/dpkg/dpkg.cfg.d/docker); --help has it all.
RUN apt-get update -qq && \
    apt-get install -y -qq --no-install-recommends /tmp/mailsweep.deb && \
    rm -rf /var/lib/apt/lists/* /tmp/mailsweep.deb
# scan and sweep need NET_RAW for their packet sockets (the pod's securityContext adds it; no
# other capability is used, probe needs none); mailsweep drops it, and root, after set-up.
# Records go to a volume at /data.
WORKDIR /data
ENTRYPOINT ["mailsweep"]
CMD ["--help"]
