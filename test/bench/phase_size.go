package main

import (
	"context"
	"fmt"
	"os"
)

// distrolessStaticMiB estimates gcr.io/distroless/static's layers (CA bundle, tzdata,
// passwd): about 2 MiB, the base both images would sit on.
const distrolessStaticMiB = 2.0

// sizeResult holds binary sizes in MiB.
type sizeResult struct {
	ours, vaultK8s, vault float64
}

// runSize stats the binaries as built for shipping (static, stripped).
func runSize(ctx context.Context, _ string, r *report) error {
	res := &sizeResult{}
	var err error
	if res.ours, err = fileMiB(r.opts.webhookBin); err != nil {
		return err
	}
	if res.vaultK8s, err = fileMiB(r.opts.vaultK8sBin); err != nil {
		return err
	}
	if bin, err := toolPath(ctx, "vault"); err == nil {
		res.vault, _ = fileMiB(bin)
	}
	r.size = res
	return nil
}

// fileMiB is a file's size in MiB.
func fileMiB(path string) (float64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("sizing %s: %w", path, err)
	}
	return float64(st.Size()) / mib, nil
}
