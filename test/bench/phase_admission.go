package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/test/bench/loadgen"
)

// runAdmission starts both webhooks and the floor with the same certificate and
// review, and loads them in turns.
func runAdmission(ctx context.Context, dir string, r *report) error {
	o := r.opts
	s, err := loadSample(o.sample)
	if err != nil {
		return err
	}
	replicas, err := replicaBodies(s.admittedPod(), false)
	if err != nil {
		return err
	}
	body := replicas[0]
	r.reviewBytes = len(body)
	distinct, err := replicaBodies(s.admittedPod(), true)
	if err != nil {
		return err
	}
	certDir := filepath.Join(dir, "certs")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", certDir, err)
	}
	cert, err := newServingCert(certDir)
	if err != nil {
		return err
	}

	ours, err := startOurWebhook(ctx, dir, o.webhookBin, s, cert)
	if err != nil {
		return err
	}
	defer ours.stop()
	theirProc, theirURL, err := startVaultK8s(dir, o.vaultK8sBin, cert)
	if err != nil {
		return err
	}
	defer theirProc.stop()

	conns := o.admission.workers
	sides := make([]*admissionSide, 0, 3)
	for _, side := range []struct {
		name, url string
		proc      *process
	}{{"rasa-vault-webhook", ours.url, ours.proc}, {"vault-k8s", theirURL, theirProc}} {
		t, err := loadgen.NewTarget(side.url, body, cert.CertPEM, conns)
		if err != nil {
			return err
		}
		t.Accept = acceptPatch
		t.Bodies = replicas
		sides = append(sides, &admissionSide{name: side.name, target: t, proc: side.proc,
			bodies: replicas, distinctBodies: distinct})
	}
	floor, err := floorSide(ctx, dir, cert, body, conns, sides[0])
	if err != nil {
		return err
	}
	defer floor.proc.stop()
	sides = append(sides, floor)
	if err := measureAdmission(ctx, o.admission, sides...); err != nil {
		return err
	}
	r.admission = sides
	return nil
}

// floorSide starts the floor server answering with what ours answers to body.
func floorSide(ctx context.Context, dir string, cert *servingCert, body []byte, conns int,
	ours *admissionSide,
) (*admissionSide, error) {
	if err := ours.waitReady(ctx); err != nil {
		return nil, err
	}
	answer, err := ours.target.Do(ctx)
	if err != nil {
		return nil, fmt.Errorf("getting the answer the floor repeats: %w", err)
	}
	proc, url, err := startFloor(dir, cert, answer)
	if err != nil {
		return nil, err
	}
	t, err := loadgen.NewTarget(url, body, cert.CertPEM, conns)
	if err != nil {
		proc.stop()
		return nil, err
	}
	t.Accept = acceptPatch
	t.Bodies = ours.bodies
	return &admissionSide{name: floorName, target: t, proc: proc}, nil
}
