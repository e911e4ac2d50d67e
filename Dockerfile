# chainriskd and chainriskctl as static binaries on a distroless base, running as a
# non-root user (65532, "nonroot").
#
#   docker build -t chainrisk/chainriskd --build-arg VERSION=v1.0.0 .
#   docker run -p 8480:8480 -v chainrisk-data:/var/lib/chainrisk chainrisk/chainriskd
#
# deployments/docker-compose.yml builds it with a PostgreSQL store.

FROM golang:1.26 AS build
# go.mod names an exact Go release; fetch it if this image's is older.
ENV GOTOOLCHAIN=auto CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=
RUN go build -trimpath -ldflags "-s -w -X github.com/chainrisk/chainrisk/version.Version=${VERSION}" \
        -o /out/ ./cmd/chainriskd ./cmd/chainriskctl \
    && mkdir -p /out/data

# CA certificates (webhooks over HTTPS), /etc/passwd with nonroot, no shell. Time zones
# come with the binary (time/tzdata).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/chainriskd /out/chainriskctl /usr/local/bin/
# The embedded store's directory; mount a volume here, or use PostgreSQL
# (CHAINRISK_DATABASE_URL).
COPY --from=build --chown=65532:65532 /out/data /var/lib/chainrisk
ENV CHAINRISK_DATA_DIR=/var/lib/chainrisk
WORKDIR /var/lib/chainrisk
USER 65532:65532
EXPOSE 8480
ENTRYPOINT ["/usr/local/bin/chainriskd"]
# Without -config: built-in defaults, listening on every interface of the container.
CMD ["-listen", "0.0.0.0:8480"]
