# One image for the webhook (`webhook serve`) and the containers it injects
# (`webhook agent`): a static Go binary at /webhook on distroless static, run as nonroot.
# Build: make image (passes VERSION and COMMIT). Pin both base images by digest in a
# release pipeline; tags keep this file readable.
ARG GO_IMAGE=golang:1.26.8
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS build
WORKDIR /src
ENV GOTOOLCHAIN=local
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# The Makefile's build target holds the flags (CGO_ENABLED=0, -trimpath, version stamp);
# test/image runs the same target and checks the binary is static.
RUN make build BIN=/out/webhook VERSION="${VERSION}" COMMIT="${COMMIT}"

FROM ${RUNTIME_IMAGE}
ARG VERSION=dev
LABEL org.opencontainers.image.title="rasa-vault-webhook" \
      org.opencontainers.image.description="Vault secrets for Rasa Pro assistants on Kubernetes" \
      org.opencontainers.image.source="https://github.com/rasa-vault-webhook/rasa-vault-webhook" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/webhook /webhook
# 65532 is distroless's nonroot user; the chart runs the pod as the same numeric user.
USER 65532:65532
ENTRYPOINT ["/webhook"]
CMD ["serve"]
