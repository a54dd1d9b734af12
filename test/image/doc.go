// Package image checks the container image's build without a container engine: the
// Dockerfile builds through the Makefile's build target, and that target produces a
// static, version-stamped binary that runs on a distroless static base.
package image
