package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/kube"
)

// nativeSidecarMinor is the first Kubernetes 1.x minor with native sidecars enabled by
// default (the SidecarContainers feature went beta, on by default, in 1.29).
const nativeSidecarMinor = 29

// nativeSidecars resolves --native-sidecars: "true" and "false" as given, "auto" by
// asking the apiserver's /version once at start (within 10 s). It returns the answer and
// the version seen, for the start-up log.
func nativeSidecars(ctx context.Context, flag string, api *kube.Client) (bool, string, error) {
	switch flag {
	case "true":
		return true, "", nil
	case "false":
		return false, "", nil
	}

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, err := api.ServerVersion(ctx)
	if err != nil {
		return false, "", fmt.Errorf("--native-sidecars=auto: reading the apiserver "+
			"version (set --native-sidecars=true or false to skip): %w", err)
	}
	native, err := supportsNativeSidecars(info.Major, info.Minor)
	if err != nil {
		return false, info.GitVersion, fmt.Errorf("--native-sidecars=auto: apiserver "+
			"version %q: %w (set --native-sidecars=true or false)", info.GitVersion, err)
	}
	return native, info.GitVersion, nil
}

// supportsNativeSidecars reads /version's major and minor; providers add suffixes such
// as "29+" to the minor, which are ignored.
func supportsNativeSidecars(major, minor string) (bool, error) {
	maj, err := strconv.Atoi(major)
	if err != nil {
		return false, fmt.Errorf("major %q is not a number", major)
	}
	digits := strings.TrimRight(minor, "+-abcdefghijklmnopqrstuvwxyz")
	minorNum, err := strconv.Atoi(digits)
	if err != nil {
		return false, fmt.Errorf("minor %q is not a number", minor)
	}
	return maj > 1 || (maj == 1 && minorNum >= nativeSidecarMinor), nil
}
